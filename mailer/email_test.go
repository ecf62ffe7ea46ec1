package mailer

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/smtptest"
	"github.com/surveyd/surveyd/mailer/internal/mailtest"
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/respondent"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var (
	mailTemplatesOnce sync.Once
	mailCatalog       *templates.Catalog
	mailPages         *templates.Pages
	mailEmails        *templates.Emails
)

// mailEnv is one test's surveyd as cmd/surveyd wires it for email: its own database, the
// survey service with a fixed link key, the real Echo router with the survey API, the
// respondent and unsubscribe pages and the suppression API, a running response recorder, and
// a workspace with an admin key.
type mailEnv struct {
	t      testing.TB
	db     *mongo.Database
	svc    *survey.Service
	e      *echo.Echo
	ws     *survey.Workspace
	key    string
	outbox *outbox.Outbox
	supp   *Suppressions
	log    *slog.Logger
}

func newMailEnv(t testing.TB) *mailEnv {
	t.Helper()
	mailTemplatesOnce.Do(func() {
		var err error
		if mailCatalog, err = templates.LoadCatalog(); err != nil {
			panic(err)
		}
		if mailPages, err = templates.LoadPages(); err != nil {
			panic(err)
		}
		if mailEmails, err = templates.LoadEmails(); err != nil {
			panic(err)
		}
	})
	db := testDB(t)
	lk := config.LinkKey{ID: "t1", Secret: bytes.Repeat([]byte{7}, 32)}
	signer, err := survey.NewSigner([]config.LinkKey{lk}, lk.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt")})
	log := slog.New(slog.DiscardHandler)

	w := survey.NewRecorder(svc, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	supp := NewSuppressions(db)
	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus, apikey.ErrorStatus, ErrorStatus)})
	e.Use(httpx.SecureHeaders)
	respondent.NewPages(svc, w, mailPages, mailCatalog).Register(e)
	NewUnsubscribe(svc, supp, mailPages, mailCatalog).Register(e)
	h := survey.NewHandler(svc, mailCatalog)
	g := e.Group("/api/v1", apikey.NewStore(db).Authenticate)
	h.Register(g)
	supp.RegisterAPI(g)

	en := &mailEnv{t: t, db: db, svc: svc, e: e, outbox: outbox.New(db, 2*time.Minute, log), supp: supp, log: log}
	en.ws, en.key = en.workspace("Acme")
	return en
}

func (en *mailEnv) workspace(name string) (*survey.Workspace, string) {
	en.t.Helper()
	ws := survey.NewWorkspace(name)
	ws.CompanyName = name + " Ltd"
	if err := en.svc.CreateWorkspace(context.Background(), ws); err != nil {
		en.t.Fatal(err)
	}
	return ws, en.keyFor(ws, apikey.ScopeAdmin)
}

func (en *mailEnv) keyFor(ws *survey.Workspace, scope apikey.Scope) string {
	en.t.Helper()
	_, secret, err := apikey.NewStore(en.db).Create(context.Background(), ws.ID, "test", scope)
	if err != nil {
		en.t.Fatal(err)
	}
	return secret
}

// do sends a request through the router (apitest.Do).
func (en *mailEnv) do(method, target, key string, body any, header ...string) *httptest.ResponseRecorder {
	en.t.Helper()
	return apitest.Do(en.t, en.e, method, target, key, body, header...)
}

func (en *mailEnv) createSurvey(body string) *survey.Survey {
	en.t.Helper()
	rec := en.do("POST", "/api/v1/surveys", en.key, body)
	if rec.Code != http.StatusCreated {
		en.t.Fatalf("create survey: %d %s", rec.Code, rec.Body)
	}
	var sv survey.Survey
	mailtest.DecodeJSON(en.t, rec.Body.Bytes(), &sv)
	sv.WorkspaceID = en.ws.ID
	return &sv
}

// invite stores invitations to sv for the customers through survey.Service, as the API does.
func (en *mailEnv) invite(sv *survey.Survey, send bool, customers ...survey.Customer) []*survey.Invitation {
	en.t.Helper()
	invs := make([]*survey.Invitation, len(customers))
	for i, c := range customers {
		invs[i] = en.svc.NewInvitation(sv, c, survey.Interaction{ID: "T-1", Agent: "Minh", Channel: "chat"}, send)
	}
	if err := en.svc.CreateInvitations(context.Background(), invs); err != nil {
		en.t.Fatal(err)
	}
	return invs
}

func (en *mailEnv) invitation(id bson.ObjectID) *survey.Invitation {
	en.t.Helper()
	inv, err := en.svc.Invitation(context.Background(), en.ws.ID, id)
	if err != nil {
		en.t.Fatal(err)
	}
	return inv
}

// emails reads back the queued email messages of a purpose ("" for all), oldest first.
func (en *mailEnv) emails(purpose string) []*outbox.Message {
	en.t.Helper()
	filter := bson.D{{Key: "kind", Value: outbox.KindEmail}}
	if purpose != "" {
		filter = append(filter, bson.E{Key: "purpose", Value: purpose})
	}
	ctx := context.Background()
	cur, err := en.db.Collection(outbox.MessagesCollection).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		en.t.Fatal(err)
	}
	var msgs []*outbox.Message
	if err := cur.All(ctx, &msgs); err != nil {
		en.t.Fatal(err)
	}
	return msgs
}

// bringForward makes the pending messages due now: the retry backoff starts at 30 seconds
// and a reminder waits days, longer than a test wants to wait.
func (en *mailEnv) bringForward(msgs ...*outbox.Message) {
	en.t.Helper()
	for _, m := range msgs {
		if _, err := en.db.Collection(outbox.MessagesCollection).UpdateOne(context.Background(), bson.D{{Key: "_id", Value: m.ID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "due_at", Value: time.Now().UTC().Add(-time.Second)}}}}); err != nil {
			en.t.Fatal(err)
		}
	}
}

// mailWorld is a mailEnv with an SMTP server, the mailer connected as cmd/surveyd connects
// it, and an email worker running.
type mailWorld struct {
	*mailEnv
	smtp   *smtptest.Server
	relay  *tcpRelay
	mailer *Mailer
}

func newMailWorld(t testing.TB) *mailWorld {
	t.Helper()
	en := newMailEnv(t)
	srv := smtptest.Start(t)
	relay := startRelay(t, srv.Addr)
	m, err := NewMailer(en.svc, en.outbox, en.supp, NewRenderer(mailEmails, mailCatalog),
		newTestSMTP(t, relay.URL(), srv.CAFile, true), MailerOptions{BaseURL: "http://surveyd.test", Log: en.log})
	if err != nil {
		t.Fatal(err)
	}
	en.svc.SetDistributor(m)
	en.outbox.OnFailed = func(ctx context.Context, msg *outbox.Message) {
		if msg.Kind == outbox.KindEmail {
			m.Failed(ctx, msg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); en.outbox.Work(ctx, outbox.KindEmail, m, 20*time.Millisecond, nil) }()
	t.Cleanup(func() { cancel(); <-done })
	return &mailWorld{mailEnv: en, smtp: srv, relay: relay, mailer: m}
}

// settle lets the worker run a few more polls, for checks that something did not happen.
func settle() { time.Sleep(200 * time.Millisecond) }

func recipients(msgs []smtptest.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		out[m.To]++
	}
	return out
}

func TestEmailDeliveredOnce(t *testing.T) {
	w := newMailWorld(t)
	ctx := t.Context()
	sv := w.createSurvey(`{"kind":"csat","name":"Support"}`)
	if _, err := w.supp.Add(ctx, w.ws.ID, "blocked@example.com", ReasonManual); err != nil {
		t.Fatal(err)
	}
	sent := w.invite(sv, true,
		survey.Customer{Email: "lan@example.com", Name: "Lan", Locale: "en"},
		survey.Customer{Email: "mai@example.com", Locale: "en"},
		survey.Customer{Email: "hoa@example.com", Locale: "vi"})
	quiet := w.invite(sv, false, survey.Customer{Email: "nosend@example.com"})
	blocked := w.invite(sv, true, survey.Customer{Email: "Blocked@Example.com"})
	for _, inv := range sent {
		if inv.Status != survey.StatusScheduled {
			t.Fatalf("invitation to %s: %s, want scheduled", inv.Customer.Email, inv.Status)
		}
	}
	if quiet[0].Status != survey.StatusCreated || blocked[0].Status != survey.StatusSuppressed {
		t.Fatalf("send=false: %s; suppressed address: %s", quiet[0].Status, blocked[0].Status)
	}

	mailtest.Eventually(t, "3 emails", func() bool { return len(w.smtp.Messages()) >= 3 })
	mailtest.Eventually(t, "the invitations marked sent", func() bool {
		for _, inv := range sent {
			if got := w.invitation(inv.ID); got.Status != survey.StatusSent || got.SentAt == nil {
				return false
			}
		}
		return true
	})
	settle()
	msgs := w.smtp.Messages()
	if got := recipients(msgs); len(msgs) != 3 || got["lan@example.com"] != 1 || got["mai@example.com"] != 1 || got["hoa@example.com"] != 1 {
		t.Fatalf("emails went to %v, want each of the 3 once", got)
	}
	mailtest.Eventually(t, "delivered invitation emails out of the outbox", func() bool { return len(w.emails(PurposeInvitation)) == 0 })
	byEmail := map[string]*survey.Invitation{}
	for _, inv := range sent {
		byEmail[inv.Customer.Email] = inv
	}
	for _, m := range msgs {
		inv := byEmail[m.To]
		lu := m.Header.Get("List-Unsubscribe")
		token := strings.TrimSuffix(strings.TrimPrefix(lu, "<http://surveyd.test/u/"), ">")
		got, _, err := w.svc.VerifyUnsubscribe(ctx, token)
		if err != nil || got.ID != inv.ID {
			t.Errorf("%s: List-Unsubscribe %q does not resolve to its invitation: %v", m.To, lu, err)
		}
		if p := m.Header.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
			t.Errorf("%s: List-Unsubscribe-Post %q", m.To, p)
		}
		if id := m.Header.Get("Message-Id"); !strings.Contains(id, inv.ID.Hex()) || !strings.HasSuffix(id, "@surveyd.test>") {
			t.Errorf("%s: Message-Id %q", m.To, id)
		}
		if from := m.Header.Get("From"); !strings.Contains(from, "surveys@surveyd.test") || !strings.Contains(from, "Acme Ltd") {
			t.Errorf("%s: From %q", m.To, from)
		}
		if m.Header.Get("Subject") == "" || !bytes.Contains(m.Raw, []byte("/s/")) {
			t.Errorf("%s: no subject or survey link", m.To)
		}
	}
	if subject := msgs[0].Header.Get("Subject"); byEmail[msgs[0].To].Customer.Locale == "en" && subject != "How was your recent experience with Acme Ltd?" {
		t.Errorf("English subject %q", subject)
	}
	for _, inv := range append(quiet, blocked...) {
		if got := w.invitation(inv.ID); got.SentAt != nil {
			t.Errorf("%s was emailed", inv.Customer.Email)
		}
	}
}

func TestEmailRetriedAfterTemporaryFailure(t *testing.T) {
	w := newMailWorld(t)
	sv := w.createSurvey(`{"kind":"csat","name":"Support"}`)
	w.smtp.FailNext(451)
	inv := w.invite(sv, true, survey.Customer{Email: "lan@example.com"})[0]

	var m *outbox.Message
	mailtest.Eventually(t, "the failed first attempt", func() bool {
		msgs := w.emails(PurposeInvitation)
		if len(msgs) == 1 && msgs[0].Attempts == 1 {
			m = msgs[0]
		}
		return m != nil
	})
	if m.Status != outbox.StatusPending || !strings.Contains(m.LastError, "451") || !m.DueAt.After(time.Now()) {
		t.Fatalf("after a 451: %+v", m)
	}
	if len(w.smtp.Messages()) != 0 || w.invitation(inv.ID).Status != survey.StatusScheduled {
		t.Fatal("a 451 counted as delivered")
	}
	w.bringForward(m)
	mailtest.Eventually(t, "the retried email", func() bool { return len(w.smtp.Messages()) == 1 })
	mailtest.Eventually(t, "the invitation marked sent", func() bool { return w.invitation(inv.ID).Status == survey.StatusSent })
	// The message leaves the outbox once its bookkeeping is done, right after the above.
	mailtest.Eventually(t, "the outbox emptied", func() bool { return len(w.emails(PurposeInvitation)) == 0 })
}

func TestEmailPermanentFailure(t *testing.T) {
	w := newMailWorld(t)
	ctx := t.Context()
	sv := w.createSurvey(`{"kind":"csat","name":"Support"}`)
	w.smtp.FailNext(550)
	inv := w.invite(sv, true, survey.Customer{Email: "gone@example.com"})[0]

	var failed []*outbox.Message
	mailtest.Eventually(t, "the message marked failed", func() bool {
		var err error
		failed, err = w.outbox.Failed(ctx, w.ws.ID, 10)
		return err == nil && len(failed) == 1
	})
	if m := failed[0]; m.ID != inv.ID || m.InvitationID != inv.ID || m.Status != outbox.StatusFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
		t.Fatalf("failed message: %+v", m)
	}
	mailtest.Eventually(t, "the invitation marked failed", func() bool {
		got := w.invitation(inv.ID)
		return got.Status == survey.StatusFailed && got.FailedAt != nil && strings.Contains(got.Failure, "550")
	})
	if other, _ := w.outbox.Failed(ctx, bson.NewObjectID(), 10); len(other) != 0 {
		t.Fatal("another workspace sees the failed message")
	}

	// The refusal was for that address alone: the next email goes out, and the failed one
	// is never retried nor followed by a reminder.
	next := w.invite(sv, true, survey.Customer{Email: "lan@example.com"})[0]
	mailtest.Eventually(t, "the next email", func() bool { return w.invitation(next.ID).Status == survey.StatusSent })
	settle()
	if got := recipients(w.smtp.Messages()); len(got) != 1 || got["lan@example.com"] != 1 {
		t.Fatalf("emails went to %v", got)
	}
	for _, m := range w.emails(PurposeReminder) {
		if m.InvitationID == inv.ID {
			t.Fatal("a reminder is queued for a failed email")
		}
	}
}

func TestEmailSMTPDownThenBack(t *testing.T) {
	w := newMailWorld(t)
	sv := w.createSurvey(`{"kind":"csat","name":"Support"}`)
	w.relay.down.Store(true)
	invs := w.invite(sv, true,
		survey.Customer{Email: "a@example.com"}, survey.Customer{Email: "b@example.com"},
		survey.Customer{Email: "c@example.com"}, survey.Customer{Email: "d@example.com"})

	for attempt := 1; attempt <= 2; attempt++ {
		mailtest.Eventually(t, "failed attempts while the server is down", func() bool {
			msgs := w.emails(PurposeInvitation)
			for _, m := range msgs {
				if m.Attempts < attempt {
					return false
				}
			}
			return len(msgs) == len(invs)
		})
		msgs := w.emails(PurposeInvitation)
		for _, m := range msgs {
			if m.Status != outbox.StatusPending || m.LastError == "" {
				t.Fatalf("message while down: %+v", m)
			}
		}
		w.bringForward(msgs...)
	}
	if len(w.smtp.Messages()) != 0 {
		t.Fatal("mail went through a down server")
	}

	w.relay.down.Store(false)
	w.bringForward(w.emails(PurposeInvitation)...)
	mailtest.Eventually(t, "every email once the server is back", func() bool { return len(w.smtp.Messages()) >= len(invs) })
	mailtest.Eventually(t, "every invitation marked sent", func() bool {
		for _, inv := range invs {
			if w.invitation(inv.ID).Status != survey.StatusSent {
				return false
			}
		}
		return true
	})
	settle()
	got := recipients(w.smtp.Messages())
	for _, inv := range invs {
		if got[inv.Customer.Email] != 1 {
			t.Errorf("%s received %d emails, want 1", inv.Customer.Email, got[inv.Customer.Email])
		}
	}
	mailtest.Eventually(t, "invitation emails out of the outbox", func() bool { return len(w.emails(PurposeInvitation)) == 0 })
}

// An email queued for an address suppressed since is dropped, not sent.
func TestEmailQueuedThenSuppressedIsDropped(t *testing.T) {
	w := newMailWorld(t)
	sv := w.createSurvey(`{"kind":"csat","name":"Support"}`)
	w.relay.down.Store(true) // hold the email in the outbox
	inv := w.invite(sv, true, survey.Customer{Email: "lan@example.com"})[0]
	mailtest.Eventually(t, "a failed attempt", func() bool {
		msgs := w.emails(PurposeInvitation)
		return len(msgs) == 1 && msgs[0].Attempts == 1
	})
	if rec := w.do("POST", "/api/v1/suppressions", w.key, `{"email":"LAN@example.com","reason":"unsubscribed"}`); rec.Code != http.StatusCreated {
		t.Fatalf("suppress: %d %s", rec.Code, rec.Body)
	}
	w.relay.down.Store(false)
	w.bringForward(w.emails(PurposeInvitation)...)
	mailtest.Eventually(t, "the email dropped from the outbox", func() bool { return len(w.emails("")) == 0 })
	settle()
	if n := len(w.smtp.Messages()); n != 0 {
		t.Fatalf("%d emails sent to a suppressed address", n)
	}
	if got := w.invitation(inv.ID); got.SentAt != nil || got.RemindedAt != nil {
		t.Fatalf("dropped email recorded as sent: %+v", got)
	}
}

func TestEmailReminders(t *testing.T) {
	tests := map[string]struct {
		reminderDays int
		before       func(w *mailWorld, sv *survey.Survey, inv *survey.Invitation) // after the first email
		wantReminder bool
	}{
		"no answer: reminded": {reminderDays: 3, wantReminder: true},
		"answered: not reminded": {reminderDays: 3, wantReminder: false,
			before: func(w *mailWorld, _ *survey.Survey, inv *survey.Invitation) {
				token := inv.Link[strings.LastIndex(inv.Link, "/")+1:]
				if rec := w.do("POST", "/s/"+token, "", url.Values{"score": {"5"}}); rec.Code != http.StatusSeeOther {
					w.t.Fatalf("answer: %d %s", rec.Code, rec.Body)
				}
			}},
		"suppressed: not reminded": {reminderDays: 3, wantReminder: false,
			before: func(w *mailWorld, _ *survey.Survey, inv *survey.Invitation) {
				if rec := w.do("POST", "/api/v1/suppressions", w.key, `{"email":"`+inv.Customer.Email+`"}`); rec.Code != http.StatusCreated {
					w.t.Fatalf("suppress: %d %s", rec.Code, rec.Body)
				}
			}},
		"archived survey: not reminded": {reminderDays: 3, wantReminder: false,
			before: func(w *mailWorld, sv *survey.Survey, _ *survey.Invitation) {
				if rec := w.do("POST", "/api/v1/surveys/"+sv.ID.Hex()+"/archive", w.key, nil); rec.Code != http.StatusOK {
					w.t.Fatalf("archive: %d %s", rec.Code, rec.Body)
				}
			}},
		"reminder_days 0: none queued": {reminderDays: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := newMailWorld(t)
			ws := *w.ws
			ws.ReminderDays = tc.reminderDays
			if err := w.svc.UpdateWorkspace(t.Context(), &ws); err != nil {
				t.Fatal(err)
			}
			sv := w.createSurvey(`{"kind":"csat","name":"Support"}`)
			inv := w.invite(sv, true, survey.Customer{Email: "lan@example.com", Locale: "en"})[0]
			mailtest.Eventually(t, "the invitation email", func() bool { return len(w.smtp.Messages()) == 1 })
			mailtest.Eventually(t, "the invitation marked sent", func() bool { return w.invitation(inv.ID).SentAt != nil })
			sentAt := *w.invitation(inv.ID).SentAt

			if tc.reminderDays == 0 {
				settle()
				if r := w.emails(PurposeReminder); len(r) != 0 {
					t.Fatalf("reminder queued with reminder_days 0: %+v", r[0])
				}
				return
			}
			var reminders []*outbox.Message
			mailtest.Eventually(t, "the reminder queued", func() bool { reminders = w.emails(PurposeReminder); return len(reminders) == 1 })
			r := reminders[0]
			if r.InvitationID != inv.ID || r.WorkspaceID != w.ws.ID || r.Status != outbox.StatusPending ||
				r.DueAt.Sub(sentAt.AddDate(0, 0, 3)).Abs() > time.Second {
				t.Fatalf("reminder: %+v, sent at %s", r, sentAt)
			}
			settle()
			if len(w.smtp.Messages()) != 1 {
				t.Fatal("the reminder went out before its day")
			}

			if tc.before != nil {
				tc.before(w, sv, inv)
			}
			w.bringForward(r)
			mailtest.Eventually(t, "the reminder handled", func() bool { return len(w.emails(PurposeReminder)) == 0 })
			settle()
			msgs := w.smtp.Messages()
			got := w.invitation(inv.ID)
			if !tc.wantReminder {
				if len(msgs) != 1 || got.RemindedAt != nil {
					t.Fatalf("%d emails, reminded at %v; want no reminder", len(msgs), got.RemindedAt)
				}
				return
			}
			if len(msgs) != 2 || msgs[1].To != "lan@example.com" || got.RemindedAt == nil {
				t.Fatalf("%d emails, reminded at %v; want the reminder", len(msgs), got.RemindedAt)
			}
			if s := msgs[1].Header.Get("Subject"); s != "Reminder: "+msgs[0].Header.Get("Subject") {
				t.Errorf("reminder subject %q", s)
			}
			if msgs[1].Header.Get("List-Unsubscribe") != msgs[0].Header.Get("List-Unsubscribe") ||
				msgs[1].Header.Get("Message-Id") == msgs[0].Header.Get("Message-Id") {
				t.Error("the reminder should share the unsubscribe link and have its own Message-Id")
			}
			if r := w.emails(PurposeReminder); len(r) != 0 {
				t.Fatal("a reminder queued another reminder")
			}
		})
	}
}
