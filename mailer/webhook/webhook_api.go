package webhook

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Register adds the webhook endpoint API to g, the /api/v1 group behind
// apikey.Store.Authenticate: reading needs the read scope, anything that changes an
// endpoint or sends to it the write scope.
func (w *Service) Register(g *echo.Group) {
	read, write := apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite)

	g.POST("/webhook-endpoints", w.createEndpoint, write)
	g.GET("/webhook-endpoints", w.listEndpoints, read)
	g.GET("/webhook-endpoints/:id", w.getEndpoint, read)
	g.PATCH("/webhook-endpoints/:id", w.updateEndpoint, write)
	g.DELETE("/webhook-endpoints/:id", w.deleteEndpoint, write)
	g.POST("/webhook-endpoints/:id/rotate-secret", w.rotateSecret, write)
	g.POST("/webhook-endpoints/:id/test", w.testEndpoint, write)
}

// The oneof lists are Events spelled out: struct tags must be literals.
type endpointCreateRequest struct {
	URL         string   `json:"url" validate:"required,max=2000"`
	Description string   `json:"description" validate:"max=500"`
	Events      []string `json:"events" validate:"max=3,unique,dive,oneof=response.created response.updated invitation.failed"`
	Enabled     *bool    `json:"enabled"` // default true
}

type endpointPatchRequest struct {
	URL         *string   `json:"url" validate:"omitnil,max=2000"`
	Description *string   `json:"description" validate:"omitnil,max=500"`
	Events      *[]string `json:"events" validate:"omitnil,max=3,unique,dive,oneof=response.created response.updated invitation.failed"`
	Enabled     *bool     `json:"enabled"`
}

// endpointWithSecret is an endpoint as shown right after its secret was made: the one time
// the secret is in a response.
type endpointWithSecret struct {
	*Endpoint
	Secret string `json:"secret"`
}

func (w *Service) createEndpoint(c *echo.Context) error {
	var req endpointCreateRequest
	if err := httpx.DecodeBody(c, &req); err != nil {
		return err
	}
	req.URL, req.Description = strings.TrimSpace(req.URL), strings.TrimSpace(req.Description)
	if err := w.validateEndpoint(&req, &req.URL); err != nil {
		return err
	}
	e := &Endpoint{
		WorkspaceID: apikey.WorkspaceOf(c), URL: req.URL, Description: req.Description,
		Events: req.Events, Enabled: req.Enabled == nil || *req.Enabled,
	}
	secret, err := w.CreateEndpoint(c.Request().Context(), e)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, endpointWithSecret{e, secret})
}

func (w *Service) listEndpoints(c *echo.Context) error {
	p, err := httpx.Pagination(c, 50, 200)
	if err != nil {
		return err
	}
	rows, err := w.ListEndpoints(c.Request().Context(), apikey.WorkspaceOf(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.NewPage(rows, p.Limit, func(e Endpoint) bson.ObjectID { return e.ID }))
}

func (w *Service) getEndpoint(c *echo.Context) error {
	id, err := endpointID(c)
	if err != nil {
		return err
	}
	e, err := w.Endpoint(c.Request().Context(), apikey.WorkspaceOf(c), id)
	if err != nil {
		return endpointError(err)
	}
	return c.JSON(http.StatusOK, e)
}

func (w *Service) updateEndpoint(c *echo.Context) error {
	id, err := endpointID(c)
	if err != nil {
		return err
	}
	var req endpointPatchRequest
	if err := httpx.DecodeBody(c, &req); err != nil {
		return err
	}
	for _, s := range []*string{req.URL, req.Description} {
		if s != nil {
			*s = strings.TrimSpace(*s)
		}
	}
	if err := w.validateEndpoint(&req, req.URL); err != nil {
		return err
	}
	e, err := w.UpdateEndpoint(c.Request().Context(), apikey.WorkspaceOf(c), id, EndpointPatch(req))
	if err != nil {
		return endpointError(err)
	}
	return c.JSON(http.StatusOK, e)
}

func (w *Service) deleteEndpoint(c *echo.Context) error {
	id, err := endpointID(c)
	if err != nil {
		return err
	}
	if err := w.DeleteEndpoint(c.Request().Context(), apikey.WorkspaceOf(c), id); err != nil {
		return endpointError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (w *Service) rotateSecret(c *echo.Context) error {
	id, err := endpointID(c)
	if err != nil {
		return err
	}
	e, secret, err := w.RotateSecret(c.Request().Context(), apikey.WorkspaceOf(c), id)
	if err != nil {
		return endpointError(err)
	}
	return c.JSON(http.StatusOK, endpointWithSecret{e, secret})
}

// testEndpoint answers 200 whatever the CRM did: the request to surveyd succeeded, and the
// CRM's status, or why there was none, is the result the caller asked for.
func (w *Service) testEndpoint(c *echo.Context) error {
	id, err := endpointID(c)
	if err != nil {
		return err
	}
	res, err := w.SendTest(c.Request().Context(), apikey.WorkspaceOf(c), id)
	if err != nil {
		return endpointError(err)
	}
	return c.JSON(http.StatusOK, res)
}

// validateEndpoint runs the validator tags and, when the url passed them, the URL rules the
// tags cannot express, reporting every bad field in one 422.
func (w *Service) validateEndpoint(req any, url *string) error {
	err := httpx.Validate(req)
	var p *httpx.Problem
	if err != nil && !errors.As(err, &p) {
		return err
	}
	if url != nil && (p == nil || !hasFieldError(p, "url")) {
		if msg := w.guard.checkURL(*url); msg != "" {
			fe := httpx.FieldError{Field: "url", Message: msg}
			if p == nil {
				return httpx.Invalid(fe)
			}
			p.Errors = append(p.Errors, fe)
		}
	}
	if p != nil {
		return p
	}
	return nil
}

func hasFieldError(p *httpx.Problem, field string) bool {
	for _, fe := range p.Errors {
		if fe.Field == field {
			return true
		}
	}
	return false
}

// endpointID parses the :id path parameter; a malformed id is a 404, like an unknown one.
func endpointID(c *echo.Context) (bson.ObjectID, error) {
	id, err := bson.ObjectIDFromHex(c.Param("id"))
	if err != nil {
		return id, endpointError(ErrNotFound)
	}
	return id, nil
}

// endpointError turns ErrNotFound into its 404 here, so the routes work whichever
// classifiers the error handler was built with; other errors pass through to it.
func endpointError(err error) error {
	if errors.Is(err, ErrNotFound) {
		return httpx.NewProblem(http.StatusNotFound, "No such webhook endpoint in this workspace.")
	}
	return err
}
