package surveytest

import (
	"context"
	"sync"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Distributor stands in for the mailer, which the tests of the packages on the core do not
// build (survey.Service.SetDistributor): it reports the addresses in Suppress as suppressed,
// records every Schedule call, and queues each scheduled invitation in DB's outbox collection
// under the invitation's id, as the mailer does.
type Distributor struct {
	DB       *mongo.Database
	Suppress map[string]bool // normalized addresses (survey.NormalizeEmail); nil: none

	mu    sync.Mutex
	calls []Scheduled
}

// Scheduled is one invitation a Schedule call queued, and when it is due.
type Scheduled struct {
	Invitation bson.ObjectID
	Due        time.Time
}

// Suppressed reports whether email is in Suppress.
func (d *Distributor) Suppressed(_ context.Context, _ bson.ObjectID, email string) (bool, error) {
	return d.Suppress[survey.NormalizeEmail(email)], nil
}

// Schedule records the call and queues the invitations in the outbox collection; queueing
// one again changes nothing.
func (d *Distributor) Schedule(ctx context.Context, invs []*survey.Invitation, due []time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, inv := range invs {
		d.calls = append(d.calls, Scheduled{inv.ID, due[i]})
		_, err := d.DB.Collection("outbox").InsertOne(ctx, bson.D{
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

// Calls are the invitations scheduled so far, in order.
func (d *Distributor) Calls() []Scheduled {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Scheduled(nil), d.calls...)
}
