package intake

import (
	"net/http"
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/report"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is one test's surveyd core (surveytest.Env) with the intake's routes and webhook, wired
// as cmd/surveyd wires them.
type env struct {
	*surveytest.Env
	svc *Service
}

type scenario = surveytest.Scenario

func newEnv(t testing.TB) *env {
	t.Helper()
	en := &env{Env: surveytest.New(t, ErrorStatus)}
	en.svc = NewService(en.DB, en.Core, []byte("secret-key-for-tests"))
	report.NewHandler(report.NewService(en.Core, en.Core.Rollups(), report.Options{
		Counts: customercount.NewService(en.DB, en.Core.Rollups(), customercount.Options{Now: en.Clock.Now})})).Register(en.API)
	h := NewHandler(en.svc)
	h.Register(en.API)
	h.RegisterWebhooks(en.Echo)
	return en
}

// report GETs a report through the API.
func (en *env) report(target, key string) *report.Report {
	en.T.Helper()
	rec := en.Do("GET", target, key, nil)
	if rec.Code != http.StatusOK {
		en.T.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	var rep report.Report
	surveytest.Decode(en.T, rec, &rep)
	return &rep
}
