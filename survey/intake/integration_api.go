package intake

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
)

type integrationRequest struct {
	Name string `json:"name" validate:"required,max=200"`
}

type rotateRequest struct {
	OverlapHours *int `json:"overlap_hours" validate:"omitempty,min=0,max=720"`
}

func (h *Handler) createIntegration(c *echo.Context) error {
	var req integrationRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	in, err := h.svc.CreateIntegration(c.Request().Context(), apikey.WorkspaceOf(c), strings.TrimSpace(req.Name))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, in)
}

func (h *Handler) listIntegrations(c *echo.Context) error {
	rows, err := h.svc.ListIntegrations(c.Request().Context(), apikey.WorkspaceOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.Page[Integration]{Data: rows})
}

func (h *Handler) rotateIntegration(c *echo.Context) error {
	id, err := httpx.PathID(c, survey.ErrNotFound)
	if err != nil {
		return err
	}
	var req rotateRequest
	if c.Request().ContentLength != 0 {
		if err := httpx.BindJSON(c, &req); err != nil {
			return err
		}
	}
	overlap := 24 * time.Hour
	if req.OverlapHours != nil {
		overlap = time.Duration(*req.OverlapHours) * time.Hour
	}
	in, err := h.svc.RotateIntegration(c.Request().Context(), apikey.WorkspaceOf(c), id, overlap)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, in)
}

func (h *Handler) revokeIntegration(c *echo.Context) error {
	id, err := httpx.PathID(c, survey.ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.RevokeIntegration(c.Request().Context(), apikey.WorkspaceOf(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
