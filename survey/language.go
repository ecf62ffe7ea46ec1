package survey

import (
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/templates"
)

// PickLanguage chooses the language of a page for a customer: ?lang= (or the form's lang)
// first, then the invitation's locale, then what the browser asks for, then the workspace
// default. inv and ws may be nil when the link did not resolve.
func PickLanguage(catalog *templates.Catalog, c *echo.Context, inv *Invitation, ws *Workspace) *templates.Localizer {
	candidates := []string{c.QueryParam("lang")}
	if c.Request().Method == http.MethodPost {
		candidates = append(candidates, c.FormValue("lang"))
	}
	if inv != nil {
		candidates = append(candidates, inv.Customer.Locale)
	}
	for _, tag := range candidates {
		if tag == "" {
			continue
		}
		if lang := catalog.Match(tag); lang != "" {
			return catalog.Localizer(lang)
		}
	}
	if lang := catalog.MatchAccept(c.Request().Header.Get("Accept-Language")); lang != "" {
		return catalog.Localizer(lang)
	}
	if ws != nil {
		if lang := catalog.Match(ws.DefaultLocale); lang != "" {
			return catalog.Localizer(lang)
		}
	}
	return catalog.Localizer(templates.Languages[0])
}

// SwitchURL is the current page in the other language.
func SwitchURL(c *echo.Context, lang string) string {
	other := "vi"
	if lang == "vi" {
		other = "en"
	}
	q := c.Request().URL.Query()
	q.Set("lang", other)
	return c.Request().URL.Path + "?" + q.Encode()
}
