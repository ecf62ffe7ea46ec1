package customercount

import (
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey/apikey"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is one test's surveyd core (surveytest.Env) with the customer counts' routes, wired as
// cmd/surveyd wires them, over the core's workspaces, report periods and rollup engine.
type env struct {
	*surveytest.Env
	svc *Service
}

type scenario = surveytest.Scenario

// testNow is the time every test runs at, so none depends on the day it runs: the clock is
// moved there from surveytest.Start and stays.
var testNow = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

func newEnv(t testing.TB) *env {
	t.Helper()
	en := &env{Env: surveytest.New(t, ErrorStatus)}
	en.Clock.Advance(testNow.Sub(surveytest.Start))
	en.svc = NewService(en.DB, en.Core.Rollups(), Options{Now: en.Clock.Now})
	NewHandler(en.svc, en.Core, apikey.WorkspaceOf).Register(en.API, apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite))
	return en
}
