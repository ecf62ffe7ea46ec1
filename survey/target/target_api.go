package target

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/benchmark"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Periods reads a target's period as a report's is read; survey.Service is one.
type Periods interface {
	// ReportLocation is the time zone tz names, or workspace ws's when tz is empty; a bad
	// tz is a 400 problem naming the field tz.
	ReportLocation(ctx context.Context, ws bson.ObjectID, tz string) (*time.Location, error)
	// ReportPeriod reads from and to as the instants [from, to): dates are days of loc, to
	// included; RFC 3339 times are instants, to excluded. A bad bound is a 4xx problem
	// naming the field.
	ReportPeriod(from, to string, loc *time.Location) (time.Time, time.Time, error)
}

// Handler serves the targets' API.
type Handler struct {
	svc       *Service
	periods   Periods
	workspace func(*echo.Context) bson.ObjectID
}

// NewHandler builds the API over svc; periods reads a target's period; workspace is the
// workspace of a request's API key, as the authentication middleware in front of Register's
// group found it (apikey.WorkspaceOf).
func NewHandler(svc *Service, periods Periods, workspace func(*echo.Context) bson.ObjectID) *Handler {
	return &Handler{svc: svc, periods: periods, workspace: workspace}
}

// Register adds the routes to g, the /api/v1 group behind authentication; read and write
// let through API keys of at least that scope.
func (h *Handler) Register(g *echo.Group, read, write echo.MiddlewareFunc) {
	g.POST("/targets", h.createTarget, write)
	g.GET("/targets", h.listTargets, read)
	g.GET("/targets/:id", h.getTarget, read)
	g.PUT("/targets/:id", h.updateTarget, write)
	g.DELETE("/targets/:id", h.deleteTarget, write)
}

// targetRequest is the body of POST /targets and of PUT, which replaces the whole target.
// from and to are read as a report's are (Periods): dates in the workspace's time zone
// (or ?tz=), to included, or RFC 3339 times, to excluded.
type targetRequest struct {
	Metric    string   `json:"metric" validate:"required,oneof=csat nps ces"`
	Points    *int     `json:"points"`
	Dimension string   `json:"dimension" validate:"required"`
	Group     string   `json:"group" validate:"max=200"`
	Value     *float64 `json:"value" validate:"required"`
	From      string   `json:"from" validate:"required"`
	To        string   `json:"to" validate:"required"`
	Note      string   `json:"note" validate:"max=500"`
}

func (h *Handler) createTarget(c *echo.Context) error {
	t := &Target{WorkspaceID: h.workspace(c)}
	if err := h.applyTarget(c, t); err != nil {
		return err
	}
	if err := h.svc.Create(c.Request().Context(), t); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

func (h *Handler) updateTarget(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := h.svc.Target(ctx, h.workspace(c), id)
	if err != nil {
		return err
	}
	if err := h.applyTarget(c, t); err != nil {
		return err
	}
	if err := h.svc.Save(ctx, t); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// applyTarget reads a target's body onto t, reporting every bad field at once.
func (h *Handler) applyTarget(c *echo.Context, t *Target) error {
	var req targetRequest
	if err := httpx.DecodeBody(c, &req); err != nil {
		return err
	}
	for _, s := range []*string{&req.Metric, &req.Dimension, &req.Group, &req.From, &req.To, &req.Note} {
		*s = strings.TrimSpace(*s)
	}
	if err := httpx.Validate(&req); err != nil {
		return err
	}
	loc, err := h.periods.ReportLocation(c.Request().Context(), h.workspace(c), c.QueryParam("tz"))
	if err != nil {
		return err
	}
	var errs []httpx.FieldError
	bad := func(field, msg string) { errs = append(errs, httpx.FieldError{Field: field, Message: msg}) }

	t.Metric, t.Group, t.Note = scoring.Metric(req.Metric), req.Group, req.Note
	if d, ok := scoring.ParseDimension(req.Dimension); ok {
		t.Dimension = string(d)
		t.Group = groupValue(d, req.Group)
		if t.Group == "" {
			bad("group", fmt.Sprintf("is required: the %s the target is for", d))
		}
	} else if strings.EqualFold(req.Dimension, Workspace) {
		t.Dimension = Workspace
		if req.Group != "" {
			bad("group", "must be empty for a workspace target")
		}
	} else {
		bad("dimension", "must be one of: "+Workspace+", "+scoring.DimensionNames())
	}

	want := map[scoring.Metric]int{scoring.MetricCSAT: 5, scoring.MetricNPS: 11}[t.Metric]
	switch {
	case t.Metric == scoring.MetricCES && req.Points == nil:
		bad("points", "is required for a CES target: 5 or 7, the scale of the surveys it is for")
	case t.Metric == scoring.MetricCES && *req.Points != 5 && *req.Points != 7:
		bad("points", "must be 5 or 7 for a CES target")
	case t.Metric == scoring.MetricCES:
		t.Points = *req.Points
	case req.Points != nil && *req.Points != want:
		bad("points", fmt.Sprintf("must be %d for a %s target, or left out", want, strings.ToUpper(req.Metric)))
	default:
		t.Points = want
	}
	t.Value = *req.Value
	if scale, ok := benchmark.ReportScale(t.Metric, t.Points); ok {
		if lo, hi, _ := benchmark.ScaleRange(t.Metric, scale); t.Value < lo || t.Value > hi {
			bad("value", fmt.Sprintf("must be from %s to %s for a %s target on %d points", number(lo), number(hi), strings.ToUpper(req.Metric), t.Points))
		}
	}

	from, to, err := h.periods.ReportPeriod(req.From, req.To, loc)
	var p *httpx.Problem
	switch {
	case errors.As(err, &p):
		errs = append(errs, p.Errors...)
	case err != nil:
		return err
	}
	t.From, t.To = from.UTC(), to.UTC()
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	return nil
}

func (h *Handler) getTarget(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	t, err := h.svc.Target(c.Request().Context(), h.workspace(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (h *Handler) listTargets(c *echo.Context) error {
	p, err := httpx.Pagination(c, 50, 200)
	if err != nil {
		return err
	}
	var f Filter
	switch m := scoring.Metric(c.QueryParam("metric")); m {
	case "", scoring.MetricCSAT, scoring.MetricNPS, scoring.MetricCES:
		f.Metric = m
	default:
		return httpx.BadField("metric", "must be one of: csat, nps, ces")
	}
	f.Group = c.QueryParam("group")
	switch s := c.QueryParam("dimension"); {
	case s == "":
		if f.Group != "" {
			return httpx.BadField("group", "needs dimension, the kind of group it is")
		}
	case strings.EqualFold(s, Workspace):
		f.Dimension = Workspace
	default:
		d, ok := scoring.ParseDimension(s)
		if !ok {
			return httpx.BadField("dimension", "must be one of: "+Workspace+", "+scoring.DimensionNames())
		}
		f.Dimension, f.Group = string(d), groupValue(d, f.Group)
	}
	rows, err := h.svc.List(c.Request().Context(), h.workspace(c), f, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.NewPage(rows, p.Limit, func(t Target) bson.ObjectID { return t.ID }))
}

func (h *Handler) deleteTarget(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), h.workspace(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// groupValue is a group of dimension d as invitations store it: channels in lower case,
// countries in upper case.
func groupValue(d scoring.Dimension, v string) string {
	switch d {
	case scoring.DimChannel:
		return strings.ToLower(v)
	case scoring.DimCountry:
		return strings.ToUpper(v)
	}
	return v
}

func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
