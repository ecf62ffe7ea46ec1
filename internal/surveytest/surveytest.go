// Package surveytest builds what the tests of the packages on top of the survey core all
// need: a database of their own on the embedded store, a fake clock that starts at a fixed
// instant, the core with its answer recorder running, the API key store, and the real Echo
// router with the core's API behind the key middleware, where a package adds its own routes;
// and a Distributor that stands in for the mailer.
//
// The core's own tests cannot use it (it imports survey); they have theirs in
// survey/setup_test.go.
package surveytest

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
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Start is where every test clock starts, so that no test depends on the day it runs: a
// Wednesday in June, 08:00 UTC.
var Start = time.Date(2026, 6, 17, 8, 0, 0, 0, time.UTC)

// LinkKey is the fixed link-signing key, so tests can forge and re-sign tokens.
var LinkKey = config.LinkKey{ID: "t1", Secret: bytes.Repeat([]byte{7}, 32)}

// Clock is a test's clock: it moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var (
	loadOnce sync.Once
	catalog  *templates.Catalog
	loadErr  error
)

// Catalog is the en/vi catalog, loaded once per test binary.
func Catalog(t testing.TB) *templates.Catalog {
	t.Helper()
	loadOnce.Do(func() { catalog, loadErr = templates.LoadCatalog() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return catalog
}

// Env is one test's surveyd core, wired as cmd/surveyd wires it.
type Env struct {
	T        testing.TB
	DB       *mongo.Database
	Clock    *Clock
	Signer   *survey.Signer
	Core     *survey.Service // on Clock, the rollups' one writer as a process serving the embedded store is
	Keys     *apikey.Store
	Recorder *survey.Recorder // running until the test ends
	Echo     *echo.Echo       // the router; the error handler knows the core's and the key store's errors, then classifiers'
	API      *echo.Group      // /api/v1 behind the key store, with the core's routes
	WS       *survey.Workspace
	Key      string // an admin key of WS
}

// New builds a test's Env with a workspace "Acme" and an admin key; classifiers map the
// caller's own errors.
func New(t testing.TB, classifiers ...httpx.Classifier) *Env {
	t.Helper()
	db := storetest.DB(t)
	signer, err := survey.NewSigner([]config.LinkKey{LinkKey}, LinkKey.ID)
	if err != nil {
		t.Fatal(err)
	}
	clock := &Clock{t: Start}
	core := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt"),
		Now: clock.Now, SoleRollupWriter: true})
	keys := apikey.NewStore(db)

	log := slog.New(slog.DiscardHandler)
	rec := survey.NewRecorder(core, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rec.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	all := append([]httpx.Classifier{survey.ErrorStatus, apikey.ErrorStatus}, classifiers...)
	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, all...)})
	e.Use(httpx.SecureHeaders)
	api := e.Group("/api/v1", keys.Authenticate)
	survey.NewHandler(core, Catalog(t)).Register(api)

	en := &Env{T: t, DB: db, Clock: clock, Signer: signer, Core: core, Keys: keys, Recorder: rec, Echo: e, API: api}
	en.WS, en.Key = en.Workspace("Acme")
	return en
}

// Workspace creates a workspace with an admin key.
func (en *Env) Workspace(name string) (*survey.Workspace, string) {
	en.T.Helper()
	ws := survey.NewWorkspace(name)
	ws.CompanyName = name + " Ltd"
	if err := en.Core.CreateWorkspace(context.Background(), ws); err != nil {
		en.T.Fatal(err)
	}
	return ws, en.KeyFor(ws, apikey.ScopeAdmin)
}

// KeyFor creates an API key of ws with scope.
func (en *Env) KeyFor(ws *survey.Workspace, scope apikey.Scope) string {
	en.T.Helper()
	_, secret, err := en.Keys.Create(context.Background(), ws.ID, "test", scope)
	if err != nil {
		en.T.Fatal(err)
	}
	return secret
}

// Do sends a request through the router (apitest.Do).
func (en *Env) Do(method, target, key string, body any, header ...string) *httptest.ResponseRecorder {
	en.T.Helper()
	return apitest.Do(en.T, en.Echo, method, target, key, body, header...)
}

// CreateSurvey makes a survey of WS through the API and returns it.
func (en *Env) CreateSurvey(body string) *survey.Survey {
	en.T.Helper()
	rec := en.Do("POST", "/api/v1/surveys", en.Key, body)
	if rec.Code != http.StatusCreated {
		en.T.Fatalf("create survey %s: %d %s", body, rec.Code, rec.Body)
	}
	var sv survey.Survey
	Decode(en.T, rec, &sv)
	sv.WorkspaceID = en.WS.ID
	return &sv
}

// Count counts the documents of a collection that match filter (nil: all).
func (en *Env) Count(coll string, filter bson.D) int64 {
	en.T.Helper()
	if filter == nil {
		filter = bson.D{}
	}
	n, err := en.DB.Collection(coll).CountDocuments(context.Background(), filter)
	if err != nil {
		en.T.Fatal(err)
	}
	return n
}

// Decode reads a JSON response body into v.
func Decode(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body, err)
	}
}

// Scenario is one API request and what must come back (apitest.Scenario without Absent). It
// is an unnamed struct type, so tables of other packages may list its fields in order.
type Scenario = struct {
	Name   string
	Method string
	URL    string
	Key    string // "" sends no Authorization header
	Body   any
	Header []string
	Status int
	Want   []string // substrings of the body
}

// Run sends each scenario through the router as a subtest (apitest.Run), and checks that the
// API's errors come as problem details.
func (en *Env) Run(t *testing.T, scenarios []Scenario) {
	t.Helper()
	all := make([]apitest.Scenario, len(scenarios))
	for i, sc := range scenarios {
		all[i] = apitest.Scenario{Name: sc.Name, Method: sc.Method, URL: sc.URL, Key: sc.Key, Body: sc.Body,
			Header: sc.Header, Status: sc.Status, Want: sc.Want}
	}
	apitest.Run(t, en.Echo, all, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		if sc.Status >= 400 && !strings.HasPrefix(sc.URL, "/s/") {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("error content type %q, want application/problem+json", ct)
			}
		}
	})
}
