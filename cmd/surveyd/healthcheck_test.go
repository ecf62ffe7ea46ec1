package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// `surveyd healthcheck` passes against a ready server, and otherwise fails with one line that
// says what it got.
func TestHealthcheckCommand(t *testing.T) {
	check := func(addr string) (string, error) {
		var out bytes.Buffer
		env := map[string]string{"SURVEYD_ADDR": addr, "SURVEYD_DATA_DIR": t.TempDir()}
		err := run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, &out, &out)
		return out.String(), err
	}

	r := serveApp(t, nil)
	if out, err := check(strings.TrimPrefix(r.base, "http://")); err != nil || strings.TrimSpace(out) != "ready" {
		t.Fatalf("against a ready server: %q, %v", out, err)
	}

	// Listening on every interface (":port") is checked over loopback.
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/readyz" {
			http.NotFound(w, req)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("{\"status\": \"migrations pending\",\n \"pending\": 1}\n"))
	}))
	defer notReady.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(notReady.URL, "http://"))
	_, err := check(":" + port)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "503") ||
		!strings.Contains(err.Error(), `"migrations pending"`) || !strings.Contains(err.Error(), "127.0.0.1:"+port) {
		t.Errorf("against a server that is not ready: %v; want one line with the address, the status and the answer", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if _, err := check(closed); err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), closed) {
		t.Errorf("with nothing listening: %v; want one line naming the address", err)
	}
}
