package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Clients' mistakes are counted and logged under the status they got, not as server errors:
// a bad key would otherwise page an operator.
func TestClientErrorsCountedUnderTheirStatus(t *testing.T) {
	a := testApp(t, nil)
	var logs bytes.Buffer
	a.log = slog.New(slog.NewJSONHandler(&logs, nil))
	e := a.routes(prometheus.NewRegistry())
	ctx := context.Background()
	ws := survey.NewWorkspace("Acme")
	if err := a.svc.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	_, readKey, err := a.keys.Create(ctx, ws.ID, "reader", apikey.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	missing := "/api/v1/surveys/" + bson.NewObjectID().Hex()
	apitest.Run(t, e, []apitest.Scenario{
		{Name: "bad key", Method: "GET", URL: "/api/v1/surveys", Key: "sd_not-a-key", Status: http.StatusUnauthorized},
		{Name: "read key writes", Method: "POST", URL: "/api/v1/surveys", Key: readKey, Body: `{}`, Status: http.StatusForbidden},
		{Name: "no such survey", Method: "GET", URL: missing, Key: readKey, Status: http.StatusNotFound},
		{Name: "no such route", Method: "GET", URL: "/nowhere", Status: http.StatusNotFound},
	}, nil)

	metrics := apitest.Do(t, e, "GET", "/metrics", "", nil).Body.String()
	for _, want := range []string{
		`surveyd_http_requests_total{method="GET",route="/api/v1/surveys",status="401"} 1`,
		`surveyd_http_requests_total{method="POST",route="/api/v1/surveys",status="403"} 1`,
		`surveyd_http_requests_total{method="GET",route="/api/v1/surveys/:id",status="404"} 1`,
		`surveyd_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, `status="500"`) {
		t.Errorf("a client error was counted as a server error:\n%s", grepLines(metrics, "surveyd_http_requests_total"))
	}

	var statuses []int
	for line := range strings.Lines(logs.String()) {
		var entry struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Status int    `json:"status"`
			Route  string `json:"route"`
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if entry.Level == "ERROR" {
			t.Errorf("a client error was logged at ERROR: %s", line)
		}
		if entry.Msg == "request" && entry.Route != "/metrics" {
			statuses = append(statuses, entry.Status)
		}
	}
	if want := []int{401, 403, 404, 404}; !slices.Equal(statuses, want) {
		t.Errorf("request log statuses %v, want %v", statuses, want)
	}
}

// A known path asked with a method it does not serve answers 405 naming the methods it does;
// HEAD works wherever GET does, as HTTP requires.
func TestMethodNotAllowedAndHEAD(t *testing.T) {
	a := testApp(t, nil)
	e := a.routes(prometheus.NewRegistry())
	apitest.Run(t, e, []apitest.Scenario{
		{Name: "DELETE /healthz", Method: "DELETE", URL: "/healthz", Status: http.StatusMethodNotAllowed},
		{Name: "PUT /api/v1/surveys", Method: "PUT", URL: "/api/v1/surveys", Status: http.StatusMethodNotAllowed},
		{Name: "DELETE a survey", Method: "DELETE", URL: "/api/v1/surveys/" + bson.NewObjectID().Hex(), Status: http.StatusMethodNotAllowed},
		{Name: "HEAD /healthz", Method: "HEAD", URL: "/healthz", Status: http.StatusOK},
		{Name: "HEAD /readyz", Method: "HEAD", URL: "/readyz", Status: http.StatusOK},
		{Name: "HEAD /openapi.yaml", Method: "HEAD", URL: "/openapi.yaml", Status: http.StatusOK},
		{Name: "HEAD a static file", Method: "HEAD", URL: "/static/surveyd.css", Status: http.StatusOK},
		{Name: "HEAD an API list asks for a key", Method: "HEAD", URL: "/api/v1/surveys", Status: http.StatusUnauthorized},
		{Name: "unknown API path", Method: "GET", URL: "/api/v1/nowhere", Status: http.StatusNotFound},
	}, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		allow := rec.Header().Get("Allow")
		switch sc.Name {
		case "DELETE /healthz":
			if !strings.Contains(allow, "GET") || !strings.Contains(allow, "HEAD") {
				t.Errorf("Allow = %q, want GET and HEAD", allow)
			}
		case "PUT /api/v1/surveys":
			if !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
				t.Errorf("Allow = %q, want GET and POST", allow)
			}
		case "DELETE a survey":
			if !strings.Contains(allow, "GET") || !strings.Contains(allow, "PATCH") {
				t.Errorf("Allow = %q, want GET and PATCH", allow)
			}
		}
	})
}

func grepLines(s, prefix string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
