package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Email purposes.
const (
	PurposeInvitation = "invitation"
	PurposeReminder   = "reminder"
)

// Mailer emails invitations: it is the survey package's Distributor and the outbox's
// deliverer for email.
type Mailer struct {
	// Metrics, if set, counts each email's outcome.
	Metrics *Metrics

	svc          Deliveries
	outbox       *outbox.Outbox
	suppressions *Suppressions
	renderer     *Renderer
	sender       Sender
	from         *mail.Address // when the workspace names no sender
	host         string        // right-hand side of Message-IDs
	log          *slog.Logger
}

var (
	_ survey.Distributor = (*Mailer)(nil)
	_ outbox.Deliverer   = (*Mailer)(nil)
	_ outbox.Recorder    = (*Mailer)(nil)
)

// MailerOptions are the addresses a Mailer sends with.
type MailerOptions struct {
	// BaseURL is surveyd's public URL (required); its host is the right-hand side of
	// Message-IDs and of the default sender.
	BaseURL string
	// From is the sender of workspaces that name none ("": surveys@<BaseURL host>).
	From string
	Log  *slog.Logger
}

// NewMailer puts the pieces together.
func NewMailer(svc Deliveries, o *outbox.Outbox, s *Suppressions, r *Renderer, sender Sender, opts MailerOptions) (*Mailer, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("mailer: base url: %w", err)
	}
	from := opts.From
	if from == "" {
		from = "surveys@" + u.Hostname()
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mailer: sender %q: %w", from, err)
	}
	return &Mailer{svc: svc, outbox: o, suppressions: s, renderer: r, sender: sender, from: addr, host: u.Hostname(), log: opts.Log}, nil
}

// Suppressed implements survey.Distributor. The survey package asks just before it would
// queue an email, so a suppressed address is an email not sent.
func (m *Mailer) Suppressed(ctx context.Context, ws bson.ObjectID, email string) (bool, error) {
	suppressed, err := m.suppressions.Suppressed(ctx, ws, email)
	if suppressed {
		m.Metrics.email(OutcomeSuppressed)
	}
	return suppressed, err
}

// Schedule implements survey.Distributor: one outbox message per invitation, with the
// invitation's id, so scheduling the same invitation twice (a webhook finished after a crash)
// queues one email.
func (m *Mailer) Schedule(ctx context.Context, invs []*survey.Invitation, due []time.Time) error {
	msgs := make([]*outbox.Message, len(invs))
	for i, inv := range invs {
		msgs[i] = &outbox.Message{ID: inv.ID, WorkspaceID: inv.WorkspaceID, Kind: outbox.KindEmail, Purpose: PurposeInvitation, InvitationID: inv.ID, DueAt: due[i]}
	}
	return m.outbox.Enqueue(ctx, msgs...)
}

// Deliver renders the invitation's email as it stands now and hands it to the sender; an
// email that needs sending no more is outbox.ErrNothingToSend.
func (m *Mailer) Deliver(ctx context.Context, msg *outbox.Message) error {
	d, err := m.svc.ForDelivery(ctx, msg.InvitationID)
	if errors.Is(err, survey.ErrNotFound) {
		return outbox.ErrNothingToSend // the invitation (or its survey) is gone; nothing to send
	}
	if err != nil {
		return err
	}
	inv := d.Invitation
	switch {
	case d.Survey.Archived:
		return outbox.ErrNothingToSend
	case msg.Purpose == PurposeReminder && d.Responded:
		return outbox.ErrNothingToSend
	}
	suppressed, err := m.suppressions.Suppressed(ctx, inv.WorkspaceID, inv.Customer.Email)
	if err != nil {
		return err
	}
	if suppressed {
		m.Metrics.email(OutcomeSuppressed)
		return outbox.ErrNothingToSend
	}
	email, err := m.renderer.Render(EmailData{
		Workspace: d.Workspace, Survey: d.Survey, Invitation: inv,
		SurveyURL: inv.Link, UnsubscribeURL: m.svc.UnsubscribeLink(inv), Reminder: msg.Purpose == PurposeReminder,
	})
	if err != nil {
		return outbox.Permanent(err)
	}
	out, err := m.message(msg, d, email)
	if err != nil {
		return outbox.Permanent(err)
	}
	if _, ok := m.sender.(*EMLDir); ok {
		// No SMTP: the link is logged so a new install can click through.
		m.log.Info("survey email", "to", inv.Customer.Email, "purpose", msg.Purpose, "link", inv.Link)
	}
	return m.sender.Send(ctx, out)
}

// message assembles the MIME message. Its Message-ID is the outbox message's, so a repeat
// after a crash is recognisable as the same email.
func (m *Mailer) message(msg *outbox.Message, d *survey.Delivery, e *Email) (*gomail.Msg, error) {
	out := gomail.NewMsg()
	// The names and the sender address were checked when they came in, but one bad value in
	// the database must not fail every email of the workspace for good: names are folded into
	// one line, and a sender address that is not one gives way to the default.
	ws := d.Workspace
	from := *m.from
	if ws.SenderEmail != "" {
		if a, err := mail.ParseAddress(ws.SenderEmail); err == nil && a.Address == ws.SenderEmail {
			from.Address = a.Address
		} else {
			m.log.Warn("mailer: the workspace's sender_email is not an address; sending from the default", "workspace_id", ws.ID.Hex())
		}
	}
	from.Name = oneLine(ws.SenderName)
	if from.Name == "" {
		from.Name = oneLine(ws.CompanyName)
	}
	if err := out.FromFormat(from.Name, from.Address); err != nil {
		return nil, fmt.Errorf("mailer: from: %w", err)
	}
	if err := out.AddToFormat(oneLine(d.Invitation.Customer.Name), d.Invitation.Customer.Email); err != nil {
		return nil, fmt.Errorf("mailer: to: %w", err)
	}
	out.Subject(e.Subject)
	out.SetMessageIDWithValue(msg.ID.Hex() + "." + d.Invitation.ID.Hex() + "@" + m.host)
	out.SetDate()
	out.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+m.svc.UnsubscribeLink(d.Invitation)+">")
	out.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	out.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All") // no out-of-office replies
	out.SetGenHeader(gomail.HeaderContentLang, e.Lang)
	out.SetBodyString(gomail.TypeTextPlain, e.Text)
	out.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	return out, nil
}

// Delivered records the send on the invitation and queues its one reminder.
func (m *Mailer) Delivered(ctx context.Context, msg *outbox.Message, at time.Time) {
	reminder := msg.Purpose == PurposeReminder
	m.Metrics.sent(reminder)
	if err := m.svc.MarkSent(ctx, msg.InvitationID, at.UTC(), reminder); err != nil {
		m.log.Error("mailer: mark sent", "invitation_id", msg.InvitationID.Hex(), "err", err)
	}
	if reminder {
		return
	}
	d, err := m.svc.ForDelivery(ctx, msg.InvitationID)
	if err != nil || d.Workspace.ReminderDays <= 0 {
		return
	}
	due := at.AddDate(0, 0, d.Workspace.ReminderDays)
	// The reminder's id is derived from the invitation's, so bookkeeping done twice (a worker
	// died half-way) queues one reminder.
	if err := m.outbox.Enqueue(ctx, &outbox.Message{ID: reminderID(msg.InvitationID), WorkspaceID: msg.WorkspaceID, Kind: outbox.KindEmail, Purpose: PurposeReminder,
		InvitationID: msg.InvitationID, DueAt: due}); err != nil {
		m.log.Error("mailer: queue reminder", "invitation_id", msg.InvitationID.Hex(), "err", err)
	}
}

// reminderID is the reminder's message id: the invitation id with its counter bytes flipped,
// distinct from the invitation email's (which is the invitation id) and stable.
func reminderID(inv bson.ObjectID) bson.ObjectID {
	id := inv
	for i := 8; i < 12; i++ {
		id[i] ^= 0xff
	}
	return id
}

// Failed records an email that could not be delivered on its invitation. A reminder that
// fails leaves the invitation as it was: its first email went out, and the funnel counts
// invitations, not reminders. The message stays listed among the outbox's failed ones.
func (m *Mailer) Failed(ctx context.Context, msg *outbox.Message) {
	m.Metrics.email(OutcomeFailed)
	if msg.Purpose == PurposeReminder {
		m.log.Warn("mailer: reminder failed", "invitation_id", msg.InvitationID.Hex(), "err", msg.LastError)
		return
	}
	if err := m.svc.MarkFailed(ctx, msg.InvitationID, time.Now().UTC(), msg.LastError); err != nil {
		m.log.Error("mailer: mark failed", "invitation_id", msg.InvitationID.Hex(), "err", err)
	}
}
