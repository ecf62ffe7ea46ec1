package survey

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Visit is one GET of a survey link. Mail security scanners open every link of an email, often
// within seconds of each other and with the score preselected; the bias filters tell them from
// people by these records.
type Visit struct {
	At      time.Time `bson:"at" json:"at"`
	Score   *int      `bson:"score,omitempty" json:"score,omitempty"` // the ?score= the link carried
	UAClass string    `bson:"ua_class" json:"ua_class"`
	IPHash  string    `bson:"ip_hash" json:"ip_hash"`
}

// maxVisits bounds the visits kept on an invitation: a scanner's burst and a person's few
// returns fit; a link posted somewhere public does not grow the document without end.
const maxVisits = 30

// LogVisit records a visit on the invitation itself, so the answer, which reads the
// invitation anyway, has its visits at no extra cost (and the embedded store no scan).
func (s *Service) LogVisit(ctx context.Context, inv *Invitation, score *int, userAgent, ip string) error {
	if len(inv.Visits) >= maxVisits {
		return nil
	}
	v := Visit{At: s.now(), Score: score, UAClass: ClassifyUserAgent(userAgent), IPHash: s.hashIP(ip)}
	if _, err := s.invitations.UpdateOne(ctx, byID(inv.ID), bson.D{{Key: "$push", Value: bson.D{{Key: "visits", Value: v}}}}); err != nil {
		return fmt.Errorf("survey: log visit of %s: %w", inv.ID.Hex(), err)
	}
	inv.Visits = append(inv.Visits, v)
	return nil
}

// Visits lists the visits of an invitation's link, oldest first.
func (s *Service) Visits(ctx context.Context, ws, invitation bson.ObjectID) ([]Visit, error) {
	inv, err := s.Invitation(ctx, ws, invitation)
	if err != nil {
		return nil, err
	}
	if inv.Visits == nil {
		return []Visit{}, nil
	}
	return inv.Visits, nil
}

// hashIP stands in for a respondent's IP address: stable within an install (so repeats can be
// spotted) but not reversible without the install's salt.
func (s *Service) hashIP(ip string) string {
	m := hmac.New(sha256.New, s.ipSalt)
	m.Write([]byte(ip))
	return hex.EncodeToString(m.Sum(nil)[:12])
}
