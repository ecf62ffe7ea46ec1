package survey

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Statuses of invitations that are emailed, beside created, opened and responded: the rules'
// decision, then what happened to the email.
const (
	StatusScheduled  = "scheduled"   // email queued for its due time
	StatusThrottled  = "throttled"   // not sent: the customer was surveyed recently
	StatusSuppressed = "suppressed"  // not sent: the address unsubscribed, bounced or complained
	StatusSampledOut = "sampled_out" // not sent: outside the rule's sample
	StatusSent       = "sent"        // handed to the mail server
	StatusFailed     = "failed"      // the mail server refused it for good, or retries ran out
	StatusBounced    = "bounced"     // the provider reported a hard bounce or a complaint
)

// Distributor sends invitation emails; the mailer implements it. Declared here, where it is
// used, so survey does not depend on how mail goes out.
type Distributor interface {
	// Suppressed reports whether the workspace must not email the address.
	Suppressed(ctx context.Context, ws bson.ObjectID, email string) (bool, error)
	// Schedule queues the invitation's email for due; it must be durable when it returns.
	Schedule(ctx context.Context, invs []*Invitation, due []time.Time) error
}

// SetDistributor connects the mailer; without one, invitations are never emailed.
func (s *Service) SetDistributor(d Distributor) { s.distributor = d }

// schedule decides, for invitations that asked to be sent, whether they go out (scheduled, at
// due) or not (suppressed), and queues the ones that go. It runs before the invitations are
// stored: a queued email whose invitation never got stored finds nothing and is dropped,
// whereas a stored "scheduled" invitation with no queued email would never be sent.
func (s *Service) schedule(ctx context.Context, invs []*Invitation, due func(*Invitation) time.Time) error {
	if s.distributor == nil {
		return nil
	}
	var send []*Invitation
	var when []time.Time
	for _, inv := range invs {
		if !inv.Send || inv.Status != StatusCreated {
			continue
		}
		suppressed, err := s.distributor.Suppressed(ctx, inv.WorkspaceID, inv.Customer.Email)
		if err != nil {
			return err
		}
		if suppressed {
			inv.Status = StatusSuppressed
			continue
		}
		inv.Status = StatusScheduled
		send = append(send, inv)
		when = append(when, due(inv))
	}
	if len(send) == 0 {
		return nil
	}
	if err := s.distributor.Schedule(ctx, send, when); err != nil {
		return fmt.Errorf("survey: schedule emails: %w", err)
	}
	return nil
}

// Delivery is what the mailer needs to write an invitation's email.
type Delivery struct {
	Invitation *Invitation
	Survey     *Survey
	Workspace  *Workspace
	Responded  bool
}

// ForDelivery loads an invitation with its survey and workspace, in whatever workspace it is.
func (s *Service) ForDelivery(ctx context.Context, id bson.ObjectID) (*Delivery, error) {
	inv, err := s.invitationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	sv, err := s.Survey(ctx, inv.WorkspaceID, inv.SurveyID)
	if err != nil {
		return nil, err
	}
	ws, err := s.WorkspaceByID(ctx, inv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	if err := s.withResponses(ctx, []*Invitation{inv}); err != nil {
		return nil, err
	}
	s.setLink(inv)
	return &Delivery{Invitation: inv, Survey: sv, Workspace: ws, Responded: inv.Status == StatusResponded}, nil
}

// UnsubscribeLink is the link that stops email to the invitation's address. It outlives the
// survey link by a year, as mailbox providers expect unsubscribe links to keep working.
func (s *Service) UnsubscribeLink(inv *Invitation) string {
	return s.baseURL + "/u/" + s.signer.SignUnsubscribe(inv.ID, inv.ExpiresAt.AddDate(1, 0, 0))
}

// VerifyUnsubscribe resolves an unsubscribe token to its invitation.
func (s *Service) VerifyUnsubscribe(ctx context.Context, token string) (*Invitation, *Workspace, error) {
	claims, err := s.signer.VerifyUnsubscribe(token, s.now())
	if err != nil {
		return nil, nil, err
	}
	inv, err := s.invitationByID(ctx, claims.InvitationID)
	if err != nil {
		return nil, nil, err
	}
	ws, err := s.cachedWorkspace(ctx, inv.WorkspaceID)
	if err != nil {
		return nil, nil, err
	}
	return inv, ws, nil
}

// MarkSent records that an invitation's email (or its reminder) was handed to the mail server.
// The first send is counted in the funnel.
func (s *Service) MarkSent(ctx context.Context, id bson.ObjectID, at time.Time, reminder bool) error {
	set := bson.D{{Key: "reminded_at", Value: at}}
	if !reminder {
		set = bson.D{{Key: "sent_at", Value: at}}
	}
	return s.setInvitation(ctx, id, set, func(inv *Invitation) (string, scoring.Stage, bool) {
		first := !reminder && inv.SentAt == nil
		if inv.Status == StatusScheduled || inv.Status == StatusFailed {
			return StatusSent, scoring.StageSent, first
		}
		return "", scoring.StageSent, first
	})
}

// MarkFailed records that an invitation's email could not be delivered.
func (s *Service) MarkFailed(ctx context.Context, id bson.ObjectID, at time.Time, reason string) error {
	return s.setInvitation(ctx, id, bson.D{{Key: "failed_at", Value: at}, {Key: "failure", Value: reason}},
		func(inv *Invitation) (string, scoring.Stage, bool) {
			return StatusFailed, scoring.StageFailed, inv.FailedAt == nil
		})
}

// MarkBounced records a hard bounce or complaint for an invitation's email.
func (s *Service) MarkBounced(ctx context.Context, id bson.ObjectID, at time.Time, reason string) error {
	return s.setInvitation(ctx, id, bson.D{{Key: "bounced_at", Value: at}, {Key: "failure", Value: reason}},
		func(inv *Invitation) (string, scoring.Stage, bool) {
			return StatusBounced, scoring.StageBounced, inv.BouncedAt == nil
		})
}

// setInvitation sets fields of an invitation by _id. decide sees the invitation as it was and
// says what its status becomes (empty: unchanged; a retried email that went out after all
// leaves "failed" for "sent", but "opened" stays) and whether this is the stage's first event
// for it, which the funnel counts at the time of set's first field. The invitation is read
// first, because the embedded store only answers {_id} filters from an index.
func (s *Service) setInvitation(ctx context.Context, id bson.ObjectID, set bson.D, decide func(*Invitation) (status string, stage scoring.Stage, count bool)) error {
	inv, err := s.invitationByID(ctx, id)
	if err != nil {
		return err
	}
	status, stage, count := decide(inv)
	if !count && set[0].Key != "reminded_at" {
		// The stage was counted at its first time, which the invitation keeps: a rebuild
		// counts from it.
		set = set[1:]
	}
	if status != "" {
		set = append(set, bson.E{Key: "status", Value: status})
	}
	if len(set) == 0 {
		return nil
	}
	if _, err := s.invitations.UpdateOne(ctx, byID(id), bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("survey: update invitation %s: %w", id.Hex(), err)
	}
	if !count {
		return nil
	}
	return s.rollups.Record(ctx, stageChange(inv, stage, set[0].Value.(time.Time)))
}

// NormalizeEmail is the form of an address used to match suppressions and repeat customers.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
