package survey

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/apikey"
)

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
	w, err := h.svc.WorkspaceByID(ctx, apikey.WorkspaceOf(c))
	if err != nil {
		return err
	}
	cc, err := req.customerCount(w, h.svc.now())
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
// workspace's time zone, as a report's are.
func (r *customerCountRequest) customerCount(w *Workspace, now time.Time) (*CustomerCount, error) {
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
		bad("dimension", "is required with a value: one of "+dimensionNames())
	case name == "": // the whole workspace
	case !ok:
		bad("dimension", "must be one of: "+dimensionNames()+"; leave it out for the whole workspace")
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
	loc := w.Location()
	from, to, err := reportPeriod(r.From, r.To, loc, now)
	if err != nil {
		return nil, err
	}
	return &CustomerCount{WorkspaceID: w.ID, From: r.From, To: r.To, TimeZone: loc.String(), StartsAt: from, EndsAt: to,
		Dimension: dim, Value: value, Start: *r.Start, End: *r.End, New: *r.New}, nil
}

func (h *Handler) listCustomerCounts(c *echo.Context) error {
	p, err := httpx.Pagination(c, 50, 500)
	if err != nil {
		return err
	}
	page, err := h.svc.ListCustomerCounts(c.Request().Context(), apikey.WorkspaceOf(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (h *Handler) deleteCustomerCount(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteCustomerCount(c.Request().Context(), apikey.WorkspaceOf(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
