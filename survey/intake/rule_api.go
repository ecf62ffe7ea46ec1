package intake

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

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
	rows, err := h.svc.rules.List(c.Request().Context(), apikey.WorkspaceOf(c))
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
	if err := h.svc.rules.Create(c.Request().Context(), r); err != nil {
		return err
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
	if err := h.svc.rules.Update(c.Request().Context(), r); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) deleteRule(c *echo.Context) error {
	r, err := h.rule(c)
	if err != nil {
		return err
	}
	if err := h.svc.rules.Delete(c.Request().Context(), r.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) rule(c *echo.Context) (*Rule, error) {
	id, err := httpx.PathID(c, survey.ErrNotFound)
	if err != nil {
		return nil, err
	}
	return h.svc.rules.Get(c.Request().Context(), apikey.WorkspaceOf(c), id)
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
		sv, err := h.svc.core.Survey(c.Request().Context(), r.WorkspaceID, id)
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
