package respondent

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
	"github.com/labstack/echo/v5/middleware"
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

func TestMain(m *testing.M) { storetest.Main(m) }

var (
	loadOnce sync.Once
	catalog  *templates.Catalog
	pages    *templates.Pages
)

// testKey is a fixed link-signing key, so tests can forge and re-sign tokens.
var testKey = config.LinkKey{ID: "t1", Secret: bytes.Repeat([]byte{7}, 32)}

// env is one test's surveyd: its own database, the real Echo router with the respondent pages
// and the survey API (to make surveys and invitations), and a running response recorder.
type env struct {
	t      testing.TB
	db     *mongo.Database
	svc    *survey.Service
	signer *survey.Signer
	e      *echo.Echo
	ws     *survey.Workspace
	key    string // admin key of ws
	keys   *apikey.Store
	clock  *fakeClock
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

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newEnv(t testing.TB) *env {
	t.Helper()
	loadOnce.Do(func() {
		var err error
		if catalog, err = templates.LoadCatalog(); err != nil {
			panic(err)
		}
		if pages, err = templates.LoadPages(); err != nil {
			panic(err)
		}
	})
	db := storetest.DB(t)
	signer, err := survey.NewSigner([]config.LinkKey{testKey}, testKey.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A fixed start, so no test depends on the day it runs: a Wednesday in June, 08:00 UTC.
	clock := &fakeClock{t: time.Date(2026, 6, 17, 8, 0, 0, 0, time.UTC)}
	svc := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt"), Now: clock.now,
		SoleRollupWriter: true}) // as the one process serving an embedded store is

	log := slog.New(slog.DiscardHandler)
	rec := survey.NewRecorder(svc, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rec.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus, apikey.ErrorStatus)})
	e.Use(httpx.SecureHeaders)
	NewPages(svc, rec, pages, catalog).Register(e, middleware.BodyLimit(64<<10))
	keys := apikey.NewStore(db)
	survey.NewHandler(svc, catalog).Register(e.Group("/api/v1", keys.Authenticate))

	en := &env{t: t, db: db, svc: svc, signer: signer, e: e, keys: keys, clock: clock}
	en.ws, en.key = en.workspace("Acme")
	return en
}

// workspace creates a workspace with an admin key.
func (en *env) workspace(name string) (*survey.Workspace, string) {
	en.t.Helper()
	ws := survey.NewWorkspace(name)
	ws.CompanyName = name + " Ltd"
	if err := en.svc.CreateWorkspace(context.Background(), ws); err != nil {
		en.t.Fatal(err)
	}
	_, secret, err := en.keys.Create(context.Background(), ws.ID, "test", apikey.ScopeAdmin)
	if err != nil {
		en.t.Fatal(err)
	}
	return ws, secret
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
	sv.WorkspaceID = en.ws.ID
	return &sv
}

// invite makes an invitation through the API and returns it with its link's token.
func (en *env) invite(sv *survey.Survey, customer string) (*survey.Invitation, string) {
	en.t.Helper()
	rec := en.do("POST", "/api/v1/invitations", en.key, `{"survey_id":"`+sv.ID.Hex()+`","customer":`+customer+`,
		"interaction":{"id":"T-1","agent":"Lan","team":"Billing","channel":"chat","country":"VN"}}`)
	if rec.Code != http.StatusCreated {
		en.t.Fatalf("create invitation: %d %s", rec.Code, rec.Body)
	}
	var inv survey.Invitation
	decode(en.t, rec, &inv)
	return &inv, inv.Link[strings.LastIndex(inv.Link, "/")+1:]
}

func (en *env) count(coll string, filter bson.D) int64 {
	en.t.Helper()
	if filter == nil {
		filter = bson.D{}
	}
	n, err := en.db.Collection(coll).CountDocuments(context.Background(), filter)
	if err != nil {
		en.t.Fatal(err)
	}
	return n
}

func decode(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body, err)
	}
}
