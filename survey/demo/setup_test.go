package demo

import (
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey/intake"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is one test's surveyd core (surveytest.Env) with the intake the demo seeds through.
type env struct {
	*surveytest.Env
	intake *intake.Service
}

func newEnv(t testing.TB) *env {
	t.Helper()
	en := &env{Env: surveytest.New(t)}
	en.intake = intake.NewService(en.DB, en.Core, []byte("secret-key-for-tests"))
	return en
}
