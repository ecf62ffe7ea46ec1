package webhook

import (
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Event types: the public contract with the CRM. An endpoint subscribes to some of the first
// three (none listed: all); EventWebhookTest is only ever sent by the test button, to one
// endpoint, synchronously.
const (
	EventResponseCreated  = "response.created"
	EventResponseUpdated  = "response.updated"
	EventInvitationFailed = "invitation.failed"
	EventWebhookTest      = "webhook.test"
)

// Events are the event types an endpoint can subscribe to.
var Events = []string{EventResponseCreated, EventResponseUpdated, EventInvitationFailed}

// Event is the data of one event, the "data" of its payload; EventType names its type.
type Event interface {
	EventType() string
}

var (
	_ Event = ResponseCreated{}
	_ Event = ResponseUpdated{}
	_ Event = InvitationFailed{}
)

// ResponseCreated is a customer's first answer to an invitation.
type ResponseCreated struct{ survey.ResponseEvent }

// ResponseUpdated is a changed answer (the customer came back to the form).
type ResponseUpdated struct{ survey.ResponseEvent }

// EventType implements Event.
func (ResponseCreated) EventType() string { return EventResponseCreated }

// EventType implements Event.
func (ResponseUpdated) EventType() string { return EventResponseUpdated }

// ResponseRecorded is the event of an answer the survey domain recorded: created, or updated.
func ResponseRecorded(r *survey.Response, created bool) Event {
	if created {
		return ResponseCreated{r.Event()}
	}
	return ResponseUpdated{r.Event()}
}

// InvitationFailed is an invitation's email (the first or its reminder, as Purpose says) that
// failed for good: refused by the mail server or out of retries.
type InvitationFailed struct {
	InvitationID bson.ObjectID `json:"invitation_id"`
	Purpose      string        `json:"purpose"` // invitation or reminder
	Attempts     int           `json:"attempts"`
	Error        string        `json:"error"` // the last attempt's
}

// EventType implements Event.
func (InvitationFailed) EventType() string { return EventInvitationFailed }

// InvitationFailedOf is the event of an email message that failed for good.
func InvitationFailedOf(m *outbox.Message) InvitationFailed {
	return InvitationFailed{InvitationID: m.InvitationID, Purpose: m.Purpose, Attempts: m.Attempts, Error: m.LastError}
}
