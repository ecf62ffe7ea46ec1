package outbox

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var (
	backlogDue = prometheus.NewDesc("surveyd_outbox_due_messages",
		"Outbox messages due and not yet delivered, by kind; messages waiting for a later time (a delay, a retry's backoff, a reminder's day) are not counted.",
		[]string{"kind"}, nil)
	backlogAge = prometheus.NewDesc("surveyd_outbox_oldest_due_age_seconds",
		"How long the oldest due outbox message of each kind has been waiting past its due time; 0 when none is due.",
		[]string{"kind"}, nil)
)

// Backlog reports the outbox's due messages at each scrape: per kind, one count and one read
// of the oldest, both on the (status, kind, due_at) index, so a scrape does not read the
// outbox through.
func (o *Outbox) Backlog() prometheus.Collector { return backlog{o} }

type backlog struct{ o *Outbox }

func (b backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogDue
	ch <- backlogAge
}

func (b backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := b.o.now()
	for _, kind := range []string{KindEmail, KindWebhook} {
		n, age, err := b.o.dueBacklog(ctx, kind, now)
		if err != nil {
			// A scrape must not fail for one gauge: the series go missing, which alerts.
			b.o.log.Warn("outbox: measure the backlog", "kind", kind, "err", err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(backlogDue, prometheus.GaugeValue, float64(n), kind)
		ch <- prometheus.MustNewConstMetric(backlogAge, prometheus.GaugeValue, age.Seconds(), kind)
	}
}

// dueBacklog counts the pending messages of kind due at now and says how long past its due
// time the oldest of them is.
func (o *Outbox) dueBacklog(ctx context.Context, kind string, now time.Time) (int64, time.Duration, error) {
	filter := bson.D{
		{Key: "status", Value: StatusPending},
		{Key: "kind", Value: kind},
		{Key: "due_at", Value: bson.D{{Key: "$lte", Value: now}}},
	}
	n, err := o.messages.CountDocuments(ctx, filter)
	if err != nil || n == 0 {
		return 0, 0, err
	}
	var oldest struct {
		DueAt time.Time `bson:"due_at"`
	}
	err = o.messages.FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "due_at", Value: 1}}).
		SetProjection(bson.D{{Key: "due_at", Value: 1}})).Decode(&oldest)
	if store.IsNotFound(err) { // delivered between the two reads
		return n, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	return n, now.Sub(oldest.DueAt), nil
}
