package survey

import (
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Handler serves the REST API for surveys, invitations, responses and workspace settings.
type Handler struct {
	svc     *Service
	catalog *templates.Catalog
}

// NewHandler builds the API over svc; catalog supplies default question texts.
func NewHandler(svc *Service, catalog *templates.Catalog) *Handler {
	return &Handler{svc: svc, catalog: catalog}
}

// Register adds the API routes to g, which must be the /api/v1 group.
func (h *Handler) Register(g *echo.Group) {
	g.Use(h.authenticate)
	read, write, admin := need(ScopeRead), need(ScopeWrite), need(ScopeAdmin)

	g.GET("/workspace", h.getWorkspace, read)
	g.PATCH("/workspace", h.updateWorkspace, admin)

	g.POST("/surveys", h.createSurvey, write)
	g.GET("/surveys", h.listSurveys, read)
	g.GET("/surveys/:id", h.getSurvey, read)
	g.PATCH("/surveys/:id", h.updateSurvey, write)
	g.POST("/surveys/:id/archive", h.archiveSurvey, write)
	g.POST("/surveys/:id/restore", h.restoreSurvey, write)

	g.POST("/invitations", h.createInvitation, write)
	g.POST("/invitations/batch", h.createInvitationBatch, write)
	g.GET("/invitations", h.listInvitations, read)
	g.GET("/invitations/:id", h.getInvitation, read)

	g.GET("/responses", h.listResponses, read)
}

const ctxKey = "survey.apikey"

// authenticate resolves the bearer key; every handler behind it acts in the key's workspace.
func (h *Handler) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, secret, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="surveyd"`)
			return ErrUnauthorized
		}
		k, err := h.svc.Authenticate(c.Request().Context(), strings.TrimSpace(secret))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="surveyd", error="invalid_token"`)
			return err
		}
		c.Set(ctxKey, k)
		return next(c)
	}
}

func need(scope Scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if !apiKey(c).Scope.Allows(scope) {
				return ErrForbidden
			}
			return next(c)
		}
	}
}

func apiKey(c *echo.Context) *APIKey { return c.Get(ctxKey).(*APIKey) }

// workspaceID is the workspace every query of this request is scoped to.
func workspaceID(c *echo.Context) bson.ObjectID { return apiKey(c).WorkspaceID }

// pathID parses the :id path parameter; a malformed id is a 404, like an unknown one.
func pathID(c *echo.Context) (bson.ObjectID, error) {
	id, err := bson.ObjectIDFromHex(c.Param("id"))
	if err != nil {
		return id, ErrNotFound
	}
	return id, nil
}

// queryID parses an optional id query parameter.
func queryID(c *echo.Context, name string) (bson.ObjectID, error) {
	s := c.QueryParam(name)
	if s == "" {
		return bson.NilObjectID, nil
	}
	id, err := bson.ObjectIDFromHex(s)
	if err != nil {
		return id, httpx.BadField(name, "must be a 24-character hexadecimal id")
	}
	return id, nil
}

type workspaceRequest struct {
	TimeZone      *string `json:"time_zone" validate:"omitempty,timezone"`
	DefaultLocale *string `json:"default_locale" validate:"omitempty,oneof=vi en"`
	CompanyName   *string `json:"company_name" validate:"omitempty,min=1,max=200"`
}

func (h *Handler) getWorkspace(c *echo.Context) error {
	w, err := h.svc.WorkspaceByID(c.Request().Context(), workspaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(200, w)
}

func (h *Handler) updateWorkspace(c *echo.Context) error {
	var req workspaceRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	w, err := h.svc.WorkspaceByID(ctx, workspaceID(c))
	if err != nil {
		return err
	}
	if req.TimeZone != nil {
		w.TimeZone = *req.TimeZone
	}
	if req.DefaultLocale != nil {
		w.DefaultLocale = *req.DefaultLocale
	}
	if req.CompanyName != nil {
		w.CompanyName = strings.TrimSpace(*req.CompanyName)
	}
	if err := h.svc.UpdateWorkspace(ctx, w); err != nil {
		return err
	}
	return c.JSON(200, w)
}
