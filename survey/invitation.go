package survey

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Customer is who the survey is for.
type Customer struct {
	ID     string `bson:"id,omitempty" json:"id,omitempty" validate:"max=200"`
	Email  string `bson:"email" json:"email" validate:"required,email,max=254,singleline"`
	Name   string `bson:"name,omitempty" json:"name,omitempty" validate:"max=200,singleline"`
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

	// What the CRM knows of how it went, for the service KPIs.
	Type                 string `bson:"type,omitempty" json:"type,omitempty"` // ticket, call, chat…
	FirstContactResolved *bool  `bson:"first_contact_resolved,omitempty" json:"first_contact_resolved,omitempty"`
	HandleSeconds        *int   `bson:"handle_seconds,omitempty" json:"handle_seconds,omitempty"`
	Transfers            *int   `bson:"transfers,omitempty" json:"transfers,omitempty"`
}

// Invitation statuses, in the order an invitation moves through them. Created and opened are
// stored on the invitation; responded is the existence of its response, whose _id is the
// invitation's, and is never stored, so an answer costs one write.
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
	// Decision is the status the invitation was created with (created, scheduled, throttled,
	// suppressed or sampled_out), which the funnel counts and rollups rebuild from.
	Decision    string     `bson:"decision,omitempty" json:"-"`
	ExpiresAt   time.Time  `bson:"expires_at" json:"expires_at"`
	CreatedAt   time.Time  `bson:"created_at" json:"created_at"`
	SentAt      *time.Time `bson:"sent_at,omitempty" json:"sent_at,omitempty"`
	RemindedAt  *time.Time `bson:"reminded_at,omitempty" json:"reminded_at,omitempty"`
	FailedAt    *time.Time `bson:"failed_at,omitempty" json:"failed_at,omitempty"`
	BouncedAt   *time.Time `bson:"bounced_at,omitempty" json:"bounced_at,omitempty"`
	Failure     string     `bson:"failure,omitempty" json:"failure,omitempty"`
	OpenedAt    *time.Time `bson:"opened_at,omitempty" json:"opened_at,omitempty"`
	Visits      []Visit    `bson:"visits,omitempty" json:"-"`       // listed at /invitations/{id}/visits
	RespondedAt *time.Time `bson:"-" json:"responded_at,omitempty"` // from the response

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
// Those that asked to be sent are queued for email now, unless their address is suppressed.
func (s *Service) CreateInvitations(ctx context.Context, invs []*Invitation) error {
	now := s.now()
	if err := s.schedule(ctx, invs, func(*Invitation) time.Time { return now }); err != nil {
		return err
	}
	docs := make([]any, len(invs))
	for i, inv := range invs {
		inv.Decision = inv.Status
		docs[i] = inv
	}
	if _, err := s.invitations.InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("survey: create invitations: %w", err)
	}
	for _, inv := range invs {
		s.setLink(inv)
	}
	return s.rollups.Record(ctx, invitationChanges(invs)...)
}

// LinkFor is the signed survey link of an invitation.
func (s *Service) LinkFor(inv *Invitation) string {
	return s.baseURL + "/s/" + s.signer.Sign(inv.ID, inv.ExpiresAt)
}

func (s *Service) setLink(inv *Invitation) { inv.Link = s.LinkFor(inv) }

// Invitation finds one of the workspace's invitations.
func (s *Service) Invitation(ctx context.Context, ws, id bson.ObjectID) (*Invitation, error) {
	inv, err := s.invitationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if inv.WorkspaceID != ws {
		return nil, fmt.Errorf("survey: invitation %s: %w", id.Hex(), ErrNotFound)
	}
	if err := s.withResponses(ctx, []*Invitation{inv}); err != nil {
		return nil, err
	}
	s.setLink(inv)
	return inv, nil
}

// withResponses marks the invitations that have a response as responded. Each is one lookup
// by _id, the embedded store's indexed path, which beats one scan for a whole page.
func (s *Service) withResponses(ctx context.Context, invs []*Invitation) error {
	for _, inv := range invs {
		var r struct {
			CreatedAt time.Time `bson:"created_at"`
		}
		err := s.responses.FindOne(ctx, byID(inv.ID), options.FindOne().SetProjection(bson.D{{Key: "created_at", Value: 1}})).Decode(&r)
		switch {
		case store.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("survey: response of invitation %s: %w", inv.ID.Hex(), err)
		default:
			inv.Status, inv.RespondedAt = StatusResponded, &r.CreatedAt
		}
	}
	return nil
}

// invitationByID reads an invitation in any workspace; callers check the workspace.
func (s *Service) invitationByID(ctx context.Context, id bson.ObjectID) (*Invitation, error) {
	var inv Invitation
	err := s.invitations.FindOne(ctx, byID(id)).Decode(&inv)
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

// ListInvitations returns a page of the workspace's invitations, newest first. Responded
// invitations are found through their responses. Filtering by a stored status drops the
// invitations answered since, so such a page may hold fewer than the limit while its cursor
// still moves past them.
func (s *Service) ListInvitations(ctx context.Context, ws bson.ObjectID, f InvitationFilter, p httpx.PageParams) (httpx.Page[Invitation], error) {
	rows, err := s.listInvitations(ctx, ws, f, p)
	if err != nil {
		return httpx.Page[Invitation]{}, err
	}
	page := httpx.NewPage(rows, p.Limit, func(i Invitation) bson.ObjectID { return i.ID })
	ptrs := make([]*Invitation, len(page.Data))
	for i := range page.Data {
		ptrs[i] = &page.Data[i]
		s.setLink(ptrs[i])
	}
	if err := s.withResponses(ctx, ptrs); err != nil {
		return httpx.Page[Invitation]{}, err
	}
	if f.Status != "" && f.Status != StatusResponded {
		page.Data = slices.DeleteFunc(page.Data, func(i Invitation) bool { return i.Status == StatusResponded })
	}
	return page, nil
}

func (s *Service) listInvitations(ctx context.Context, ws bson.ObjectID, f InvitationFilter, p httpx.PageParams) ([]Invitation, error) {
	filter := bson.D{{Key: "workspace_id", Value: ws}}
	if !f.SurveyID.IsZero() {
		filter = append(filter, bson.E{Key: "survey_id", Value: f.SurveyID})
	}
	var rows []Invitation
	if f.Status == StatusResponded {
		answered, err := findPage[Response](ctx, s.responses, filter, p)
		if err != nil {
			return nil, err
		}
		for _, r := range answered {
			inv, err := s.invitationByID(ctx, r.InvitationID)
			if err != nil {
				return nil, err
			}
			rows = append(rows, *inv)
		}
		return rows, nil
	}
	if f.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: f.Status})
	}
	return findPage[Invitation](ctx, s.invitations, filter, p)
}

// markOpened records the first visit of a link. It never records an answer: mail scanners
// visit every link.
func (s *Service) markOpened(ctx context.Context, inv *Invitation) error {
	if inv.OpenedAt != nil {
		return nil
	}
	set := bson.D{{Key: "opened_at", Value: s.now()}}
	switch inv.Status {
	case StatusCreated, StatusScheduled, StatusSent:
		set = append(set, bson.E{Key: "status", Value: StatusOpened})
	}
	// The filter is the _id alone, to stay on the indexed path; the status was just read, and
	// an answer cannot land in the millisecond between that read and this write.
	_, err := s.invitations.UpdateOne(ctx, byID(inv.ID), bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return fmt.Errorf("survey: mark opened %s: %w", inv.ID.Hex(), err)
	}
	return s.rollups.Record(ctx, stageChange(inv, scoring.StageOpened, set[0].Value.(time.Time)))
}
