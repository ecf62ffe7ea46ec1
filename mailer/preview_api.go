package mailer

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
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

// Preview is the API that shows a survey's email as it would be sent.
type Preview struct {
	svc      Previews
	renderer *Renderer
}

// NewPreview builds the preview API.
func NewPreview(svc Previews, r *Renderer) *Preview {
	return &Preview{svc: svc, renderer: r}
}

// Register adds the route to the authenticated /api/v1 group.
func (a *Preview) Register(g *echo.Group) {
	g.GET("/surveys/:id/preview", a.preview, apikey.RequireScope(apikey.ScopeRead))
}

// preview renders exactly what would be sent for the survey in a locale, through the same
// renderer as the outbox, with a sample customer and working links to a preview token.
func (a *Preview) preview(c *echo.Context) error {
	id, err := bson.ObjectIDFromHex(c.Param("id"))
	if err != nil {
		return survey.ErrNotFound
	}
	ctx := c.Request().Context()
	ws := apikey.WorkspaceOf(c)
	sv, err := a.svc.Survey(ctx, ws, id)
	if err != nil {
		return err
	}
	w, err := a.svc.WorkspaceByID(ctx, ws)
	if err != nil {
		return err
	}
	locale := c.QueryParamOr("locale", w.DefaultLocale)
	if locale != "vi" && locale != "en" {
		return httpx.BadField("locale", "must be vi or en")
	}
	reminder := c.QueryParam("reminder") == "true"
	inv := a.svc.NewInvitation(sv, survey.Customer{Name: "Nguyễn Văn A", Email: "customer@example.com", Locale: locale}, survey.Interaction{}, false)
	link := a.svc.LinkFor(inv)
	e, err := a.renderer.Render(EmailData{Workspace: w, Survey: sv, Invitation: inv, SurveyURL: link,
		UnsubscribeURL: a.svc.UnsubscribeLink(inv), Reminder: reminder})
	if err != nil {
		return err
	}
	switch c.QueryParamOr("format", "json") {
	case "html":
		// An email's styles are inline by necessity; the preview allows them, and nothing
		// else: no script, and a sandbox around the whole document.
		c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; sandbox")
		return c.HTMLBlob(http.StatusOK, []byte(e.HTML))
	case "text":
		return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(e.Text))
	case "json":
		return c.JSON(http.StatusOK, e)
	}
	return httpx.BadField("format", "must be json, html or text")
}
