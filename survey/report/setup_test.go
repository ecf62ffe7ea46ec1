package report

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/benchmark"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/target"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is one test's surveyd core (surveytest.Env) with the reports over it and the benchmark
// sets, targets and customer counts they compare with, their routes beside the core's. The
// respondent pages are survey/respondent's: respond records a form's answer the way they do.
type env struct {
	*surveytest.Env
	reports *Service
	counts  *customercount.Service
}

type scenario = surveytest.Scenario

func newEnv(t testing.TB) *env {
	t.Helper()
	en := &env{Env: surveytest.New(t, benchmark.ErrorStatus, target.ErrorStatus, customercount.ErrorStatus)}
	benchmarks := benchmark.NewService(en.DB, benchmark.Options{Now: en.Clock.Now})
	targets := target.NewService(en.DB, target.Options{Now: en.Clock.Now})
	en.counts = customercount.NewService(en.DB, en.Core.Rollups(), customercount.Options{Now: en.Clock.Now})
	en.reports = NewService(en.Core, en.Core.Rollups(), Options{Benchmarks: benchmarks, Targets: targets, Counts: en.counts})

	NewHandler(en.reports).Register(en.API)
	read, write := apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite)
	benchmark.NewHandler(benchmarks, apikey.WorkspaceOf).Register(en.API, read, write)
	target.NewHandler(targets, en.Core, apikey.WorkspaceOf).Register(en.API, read, write)
	customercount.NewHandler(en.counts, en.Core, apikey.WorkspaceOf).Register(en.API, read, write)
	return en
}

// invite makes an invitation through the API and returns it with its link's token.
func (en *env) invite(sv *survey.Survey, customer string) (*survey.Invitation, string) {
	en.T.Helper()
	rec := en.Do("POST", "/api/v1/invitations", en.Key, `{"survey_id":"`+sv.ID.Hex()+`","customer":`+customer+`,
		"interaction":{"id":"T-1","agent":"Lan","team":"Billing","channel":"chat","country":"VN"}}`)
	if rec.Code != http.StatusCreated {
		en.T.Fatalf("create invitation: %d %s", rec.Code, rec.Body)
	}
	var inv survey.Invitation
	surveytest.Decode(en.T, rec, &inv)
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
	en.T.Helper()
	ctx := context.Background()
	claims, err := en.Core.VerifyLink(tok)
	if err != nil {
		en.T.Fatal(err)
	}
	inv, err := en.Core.LinkInvitation(ctx, claims.InvitationID)
	if err != nil {
		en.T.Fatal(err)
	}
	sv, err := en.Core.Survey(ctx, inv.WorkspaceID, inv.SurveyID)
	if err != nil {
		en.T.Fatal(err)
	}
	ws, err := en.Core.WorkspaceByID(ctx, inv.WorkspaceID)
	if err != nil {
		en.T.Fatal(err)
	}
	lang := surveytest.Catalog(en.T).Match(inv.Customer.Locale)
	if lang == "" {
		lang = surveytest.Catalog(en.T).Match(ws.DefaultLocale)
	}
	score, err := strconv.Atoi(form.Get("score"))
	if err != nil {
		en.T.Fatalf("respond: score %q", form.Get("score"))
	}
	renderedAt, _ := strconv.ParseInt(form.Get("rendered_at"), 10, 64)
	r := en.Core.NewResponse(sv, inv, survey.Answer{
		Score: score, Comment: strings.TrimSpace(form.Get("comment")), Reason: form.Get("reason"), Locale: lang,
		IP: "192.0.2.1", Interacted: form.Get("interacted") == "1", AutoConfirmed: form.Get("confirm") == "auto", RenderedAt: renderedAt,
	})
	if err := en.Recorder.Submit(ctx, r, sv.EditWindow()); err != nil {
		en.T.Fatalf("respond: %v", err)
	}
}

// postCounts posts customer counts through the API.
func (en *env) postCounts(body string, want int) customercount.CustomerCount {
	en.T.Helper()
	rec := en.Do("POST", "/api/v1/customer-counts", en.Key, body)
	if rec.Code != want {
		en.T.Fatalf("POST /api/v1/customer-counts %s: %d, want %d: %s", body, rec.Code, want, rec.Body)
	}
	var cc customercount.CustomerCount
	surveytest.Decode(en.T, rec, &cc)
	return cc
}
