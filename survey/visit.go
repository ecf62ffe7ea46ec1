package survey

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Visit is one GET of a survey link. Mail security scanners open every link of an email, often
// within seconds of each other and with the score preselected; the bias filters tell them from
// people by these records.
type Visit struct {
	ID           bson.ObjectID `bson:"_id" json:"id"`
	WorkspaceID  bson.ObjectID `bson:"workspace_id" json:"-"`
	InvitationID bson.ObjectID `bson:"invitation_id" json:"invitation_id"`
	At           time.Time     `bson:"at" json:"at"`
	Score        *int          `bson:"score,omitempty" json:"score,omitempty"` // the ?score= the link carried
	UAClass      string        `bson:"ua_class" json:"ua_class"`
	IPHash       string        `bson:"ip_hash" json:"ip_hash"`
}

// logVisit records a visit of an invitation's link.
func (s *Service) logVisit(ctx context.Context, inv *Invitation, score *int, userAgent, ip string) error {
	v := &Visit{ID: bson.NewObjectID(), WorkspaceID: inv.WorkspaceID, InvitationID: inv.ID, At: s.now(), Score: score,
		UAClass: ClassifyUserAgent(userAgent), IPHash: s.hashIP(ip)}
	if _, err := s.db.Collection("link_visits").InsertOne(ctx, v); err != nil {
		return fmt.Errorf("survey: log visit of %s: %w", inv.ID.Hex(), err)
	}
	return nil
}

// Visits lists the visits of an invitation's link, oldest first.
func (s *Service) Visits(ctx context.Context, ws, invitation bson.ObjectID) ([]Visit, error) {
	if _, err := s.Invitation(ctx, ws, invitation); err != nil {
		return nil, err
	}
	cur, err := s.db.Collection("link_visits").Find(ctx, bson.D{{Key: "invitation_id", Value: invitation}})
	if err != nil {
		return nil, fmt.Errorf("survey: visits of %s: %w", invitation.Hex(), err)
	}
	visits := []Visit{}
	if err := cur.All(ctx, &visits); err != nil {
		return nil, fmt.Errorf("survey: visits of %s: %w", invitation.Hex(), err)
	}
	return visits, nil
}
