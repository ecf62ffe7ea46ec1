package survey

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// MaxBatch is the most invitations one batch request creates.
const MaxBatch = 1000

type invitationRequest struct {
	SurveyID    string            `json:"survey_id" validate:"required,mongodb"`
	Customer    *Customer         `json:"customer" validate:"required"`
	Interaction *InteractionInput `json:"interaction"`
	Send        *bool             `json:"send"`
}

// InteractionInput is an interaction as a client sends it, with an invitation or in a CRM webhook.
type InteractionInput struct {
	ID                   string           `json:"id" validate:"max=200"`
	Agent                string           `json:"agent" validate:"max=200"`
	Team                 string           `json:"team" validate:"max=200"`
	Channel              string           `json:"channel" validate:"max=50"`
	Country              string           `json:"country" validate:"omitempty,iso3166_1_alpha2"`
	OccurredAt           *httpx.Timestamp `json:"occurred_at"`
	Type                 string           `json:"type" validate:"max=50"`
	FirstContactResolved *bool            `json:"first_contact_resolved"`
	HandleSeconds        *int             `json:"handle_seconds" validate:"omitempty,min=0,max=2592000"`
	Transfers            *int             `json:"transfers" validate:"omitempty,min=0,max=1000"`
	Properties           map[string]any   `json:"properties" validate:"omitempty,max=50"` // kept with webhook interactions
}

// Interaction is the stored form: UTC times, lower-case type.
func (ri *InteractionInput) Interaction() Interaction {
	in := Interaction{ID: ri.ID, Agent: ri.Agent, Team: ri.Team, Channel: ri.Channel, Country: ri.Country,
		Type: strings.ToLower(strings.TrimSpace(ri.Type)), FirstContactResolved: ri.FirstContactResolved,
		HandleSeconds: ri.HandleSeconds, Transfers: ri.Transfers}
	if ri.OccurredAt != nil {
		t := ri.OccurredAt.UTC()
		in.OccurredAt = &t
	}
	return in
}

type batchRequest struct {
	Invitations []invitationRequest `json:"invitations" validate:"required,min=1,max=1000,dive"`
}

func (h *Handler) createInvitation(c *echo.Context) error {
	var req invitationRequest
	if err := httpx.DecodeBody(c, &req); err != nil {
		return err
	}
	req.normalize()
	if err := httpx.Validate(&req); err != nil {
		return err
	}
	invs, err := h.prepare(c.Request().Context(), apikey.WorkspaceOf(c), []invitationRequest{req}, "")
	if err != nil {
		return err
	}
	if err := h.svc.CreateInvitations(c.Request().Context(), invs); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, invs[0])
}

func (h *Handler) createInvitationBatch(c *echo.Context) error {
	var req batchRequest
	if err := httpx.DecodeBody(c, &req); err != nil {
		return err
	}
	for i := range req.Invitations {
		req.Invitations[i].normalize()
	}
	if err := httpx.Validate(&req); err != nil {
		return err
	}
	invs, err := h.prepare(c.Request().Context(), apikey.WorkspaceOf(c), req.Invitations, "invitations")
	if err != nil {
		return err
	}
	if err := h.svc.CreateInvitations(c.Request().Context(), invs); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, struct {
		Data []*Invitation `json:"data"`
	}{invs})
}

// normalize tidies values a CRM may send in another case or with stray spaces.
func (r *invitationRequest) normalize() {
	r.SurveyID = strings.TrimSpace(r.SurveyID)
	if r.Customer != nil {
		r.Customer.Email = strings.TrimSpace(r.Customer.Email)
		r.Customer.Name = strings.TrimSpace(r.Customer.Name)
		r.Customer.Locale = strings.TrimSpace(r.Customer.Locale)
	}
	if r.Interaction != nil {
		r.Interaction.Country = strings.ToUpper(strings.TrimSpace(r.Interaction.Country))
		r.Interaction.Channel = strings.ToLower(strings.TrimSpace(r.Interaction.Channel))
	}
}

// prepare resolves each request's survey in the workspace and builds the invitations, or
// reports every bad item by its path; nothing is stored unless every item is good.
func (h *Handler) prepare(ctx context.Context, ws bson.ObjectID, reqs []invitationRequest, prefix string) ([]*Invitation, error) {
	surveys := map[string]*Survey{}
	var errs []httpx.FieldError
	invs := make([]*Invitation, 0, len(reqs))
	now := h.svc.now()
	for i, r := range reqs {
		path := func(f string) string {
			if prefix == "" {
				return f
			}
			return fmt.Sprintf("%s[%d].%s", prefix, i, f)
		}
		sv, ok := surveys[r.SurveyID]
		if !ok {
			id, err := bson.ObjectIDFromHex(r.SurveyID) // validated as hex already
			if err != nil {
				return nil, err
			}
			sv, err = h.svc.Survey(ctx, ws, id)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			surveys[r.SurveyID] = sv
		}
		switch {
		case sv == nil:
			errs = append(errs, httpx.FieldError{Field: path("survey_id"), Message: "does not name a survey in this workspace"})
			continue
		case sv.Archived:
			errs = append(errs, httpx.FieldError{Field: path("survey_id"), Message: "names an archived survey; restore it first"})
			continue
		}
		var in Interaction
		if ri := r.Interaction; ri != nil {
			if ri.OccurredAt != nil && ri.OccurredAt.After(now.Add(24*time.Hour)) {
				errs = append(errs, httpx.FieldError{Field: path("interaction.occurred_at"), Message: "is more than a day in the future"})
				continue
			}
			in = ri.Interaction()
		}
		send := r.Send == nil || *r.Send
		invs = append(invs, h.svc.NewInvitation(sv, *r.Customer, in, send))
	}
	if len(errs) > 0 {
		return nil, httpx.Invalid(errs...)
	}
	return invs, nil
}

func (h *Handler) getInvitation(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	inv, err := h.svc.Invitation(c.Request().Context(), apikey.WorkspaceOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inv)
}

var invitationStatuses = []string{StatusCreated, StatusScheduled, StatusThrottled, StatusSuppressed, StatusSampledOut,
	StatusSent, StatusFailed, StatusBounced, StatusOpened, StatusResponded}

func (h *Handler) listInvitations(c *echo.Context) error {
	p, err := httpx.Pagination(c, 50, 500)
	if err != nil {
		return err
	}
	var f InvitationFilter
	if f.SurveyID, err = queryID(c, "survey_id"); err != nil {
		return err
	}
	if f.Status = c.QueryParam("status"); f.Status != "" && !slices.Contains(invitationStatuses, f.Status) {
		return httpx.BadField("status", "must be one of: "+strings.Join(invitationStatuses, ", "))
	}
	page, err := h.svc.ListInvitations(c.Request().Context(), apikey.WorkspaceOf(c), f, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h *Handler) listVisits(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	visits, err := h.svc.Visits(c.Request().Context(), apikey.WorkspaceOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.Page[Visit]{Data: visits})
}

// responseFilter reads the response list's query: survey_id, flag, score, agent, team,
// channel, country.
func responseFilter(c *echo.Context) (ResponseFilter, error) {
	var f ResponseFilter
	var err error
	if f.SurveyID, err = queryID(c, "survey_id"); err != nil {
		return f, err
	}
	if f.Flag = c.QueryParam("flag"); f.Flag != "" && f.Flag != "none" && !slices.Contains(flagNames, f.Flag) {
		return f, httpx.BadField("flag", "must be one of: "+strings.Join(append(flagNames, "none"), ", "))
	}
	if v := c.QueryParam("score"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			return f, httpx.BadField("score", "must be a whole number from 0 to 10")
		}
		f.Score = &n
	}
	f.Agent, f.Team = c.QueryParam("agent"), c.QueryParam("team")
	f.Channel, f.Country = strings.ToLower(c.QueryParam("channel")), strings.ToUpper(c.QueryParam("country"))
	return f, nil
}

func (h *Handler) listResponses(c *echo.Context) error {
	p, err := httpx.Pagination(c, 50, 500)
	if err != nil {
		return err
	}
	f, err := responseFilter(c)
	if err != nil {
		return err
	}
	rows, err := h.svc.ListResponses(c.Request().Context(), apikey.WorkspaceOf(c), f, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.NewPage(rows, p.Limit, func(r Response) bson.ObjectID { return r.ID }))
}
