package outbox

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// ErrorStatus classifies this package's errors for httpx.ErrorHandler.
func ErrorStatus(err error) (int, string, bool) {
	if errors.Is(err, ErrNotFound) {
		return http.StatusNotFound, "No such resource in this workspace.", true
	}
	return 0, "", false
}

// RegisterAPI adds the API over the workspace's failed messages to the authenticated /api/v1
// group.
func (o *Outbox) RegisterAPI(g *echo.Group) {
	g.GET("/outbox/failed", o.failed, apikey.RequireScope(apikey.ScopeRead))
	g.POST("/outbox/:id/retry", o.retry, apikey.RequireScope(apikey.ScopeWrite))
}

func (o *Outbox) failed(c *echo.Context) error {
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return httpx.BadField("limit", "must be a whole number from 1 to 500")
		}
		limit = n
	}
	msgs, err := o.Failed(c.Request().Context(), apikey.WorkspaceOf(c), limit)
	if err != nil {
		return err
	}
	if msgs == nil {
		msgs = []*Message{}
	}
	return c.JSON(http.StatusOK, httpx.Page[*Message]{Data: msgs})
}

func (o *Outbox) retry(c *echo.Context) error {
	id, err := bson.ObjectIDFromHex(c.Param("id"))
	if err != nil {
		return ErrNotFound
	}
	m, err := o.Retry(c.Request().Context(), apikey.WorkspaceOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}
