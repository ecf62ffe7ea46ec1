package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/smtptest"
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/intake"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Every event an operator watches for is counted where it happens, driven here through the
// running server: signed and forged CRM webhooks, the email and its reminder over SMTP, a
// permanent SMTP failure, bounce and complaint notices, a suppressed address, the answer
// with its flag, and answers beyond the rate limit.
func TestMetricsCountEvents(t *testing.T) {
	smtp := smtptest.Start(t)
	r := serveApp(t, map[string]string{"SURVEYD_SMTP_URL": smtp.URL(), "SURVEYD_SMTP_CA_FILE": smtp.CAFile, "SURVEYD_RATE_LIMIT": "1"})
	ctx := context.Background()

	ws := survey.NewWorkspace("Acme")
	ws.ReminderDays = 2
	key, sv, integ := r.helpdesk(t, ws)

	event := []byte(`{"event_id":"evt-1","interaction":{"id":"T-1","type":"ticket","channel":"chat","agent":"Minh"},
		"customer":{"email":"lan@example.com","locale":"en"}}`)
	if res, body := signedPost(t, r, integ.ID.Hex(), "sdwh_not-the-secret", event); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged webhook: %d %s", res.StatusCode, body)
	}
	if res, body := signedPost(t, r, integ.ID.Hex(), integ.Secret, event); res.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", res.StatusCode, body)
	}
	waitFor(t, "the survey email", func() bool { return len(smtp.Messages()) == 1 })

	// The reminder is due in two days: bring it forward.
	messages := r.store.DB.Collection(outbox.MessagesCollection)
	waitFor(t, "the reminder queued and brought forward", func() bool {
		res, err := messages.UpdateOne(ctx, bson.D{{Key: "purpose", Value: "reminder"}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "due_at", Value: time.Now().UTC().Add(-time.Second)}}}})
		return err == nil && res.ModifiedCount == 1
	})
	waitFor(t, "the reminder", func() bool { return len(smtp.Messages()) == 2 })

	// The answer comes from Go's HTTP client, a headless user agent: flagged automated.
	link := regexp.MustCompile(`https?://\S+/s/[A-Za-z0-9_-]+`).FindString(textPart(t, smtp.Messages()[0].Raw))
	answer := func(score string) int {
		res, err := r.client.PostForm(r.local(link), url.Values{"score": {score}, "interacted": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := answer("5"); code != http.StatusSeeOther {
		t.Fatalf("answer: %d", code)
	}
	// A burst of twice the rate passes; what follows at once is refused. The tries carry a
	// score off the scale, so the ones let through record nothing.
	limited := 0
	for range 4 {
		if answer("99") == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("no answer was rate-limited")
	}

	// A permanent refusal, then a hard bounce and a complaint from the provider, then an
	// invitation to the bounced address.
	smtp.FailNext(550)
	invite := func(email string) string {
		var inv survey.Invitation
		if code := r.api(t, "POST", "/api/v1/invitations", key, map[string]any{"survey_id": sv.ID.Hex(), "customer": map[string]any{"email": email}, "send": true}, &inv); code != 201 {
			t.Fatalf("invite %s: %d", email, code)
		}
		return inv.Status
	}
	invite("hoa@example.com")
	waitFor(t, "the refused email counted failed", func() bool {
		text, _ := get(t, r.base+"/metrics")
		n, _ := sample(text, `surveyd_emails_total{outcome="failed"}`)
		return n == 1
	})
	for _, notice := range []string{`{"type":"bounce","bounce_type":"hard","email":"lan@example.com"}`, `{"type":"complaint","email":"minh@example.com"}`} {
		req, _ := http.NewRequest("POST", r.base+"/api/v1/webhooks/bounces", strings.NewReader(notice))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(intake.HeaderIntegration, integ.ID.Hex())
		req.Header.Set(intake.HeaderSignature, intake.SignWebhook(integ.Secret, time.Now(), []byte(notice)))
		res, err := r.client.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("bounce notice %s: %v %v", notice, res, err)
		}
		res.Body.Close()
	}
	if status := invite("lan@example.com"); status != survey.StatusSuppressed {
		t.Fatalf("invitation to a bounced address: %s, want suppressed", status)
	}

	text, _ := get(t, r.base+"/metrics")
	for series, want := range map[string]float64{
		`surveyd_webhook_signature_rejections_total{reason="mismatch"}`: 1,
		`surveyd_webhook_decisions_total{decision="scheduled"}`:         1,
		`surveyd_emails_total{outcome="sent"}`:                          2,
		`surveyd_emails_total{outcome="failed"}`:                        1,
		`surveyd_emails_total{outcome="bounced"}`:                       1,
		`surveyd_emails_total{outcome="complained"}`:                    1,
		`surveyd_emails_total{outcome="suppressed"}`:                    1,
		`surveyd_reminders_sent_total`:                                  1,
		`surveyd_answers_recorded_total{change="created",kind="csat"}`:  1,
		`surveyd_answer_flags_total{flag="automated"}`:                  1,
		`surveyd_rate_limited_total{route="/s/:token"}`:                 float64(limited),
		`surveyd_outbox_due_messages{kind="email"}`:                     0,
		`surveyd_outbox_oldest_due_age_seconds{kind="email"}`:           0,
		`surveyd_rollup_rebuilds_running`:                               0,
	} {
		if got, ok := sample(text, series); !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	build := regexp.MustCompile(`(?m)^surveyd_build_info\{goversion="` + regexp.QuoteMeta(runtime.Version()) + `",revision="[^"]+",version="[^"]+"\} 1$`)
	if !build.MatchString(text) {
		t.Error("surveyd_build_info with the version, revision and Go version is missing")
	}
	if got, ok := sample(text, `surveyd_rollup_cache_reads_total{result="hit"}`); !ok || got == 0 {
		t.Errorf("no rollup cache hits counted: %v, %v", got, ok)
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(text, "surveyd_"))
	}
}

// sample finds one series' value in Prometheus text.
func sample(text, series string) (float64, bool) {
	for line := range strings.SplitSeq(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}
