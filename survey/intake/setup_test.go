package intake

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
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var (
	loadOnce sync.Once
	catalog  *templates.Catalog
)

// env is one test's surveyd: its own database, the survey core and the intake over it, and
// the real Echo router with the core's API and the intake's routes.
type env struct {
	t     testing.TB
	core  *survey.Service
	keys  *apikey.Store
	svc   *Service
	db    *mongo.Database
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
	})
	db := storetest.DB(t)
	signer, err := survey.NewSigner([]config.LinkKey{{ID: "t1", Secret: bytes.Repeat([]byte{7}, 32)}}, "t1")
	if err != nil {
		t.Fatal(err)
	}
	// A fixed start, so no test depends on the day it runs: a Wednesday in June, 08:00 UTC.
	clock := &fakeClock{t: time.Date(2026, 6, 17, 8, 0, 0, 0, time.UTC)}
	core := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt"), Now: clock.now,
		SoleRollupWriter: true}) // as the one process serving an embedded store is
	core.CountCustomersWith(customercount.NewService(db, core.Rollups(), customercount.Options{Now: clock.now}))
	keys := apikey.NewStore(db)
	svc := NewService(db, core, []byte("secret-key-for-tests"))

	log := slog.New(slog.DiscardHandler)
	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus, ErrorStatus)})
	e.Use(httpx.SecureHeaders)
	api := survey.NewHandler(core, catalog)
	g := e.Group("/api/v1", keys.Authenticate)
	api.Register(g)
	h := NewHandler(svc)
	h.Register(g)
	h.RegisterWebhooks(e)

	en := &env{t: t, core: core, keys: keys, svc: svc, db: db, e: e, clock: clock}
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
	sv.WorkspaceID = en.ws.ID
	return &sv
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

// report GETs a report through the API.
func (en *env) report(target, key string) *survey.Report {
	en.t.Helper()
	rec := en.do("GET", target, key, nil)
	if rec.Code != http.StatusOK {
		en.t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	var rep survey.Report
	decode(en.t, rec, &rep)
	return &rep
}

// stubDistributor stands in for the mailer, which the intake's tests do not build: it reports
// the listed addresses as suppressed, records every Schedule call, and queues each scheduled
// invitation in the outbox collection under the invitation's id, as the mailer does.
type stubDistributor struct {
	en         *env
	suppressed map[string]bool

	mu    sync.Mutex
	calls []scheduledCall
}

type scheduledCall struct {
	invitation bson.ObjectID
	due        time.Time
}

func (d *stubDistributor) Suppressed(_ context.Context, _ bson.ObjectID, email string) (bool, error) {
	return d.suppressed[survey.NormalizeEmail(email)], nil
}

func (d *stubDistributor) Schedule(ctx context.Context, invs []*survey.Invitation, due []time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, inv := range invs {
		d.calls = append(d.calls, scheduledCall{inv.ID, due[i]})
		_, err := d.en.db.Collection("outbox").InsertOne(ctx, bson.D{
			{Key: "_id", Value: inv.ID}, {Key: "workspace_id", Value: inv.WorkspaceID}, {Key: "kind", Value: "email"},
			{Key: "purpose", Value: "invitation"}, {Key: "invitation_id", Value: inv.ID}, {Key: "due_at", Value: due[i]},
			{Key: "status", Value: "pending"},
		})
		if err != nil && !store.IsDuplicateKey(err) {
			return err
		}
	}
	return nil
}

func (d *stubDistributor) scheduled() []scheduledCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]scheduledCall(nil), d.calls...)
}
