package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/smtptest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/intake"
)

// BenchmarkWebhookIntake measures signed interaction webhooks accepted per second, end to end
// over HTTP on the embedded store: signature check, idempotency record, interaction, rule,
// contact history, invitation and its queued email, with 16 CRM connections at once. The
// outbox delivers to an in-process SMTP server meanwhile, as it would in production.
func BenchmarkWebhookIntake(b *testing.B) {
	config.TuneRuntime(func(string) string { return "" }) // as cmd/surveyd runs
	smtp := smtptest.Start(b)
	r := serveAppB(b, map[string]string{"SURVEYD_SMTP_URL": smtp.URL(), "SURVEYD_SMTP_CA_FILE": smtp.CAFile})
	ctx := context.Background()
	ws := survey.NewWorkspace("Bench")
	if err := r.svc.CreateWorkspace(ctx, ws); err != nil {
		b.Fatal(err)
	}
	_, key, _ := r.keys.Create(ctx, ws.ID, "bench", apikey.ScopeAdmin)
	var sv survey.Survey
	r.apiB(b, "POST", "/api/v1/surveys", key, map[string]any{"kind": "nps", "name": "NPS"}, &sv)
	var integ intake.Integration
	r.apiB(b, "POST", "/api/v1/integrations", key, map[string]any{"name": "CRM"}, &integ)
	r.apiB(b, "POST", "/api/v1/rules", key, map[string]any{"name": "All", "survey_id": sv.ID.Hex()}, nil)

	var next, failures atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				body := fmt.Appendf(nil, `{"event_id":"e-%d","interaction":{"id":"T-%d","channel":"chat","agent":"A%d","team":"T"},"customer":{"id":"C-%d","email":"c%d@example.com"}}`, i, i, i%20, i, i)
				res, _ := signedPostB(r, integ.ID.Hex(), integ.Secret, body)
				if res != http.StatusAccepted {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failures.Load() > 0 {
		b.Fatalf("%d webhooks not accepted", failures.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
