package survey

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type textInput struct {
	En string `json:"en" validate:"max=1000"`
	Vi string `json:"vi" validate:"max=1000"`
}

func (t *textInput) text() Text {
	return Text{En: strings.TrimSpace(t.En), Vi: strings.TrimSpace(t.Vi)}
}

type reasonInput struct {
	Code  string    `json:"code" validate:"required,max=40,excludesall= \t\n"`
	Label textInput `json:"label"`
	About string    `json:"about" validate:"required,oneof=service product price policy other"`
}

// surveyRequest is the body of POST /surveys; on PATCH, absent fields stay as they are.
type surveyRequest struct {
	Kind            *string        `json:"kind" validate:"omitempty,oneof=csat nps ces"`
	Name            *string        `json:"name" validate:"omitempty,max=200"`
	Scale           *string        `json:"scale" validate:"omitempty,oneof=stars faces"`
	Points          *int           `json:"points"`
	Question        *textInput     `json:"question"`
	CommentPrompt   *textInput     `json:"comment_prompt"`
	Reasons         *[]reasonInput `json:"reasons" validate:"omitempty,max=20,unique=Code,dive"`
	ThankYou        *textInput     `json:"thank_you"`
	LinkValidDays   *int           `json:"link_valid_days" validate:"omitempty,min=1,max=365"`
	EditWindowHours *int           `json:"edit_window_hours" validate:"omitempty,min=0,max=720"`
}

func (h *Handler) createSurvey(c *echo.Context) error {
	var req surveyRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	var errs []httpx.FieldError
	if req.Kind == nil {
		errs = append(errs, httpx.FieldError{Field: "kind", Message: "is required"})
	}
	if req.Name == nil || strings.TrimSpace(*req.Name) == "" {
		errs = append(errs, httpx.FieldError{Field: "name", Message: "is required"})
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	sv := &Survey{WorkspaceID: apikey.WorkspaceOf(c), Kind: Kind(*req.Kind), LinkValidDays: defaultLinkValidDays, EditWindowHours: defaultEditWindowHours}
	switch sv.Kind {
	case CSAT:
		sv.Points, sv.Scale = 5, "stars"
	case NPS:
		sv.Points = 11
	case CES:
		sv.Points = 7
	}
	if err := h.apply(sv, &req, true); err != nil {
		return err
	}
	if err := h.svc.CreateSurvey(c.Request().Context(), sv); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sv)
}

func (h *Handler) updateSurvey(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	var req surveyRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sv, err := h.svc.Survey(ctx, apikey.WorkspaceOf(c), id)
	if err != nil {
		return err
	}
	if err := h.apply(sv, &req, false); err != nil {
		return err
	}
	if err := h.svc.SaveSurvey(ctx, sv); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sv)
}

// apply checks a request against the survey's kind and copies it in. Kind and points fix
// what a score means, so they are set once: changing them would mix scales in one survey.
func (h *Handler) apply(sv *Survey, req *surveyRequest, creating bool) error {
	var errs []httpx.FieldError
	bad := func(field, msg string) { errs = append(errs, httpx.FieldError{Field: field, Message: msg}) }

	if !creating && req.Kind != nil && Kind(*req.Kind) != sv.Kind {
		bad("kind", "cannot change once the survey exists; create a new survey instead")
	}
	if req.Points != nil {
		switch {
		case !creating && *req.Points != sv.Points:
			bad("points", "cannot change once the survey exists; create a new survey instead")
		case sv.Kind == CES && *req.Points != 5 && *req.Points != 7:
			bad("points", "must be 5 or 7 for a CES survey")
		case sv.Kind != CES && *req.Points != sv.Points:
			bad("points", fmt.Sprintf("must be %d for a %s survey, or left out", sv.Points, strings.ToUpper(string(sv.Kind))))
		default:
			sv.Points = *req.Points
		}
	}
	if req.Scale != nil {
		if sv.Kind != CSAT {
			bad("scale", "only CSAT surveys have a scale (stars or faces)")
		} else {
			sv.Scale = *req.Scale
		}
	}
	if req.Name != nil {
		if name := strings.TrimSpace(*req.Name); name == "" {
			bad("name", "must not be empty")
		} else {
			sv.Name = name
		}
	}
	setText := func(field string, in *textInput, dst *Text, fallback string) {
		switch {
		case in != nil && !in.text().IsZero():
			*dst = in.text()
		case in != nil && field == "question":
			bad(field, "needs text in at least one language (en or vi)")
		case in != nil:
			*dst = Text{}
		}
		if dst.IsZero() && fallback != "" {
			*dst = defaultText(h.catalog, fallback)
		}
	}
	setText("question", req.Question, &sv.Question, "survey.default.question."+string(sv.Kind))
	setText("comment_prompt", req.CommentPrompt, &sv.CommentPrompt, "")
	setText("thank_you", req.ThankYou, &sv.ThankYou, "survey.default.thank_you")
	if creating && req.CommentPrompt == nil {
		sv.CommentPrompt = defaultText(h.catalog, "survey.default.comment_prompt")
	}
	if req.Reasons != nil {
		sv.Reasons = make([]Reason, 0, len(*req.Reasons))
		for i, r := range *req.Reasons {
			label := r.Label.text()
			if label.IsZero() {
				bad(fmt.Sprintf("reasons[%d].label", i), "needs text in at least one language (en or vi)")
			}
			sv.Reasons = append(sv.Reasons, Reason{Code: r.Code, Label: label, About: r.About})
		}
	}
	if sv.Reasons == nil {
		sv.Reasons = []Reason{}
	}
	if req.LinkValidDays != nil {
		sv.LinkValidDays = *req.LinkValidDays
	}
	if req.EditWindowHours != nil {
		sv.EditWindowHours = *req.EditWindowHours
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	return nil
}

// defaultText is a catalog message in every language, for survey texts left out.
func defaultText(catalog *templates.Catalog, id string) Text {
	return Text{En: catalog.Localizer("en").T(id), Vi: catalog.Localizer("vi").T(id)}
}

func (h *Handler) getSurvey(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	sv, err := h.svc.Survey(c.Request().Context(), apikey.WorkspaceOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sv)
}

func (h *Handler) listSurveys(c *echo.Context) error {
	p, err := httpx.Pagination(c, 50, 200)
	if err != nil {
		return err
	}
	var f SurveyFilter
	switch c.QueryParam("archived") {
	case "":
	case "true", "false":
		archived := c.QueryParam("archived") == "true"
		f.Archived = &archived
	default:
		return httpx.BadField("archived", "must be true or false")
	}
	rows, err := h.svc.ListSurveys(c.Request().Context(), apikey.WorkspaceOf(c), f, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.NewPage(rows, p.Limit, func(s Survey) bson.ObjectID { return s.ID }))
}

func (h *Handler) archiveSurvey(c *echo.Context) error { return h.setArchived(c, true) }
func (h *Handler) restoreSurvey(c *echo.Context) error { return h.setArchived(c, false) }

func (h *Handler) setArchived(c *echo.Context, archived bool) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	sv, err := h.svc.SetArchived(c.Request().Context(), apikey.WorkspaceOf(c), id, archived)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sv)
}
