package mailer

import "github.com/prometheus/client_golang/prometheus"

// Metrics observe the emails; nil fields are skipped. The outbox that carries them has its
// own (outbox.Metrics).
type Metrics struct {
	Emails    *prometheus.CounterVec // by outcome: sent, failed, bounced, complained, suppressed
	Reminders prometheus.Counter     // reminder emails sent
}

// Email outcomes, as Metrics.Emails counts them.
const (
	OutcomeSent       = "sent"       // accepted by the mail server (or written as .eml)
	OutcomeFailed     = "failed"     // refused for good, or out of retries
	OutcomeBounced    = "bounced"    // a hard bounce reported by the provider
	OutcomeComplained = "complained" // a spam complaint reported by the provider
	OutcomeSuppressed = "suppressed" // not sent: the address is on the suppression list
)

// NewMetrics registers the email metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Emails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "surveyd_emails_total", Help: "Survey emails (invitations and reminders) by final outcome: sent, failed, bounced, complained or suppressed.",
		}, []string{"outcome"}),
		Reminders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "surveyd_reminders_sent_total", Help: "Reminder emails sent.",
		}),
	}
	reg.MustRegister(m.Emails, m.Reminders)
	return m
}

// email counts an email's outcome.
func (m *Metrics) email(outcome string) {
	if m != nil && m.Emails != nil {
		m.Emails.WithLabelValues(outcome).Inc()
	}
}

// sent counts an email the mail server accepted, and reminders among them.
func (m *Metrics) sent(reminder bool) {
	m.email(OutcomeSent)
	if reminder && m != nil && m.Reminders != nil {
		m.Reminders.Inc()
	}
}
