package benchmark

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Handler serves the benchmark sets' API.
type Handler struct {
	svc       *Service
	workspace func(*echo.Context) bson.ObjectID
}

// NewHandler builds the API over svc; workspace is the workspace of a request's API key, as
// the authentication middleware in front of Register's group found it (apikey.WorkspaceOf).
func NewHandler(svc *Service, workspace func(*echo.Context) bson.ObjectID) *Handler {
	return &Handler{svc: svc, workspace: workspace}
}

// Register adds the routes to g, the /api/v1 group behind authentication; read and write
// let through API keys of at least that scope.
func (h *Handler) Register(g *echo.Group, read, write echo.MiddlewareFunc) {
	g.POST("/benchmark-sets", h.createSet, write)
	g.POST("/benchmark-sets/import", h.importSet, write)
	g.GET("/benchmark-sets", h.listSets, read)
	g.GET("/benchmark-sets/:id", h.getSet, read)
	g.PUT("/benchmark-sets/:id", h.updateSet, write)
	g.DELETE("/benchmark-sets/:id", h.deleteSet, write)
}

// benchmarkSetRequest is the body of POST /benchmark-sets and of PUT, which replaces the
// name, the description and every value.
type benchmarkSetRequest struct {
	Name        string                `json:"name" validate:"required,max=200"`
	Description string                `json:"description" validate:"max=2000"`
	Values      []benchmarkValueInput `json:"values" validate:"required,min=1,max=5000,dive"`
}

// benchmarkValueInput is a Value as sent; benchmarkChecker.add checks it, as it
// checks a CSV row.
type benchmarkValueInput struct {
	Metric    string   `json:"metric"`
	Scale     string   `json:"scale"`
	Statistic string   `json:"statistic"`
	Value     *float64 `json:"value" validate:"required"`
	Segment   Segment  `json:"segment"`
	Source    string   `json:"source"`
	Year      int      `json:"year"`
}

func (h *Handler) createSet(c *echo.Context) error {
	set, err := h.benchmarkSetBody(c)
	if err != nil {
		return err
	}
	set.WorkspaceID = h.workspace(c)
	if err := h.svc.Create(c.Request().Context(), set); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, set)
}

func (h *Handler) updateSet(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	set, err := h.svc.Set(ctx, h.workspace(c), id)
	if err != nil {
		return err
	}
	in, err := h.benchmarkSetBody(c)
	if err != nil {
		return err
	}
	set.Name, set.Description, set.Values = in.Name, in.Description, in.Values
	if err := h.svc.Save(ctx, set); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

// benchmarkSetBody reads a set's JSON body and checks every value, naming each bad field by
// its path (values[3].segment.channel).
func (h *Handler) benchmarkSetBody(c *echo.Context) (*Set, error) {
	var req benchmarkSetRequest
	if err := httpx.DecodeBody(c, &req); err != nil {
		return nil, err
	}
	req.Name, req.Description = strings.TrimSpace(req.Name), strings.TrimSpace(req.Description)
	if err := httpx.Validate(&req); err != nil {
		return nil, err
	}
	check := newBenchmarkChecker(h.svc.now())
	var errs []httpx.FieldError
	values := make([]Value, len(req.Values))
	for i, in := range req.Values {
		at := fmt.Sprintf("values[%d]", i)
		values[i] = Value{Metric: scoring.Metric(in.Metric), Scale: in.Scale, Statistic: in.Statistic,
			Value: *in.Value, Segment: in.Segment, Source: in.Source, Year: in.Year}
		check.add(&values[i], at, func(column, msg string) {
			field := at
			switch column {
			case "":
			case "industry", "region", "channel":
				field += ".segment." + column
			default:
				field += "." + column
			}
			errs = append(errs, httpx.FieldError{Field: field, Message: msg})
		})
	}
	if len(errs) > 0 {
		return nil, benchmarkProblems(errs)
	}
	return &Set{Name: req.Name, Description: req.Description, Values: values}, nil
}

// benchmarkProblems is the 422 for a set's bad values: the first maxListedProblems of them, and
// how many there are.
func benchmarkProblems(errs []httpx.FieldError) *httpx.Problem {
	p := httpx.Invalid(errs[:min(len(errs), maxListedProblems)]...)
	p.Detail = fmt.Sprintf("%d problem(s)", len(errs))
	if len(errs) > maxListedProblems {
		p.Detail += fmt.Sprintf("; the first %d are listed", maxListedProblems)
	}
	p.Detail += ". Nothing was stored."
	return p
}

// importSet creates a set from a CSV file sent as the text/csv body; ?name= names
// the set and ?description= describes it. Every row is checked before the set is written,
// in one insert, so a bad file stores nothing.
func (h *Handler) importSet(c *echo.Context) error {
	name, description := strings.TrimSpace(c.QueryParam("name")), strings.TrimSpace(c.QueryParam("description"))
	switch {
	case name == "":
		return httpx.BadField("name", "is required: the name of the new set")
	case utf8.RuneCountInString(name) > maxBenchmarkName:
		return httpx.BadField("name", fmt.Sprintf("must be at most %d characters", maxBenchmarkName))
	case utf8.RuneCountInString(description) > maxBenchmarkDescription:
		return httpx.BadField("description", fmt.Sprintf("must be at most %d characters", maxBenchmarkDescription))
	}
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "text/csv" {
			return httpx.NewProblem(http.StatusUnsupportedMediaType, "Send the file as the request body with Content-Type: text/csv.")
		}
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
			return httpx.NewProblem(http.StatusUnsupportedMediaType, fmt.Sprintf("The file must be UTF-8 (charset=utf-8), not %s. Save it as \"CSV UTF-8\".", cs))
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxBenchmarkCSV))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpx.NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("The file is larger than %d bytes (1 MiB); split it into several sets.", maxBenchmarkCSV))
		}
		return httpx.NewProblem(http.StatusBadRequest, "The request body could not be read: "+err.Error())
	}
	values, err := parseBenchmarkCSV(data, h.svc.now())
	if err != nil {
		return err
	}
	set := &Set{WorkspaceID: h.workspace(c), Name: name, Description: description, Values: values}
	if err := h.svc.Create(req.Context(), set); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, set)
}

func (h *Handler) getSet(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	set, err := h.svc.Set(c.Request().Context(), h.workspace(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

func (h *Handler) listSets(c *echo.Context) error {
	p, err := httpx.Pagination(c, 50, 200)
	if err != nil {
		return err
	}
	rows, err := h.svc.List(c.Request().Context(), h.workspace(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.NewPage(rows, p.Limit, func(s Set) bson.ObjectID { return s.ID }))
}

func (h *Handler) deleteSet(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), h.workspace(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
