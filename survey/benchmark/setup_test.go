package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var (
	loadOnce sync.Once
	catalog  *templates.Catalog
)

// env is one test's surveyd: its own database, the real Echo router with the survey core's
// routes (for API keys and reports) and the benchmark sets', wired as cmd/surveyd wires them.
type env struct {
	t     testing.TB
	svc   *Service
	core  *survey.Service
	keys  *apikey.Store
	e     *echo.Echo
	ws    *survey.Workspace
	key   string // admin key of ws
	clock *fakeClock
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func newEnv(t testing.TB) *env {
	t.Helper()
	loadOnce.Do(func() {
		var err error
		if catalog, err = templates.LoadCatalog(); err != nil {
			panic(err)
		}
	})
	db := storetest.DB(t)
	key := config.LinkKey{ID: "t1", Secret: bytes.Repeat([]byte{7}, 32)}
	signer, err := survey.NewSigner([]config.LinkKey{key}, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	core := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt")})
	keys := apikey.NewStore(db)
	// A fixed start, so no test depends on the day it runs: a Wednesday in June, 08:00 UTC.
	clock := &fakeClock{t: time.Date(2026, 6, 17, 8, 0, 0, 0, time.UTC)}
	svc := NewService(db, Options{Now: clock.now})
	core.CompareWith(svc, nil) // these tests compare reports with benchmark sets only
	core.CountCustomersWith(customercount.NewService(db, core.Rollups(), customercount.Options{}))

	log := slog.New(slog.DiscardHandler)
	w := survey.NewRecorder(core, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus, ErrorStatus)})
	h := survey.NewHandler(core, catalog)
	api := e.Group("/api/v1", keys.Authenticate)
	h.Register(api)
	NewHandler(svc, apikey.WorkspaceOf).Register(api, apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite))

	en := &env{t: t, svc: svc, core: core, keys: keys, e: e, clock: clock}
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

// createSurvey makes a survey through the API and returns it.
func (en *env) createSurvey(body string) *survey.Survey {
	en.t.Helper()
	rec := en.do("POST", "/api/v1/surveys", en.key, body)
	if rec.Code != http.StatusCreated {
		en.t.Fatalf("create survey %s: %d %s", body, rec.Code, rec.Body)
	}
	var sv survey.Survey
	decode(en.t, rec, &sv)
	return &sv
}

func (en *env) count(filter bson.D) int64 {
	en.t.Helper()
	n, err := en.svc.sets.CountDocuments(context.Background(), filter)
	if err != nil {
		en.t.Fatal(err)
	}
	return n
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
