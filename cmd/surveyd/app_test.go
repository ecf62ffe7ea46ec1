package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/surveyd/surveyd/docs"
	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.yaml.in/yaml/v3"
)

// testApp assembles surveyd on the embedded store in a temporary data dir.
func testApp(t testing.TB, env map[string]string) *app {
	t.Helper()
	vars := map[string]string{"SURVEYD_DATA_DIR": t.TempDir(), "SURVEYD_ADDR": "127.0.0.1:0"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := initApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	return a
}

// The OpenAPI document is the contract: every served route is in it and it lists no other.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := testApp(t, nil)
	e := a.routes(prometheus.NewRegistry())

	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	var served []string
	for _, r := range e.Router().Routes() {
		if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, r.Method) {
			continue // Echo's own not-found routes for groups
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		p = strings.Replace(p, "/*", "/{path}", 1)
		served = append(served, r.Method+" "+p)
	}

	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q, want 3.1.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete":
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is served but missing from docs/openapi.yaml", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("docs/openapi.yaml documents %s, which is not served", r)
		}
	}
}

// A real server on a free port: health, readiness, metrics and the contract, then a clean
// shutdown when the context ends.
func TestServeAndShutdown(t *testing.T) {
	a := testApp(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, func(s string) { addr <- s }) }()
	base := "http://" + <-addr

	for path, want := range map[string]string{
		"/healthz":      `"ok"`,
		"/readyz":       `"ready"`,
		"/openapi.yaml": "openapi: 3.1",
		"/":             `"surveyd"`,
	} {
		body, status := get(t, base+path)
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %q, want 200 containing %q", path, status, body, want)
		}
	}
	// After a request has been served its series exist.
	if body, _ := get(t, base+"/metrics"); !strings.Contains(body, `surveyd_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Errorf("metrics lack the request counter:\n%s", body)
	}
	if body, status := get(t, base+"/static/surveyd.css"); status != http.StatusOK || !strings.Contains(body, "--accent") {
		t.Errorf("GET /static/surveyd.css = %d", status)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b), res.StatusCode
}

func TestKeysCommand(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "SURVEYD_DATA_DIR" {
			return dir
		}
		return ""
	}
	run1 := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, env, &out, &errOut)
		return out.String(), errOut.String(), err
	}

	key, note, err := run1("keys", "create", "--workspace", "Acme", "--scope", "read")
	if err != nil {
		t.Fatal(err, note)
	}
	if !strings.HasPrefix(strings.TrimSpace(key), "sd_") || !strings.Contains(note, `created workspace "Acme"`) {
		t.Fatalf("create printed %q / %q", key, note)
	}
	list, _, err := run1("keys", "list", "--workspace", "Acme")
	if err != nil || !strings.Contains(list, "read") || !strings.Contains(list, strings.TrimSpace(key)[:9]) {
		t.Fatalf("list = %q, %v", list, err)
	}
	if strings.Contains(list, strings.TrimSpace(key)) {
		t.Fatal("list must never show a whole key")
	}
	if _, _, err := run1("keys", "revoke", "--workspace", "Acme", strings.TrimSpace(key)[:9]); err != nil {
		t.Fatal(err)
	}
	if list, _, _ = run1("keys", "list", "--workspace", "Acme"); strings.Contains(list, "\t-") || !strings.Contains(list, time.Now().UTC().Format("2006-01-02")) {
		t.Fatalf("revoked key not shown as revoked: %q", list)
	}
	if _, _, err := run1("keys", "create", "--workspace", "Acme", "--scope", "root"); err == nil || !strings.Contains(err.Error(), "scope") {
		t.Fatalf("bad scope: %v", err)
	}
	if _, _, err := run1("keys", "list"); err == nil || !strings.Contains(err.Error(), "--workspace") {
		t.Fatalf("missing workspace: %v", err)
	}
}

func TestBadConfigStopsStart(t *testing.T) {
	env := map[string]string{"SURVEYD_BASE_URL": "localhost", "SURVEYD_RATE_LIMIT": "-1", "SURVEYD_DATA_DIR": t.TempDir()}
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve started with bad settings")
	}
	for _, name := range []string{"SURVEYD_BASE_URL", "SURVEYD_RATE_LIMIT"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestIntegrationsCommand(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "SURVEYD_DATA_DIR" {
			return dir
		}
		return ""
	}
	run1 := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), args, env, &out, io.Discard)
		return strings.TrimSpace(out.String()), err
	}
	if _, err := run1("keys", "create", "--workspace", "Acme"); err != nil {
		t.Fatal(err)
	}
	secret, err := run1("integrations", "create", "--workspace", "Acme", "--name", "Helpdesk")
	if err != nil || !strings.HasPrefix(secret, "sdwh_") {
		t.Fatalf("create = %q, %v", secret, err)
	}
	list, err := run1("integrations", "list", "--workspace", "Acme")
	if err != nil || !strings.Contains(list, "Helpdesk") {
		t.Fatalf("list = %q, %v", list, err)
	}
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	rotated, err := run1("integrations", "rotate", "--workspace", "Acme", id)
	if err != nil || rotated == secret || !strings.HasPrefix(rotated, "sdwh_") {
		t.Fatalf("rotate = %q, %v", rotated, err)
	}
	if _, err := run1("integrations", "revoke", "--workspace", "Acme", id); err != nil {
		t.Fatal(err)
	}
	if _, err := run1("integrations", "rotate", "--workspace", "Acme", id); err == nil {
		t.Fatal("rotated a revoked integration")
	}
}

func TestClientIP(t *testing.T) {
	_, lb, _ := net.ParseCIDR("10.0.0.0/8")
	tests := map[string]struct {
		proxies     []*net.IPNet
		remote, xff string
		want        string
	}{
		"no proxies: the peer":                 {nil, "203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},
		"behind the load balancer: the client": {[]*net.IPNet{lb}, "10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},
		"a stranger's header is ignored":       {[]*net.IPNet{lb}, "198.51.100.7:5000", "1.2.3.4", "198.51.100.7"},
	}
	for name, tc := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		req.Header.Set("X-Forwarded-For", tc.xff)
		if got := clientIP(tc.proxies)(req); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
}

// Real outbox items, an email and a webhook event, as the failed list and a retry return them,
// are what docs/openapi.yaml's OutboxMessage says.
func TestOpenAPIOutboxMessages(t *testing.T) {
	a := testApp(t, nil)
	e := a.routes(prometheus.NewRegistry())
	ctx := context.Background()
	ws := survey.NewWorkspace("Acme")
	if err := a.svc.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	_, key, err := a.keys.Create(ctx, ws.ID, "contract", apikey.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.outbox.Enqueue(ctx,
		&outbox.Message{WorkspaceID: ws.ID, Kind: outbox.KindEmail, Purpose: "invitation", InvitationID: bson.NewObjectID()},
		&outbox.Message{WorkspaceID: ws.ID, Kind: outbox.KindWebhook, Purpose: "response.created", EndpointID: bson.NewObjectID(), Body: []byte(`{}`)},
	); err != nil {
		t.Fatal(err)
	}
	work, stop := context.WithCancel(ctx)
	var workers sync.WaitGroup
	for _, kind := range []string{outbox.KindEmail, outbox.KindWebhook} {
		workers.Go(func() { a.outbox.Work(work, kind, refuseAll{}, 10*time.Millisecond, nil) })
	}
	waitFor(t, "both messages to fail", func() bool {
		failed, err := a.outbox.Failed(ctx, ws.ID, 10)
		return err == nil && len(failed) == 2
	})
	stop()
	workers.Wait()

	schema := openAPISchema(t, "OutboxMessage")
	var list struct{ Data []json.RawMessage }
	rec := apitest.Do(t, e, "GET", "/api/v1/outbox/failed", key, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != http.StatusOK || len(list.Data) != 2 {
		t.Fatalf("GET /api/v1/outbox/failed = %d %s", rec.Code, rec.Body)
	}
	for _, item := range list.Data {
		validate(t, schema, item)
		var m struct{ ID string }
		if err := json.Unmarshal(item, &m); err != nil {
			t.Fatal(err)
		}
		rec := apitest.Do(t, e, "POST", "/api/v1/outbox/"+m.ID+"/retry", key, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("retry = %d %s", rec.Code, rec.Body)
		}
		validate(t, schema, rec.Body.Bytes())
	}
}

// refuseAll fails every delivery for good, as a mailbox that does not exist does.
type refuseAll struct{}

func (refuseAll) Deliver(context.Context, *outbox.Message) error {
	return outbox.Permanent(errors.New("550 5.1.1 recipient address rejected"))
}

// openAPISchema compiles one of docs/openapi.yaml's component schemas, which are JSON Schema
// 2020-12 in OpenAPI 3.1, with the references it makes to the others.
func openAPISchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi.json", parsed); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("openapi.json#/components/schemas/" + name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, body []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not match docs/openapi.yaml: %v", body, err)
	}
}
