package intake

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
)

// interactionEvent is the body of POST /api/v1/webhooks/interactions.
type interactionEvent struct {
	EventID     string                   `json:"event_id" validate:"required,max=200"`
	Interaction *survey.InteractionInput `json:"interaction" validate:"required"`
	Customer    *survey.Customer         `json:"customer" validate:"required"`
}

// receiveInteraction handles the CRM's signed interaction webhook.
func (h *Handler) receiveInteraction(c *echo.Context) error {
	ctx := c.Request().Context()
	in, body, err := h.svc.ReadSignedWebhook(c.Response(), c.Request())
	if err != nil {
		return err
	}
	var ev interactionEvent
	if err := httpx.DecodeJSON(bytes.NewReader(body), &ev); err != nil {
		return err
	}
	if ev.Interaction != nil && ev.Customer != nil {
		ev.EventID = strings.TrimSpace(ev.EventID)
		survey.NormalizeInput(ev.Customer, ev.Interaction)
	}
	if err := httpx.Validate(&ev); err != nil {
		return err
	}
	res, replay, err := h.svc.receive(ctx, in, &ev)
	if err != nil {
		return err
	}
	if replay {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return c.JSON(http.StatusOK, res)
	}
	return c.JSON(http.StatusAccepted, res)
}
