package survey

import (
	"context"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Kind is the survey's metric.
type Kind string

const (
	CSAT Kind = "csat" // 1–5, stars or faces
	NPS  Kind = "nps"  // 0–10
	CES  Kind = "ces"  // 1–7 or 1–5 agree scale
)

// Text is a string per locale. English is the base; Vietnamese is laid over it.
type Text struct {
	En string `bson:"en" json:"en"`
	Vi string `bson:"vi" json:"vi"`
}

// In returns the text for lang, falling back to the other language when it has none.
func (t Text) In(lang string) string {
	first, second := t.En, t.Vi
	if lang == "vi" {
		first, second = second, first
	}
	if first != "" {
		return first
	}
	return second
}

// IsZero reports whether there is no text in any language.
func (t Text) IsZero() bool { return t.En == "" && t.Vi == "" }

// Reason is one answer to "what is this about?", tagged so scoring can tell service
// complaints from product, price or policy ones.
type Reason struct {
	Code  string `bson:"code" json:"code"`
	Label Text   `bson:"label" json:"label"`
	About string `bson:"about" json:"about"`
}

// Survey is one questionnaire: a CSAT, NPS or CES question, an optional comment and reason.
type Survey struct {
	ID              bson.ObjectID `bson:"_id" json:"id"`
	WorkspaceID     bson.ObjectID `bson:"workspace_id" json:"-"`
	Kind            Kind          `bson:"kind" json:"kind"`
	Name            string        `bson:"name" json:"name"`
	Scale           string        `bson:"scale,omitempty" json:"scale,omitempty"` // csat: stars or faces
	Points          int           `bson:"points" json:"points"`                   // answer choices: 5, 7 or 11
	Question        Text          `bson:"question" json:"question"`
	CommentPrompt   Text          `bson:"comment_prompt" json:"comment_prompt"`
	Reasons         []Reason      `bson:"reasons" json:"reasons"`
	ThankYou        Text          `bson:"thank_you" json:"thank_you"`
	LinkValidDays   int           `bson:"link_valid_days" json:"link_valid_days"`
	EditWindowHours int           `bson:"edit_window_hours" json:"edit_window_hours"`
	Archived        bool          `bson:"archived" json:"archived"`
	CreatedAt       time.Time     `bson:"created_at" json:"created_at"`
	UpdatedAt       time.Time     `bson:"updated_at" json:"updated_at"`
}

// MinScore and MaxScore bound the survey's answers: 1 is always the worst.
func (s *Survey) MinScore() int {
	if s.Kind == NPS {
		return 0
	}
	return 1
}

// MaxScore is the best answer.
func (s *Survey) MaxScore() int { return s.MinScore() + s.Points - 1 }

// EditWindow is how long after the first answer a respondent may change it.
func (s *Survey) EditWindow() time.Duration { return time.Duration(s.EditWindowHours) * time.Hour }

// Defaults that make {"kind":"nps","name":"x"} a usable survey.
const (
	defaultLinkValidDays   = 30
	defaultEditWindowHours = 24
)

// CreateSurvey stores a new survey.
func (s *Service) CreateSurvey(ctx context.Context, sv *Survey) error {
	now := s.now()
	sv.ID, sv.CreatedAt, sv.UpdatedAt = bson.NewObjectID(), now, now
	if _, err := s.surveys.InsertOne(ctx, sv); err != nil {
		return fmt.Errorf("survey: create survey: %w", err)
	}
	return nil
}

// Survey finds one of the workspace's surveys.
func (s *Service) Survey(ctx context.Context, ws, id bson.ObjectID) (*Survey, error) {
	var sv Survey
	err := s.surveys.FindOne(ctx, byID(id)).Decode(&sv)
	if store.IsNotFound(err) || (err == nil && sv.WorkspaceID != ws) {
		return nil, fmt.Errorf("survey: survey %s: %w", id.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("survey: find survey %s: %w", id.Hex(), err)
	}
	return &sv, nil
}

// cachedSurvey is Survey through the respondent pages' cache.
func (s *Service) cachedSurvey(ctx context.Context, ws, id bson.ObjectID) (*Survey, error) {
	return s.surveyCache.Through(id, s.now(), func(sv *Survey) bool { return sv.WorkspaceID == ws },
		func() (*Survey, error) { return s.Survey(ctx, ws, id) })
}

// SurveyFilter narrows a survey list.
type SurveyFilter struct {
	Archived *bool
}

// ListSurveys returns a page of the workspace's surveys, newest first.
func (s *Service) ListSurveys(ctx context.Context, ws bson.ObjectID, f SurveyFilter, p httpx.PageParams) ([]Survey, error) {
	filter := bson.D{{Key: "workspace_id", Value: ws}}
	if f.Archived != nil {
		filter = append(filter, bson.E{Key: "archived", Value: *f.Archived})
	}
	return findPage[Survey](ctx, s.surveys, filter, p)
}

// SaveSurvey writes back a survey read with Survey, which checked its workspace.
func (s *Service) SaveSurvey(ctx context.Context, sv *Survey) error {
	sv.UpdatedAt = s.now()
	res, err := s.surveys.ReplaceOne(ctx, byID(sv.ID), sv)
	if err != nil {
		return fmt.Errorf("survey: save survey %s: %w", sv.ID.Hex(), err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("survey: save survey %s: %w", sv.ID.Hex(), ErrNotFound)
	}
	s.surveyCache.Forget(sv.ID)
	return nil
}

// SetArchived archives or restores a survey. Links to an archived survey show a closed page.
func (s *Service) SetArchived(ctx context.Context, ws, id bson.ObjectID, archived bool) (*Survey, error) {
	sv, err := s.Survey(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	sv.Archived = archived
	if err := s.SaveSurvey(ctx, sv); err != nil {
		return nil, err
	}
	return sv, nil
}

// byID is the filter every hot path uses: exactly {_id: id}, the one shape the embedded
// store answers from an index (store.IndexIDs).
func byID(id bson.ObjectID) bson.D { return bson.D{{Key: "_id", Value: id}} }

func sortNewest() *options.FindOptionsBuilder {
	return options.Find().SetSort(bson.D{{Key: "_id", Value: -1}})
}

// findPage reads up to p.Limit+1 documents newest first after the cursor, so the caller can
// tell whether another page follows.
func findPage[T any](ctx context.Context, coll *mongo.Collection, filter bson.D, p httpx.PageParams) ([]T, error) {
	cur, err := coll.Find(ctx, p.Filter(filter), sortNewest().SetLimit(int64(p.Limit+1)))
	if err != nil {
		return nil, fmt.Errorf("survey: list %s: %w", coll.Name(), err)
	}
	var rows []T
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("survey: list %s: %w", coll.Name(), err)
	}
	return rows, nil
}
