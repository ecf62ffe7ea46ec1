package intake

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/report"
	"go.mongodb.org/mongo-driver/v2/bson"
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
		_, err := d.en.DB.Collection("outbox").InsertOne(ctx, bson.D{
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
