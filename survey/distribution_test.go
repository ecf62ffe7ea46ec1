package survey

import (
	"context"
	"sync"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// stubDistributor stands in for the mailer, which survey cannot import: it reports the listed
// addresses as suppressed, records every Schedule call, and queues each scheduled invitation
// in the outbox collection under the invitation's id, as the mailer does.
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
	return d.suppressed[NormalizeEmail(email)], nil
}

func (d *stubDistributor) Schedule(ctx context.Context, invs []*Invitation, due []time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, inv := range invs {
		d.calls = append(d.calls, scheduledCall{inv.ID, due[i]})
		_, err := d.en.svc.db.Collection("outbox").InsertOne(ctx, bson.D{
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
