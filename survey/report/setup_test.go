package report

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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
	"github.com/surveyd/surveyd/survey/benchmark"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/target"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var (
	loadOnce sync.Once
	catalog  *templates.Catalog
)

// testKey is a fixed link-signing key.
var testKey = config.LinkKey{ID: "t1", Secret: bytes.Repeat([]byte{7}, 32)}

// env is one test's surveyd: its own database, the survey core and the reports over it with
// the benchmark sets and targets they compare with, the real Echo router with the core's,
// the reports', the sets' and the targets' routes, and a running response recorder. The
// respondent pages are survey/respondent's: respond records a form's answer the way they do.
type env struct {
	t       testing.TB
	svc     *survey.Service
	reports *Service
	counts  *customercount.Service
	rec     *survey.Recorder
	keys    *apikey.Store
	db      *mongo.Database
	e       *echo.Echo
	ws      *survey.Workspace
	key     string // admin key of ws
	clock   *fakeClock
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
	signer, err := survey.NewSigner([]config.LinkKey{testKey}, testKey.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A fixed start, so no test depends on the day it runs: a Wednesday in June, 08:00 UTC.
	clock := &fakeClock{t: time.Date(2026, 6, 17, 8, 0, 0, 0, time.UTC)}
	svc := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt"), Now: clock.now,
		SoleRollupWriter: true}) // as the one process serving an embedded store is
	benchmarks := benchmark.NewService(db, benchmark.Options{Now: clock.now})
	targets := target.NewService(db, target.Options{Now: clock.now})
	counts := customercount.NewService(db, svc.Rollups(), customercount.Options{Now: clock.now})
	reports := NewService(svc, svc.Rollups(), Options{Benchmarks: benchmarks, Targets: targets, Counts: counts})

	log := slog.New(slog.DiscardHandler)
	w := survey.NewRecorder(svc, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus, apikey.ErrorStatus, benchmark.ErrorStatus, target.ErrorStatus, customercount.ErrorStatus)})
	e.Use(httpx.SecureHeaders)
	keys := apikey.NewStore(db)
	api := e.Group("/api/v1", keys.Authenticate)
	survey.NewHandler(svc, catalog).Register(api)
	NewHandler(reports).Register(api)
	read, write := apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite)
	benchmark.NewHandler(benchmarks, apikey.WorkspaceOf).Register(api, read, write)
	target.NewHandler(targets, svc, apikey.WorkspaceOf).Register(api, read, write)
	customercount.NewHandler(counts, svc, apikey.WorkspaceOf).Register(api, read, write)

	en := &env{t: t, svc: svc, reports: reports, counts: counts, rec: w, keys: keys, db: db, e: e, clock: clock}
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

func formAnswer(score string, kv ...string) url.Values {
	v := url.Values{"score": {score}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// respond records the answer of a form posted to the link tok, as survey/respondent does: in
// the invitation's language (or the workspace's), from a client without a User-Agent.
func (en *env) respond(tok string, form url.Values) {
	en.t.Helper()
	ctx := context.Background()
	claims, err := en.svc.VerifyLink(tok)
	if err != nil {
		en.t.Fatal(err)
	}
	inv, err := en.svc.LinkInvitation(ctx, claims.InvitationID)
	if err != nil {
		en.t.Fatal(err)
	}
	sv, err := en.svc.Survey(ctx, inv.WorkspaceID, inv.SurveyID)
	if err != nil {
		en.t.Fatal(err)
	}
	ws, err := en.svc.WorkspaceByID(ctx, inv.WorkspaceID)
	if err != nil {
		en.t.Fatal(err)
	}
	lang := catalog.Match(inv.Customer.Locale)
	if lang == "" {
		lang = catalog.Match(ws.DefaultLocale)
	}
	score, err := strconv.Atoi(form.Get("score"))
	if err != nil {
		en.t.Fatalf("respond: score %q", form.Get("score"))
	}
	renderedAt, _ := strconv.ParseInt(form.Get("rendered_at"), 10, 64)
	r := en.svc.NewResponse(sv, inv, survey.Answer{
		Score: score, Comment: strings.TrimSpace(form.Get("comment")), Reason: form.Get("reason"), Locale: lang,
		IP: "192.0.2.1", Interacted: form.Get("interacted") == "1", AutoConfirmed: form.Get("confirm") == "auto", RenderedAt: renderedAt,
	})
	if err := en.rec.Submit(ctx, r, sv.EditWindow()); err != nil {
		en.t.Fatalf("respond: %v", err)
	}
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

// postCounts posts customer counts through the API.
func (en *env) postCounts(body string, want int) customercount.CustomerCount {
	en.t.Helper()
	rec := en.do("POST", "/api/v1/customer-counts", en.key, body)
	if rec.Code != want {
		en.t.Fatalf("POST /api/v1/customer-counts %s: %d, want %d: %s", body, rec.Code, want, rec.Body)
	}
	var cc customercount.CustomerCount
	decode(en.t, rec, &cc)
	return cc
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
		if sc.Status >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("error content type %q, want application/problem+json", ct)
			}
		}
	})
}

// stubDistributor stands in for the mailer, which the reports' tests do not build: it queues
// each scheduled invitation in the outbox collection under the invitation's id, as the
// mailer does, and suppresses no one.
type stubDistributor struct{ en *env }

func (d *stubDistributor) Suppressed(context.Context, bson.ObjectID, string) (bool, error) {
	return false, nil
}

func (d *stubDistributor) Schedule(ctx context.Context, invs []*survey.Invitation, due []time.Time) error {
	for i, inv := range invs {
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
