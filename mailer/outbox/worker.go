package outbox

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Recorder is implemented by deliverers with bookkeeping to do once a message is delivered
// (marking the invitation sent, scheduling a reminder). It runs after the outbox has recorded
// the delivery, which keeps the window in which a crash can send a message twice as short as
// one write; a worker that dies before the bookkeeping is done leaves it to the next worker,
// so Delivered must be idempotent.
type Recorder interface {
	Delivered(ctx context.Context, m *Message, at time.Time)
}

// Metrics observe the outbox; nil fields are skipped.
type Metrics struct {
	Delivered *prometheus.CounterVec   // by kind and result: delivered, retry, failed
	Window    *prometheus.HistogramVec // by kind: seconds from the receiver's acceptance to the outbox record
}

// NewMetrics registers the outbox metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "surveyd_outbox_messages_total", Help: "Outbox delivery attempts by kind and result.",
		}, []string{"kind", "result"}),
		Window: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "surveyd_outbox_record_seconds",
			Help:    "Time from a receiver accepting a message to the outbox recording it: the window in which a crash repeats a delivery.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
		}, []string{"kind"}),
	}
	reg.MustRegister(m.Delivered, m.Window)
	return m
}

// Work delivers due messages of one kind with d until ctx ends. Each instance runs one worker
// per kind; any number of instances share the outbox. It finishes the message in hand before
// returning, so a graceful stop loses nothing and holds no lease.
func (o *Outbox) Work(ctx context.Context, kind string, d Deliverer, poll time.Duration, metrics *Metrics) {
	for {
		msgs, err := o.due(ctx, []string{kind}, 32)
		if err != nil && ctx.Err() == nil {
			o.log.Error("outbox: read due messages", "kind", kind, "err", err)
		}
		// Instances reading the same due list try it in different orders, so they spend
		// their time delivering rather than losing lease races.
		rand.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
		for _, m := range msgs {
			if ctx.Err() != nil {
				return
			}
			o.deliver(ctx, kind, d, m, metrics)
		}
		if len(msgs) > 0 {
			continue // more may be due already
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

func (o *Outbox) deliver(ctx context.Context, kind string, d Deliverer, m *Message, metrics *Metrics) {
	ok, err := o.claim(ctx, m)
	if err != nil {
		o.log.Error("outbox: claim", "message_id", m.ID.Hex(), "err", err)
		return
	}
	if !ok {
		return
	}
	// Delivery runs to completion even when shutdown starts: an SMTP transaction cut in half
	// is the surest way to send something twice.
	dctx := context.WithoutCancel(ctx)
	if m.Status == StatusDelivered {
		o.finish(dctx, kind, d, m, time.Now()) // a worker died after sending, before the bookkeeping
		return
	}
	err = d.Deliver(dctx, m)
	if errors.Is(err, ErrNothingToSend) { // nothing was sent: no bookkeeping, just gone
		if err := o.done(dctx, m); err != nil {
			o.log.Error("outbox: remove skipped message", "message_id", m.ID.Hex(), "err", err)
		}
		count(metrics, kind, "skipped")
		return
	}
	if err != nil {
		result := "retry"
		if IsPermanent(err) || m.Attempts+1 >= m.MaxAttempts {
			result = "failed"
		}
		o.log.Warn("outbox: delivery failed", "kind", kind, "message_id", m.ID.Hex(), "attempt", m.Attempts+1, "result", result, "err", err)
		if rerr := o.retryOrFail(dctx, m, err); rerr != nil {
			o.log.Error("outbox: record failure", "message_id", m.ID.Hex(), "err", rerr)
		}
		count(metrics, kind, result)
		return
	}
	accepted := time.Now()
	if err := o.delivered(dctx, m); err != nil {
		// The lease will expire and the message go out again: the duplicate this design
		// accepts rather than a loss.
		o.log.Error("outbox: record delivery", "message_id", m.ID.Hex(), "err", err)
		return
	}
	if metrics != nil && metrics.Window != nil {
		metrics.Window.WithLabelValues(kind).Observe(time.Since(accepted).Seconds())
	}
	count(metrics, kind, "delivered")
	o.finish(dctx, kind, d, m, accepted)
}

// finish does a delivered message's bookkeeping and removes it.
func (o *Outbox) finish(ctx context.Context, kind string, d Deliverer, m *Message, at time.Time) {
	if r, ok := d.(Recorder); ok {
		r.Delivered(ctx, m, at)
	}
	if err := o.done(ctx, m); err != nil {
		o.log.Error("outbox: remove delivered message", "kind", kind, "message_id", m.ID.Hex(), "err", err)
	}
}

func count(m *Metrics, kind, result string) {
	if m != nil && m.Delivered != nil {
		m.Delivered.WithLabelValues(kind, result).Inc()
	}
}
