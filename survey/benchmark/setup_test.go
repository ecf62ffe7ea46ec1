package benchmark

import (
	"context"
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/report"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is one test's surveyd core (surveytest.Env) with the benchmark sets' routes and the
// reports reading them, wired as cmd/surveyd wires them.
type env struct {
	*surveytest.Env
	svc *Service
}

type scenario = surveytest.Scenario

func newEnv(t testing.TB) *env {
	t.Helper()
	en := &env{Env: surveytest.New(t, ErrorStatus)}
	en.svc = NewService(en.DB, Options{Now: en.Clock.Now})
	// These tests compare reports with benchmark sets only.
	report.NewHandler(report.NewService(en.Core, en.Core.Rollups(), report.Options{Benchmarks: en.svc,
		Counts: customercount.NewService(en.DB, en.Core.Rollups(), customercount.Options{Now: en.Clock.Now})})).Register(en.API)
	NewHandler(en.svc, apikey.WorkspaceOf).Register(en.API, apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite))
	return en
}

// count counts the benchmark sets that match filter.
func (en *env) count(filter bson.D) int64 {
	en.T.Helper()
	n, err := en.svc.sets.CountDocuments(context.Background(), filter)
	if err != nil {
		en.T.Fatal(err)
	}
	return n
}
