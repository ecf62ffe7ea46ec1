package survey

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/apikey"
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

// Register adds the API routes to g, the /api/v1 group behind apikey.Store.Authenticate.
func (h *Handler) Register(g *echo.Group) {
	read, write, admin := apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite), apikey.RequireScope(apikey.ScopeAdmin)

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
	g.GET("/invitations/:id/visits", h.listVisits, read)

	g.GET("/responses", h.listResponses, read)
	g.GET("/responses/export", h.exportResponses, read)
	g.PATCH("/responses/:id/flags", h.overrideFlags, write)
	g.GET("/responses/:id/flags/audit", h.listFlagAudits, read)
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
	CompanyName   *string `json:"company_name" validate:"omitempty,min=1,max=200,singleline"`
	SenderName    *string `json:"sender_name" validate:"omitempty,max=100,singleline,excludesall=<>\""`
	SenderEmail   *string `json:"sender_email" validate:"omitempty,email,max=254,singleline"`
	LogoURL       *string `json:"logo_url" validate:"omitempty,url,startswith=https://,max=500"`
	BrandColor    *string `json:"brand_color" validate:"omitempty,hexcolor,len=7"`
	ReminderDays  *int    `json:"reminder_days" validate:"omitempty,min=0,max=30"`
	// ExcludeFlags: the bias flags that leave an answer out of filtered and weighted scores.
	ExcludeFlags *[]string `json:"exclude_flags" validate:"omitempty,max=4,unique,dive,oneof=automated contradiction non_attributable late"`
}

func (h *Handler) getWorkspace(c *echo.Context) error {
	w, err := h.svc.WorkspaceByID(c.Request().Context(), apikey.WorkspaceOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

func (h *Handler) updateWorkspace(c *echo.Context) error {
	var req workspaceRequest
	if err := httpx.DecodeBody(c, &req); err != nil {
		return err
	}
	// "" puts a branding field back to surveyd's default; only other values are validated.
	branding := []struct {
		in      **string
		cleared bool
	}{{in: &req.SenderName}, {in: &req.SenderEmail}, {in: &req.LogoURL}, {in: &req.BrandColor}}
	for i, f := range branding {
		if *f.in != nil && strings.TrimSpace(**f.in) == "" {
			branding[i].cleared, *f.in = true, nil
		}
	}
	if err := httpx.Validate(&req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	w, err := h.svc.WorkspaceByID(ctx, apikey.WorkspaceOf(c))
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
	if req.ReminderDays != nil {
		w.ReminderDays = *req.ReminderDays
	}
	if req.ExcludeFlags != nil {
		w.ExcludeFlags = scoring.MaskOf(*req.ExcludeFlags...).Names()
	}
	for i, out := range []*string{&w.SenderName, &w.SenderEmail, &w.LogoURL, &w.BrandColor} {
		switch in := *branding[i].in; {
		case branding[i].cleared:
			*out = ""
		case in != nil:
			*out = strings.TrimSpace(*in)
		}
	}
	if err := h.svc.UpdateWorkspace(ctx, w); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}
