package mailer

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/intake"
)

func TestBounceNotices(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	signer, err := survey.NewSigner([]config.LinkKey{{ID: "k", Secret: bytes.Repeat([]byte{3}, 32)}}, "k")
	if err != nil {
		t.Fatal(err)
	}
	svc := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt")})
	hooks := intake.NewService(db, svc, []byte("master key for the bounce test"))
	ws := survey.NewWorkspace("Acme")
	if err := svc.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	sv := &survey.Survey{WorkspaceID: ws.ID, Kind: survey.NPS, Name: "NPS", Points: 11, LinkValidDays: 30, Reasons: []survey.Reason{}}
	if err := svc.CreateSurvey(ctx, sv); err != nil {
		t.Fatal(err)
	}
	inv := svc.NewInvitation(sv, survey.Customer{Email: "Lan@Example.com"}, survey.Interaction{}, false)
	if err := svc.CreateInvitations(ctx, []*survey.Invitation{inv}); err != nil {
		t.Fatal(err)
	}
	integ, err := hooks.CreateIntegration(ctx, ws.ID, "ESP")
	if err != nil {
		t.Fatal(err)
	}
	suppressions := NewSuppressions(db)
	log := slog.New(slog.DiscardHandler)
	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus, intake.ErrorStatus, ErrorStatus)})
	NewBounces(svc, hooks, suppressions).Register(e)

	post := func(body, secret string, at time.Time) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/v1/webhooks/bounces", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(intake.HeaderIntegration, integ.ID.Hex())
		req.Header.Set(intake.HeaderSignature, intake.SignWebhook(secret, at, []byte(body)))
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	now := time.Now()
	messageID := "<" + inv.ID.Hex() + "." + inv.ID.Hex() + "@surveyd.test>"
	tests := []struct {
		name, body, secret string
		at                 time.Time
		status             int
		want               string
		suppressed         bool
	}{
		{"forged", `{"type":"bounce","bounce_type":"hard","email":"lan@example.com"}`, "sdwh_wrong", now, 401, "no signature matches", false},
		{"stale", `{"type":"bounce","bounce_type":"hard","email":"lan@example.com"}`, integ.Secret, now.Add(-10 * time.Minute), 401, "5-minute window", false},
		{"unknown type", `{"type":"delivered","email":"lan@example.com"}`, integ.Secret, now, 422, `"field":"type"`, false},
		{"bounce without its kind", `{"type":"bounce","email":"lan@example.com"}`, integ.Secret, now, 422, `"field":"bounce_type"`, false},
		{"bad email", `{"type":"complaint","email":"lan"}`, integ.Secret, now, 422, `"field":"email"`, false},
		{"unknown field", `{"type":"complaint","email":"lan@example.com","spam":true}`, integ.Secret, now, 400, `"field":"spam"`, false},
		{"soft bounce is left to retries", `{"type":"bounce","bounce_type":"soft","email":"lan@example.com"}`, integ.Secret, now, 200, `"suppressed":false`, false},
		{"hard bounce by message id", `{"type":"bounce","bounce_type":"hard","email":"lan@example.com","message_id":"` + messageID + `"}`, integ.Secret, now, 200,
			`"invitation_id":"` + inv.ID.Hex() + `"`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(tc.body, tc.secret, tc.at)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("POST = %d %s, want %d with %q", rec.Code, rec.Body, tc.status, tc.want)
			}
			if got, _ := suppressions.Suppressed(ctx, ws.ID, "lan@example.com"); got != tc.suppressed {
				t.Fatalf("suppressed = %v, want %v", got, tc.suppressed)
			}
		})
	}
	got, err := svc.Invitation(ctx, ws.ID, inv.ID)
	if err != nil || got.Status != survey.StatusBounced || got.BouncedAt == nil {
		t.Fatalf("invitation after a hard bounce: %+v, %v", got, err)
	}
	rec := post(`{"type":"complaint","email":"other@example.com"}`, integ.Secret, now)
	if rec.Code != http.StatusOK {
		t.Fatalf("complaint: %d", rec.Code)
	}
	list, _ := suppressions.List(ctx, ws.ID, "", 10)
	if len(list) != 2 || list[1].Reason != ReasonComplained && list[0].Reason != ReasonComplained {
		t.Fatalf("suppressions: %+v", list)
	}
}
