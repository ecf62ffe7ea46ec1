package customercount

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Periods reads a count's period as a report's is read; survey.Service is one.
type Periods interface {
	// ReportLocation is the time zone tz names, or workspace ws's when tz is empty.
	ReportLocation(ctx context.Context, ws bson.ObjectID, tz string) (*time.Location, error)
	// ReportPeriod reads from and to as the instants [from, to): dates are days of loc, to
	// included. A bad bound is a 4xx problem naming the field.
	ReportPeriod(from, to string, loc *time.Location) (time.Time, time.Time, error)
}

// Handler serves the customer counts' API.
type Handler struct {
	svc       *Service
	periods   Periods
	workspace func(*echo.Context) bson.ObjectID
}

// NewHandler builds the API over svc; periods reads a count's period; workspace is the
// workspace of a request's API key, as the authentication middleware in front of Register's
// group found it (apikey.WorkspaceOf).
func NewHandler(svc *Service, periods Periods, workspace func(*echo.Context) bson.ObjectID) *Handler {
	return &Handler{svc: svc, periods: periods, workspace: workspace}
}

// Register adds the routes to g, the /api/v1 group behind authentication; read and write
// let through API keys of at least that scope.
func (h *Handler) Register(g *echo.Group, read, write echo.MiddlewareFunc) {
	g.POST("/customer-counts", h.putCustomerCount, write)
	g.GET("/customer-counts", h.listCustomerCounts, read)
	g.DELETE("/customer-counts/:id", h.deleteCustomerCount, write)
}

// customerCountRequest is the body of POST /api/v1/customer-counts. Counts are pointers so
// that a missing one is told apart from 0. The bound is far above any customer base and keeps
// sums over many periods from overflowing.
type customerCountRequest struct {
	From      string `json:"from" validate:"required"`
	To        string `json:"to" validate:"required"`
	Dimension string `json:"dimension"`
	Value     string `json:"value" validate:"max=200"`
	Start     *int64 `json:"customers_start" validate:"required,min=0,max=1000000000000"`
	End       *int64 `json:"customers_end" validate:"required,min=0,max=1000000000000"`
	New       *int64 `json:"customers_new" validate:"required,min=0,max=1000000000000"`
}

func (h *Handler) putCustomerCount(c *echo.Context) error {
	var req customerCountRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	ws := h.workspace(c)
	loc, err := h.periods.ReportLocation(ctx, ws, "")
	if err != nil {
		return err
	}
	cc, err := req.customerCount(ws, loc, h.periods)
	if err != nil {
		return err
	}
	created, err := h.svc.PutCustomerCount(ctx, cc)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, cc)
}

// customerCount checks what the struct tags cannot and resolves the period's days in the
// workspace's time zone loc, as a report's are.
func (r *customerCountRequest) customerCount(ws bson.ObjectID, loc *time.Location, periods Periods) (*CustomerCount, error) {
	var errs []httpx.FieldError
	bad := func(field, message string) { errs = append(errs, httpx.FieldError{Field: field, Message: message}) }
	for _, f := range []struct{ name, value, day string }{{"from", r.From, "first"}, {"to", r.To, "last"}} {
		if _, err := time.Parse(time.DateOnly, f.value); err != nil {
			bad(f.name, "must be a date such as 2026-10-01: the period's "+f.day+" day, in the workspace's time zone")
		}
	}
	name, value := strings.TrimSpace(r.Dimension), strings.TrimSpace(r.Value)
	dim, ok := scoring.ParseDimension(name)
	switch {
	case name == "" && value != "":
		bad("dimension", "is required with a value: one of "+scoring.DimensionNames())
	case name == "": // the whole workspace
	case !ok:
		bad("dimension", "must be one of: "+scoring.DimensionNames()+"; leave it out for the whole workspace")
	case value == "":
		bad("value", "is required with a dimension: the group's name, such as Billing for the team Billing")
	}
	switch dim {
	case scoring.DimChannel:
		value = strings.ToLower(value)
	case scoring.DimCountry:
		value = strings.ToUpper(value)
	}
	if *r.End > *r.Start+*r.New {
		bad("customers_end", "must be at most customers_start + customers_new: the period cannot end with customers it neither started with nor gained")
	}
	if len(errs) > 0 {
		return nil, httpx.Invalid(errs...)
	}
	from, to, err := periods.ReportPeriod(r.From, r.To, loc)
	if err != nil {
		return nil, err
	}
	return &CustomerCount{WorkspaceID: ws, From: r.From, To: r.To, TimeZone: loc.String(), StartsAt: from, EndsAt: to,
		Dimension: dim, Value: value, Start: *r.Start, End: *r.End, New: *r.New}, nil
}

func (h *Handler) listCustomerCounts(c *echo.Context) error {
	p, err := httpx.Pagination(c, 50, 500)
	if err != nil {
		return err
	}
	page, err := h.svc.ListCustomerCounts(c.Request().Context(), h.workspace(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h *Handler) deleteCustomerCount(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteCustomerCount(c.Request().Context(), h.workspace(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
