package outbox

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/storetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkOutboxRecordWindow measures the window in which a crash repeats a delivery: from
// the receiver's acceptance (Deliver returning) to the outbox's record of it (delivered) on the
// embedded store. A process killed inside it leaves a message that another instance sends
// again; killed after it, the next worker only finishes the bookkeeping.
func BenchmarkOutboxRecordWindow(b *testing.B) {
	db := storetest.DB(b)
	o := New(db, time.Minute, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	msgs := make([]*Message, b.N)
	for i := range msgs {
		msgs[i] = &Message{WorkspaceID: bson.NewObjectID(), Kind: KindEmail, Purpose: "invitation", InvitationID: bson.NewObjectID()}
	}
	for i := 0; i < len(msgs); i += 1000 {
		if err := o.Enqueue(ctx, msgs[i:min(i+1000, len(msgs))]...); err != nil {
			b.Fatal(err)
		}
	}
	windows := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, m := range msgs {
		if ok, err := o.claim(ctx, m); err != nil || !ok {
			b.Fatalf("claim: %v %v", ok, err)
		}
		start := time.Now()
		if err := o.delivered(ctx, m); err != nil {
			b.Fatal(err)
		}
		windows = append(windows, time.Since(start))
		if err := o.done(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(windows)
	b.ReportMetric(float64(windows[len(windows)/2].Microseconds()), "p50-window-µs")
	b.ReportMetric(float64(windows[len(windows)*99/100].Microseconds()), "p99-window-µs")
}
