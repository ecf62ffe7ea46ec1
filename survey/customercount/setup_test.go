package customercount

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is one test's surveyd: its own database, the real Echo router with the customer
// counts' routes behind API keys, wired as cmd/surveyd wires them, over the survey core
// (workspaces, report periods, the rollup engine).
type env struct {
	t    testing.TB
	svc  *Service
	core *survey.Service
	keys *apikey.Store
	e    *echo.Echo
	ws   *survey.Workspace
	key  string // admin key of ws
}

// testNow is the fixed time every test runs at, so none depends on the day it runs.
var testNow = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

func newEnv(t testing.TB) *env {
	t.Helper()
	db := storetest.DB(t)
	key := config.LinkKey{ID: "t1", Secret: bytes.Repeat([]byte{7}, 32)}
	signer, err := survey.NewSigner([]config.LinkKey{key}, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return testNow }
	core := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt"), Now: now,
		SoleRollupWriter: true}) // as the one process serving an embedded store is
	svc := NewService(db, core.Rollups(), Options{Now: now})
	keys := apikey.NewStore(db)

	log := slog.New(slog.DiscardHandler)
	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus, apikey.ErrorStatus, ErrorStatus)})
	api := e.Group("/api/v1", keys.Authenticate)
	NewHandler(svc, core, apikey.WorkspaceOf).Register(api, apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite))

	en := &env{t: t, svc: svc, core: core, keys: keys, e: e}
	en.ws, en.key = en.workspace("Acme")
	return en
}

// workspace creates a workspace with an admin key.
func (en *env) workspace(name string) (*survey.Workspace, string) {
	en.t.Helper()
	ws := survey.NewWorkspace(name)
	ws.CompanyName = name + " Ltd"
	if err := en.core.CreateWorkspace(context.Background(), ws); err != nil {
		en.t.Fatal(err)
	}
	return ws, en.keyFor(ws, apikey.ScopeAdmin)
}

func (en *env) keyFor(ws *survey.Workspace, scope apikey.Scope) string {
	en.t.Helper()
	_, secret, err := en.keys.Create(context.Background(), ws.ID, "test", scope)
	if err != nil {
		en.t.Fatal(err)
	}
	return secret
}

// do sends a request through the router (apitest.Do).
func (en *env) do(method, target, key string, body any, header ...string) *httptest.ResponseRecorder {
	en.t.Helper()
	return apitest.Do(en.t, en.e, method, target, key, body, header...)
}

// scenario is one API request and what must come back (apitest.Scenario).
type scenario struct {
	name   string
	method string
	url    string
	key    string // "" sends no Authorization header
	body   any
	header []string
	status int
	want   []string // substrings of the body
}

func (en *env) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	all := make([]apitest.Scenario, len(scenarios))
	for i, sc := range scenarios {
		all[i] = apitest.Scenario{Name: sc.name, Method: sc.method, URL: sc.url, Key: sc.key, Body: sc.body,
			Header: sc.header, Status: sc.status, Want: sc.want}
	}
	apitest.Run(t, en.e, all, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		if sc.Status >= 400 && !strings.HasPrefix(sc.URL, "/s/") {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("error content type %q, want application/problem+json", ct)
			}
		}
	})
}

func decode(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body, err)
	}
}
