package survey

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
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
		return Decision{Status: StatusSuppressed}
	case r.FrequencyDays > 0 && lastSurveyed != nil && now.Sub(*lastSurveyed) < time.Duration(r.FrequencyDays)*24*time.Hour:
		return Decision{Status: StatusThrottled}
	case !inSample(eventID, r.SamplePercent):
		return Decision{Status: StatusSampledOut}
	}
	due := occurred.Add(time.Duration(r.DelayMinutes) * time.Minute)
	if due.Before(now) {
		due = now
	}
	return Decision{Status: StatusScheduled, Due: r.QuietHours.after(due, loc)}
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

// rules of the workspace, in the order they are tried.
func (s *Service) rules(ctx context.Context, ws bson.ObjectID) ([]Rule, error) {
	rows, err := findPage[Rule](ctx, s.db.Collection("rules"), bson.D{{Key: "workspace_id", Value: ws}}, httpx.PageParams{Limit: 999})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rows, func(a, b Rule) int { return a.Priority - b.Priority })
	if rows == nil {
		rows = []Rule{}
	}
	return rows, nil
}

type ruleRequest struct {
	Name          *string              `json:"name" validate:"omitempty,min=1,max=200"`
	Enabled       *bool                `json:"enabled"`
	Priority      *int                 `json:"priority" validate:"omitempty,min=0,max=1000"`
	Channels      *[]string            `json:"channels" validate:"omitempty,max=20,dive,min=1,max=50"`
	Types         *[]string            `json:"types" validate:"omitempty,max=20,dive,min=1,max=50"`
	SurveyID      *string              `json:"survey_id" validate:"omitempty,mongodb"`
	DelayMinutes  *int                 `json:"delay_minutes" validate:"omitempty,min=0,max=43200"`
	SamplePercent *float64             `json:"sample_percent" validate:"omitempty,gte=0,lte=100"`
	QuietHours    nullable[QuietHours] `json:"quiet_hours"`
	FrequencyDays *int                 `json:"frequency_days" validate:"omitempty,min=0,max=365"`
}

func (h *Handler) listRules(c *echo.Context) error {
	rows, err := h.svc.rules(c.Request().Context(), apikey.WorkspaceOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.Page[Rule]{Data: rows})
}

func (h *Handler) createRule(c *echo.Context) error {
	now := h.svc.now()
	r := &Rule{ID: bson.NewObjectID(), WorkspaceID: apikey.WorkspaceOf(c), Enabled: true, SamplePercent: 100, FrequencyDays: 30,
		Channels: []string{}, Types: []string{}, CreatedAt: now, UpdatedAt: now}
	if err := h.applyRule(c, r, true); err != nil {
		return err
	}
	if _, err := h.svc.db.Collection("rules").InsertOne(c.Request().Context(), r); err != nil {
		return fmt.Errorf("survey: create rule: %w", err)
	}
	return c.JSON(http.StatusCreated, r)
}

func (h *Handler) updateRule(c *echo.Context) error {
	r, err := h.rule(c)
	if err != nil {
		return err
	}
	if err := h.applyRule(c, r, false); err != nil {
		return err
	}
	r.UpdatedAt = h.svc.now()
	if _, err := h.svc.db.Collection("rules").ReplaceOne(c.Request().Context(), byID(r.ID), r); err != nil {
		return fmt.Errorf("survey: update rule: %w", err)
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) deleteRule(c *echo.Context) error {
	r, err := h.rule(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.db.Collection("rules").DeleteOne(c.Request().Context(), byID(r.ID)); err != nil {
		return fmt.Errorf("survey: delete rule: %w", err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) rule(c *echo.Context) (*Rule, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	var r Rule
	err = h.svc.db.Collection("rules").FindOne(c.Request().Context(), byID(id)).Decode(&r)
	if store.IsNotFound(err) || (err == nil && r.WorkspaceID != apikey.WorkspaceOf(c)) {
		return nil, fmt.Errorf("survey: rule %s: %w", id.Hex(), ErrNotFound)
	}
	return &r, err
}

// applyRule reads a rule request onto r; a new rule needs a name and a survey.
func (h *Handler) applyRule(c *echo.Context, r *Rule, creating bool) error {
	var req ruleRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	var errs []httpx.FieldError
	if q := req.QuietHours.Value; q != nil {
		var p *httpx.Problem
		if err := httpx.Validate(q); errors.As(err, &p) {
			for _, fe := range p.Errors {
				errs = append(errs, httpx.FieldError{Field: "quiet_hours." + fe.Field, Message: fe.Message})
			}
		}
	}
	if creating && req.Name == nil {
		errs = append(errs, httpx.FieldError{Field: "name", Message: "is required"})
	}
	if creating && req.SurveyID == nil {
		errs = append(errs, httpx.FieldError{Field: "survey_id", Message: "is required"})
	}
	if req.SurveyID != nil {
		id, _ := bson.ObjectIDFromHex(*req.SurveyID)
		sv, err := h.svc.Survey(c.Request().Context(), r.WorkspaceID, id)
		switch {
		case err == nil && sv.Archived:
			errs = append(errs, httpx.FieldError{Field: "survey_id", Message: "names an archived survey"})
		case err == nil:
			r.SurveyID = id
		default:
			errs = append(errs, httpx.FieldError{Field: "survey_id", Message: "does not name a survey in this workspace"})
		}
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	lower := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = strings.ToLower(strings.TrimSpace(x))
		}
		return out
	}
	if req.Name != nil {
		r.Name = strings.TrimSpace(*req.Name)
	}
	if req.Enabled != nil {
		r.Enabled = *req.Enabled
	}
	if req.Priority != nil {
		r.Priority = *req.Priority
	}
	if req.Channels != nil {
		r.Channels = lower(*req.Channels)
	}
	if req.Types != nil {
		r.Types = lower(*req.Types)
	}
	if req.DelayMinutes != nil {
		r.DelayMinutes = *req.DelayMinutes
	}
	if req.SamplePercent != nil {
		r.SamplePercent = *req.SamplePercent
	}
	if req.QuietHours.Set {
		r.QuietHours = req.QuietHours.Value // null removes them
	}
	if req.FrequencyDays != nil {
		r.FrequencyDays = *req.FrequencyDays
	}
	return nil
}

// nullable is a PATCH field that tells "absent" (leave it) from null (remove it).
type nullable[T any] struct {
	Set   bool
	Value *T `validate:"-"` // validated by the handler, which names the field
}

// UnmarshalJSONFrom reads the value with the caller's options, so a member the type does
// not know is refused here as at the top, and errors carry the field's whole path.
func (n *nullable[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	n.Set = true
	if dec.PeekKind() == 'n' {
		n.Value = nil
		_, err := dec.ReadToken()
		return err
	}
	n.Value = new(T)
	return json.UnmarshalDecode(dec, n.Value)
}
