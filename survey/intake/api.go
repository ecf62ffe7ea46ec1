package intake

import (
	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/survey/apikey"
)

// Handler serves the intake's REST API (integrations and rules) and the CRM's webhook.
type Handler struct {
	svc *Service
}

// NewHandler builds the API over svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Register adds the API routes to g, the /api/v1 group behind survey's Authenticate.
func (h *Handler) Register(g *echo.Group) {
	read, write, admin := apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite), apikey.RequireScope(apikey.ScopeAdmin)

	g.POST("/integrations", h.createIntegration, admin)
	g.GET("/integrations", h.listIntegrations, read)
	g.POST("/integrations/:id/rotate", h.rotateIntegration, admin)
	g.DELETE("/integrations/:id", h.revokeIntegration, admin)

	g.POST("/rules", h.createRule, write)
	g.GET("/rules", h.listRules, read)
	g.PATCH("/rules/:id", h.updateRule, write)
	g.DELETE("/rules/:id", h.deleteRule, write)
}

// RegisterWebhooks adds the CRM's interaction webhook, which is signed with an integration's
// secret instead of carrying an API key.
func (h *Handler) RegisterWebhooks(e *echo.Echo) {
	e.POST("/api/v1/webhooks/interactions", h.receiveInteraction)
}
