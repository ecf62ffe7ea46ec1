package survey

import (
	"context"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Customer is who the survey is for.
type Customer struct {
	ID     string `bson:"id,omitempty" json:"id,omitempty" validate:"max=200"`
	Email  string `bson:"email" json:"email" validate:"required,email,max=254"`
	Name   string `bson:"name,omitempty" json:"name,omitempty" validate:"max=200"`
	Locale string `bson:"locale,omitempty" json:"locale,omitempty" validate:"omitempty,bcp47_language_tag,max=35"`
}

// Interaction is the customer-service contact the survey asks about; its dimensions are what
// reports group by.
type Interaction struct {
	ID         string     `bson:"id,omitempty" json:"id,omitempty"`
	Agent      string     `bson:"agent,omitempty" json:"agent,omitempty"`
	Team       string     `bson:"team,omitempty" json:"team,omitempty"`
	Channel    string     `bson:"channel,omitempty" json:"channel,omitempty"`
	Country    string     `bson:"country,omitempty" json:"country,omitempty"`
	OccurredAt *time.Time `bson:"occurred_at,omitempty" json:"occurred_at,omitempty"`
}

// Invitation statuses, in the order an invitation moves through them.
const (
	StatusCreated   = "created"   // link issued, not yet visited
	StatusOpened    = "opened"    // link visited at least once
	StatusResponded = "responded" // an answer is recorded
)

// Invitation is one customer asked one survey about one interaction, reached by a signed link.
type Invitation struct {
	ID          bson.ObjectID `bson:"_id" json:"id"`
	WorkspaceID bson.ObjectID `bson:"workspace_id" json:"-"`
	SurveyID    bson.ObjectID `bson:"survey_id" json:"survey_id"`
	Customer    Customer      `bson:"customer" json:"customer"`
	Interaction Interaction   `bson:"interaction" json:"interaction"`
	Send        bool          `bson:"send" json:"send"`
	Status      string        `bson:"status" json:"status"`
	ExpiresAt   time.Time     `bson:"expires_at" json:"expires_at"`
	CreatedAt   time.Time     `bson:"created_at" json:"created_at"`
	OpenedAt    *time.Time    `bson:"opened_at,omitempty" json:"opened_at,omitempty"`
	RespondedAt *time.Time    `bson:"responded_at,omitempty" json:"responded_at,omitempty"`

	Link string `bson:"-" json:"link"`
}

// NewInvitation prepares an invitation to sv; CreateInvitations stores it.
func (s *Service) NewInvitation(sv *Survey, c Customer, in Interaction, send bool) *Invitation {
	now := s.now()
	return &Invitation{
		ID: bson.NewObjectID(), WorkspaceID: sv.WorkspaceID, SurveyID: sv.ID,
		Customer: c, Interaction: in, Send: send, Status: StatusCreated,
		ExpiresAt: now.AddDate(0, 0, sv.LinkValidDays), CreatedAt: now,
	}
}

// CreateInvitations stores invitations in one write, all or none, and fills in their links.
func (s *Service) CreateInvitations(ctx context.Context, invs []*Invitation) error {
	docs := make([]any, len(invs))
	for i, inv := range invs {
		docs[i] = inv
	}
	if _, err := s.invitations.InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("survey: create invitations: %w", err)
	}
	for _, inv := range invs {
		s.setLink(inv)
	}
	return nil
}

// LinkFor is the signed survey link of an invitation.
func (s *Service) LinkFor(inv *Invitation) string {
	return s.baseURL + "/s/" + s.signer.Sign(inv.ID, inv.ExpiresAt)
}

func (s *Service) setLink(inv *Invitation) { inv.Link = s.LinkFor(inv) }

// Invitation finds one of the workspace's invitations.
func (s *Service) Invitation(ctx context.Context, ws, id bson.ObjectID) (*Invitation, error) {
	inv, err := s.invitationByID(ctx, bson.D{{Key: "_id", Value: id}, {Key: "workspace_id", Value: ws}})
	if err != nil {
		return nil, err
	}
	s.setLink(inv)
	return inv, nil
}

func (s *Service) invitationByID(ctx context.Context, filter bson.D) (*Invitation, error) {
	var inv Invitation
	err := s.invitations.FindOne(ctx, filter).Decode(&inv)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("survey: invitation: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("survey: find invitation: %w", err)
	}
	return &inv, nil
}

// InvitationFilter narrows an invitation list.
type InvitationFilter struct {
	SurveyID bson.ObjectID // zero: all surveys
	Status   string        // empty: all statuses
}

// ListInvitations returns a page of the workspace's invitations, newest first.
func (s *Service) ListInvitations(ctx context.Context, ws bson.ObjectID, f InvitationFilter, p httpx.PageParams) ([]Invitation, error) {
	filter := bson.D{{Key: "workspace_id", Value: ws}}
	if !f.SurveyID.IsZero() {
		filter = append(filter, bson.E{Key: "survey_id", Value: f.SurveyID})
	}
	if f.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: f.Status})
	}
	rows, err := findPage[Invitation](ctx, s.invitations, filter, p)
	for i := range rows {
		s.setLink(&rows[i])
	}
	return rows, err
}

// markOpened records the first visit of a link. It never records an answer: mail scanners
// visit every link.
func (s *Service) markOpened(ctx context.Context, inv *Invitation) error {
	if inv.Status != StatusCreated {
		return nil
	}
	now := s.now()
	_, err := s.invitations.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: inv.ID}, {Key: "status", Value: StatusCreated}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: StatusOpened}, {Key: "opened_at", Value: now}}}})
	if err != nil {
		return fmt.Errorf("survey: mark opened %s: %w", inv.ID.Hex(), err)
	}
	return nil
}
