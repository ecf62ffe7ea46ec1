package mailer

import (
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/internal/smtptest"
	"github.com/surveyd/surveyd/mailer/internal/mailtest"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestUnsubscribeRefusesAmbiguousForms: a form no browser or mailbox provider sends is
// refused, naming the field, and suppresses nobody.
func TestUnsubscribeRefusesAmbiguousForms(t *testing.T) {
	en := newMailEnv(t)
	vi, _, viTok, _, _ := unsubscribeSetup(t, en)
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	post := func(name, body, field string) apitest.Scenario {
		return apitest.Scenario{Name: name, Method: "POST", URL: "/u/" + viTok, Body: body, Header: form, Status: 400,
			Want: []string{`"field":"` + field + `"`}}
	}
	apitest.Run(t, en.e, []apitest.Scenario{
		post("repeated one-click member", "List-Unsubscribe=One-Click&List-Unsubscribe=One-Click", "List-Unsubscribe"),
		post("repeated lang", "lang=vi&lang=en", "lang"),
		post("NUL in lang", "lang=en%00", "lang"),
		post("lang not UTF-8", "lang=%FF", "lang"),
	}, nil)
	if en.suppressed(en.ws.ID, vi.Customer.Email) {
		t.Fatal("a refused form suppressed the address")
	}
}

// TestEmailHeadersFoldStoredLineBreaks: names with line breaks and control characters that
// reached the database before the API refused them (or by another way in) are folded into
// one line in the headers; the email goes out, and nothing is injected. A sender address
// that is not an address gives way to the default sender.
func TestEmailHeadersFoldStoredLineBreaks(t *testing.T) {
	w := newMailWorld(t)
	sv := w.createSurvey(`{"kind":"csat","name":"Support"}`)
	for name, tc := range map[string]struct {
		set      bson.D
		customer string
		from, to string
	}{
		"company name": {set: bson.D{{Key: "company_name", Value: "Acme\r\nBcc: spy@example.com"}, {Key: "sender_name", Value: ""}, {Key: "sender_email", Value: ""}},
			customer: "Lan", from: "Acme Bcc: spy@example.com", to: "Lan"},
		"sender name and address": {set: bson.D{{Key: "sender_name", Value: "Acme\nSupport\x00\x07"}, {Key: "sender_email", Value: "help@acme.test\r\nBcc: spy@example.com"}},
			customer: "Lan", from: "Acme Support", to: "Lan"},
		"customer name": {set: bson.D{{Key: "company_name", Value: "Acme Ltd"}, {Key: "sender_name", Value: ""}, {Key: "sender_email", Value: ""}},
			customer: "Lan\r\nBcc: spy@example.com\u2028", from: "Acme Ltd", to: "Lan Bcc: spy@example.com"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := w.db.Collection("workspaces").UpdateOne(t.Context(), bson.D{{Key: "_id", Value: w.ws.ID}},
				bson.D{{Key: "$set", Value: tc.set}}); err != nil {
				t.Fatal(err)
			}
			email := strings.ReplaceAll(strings.ToLower(name), " ", "-") + "@example.com"
			inv := w.invite(sv, true, survey.Customer{Email: email, Name: tc.customer, Locale: "en"})[0]
			mailtest.Eventually(t, "the email", func() bool {
				got := w.invitation(inv.ID).Status
				return got == survey.StatusSent || got == survey.StatusFailed
			})
			if got := w.invitation(inv.ID); got.Status != survey.StatusSent {
				t.Fatalf("invitation %s: %s", got.Status, got.Failure)
			}
			var m *smtptest.Message
			for _, sent := range w.smtp.Messages() {
				if sent.To == email {
					m = &sent
				}
			}
			if m == nil {
				t.Fatalf("no email to %s", email)
			}
			from, to := m.Header.Get("From"), m.Header.Get("To")
			if !strings.Contains(from, tc.from) || !strings.Contains(to, tc.to) || !strings.Contains(to, email) {
				t.Errorf("From %q, To %q; want %q and %q <%s>", from, to, tc.from, tc.to, email)
			}
			if strings.Contains(name, "address") && !strings.Contains(from, "surveys@surveyd.test") {
				t.Errorf("From %q, want the default sender address", from)
			}
			if len(m.Header["Bcc"]) > 0 || strings.Contains(m.From, "spy") || strings.Contains(string(m.Raw), "\nBcc:") {
				t.Errorf("a header was injected:\n%s", m.Raw)
			}
		})
	}
}
