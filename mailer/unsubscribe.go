package mailer

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/templates"
)

// Unsubscribe serves /u/{token}: GET shows a page with a button and changes nothing (mail
// scanners fetch links too); POST suppresses the address at once. A POST with the body
// List-Unsubscribe=One-Click is a mailbox provider's one-click unsubscribe (RFC 8058) and gets
// the same treatment.
type Unsubscribe struct {
	svc          Unsubscribes
	suppressions *Suppressions
	pages        *templates.Pages
	catalog      *templates.Catalog
}

// NewUnsubscribe builds the unsubscribe pages.
func NewUnsubscribe(svc Unsubscribes, s *Suppressions, pages *templates.Pages, catalog *templates.Catalog) *Unsubscribe {
	return &Unsubscribe{svc: svc, suppressions: s, pages: pages, catalog: catalog}
}

// Register adds the routes; post is the middleware for the POST (rate and body limits).
func (u *Unsubscribe) Register(e *echo.Echo, post ...echo.MiddlewareFunc) {
	e.GET("/u/:token", u.show)
	e.POST("/u/:token", u.unsubscribe, post...)
}

// page is the data of the unsubscribe template; the names are the shared layout's.
type page struct {
	L            *templates.Localizer
	Title        string
	Company      string
	SwitchURL    string
	Action       string
	MessageTitle string
	MessageBody  string
}

func (u *Unsubscribe) show(c *echo.Context) error {
	inv, ws, err := u.svc.VerifyUnsubscribe(c.Request().Context(), c.Param("token"))
	if err != nil {
		return u.invalid(c, err)
	}
	L := survey.PickLanguage(u.catalog, c, inv, ws)
	return u.render(c, http.StatusOK, &page{L: L, Company: ws.CompanyName, Action: "/u/" + c.Param("token"),
		MessageTitle: L.T("unsubscribe.title", "Company", ws.CompanyName),
		MessageBody:  L.T("unsubscribe.body", "Email", inv.Customer.Email)})
}

func (u *Unsubscribe) unsubscribe(c *echo.Context) error {
	// Nothing in the form is needed (lang comes through PickLanguage), but one that is not
	// clean text is refused like every other form.
	if _, err := httpx.Form(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	inv, ws, err := u.svc.VerifyUnsubscribe(ctx, c.Param("token"))
	if err != nil {
		return u.invalid(c, err)
	}
	if _, err := u.suppressions.Add(ctx, ws.ID, inv.Customer.Email, ReasonUnsubscribed); err != nil {
		return err
	}
	L := survey.PickLanguage(u.catalog, c, inv, ws)
	return u.render(c, http.StatusOK, &page{L: L, Company: ws.CompanyName,
		MessageTitle: L.T("unsubscribe.done.title"),
		MessageBody:  L.T("unsubscribe.done.body", "Company", ws.CompanyName, "Email", inv.Customer.Email)})
}

func (u *Unsubscribe) invalid(c *echo.Context, err error) error {
	if !errors.Is(err, survey.ErrTokenInvalid) && !errors.Is(err, survey.ErrTokenExpired) && !errors.Is(err, survey.ErrNotFound) {
		return err
	}
	L := survey.PickLanguage(u.catalog, c, nil, nil)
	return u.render(c, http.StatusNotFound, &page{L: L, MessageTitle: L.T("msg.invalid.title"), MessageBody: L.T("msg.invalid.body")})
}

func (u *Unsubscribe) render(c *echo.Context, status int, p *page) error {
	p.Title = p.MessageTitle
	p.SwitchURL = survey.SwitchURL(c, p.L.Lang)
	body, err := u.pages.Render("unsubscribe", p)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Content-Language", p.L.Lang)
	return c.HTMLBlob(status, body)
}
