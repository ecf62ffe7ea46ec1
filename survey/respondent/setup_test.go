package respondent

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v5/middleware"
	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/templates"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var (
	loadOnce sync.Once
	catalog  *templates.Catalog
	pages    *templates.Pages
)

// env is one test's surveyd core (surveytest.Env) with the respondent pages in front of its
// recorder, wired as cmd/surveyd wires them.
type env struct{ *surveytest.Env }

func newEnv(t testing.TB) *env {
	t.Helper()
	catalog = surveytest.Catalog(t)
	loadOnce.Do(func() {
		var err error
		if pages, err = templates.LoadPages(); err != nil {
			panic(err)
		}
	})
	en := &env{surveytest.New(t)}
	NewPages(en.Core, en.Recorder, pages, catalog).Register(en.Echo, middleware.BodyLimit(64<<10))
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
