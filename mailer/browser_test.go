package mailer

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/surveyd/surveyd/internal/browsertest"
	"github.com/surveyd/surveyd/survey"
)

// TestEmailInBrowser opens the survey email in Chromium as a phone's and a desktop's mail
// app would show it and measures every answer button: each must be a 44×44 CSS px touch
// target (WCAG 2.5.5), whatever the screen.
func TestEmailInBrowser(t *testing.T) {
	r := newTestRenderer(t)
	emails := map[string]*Email{}
	for name, sv := range map[string]*survey.Survey{
		"nps": testSurvey(survey.NPS, "", 11), "faces": testSurvey(survey.CSAT, "faces", 5),
		"stars": testSurvey(survey.CSAT, "stars", 5), "ces7": testSurvey(survey.CES, "", 7),
	} {
		for _, lang := range []string{"vi", "en"} {
			e, err := r.Render(testData(sv, lang))
			if err != nil {
				t.Fatal(err)
			}
			emails["/"+name+"-"+lang] = e
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		e := emails[req.URL.Path]
		if e == nil {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, e.HTML)
	}))
	t.Cleanup(srv.Close)
	browserCtx := browsertest.Start(t)

	for path := range emails {
		for _, width := range []int64{320, 390, 1024} {
			name := fmt.Sprintf("email-%s-%d", strings.TrimPrefix(path, "/"), width)
			t.Run(name, func(t *testing.T) {
				tabCtx, cancelTab := chromedp.NewContext(browserCtx)
				defer cancelTab()
				ctx, cancel := context.WithTimeout(tabCtx, 30*time.Second)
				defer cancel()
				if err := chromedp.Do(ctx, browsertest.Viewport(width, false), chromedp.Navigate(srv.URL+path)); err != nil {
					t.Fatal(err)
				}
				browsertest.Screenshot(t, ctx, name)
				buttons, err := chromedp.Run(ctx, chromedp.Evaluate[[]struct{ Width, Height float64 }](
					`[...document.querySelectorAll('a[href*="score="]')].map(a => { const r = a.getBoundingClientRect(); return {Width: r.width, Height: r.height}; })`))
				if err != nil {
					t.Fatal(err)
				}
				if len(buttons) == 0 {
					t.Fatal("no answer buttons")
				}
				for i, b := range buttons {
					if b.Width < 44 || b.Height < 44 {
						t.Errorf("answer button %d is %.1f×%.1f px, want at least 44×44", i, b.Width, b.Height)
					}
				}
			})
		}
	}
}
