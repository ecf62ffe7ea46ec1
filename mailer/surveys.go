package mailer

import (
	"context"
	"net/http"
	"time"

	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/intake"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The survey domain as the mailer's parts use it, one interface per part; *survey.Service
// implements them all (checked in surveys_test.go).

// Deliveries is what Mailer needs: an invitation with what its email is made of, the
// invitation's unsubscribe link, and the record of how its email went.
type Deliveries interface {
	ForDelivery(ctx context.Context, id bson.ObjectID) (*survey.Delivery, error)
	UnsubscribeLink(inv *survey.Invitation) string
	MarkSent(ctx context.Context, id bson.ObjectID, at time.Time, reminder bool) error
	MarkFailed(ctx context.Context, id bson.ObjectID, at time.Time, reason string) error
}

// Previews is what the email preview needs: the survey and its workspace, and an unsaved
// invitation with its links.
type Previews interface {
	Survey(ctx context.Context, ws, id bson.ObjectID) (*survey.Survey, error)
	WorkspaceByID(ctx context.Context, id bson.ObjectID) (*survey.Workspace, error)
	NewInvitation(sv *survey.Survey, c survey.Customer, in survey.Interaction, send bool) *survey.Invitation
	LinkFor(inv *survey.Invitation) string
	UnsubscribeLink(inv *survey.Invitation) string
}

// BounceNotices is what Bounces needs of the survey domain: the invitation an inbound notice is
// about.
type BounceNotices interface {
	Invitation(ctx context.Context, ws, id bson.ObjectID) (*survey.Invitation, error)
	MarkBounced(ctx context.Context, id bson.ObjectID, at time.Time, reason string) error
}

// SignedNotices checks an inbound notice's signature as the CRM intake checks its webhooks,
// and says which integration signed it (*intake.Service).
type SignedNotices interface {
	ReadSignedWebhook(w http.ResponseWriter, r *http.Request) (*intake.Integration, []byte, error)
}

// Unsubscribes is what the unsubscribe pages need: the invitation an unsubscribe token names.
type Unsubscribes interface {
	VerifyUnsubscribe(ctx context.Context, token string) (*survey.Invitation, *survey.Workspace, error)
}
