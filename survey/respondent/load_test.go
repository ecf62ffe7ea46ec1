package respondent

import (
	"errors"
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/apitest"
)

// load only resolves a link: the page that explains a bad link is the handler's to render.
func TestLoadLeavesRenderingToTheHandler(t *testing.T) {
	en := newEnv(t)
	p := NewPages(en.Core, nil, pages, catalog)
	e := echo.New()
	var loadErr error
	e.GET("/s/:token", func(c *echo.Context) error { _, loadErr = p.load(c); return nil })
	rec := apitest.Do(t, e, "GET", "/s/garbage", "", nil)
	var u *unusable
	if !errors.As(loadErr, &u) || u.status != http.StatusNotFound || u.key != "msg.invalid" {
		t.Errorf("load of a forged link returned %v, want an unusable link (404, msg.invalid)", loadErr)
	}
	if rec.Body.Len() != 0 {
		t.Fatalf("load wrote a %d page itself:\n%s", rec.Code, rec.Body)
	}
}
