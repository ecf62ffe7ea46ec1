package outbox

import (
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/surveyd/surveyd/internal/storetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The backlog counts the pending messages that are due, per kind, and how long the oldest has
// waited; messages due later and messages failed for good are not in it.
func TestOutboxBacklog(t *testing.T) {
	ctx := t.Context()
	db := storetest.DB(t)
	o := New(db, time.Minute, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	o.now = func() time.Time { return now }

	failed := &Message{Kind: KindEmail, DueAt: now.Add(-time.Hour)}
	if err := o.Enqueue(ctx,
		&Message{Kind: KindEmail, DueAt: now.Add(-90 * time.Second)},
		&Message{Kind: KindEmail, DueAt: now.Add(-10 * time.Second)},
		&Message{Kind: KindEmail, DueAt: now.Add(time.Hour)},
		&Message{Kind: KindWebhook, DueAt: now.Add(-5 * time.Second)},
		failed,
	); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection(MessagesCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: failed.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusFailed}}}}); err != nil {
		t.Fatal(err)
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(o.Backlog())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			got[f.GetName()+"/"+m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"surveyd_outbox_due_messages/email":             2,
		"surveyd_outbox_due_messages/webhook":           1,
		"surveyd_outbox_oldest_due_age_seconds/email":   90,
		"surveyd_outbox_oldest_due_age_seconds/webhook": 5,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
}
