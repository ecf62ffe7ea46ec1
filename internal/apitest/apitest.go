// Package apitest sends requests through a real router in tests, the way a client would.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Do sends a request to h: a string body is sent as is (as JSON), url.Values as a form,
// anything else marshalled to JSON; key, when set, is the bearer API key; header is name,
// value pairs.
func Do(t testing.TB, h http.Handler, method, target, key string, body any, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case url.Values:
		r, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, target, r)
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Scenario is one request and what must come back (pocketbase's ApiScenario, trimmed).
type Scenario struct {
	Name   string
	Method string
	URL    string
	Key    string // "" sends no Authorization header
	Body   any
	Header []string
	Status int
	Want   []string // substrings of the body
	Absent []string // substrings the body must not have
}

// Run sends each scenario to h as a subtest and checks the status and body; check, if set,
// adds the caller's own assertions on the recorded response.
func Run(t *testing.T, h http.Handler, scenarios []Scenario, check func(t *testing.T, sc Scenario, rec *httptest.ResponseRecorder)) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			rec := Do(t, h, sc.Method, sc.URL, sc.Key, sc.Body, sc.Header...)
			if rec.Code != sc.Status {
				t.Fatalf("%s %s = %d, want %d: %s", sc.Method, sc.URL, rec.Code, sc.Status, rec.Body)
			}
			for _, w := range sc.Want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body lacks %q: %s", w, rec.Body)
				}
			}
			for _, a := range sc.Absent {
				if strings.Contains(rec.Body.String(), a) {
					t.Errorf("body has %q: %s", a, rec.Body)
				}
			}
			if check != nil {
				check(t, sc, rec)
			}
		})
	}
}
