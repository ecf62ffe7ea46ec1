package survey

import (
	"context"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Signals are what the page saw of how an answer was given; the bias filters read them.
type Signals struct {
	SinceInviteSeconds float64  `bson:"since_invite_s" json:"since_invite_seconds"`
	OnPageSeconds      *float64 `bson:"on_page_s,omitempty" json:"on_page_seconds,omitempty"`
	UAClass            string   `bson:"ua_class" json:"ua_class"`
	IPHash             string   `bson:"ip_hash" json:"ip_hash"`
	Interacted         bool     `bson:"interacted" json:"interacted"`
	AutoConfirmed      bool     `bson:"auto_confirmed" json:"auto_confirmed"`
}

// Response is a customer's answer to an invitation. Its id is the invitation's, which keeps it
// one per invitation and lets every lookup on the answer path be by _id alone (see
// store.IndexIDs). It carries copies of the survey kind and the interaction's dimensions so
// scoring never has to join.
type Response struct {
	ID            bson.ObjectID  `bson:"_id" json:"id"`
	WorkspaceID   bson.ObjectID  `bson:"workspace_id" json:"-"`
	SurveyID      bson.ObjectID  `bson:"survey_id" json:"survey_id"`
	InvitationID  bson.ObjectID  `bson:"invitation_id" json:"invitation_id"`
	Kind          Kind           `bson:"kind" json:"kind"`
	Points        int            `bson:"points" json:"points"`
	Score         int            `bson:"score" json:"score"`
	Comment       string         `bson:"comment,omitempty" json:"comment,omitempty"`
	Reason        string         `bson:"reason,omitempty" json:"reason,omitempty"`
	Locale        string         `bson:"locale" json:"locale"`
	Customer      Customer       `bson:"customer" json:"customer"`
	Interaction   Interaction    `bson:"interaction" json:"interaction"`
	Signals       Signals        `bson:"signals" json:"signals"`
	Flags         []scoring.Flag `bson:"flags" json:"flags"` // the bias filters that apply, with their evidence
	FlagOverrides *FlagOverrides `bson:"flag_overrides,omitempty" json:"flag_overrides,omitempty"`
	Revision      int            `bson:"revision" json:"revision"`
	CreatedAt     time.Time      `bson:"created_at" json:"created_at"`
	UpdatedAt     time.Time      `bson:"updated_at" json:"updated_at"`
}

// ResponseEvent is what the CRM hears of an answer: the response without the signals the
// bias filters keep (the IP hash among them stays inside surveyd).
type ResponseEvent struct {
	ID           bson.ObjectID `json:"id"`
	SurveyID     bson.ObjectID `json:"survey_id"`
	InvitationID bson.ObjectID `json:"invitation_id"`
	Kind         Kind          `json:"kind"`
	Points       int           `json:"points"`
	Score        int           `json:"score"`
	Comment      string        `json:"comment,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	Locale       string        `json:"locale"`
	Customer     Customer      `json:"customer"`
	Interaction  Interaction   `json:"interaction"`
	Revision     int           `json:"revision"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
}

// Event is the response as the CRM hears of it.
func (r *Response) Event() ResponseEvent {
	return ResponseEvent{ID: r.ID, SurveyID: r.SurveyID, InvitationID: r.InvitationID, Kind: r.Kind, Points: r.Points,
		Score: r.Score, Comment: r.Comment, Reason: r.Reason, Locale: r.Locale, Customer: r.Customer,
		Interaction: r.Interaction, Revision: r.Revision, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// ResponseFor finds the answer already given to an invitation, in any workspace; an
// invitation not answered yet is ErrNotFound.
func (s *Service) ResponseFor(ctx context.Context, inv bson.ObjectID) (*Response, error) {
	var r Response
	err := s.responses.FindOne(ctx, bson.D{{Key: "_id", Value: inv}}).Decode(&r)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("survey: response for %s: %w", inv.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("survey: find response for %s: %w", inv.Hex(), err)
	}
	return &r, nil
}

// ListResponses returns a page of the workspace's responses, newest invitation first.
func (s *Service) ListResponses(ctx context.Context, ws bson.ObjectID, f ResponseFilter, p httpx.PageParams) ([]Response, error) {
	return findPage[Response](ctx, s.responses, f.query(ws), p)
}

// query is the filter's database query within the workspace.
func (f ResponseFilter) query(ws bson.ObjectID) bson.D {
	filter := bson.D{{Key: "workspace_id", Value: ws}}
	if !f.SurveyID.IsZero() {
		filter = append(filter, bson.E{Key: "survey_id", Value: f.SurveyID})
	}
	switch {
	case f.Flag == "none":
		filter = append(filter, bson.E{Key: "flags", Value: bson.D{{Key: "$size", Value: 0}}})
	case f.Flag != "":
		filter = append(filter, bson.E{Key: "flags.name", Value: f.Flag})
	}
	if f.Score != nil {
		filter = append(filter, bson.E{Key: "score", Value: *f.Score})
	}
	for _, d := range []struct{ key, value string }{
		{"interaction.agent", f.Agent}, {"interaction.team", f.Team}, {"interaction.channel", f.Channel}, {"interaction.country", f.Country},
	} {
		if d.value != "" {
			filter = append(filter, bson.E{Key: d.key, Value: d.value})
		}
	}
	return filter
}

// ResponseFilter narrows a response list.
type ResponseFilter struct {
	SurveyID                      bson.ObjectID
	Flag                          string // a flag's name, or "none" for unflagged answers
	Score                         *int
	Agent, Team, Channel, Country string
}
