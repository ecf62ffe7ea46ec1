package intake

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Rule says which survey an interaction gets and when. The first enabled rule, by priority,
// whose channels and types match the interaction decides.
type Rule struct {
	ID            bson.ObjectID `bson:"_id" json:"id"`
	WorkspaceID   bson.ObjectID `bson:"workspace_id" json:"-"`
	Name          string        `bson:"name" json:"name"`
	Enabled       bool          `bson:"enabled" json:"enabled"`
	Priority      int           `bson:"priority" json:"priority"`
	Channels      []string      `bson:"channels" json:"channels"` // empty: any
	Types         []string      `bson:"types" json:"types"`       // empty: any
	SurveyID      bson.ObjectID `bson:"survey_id" json:"survey_id"`
	DelayMinutes  int           `bson:"delay_minutes" json:"delay_minutes"`
	SamplePercent float64       `bson:"sample_percent" json:"sample_percent"`
	QuietHours    *QuietHours   `bson:"quiet_hours,omitempty" json:"quiet_hours,omitempty"`
	FrequencyDays int           `bson:"frequency_days" json:"frequency_days"` // at most one survey per customer per N days; 0: no limit
	CreatedAt     time.Time     `bson:"created_at" json:"created_at"`
	UpdatedAt     time.Time     `bson:"updated_at" json:"updated_at"`
}

// QuietHours is a daily span, in the workspace's time zone, in which no survey is sent;
// Start after End spans midnight ("21:00"–"08:00").
type QuietHours struct {
	Start string `bson:"start" json:"start" validate:"required,datetime=15:04"`
	End   string `bson:"end" json:"end" validate:"required,datetime=15:04"`
}

func (r *Rule) matches(channel, typ string) bool {
	return r.Enabled && (len(r.Channels) == 0 || slices.Contains(r.Channels, channel)) &&
		(len(r.Types) == 0 || slices.Contains(r.Types, typ))
}

// Decision is what a rule decided for one interaction.
type Decision struct {
	Status string    // StatusScheduled, StatusThrottled, StatusSuppressed or StatusSampledOut
	Due    time.Time // when scheduled
}

// Decide applies a rule to an interaction. Suppression beats everything, then the contact
// frequency, then the sample; what survives is due after the delay, moved out of quiet
// hours. Sampling hashes the event id, so a retried webhook lands on the same side.
func (r *Rule) Decide(loc *time.Location, eventID string, occurred, now time.Time, lastSurveyed *time.Time, suppressed bool) Decision {
	switch {
	case suppressed:
		return Decision{Status: survey.StatusSuppressed}
	case r.FrequencyDays > 0 && lastSurveyed != nil && now.Sub(*lastSurveyed) < time.Duration(r.FrequencyDays)*24*time.Hour:
		return Decision{Status: survey.StatusThrottled}
	case !inSample(eventID, r.SamplePercent):
		return Decision{Status: survey.StatusSampledOut}
	}
	due := occurred.Add(time.Duration(r.DelayMinutes) * time.Minute)
	if due.Before(now) {
		due = now
	}
	return Decision{Status: survey.StatusScheduled, Due: r.QuietHours.after(due, loc)}
}

func inSample(eventID string, percent float64) bool {
	if percent >= 100 {
		return true
	}
	sum := sha256.Sum256([]byte(eventID))
	return float64(binary.BigEndian.Uint64(sum[:8])%10000) < percent*100
}

// after returns t, or the end of the quiet span t falls in.
func (q *QuietHours) after(t time.Time, loc *time.Location) time.Time {
	if q == nil {
		return t
	}
	start, err1 := time.Parse("15:04", q.Start)
	end, err2 := time.Parse("15:04", q.End)
	if err1 != nil || err2 != nil || q.Start == q.End {
		return t
	}
	local := t.In(loc)
	minute := local.Hour()*60 + local.Minute()
	s, e := start.Hour()*60+start.Minute(), end.Hour()*60+end.Minute()
	quiet := (s < e && minute >= s && minute < e) || (s > e && (minute >= s || minute < e))
	if !quiet {
		return t
	}
	day := local
	if s > e && minute >= s { // before midnight: the span ends tomorrow
		day = local.AddDate(0, 0, 1)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), end.Hour(), end.Minute(), 0, 0, loc).UTC()
}

// RuleStore keeps the workspaces' rules: the API and the decisions read and write them here.
type RuleStore struct {
	coll *mongo.Collection
}

// NewRuleStore binds the rules to db.
func NewRuleStore(db *mongo.Database) *RuleStore {
	return &RuleStore{coll: db.Collection(collRules)}
}

// List returns the workspace's rules, in the order they are tried.
func (st *RuleStore) List(ctx context.Context, ws bson.ObjectID) ([]Rule, error) {
	rows, err := survey.FindPage[Rule](ctx, st.coll, bson.D{{Key: "workspace_id", Value: ws}}, httpx.PageParams{Limit: 999})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rows, func(a, b Rule) int { return a.Priority - b.Priority })
	if rows == nil {
		rows = []Rule{}
	}
	return rows, nil
}

// Get finds one of the workspace's rules.
func (st *RuleStore) Get(ctx context.Context, ws, id bson.ObjectID) (*Rule, error) {
	var r Rule
	err := st.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r)
	if store.IsNotFound(err) || (err == nil && r.WorkspaceID != ws) {
		return nil, fmt.Errorf("intake: rule %s: %w", id.Hex(), survey.ErrNotFound)
	}
	return &r, err
}

// Create stores a new rule.
func (st *RuleStore) Create(ctx context.Context, r *Rule) error {
	if _, err := st.coll.InsertOne(ctx, r); err != nil {
		return fmt.Errorf("intake: create rule: %w", err)
	}
	return nil
}

// Update replaces a stored rule with r.
func (st *RuleStore) Update(ctx context.Context, r *Rule) error {
	if _, err := st.coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: r.ID}}, r); err != nil {
		return fmt.Errorf("intake: update rule: %w", err)
	}
	return nil
}

// Delete removes a rule.
func (st *RuleStore) Delete(ctx context.Context, id bson.ObjectID) error {
	if _, err := st.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("intake: delete rule: %w", err)
	}
	return nil
}

// DeleteAll removes every rule of the workspace.
func (st *RuleStore) DeleteAll(ctx context.Context, ws bson.ObjectID) error {
	if err := store.DeleteMany(ctx, st.coll, bson.D{{Key: "workspace_id", Value: ws}}); err != nil {
		return fmt.Errorf("intake: delete rules: %w", err)
	}
	return nil
}
