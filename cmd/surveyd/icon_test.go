package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/surveyd/surveyd/internal/apitest"
)

// Browsers fetch /favicon.ico for every page whatever the page links, and the pages link an
// SVG icon beside it: both are served from the binary, cacheable.
func TestIcons(t *testing.T) {
	a := testApp(t, nil)
	e := a.routes(prometheus.NewRegistry())
	types := map[string]string{"/favicon.ico": "image/x-icon", "/static/favicon.svg": "image/svg+xml"}
	apitest.Run(t, e, []apitest.Scenario{
		{Name: "favicon.ico", Method: http.MethodGet, URL: "/favicon.ico", Status: http.StatusOK, Want: []string{"\x00\x00\x01\x00", "PNG"}},
		{Name: "svg icon", Method: http.MethodGet, URL: "/static/favicon.svg", Status: http.StatusOK, Want: []string{"<svg"}},
	}, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		if ct := rec.Header().Get("Content-Type"); ct != types[sc.URL] {
			t.Errorf("Content-Type = %q, want %q", ct, types[sc.URL])
		}
		if cc := rec.Header().Get("Cache-Control"); cc == "" || cc == "no-store" {
			t.Errorf("Cache-Control = %q, want the icon cacheable", cc)
		}
	})
}
