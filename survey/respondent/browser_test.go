package respondent

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/surveyd/surveyd/internal/browsertest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// browserTimeout bounds each subtest: a page that never loads must fail the test, not hang CI.
const browserTimeout = 30 * time.Second

// TestBrowser answers surveys the way a customer does: in a real Chromium, by clicking the
// visible choices or by keyboard alone, through the real router and store. It catches what
// handler tests cannot: a label that does not select its radio, a form the browser will not
// submit (CSP form-action, novalidate), a redirect the browser does not follow, a page in
// the wrong language.
func TestBrowser(t *testing.T) {
	en := newEnv(t)
	srv := httptest.NewServer(browserHandler(en))
	t.Cleanup(srv.Close)
	// Started after the server, so the browser exits before the server closes.
	browserCtx := browsertest.Start(t)

	// Each subtest gets the shared env reporting to its own t, so a failed setup call ends
	// that subtest rather than calling FailNow on the parent from the wrong goroutine.
	envFor := func(t *testing.T) *env {
		c := *en.Env
		c.T = t
		return &env{&c}
	}

	t.Run("csat-stars-vi", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"csat","name":"Hỗ trợ"}`)
		inv, token := en.invite(sv, `{"email":"lan@example.com","name":"Lan","locale":"vi"}`)
		b := newTab(t, browserCtx)

		b.open(srv.URL + "/s/" + token)
		b.checkLang("vi")
		b.checkText("fieldset.question legend", "Bạn hài lòng đến mức nào với sự hỗ trợ của Acme Ltd?")
		// The stars carry their meaning only for screen readers; check the one we pick.
		b.checkText(`label.choice[data-value="4"] .sr-only`, "4 trên 5 sao, Hài lòng")

		b.choose(4)
		b.do(chromedp.SendKeys(chromedp.CSS("textarea#comment"), "Nhân viên rất nhiệt tình"))
		b.submit(chromedp.Click(chromedp.CSS(`form.survey button[type="submit"]`)))

		b.checkLang("vi")
		b.checkText("h1", "Cảm ơn bạn!")
		b.checkStored(en, inv, 4, "Nhân viên rất nhiệt tình", "vi")
	})

	t.Run("nps-en", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"nps","name":"Loyalty"}`)
		inv, token := en.invite(sv, `{"email":"sam@example.com","name":"Sam","locale":"en"}`)
		b := newTab(t, browserCtx)

		b.open(srv.URL + "/s/" + token)
		b.checkLang("en")
		b.checkText("fieldset.question legend", "How likely are you to recommend Acme Ltd to a friend or colleague?")
		if n := b.count(`input[type="radio"][name="score"]`); n != 11 {
			t.Errorf("NPS page has %d score radios, want 11 (0–10)", n)
		}

		b.choose(9)
		b.submit(chromedp.Click(chromedp.CSS(`form.survey button[type="submit"]`)))

		b.checkLang("en")
		b.checkText("h1", "Thank you!")
		b.checkStored(en, inv, 9, "", "en")
	})

	t.Run("ces5-switch-to-vi", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"ces","name":"Effort","points":5}`)
		inv, token := en.invite(sv, `{"email":"an@example.com","name":"An","locale":"en"}`)
		b := newTab(t, browserCtx)

		b.open(srv.URL + "/s/" + token)
		b.checkLang("en")
		b.checkText("fieldset.question legend .instruction", "How much do you agree with this statement?")

		// The footer link switches language with ?lang=vi, overriding the invitation's "en".
		b.submit(chromedp.Click(chromedp.CSS(`footer a[lang="vi"]`)))
		if loc := tabRun(b, chromedp.Location()); !strings.HasSuffix(loc, "/s/"+token+"?lang=vi") {
			t.Errorf("after the language switch the page is %s, want /s/{token}?lang=vi", loc)
		}
		b.checkLang("vi")
		b.checkText("fieldset.question legend",
			"Acme Ltd đã giúp tôi giải quyết vấn đề một cách dễ dàng. Bạn đồng ý với nhận định này đến mức nào?")
		if n := b.count(`input[type="radio"][name="score"]`); n != 5 {
			t.Errorf("CES 5 page has %d score radios, want 5", n)
		}
		b.checkText(`label.choice[data-value="2"]`, "Không đồng ý")

		b.choose(2)
		b.submit(chromedp.Click(chromedp.CSS(`form.survey button[type="submit"]`)))

		b.checkLang("vi")
		b.checkText("h1", "Cảm ơn bạn!")
		b.checkStored(en, inv, 2, "", "vi")
	})

	t.Run("csat-faces-lang-en", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"csat","name":"Faces","scale":"faces"}`)
		inv, token := en.invite(sv, `{"email":"minh@example.com","name":"Minh","locale":"vi"}`)
		b := newTab(t, browserCtx)

		// ?lang=en in the link beats the invitation's Vietnamese.
		b.open(srv.URL + "/s/" + token + "?lang=en")
		b.checkLang("en")
		b.checkText("fieldset.question legend", "How satisfied are you with the support you received from Acme Ltd?")
		b.checkText(`label.choice[data-value="5"] .caption`, "Very satisfied")

		b.choose(5)
		b.do(chromedp.SendKeys(chromedp.CSS("textarea#comment"), "Quick and friendly"))
		b.submit(chromedp.Click(chromedp.CSS(`form.survey button[type="submit"]`)))

		// The language must survive the POST and the redirect, not fall back to "vi".
		b.checkLang("en")
		b.checkText("h1", "Thank you!")
		b.checkStored(en, inv, 5, "Quick and friendly", "en")
	})

	// One tap in the email: the link preselects, the page confirms by itself once it has
	// been visible a moment, and the answer is marked as confirmed automatically.
	t.Run("one-tap-from-email", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"csat","name":"Support"}`)
		inv, token := en.invite(sv, `{"email":"an@example.com","locale":"vi"}`)
		b := newTab(t, browserCtx)
		b.open(srv.URL + "/s/" + token + "?score=4")
		deadline := time.Now().Add(15 * time.Second)
		for {
			heading, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector("h1.thanks, main h1:not(.sr-only)") || {}).textContent || ""`))
			if err == nil && heading == "Cảm ơn bạn!" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the page did not confirm by itself; heading %q, %v", heading, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		// Nobody touched the page: the bias filters must be able to see that.
		if n := en.Count("responses", bson.D{{Key: "_id", Value: inv.ID}, {Key: "score", Value: 4}, {Key: "locale", Value: "vi"},
			{Key: "signals.auto_confirmed", Value: true}, {Key: "signals.interacted", Value: false}}); n != 1 {
			t.Fatal("the automatic confirm is not stored as score 4, auto-confirmed, untouched")
		}
	})

	t.Run("keyboard-only", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"csat","name":"Keys"}`)
		inv, token := en.invite(sv, `{"email":"kim@example.com","name":"Kim","locale":"en"}`)
		b := newTab(t, browserCtx)

		b.open(srv.URL + "/s/" + token)
		b.checkLang("en")
		// Key events go to the focused page; make sure this tab is the one in front.
		if _, err := chromedp.Call(b.ctx, cdppage.BringToFront, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}

		// Nothing focusable comes before the question, so the first Tab lands on the first
		// star: the radios are visually hidden but must stay in the tab order.
		b.do(chromedp.KeyEvent(kb.Tab))
		b.checkFocus(`input[name="score"][value="1"]`)
		// The radio is invisible, so its label must show where the focus is.
		if style := tabRun(b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('label.choice[data-value="1"]')).outlineStyle`)); style != "solid" {
			b.t.Errorf("focused star's label has outline-style %q, want solid: keyboard focus is invisible", style)
		}

		// Arrow keys move through the group and select as they go; Space confirms the
		// focused one. Going past the choice and back checks both directions.
		b.do(chromedp.KeyEvent(kb.ArrowRight + kb.ArrowRight + kb.ArrowRight + kb.ArrowRight))
		b.checkFocus(`input[name="score"][value="5"]`)
		b.do(chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(" "))
		b.checkFocus(`input[name="score"][value="4"]`)
		if v := b.checkedScore(); v != "4" {
			t.Fatalf("checked score after arrow keys = %q, want 4", v)
		}

		// Tab leaves the group for the comment box, then the submit button; Enter submits.
		b.do(chromedp.KeyEvent(kb.Tab))
		b.checkFocus("textarea#comment")
		b.do(chromedp.KeyEvent("Sorted on the first call"), chromedp.KeyEvent(kb.Tab))
		b.checkFocus(`form.survey button[type="submit"]`)
		b.submit(chromedp.KeyEvent(kb.Enter))

		b.checkText("h1", "Thank you!")
		b.checkStored(en, inv, 4, "Sorted on the first call", "en")
	})

	// The 0–10 scale is one row from a small phone to a desktop, each end label under its own
	// end, and every boundary a customer must see (unselected buttons, the comment box) at
	// 3:1 against the page in light and dark (WCAG 1.4.11), measured from computed styles.
	t.Run("nps-layout-and-contrast", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"nps","name":"Layout"}`)
		for _, tc := range []struct {
			width int64
			dark  bool
			lang  string
		}{{390, false, "vi"}, {390, true, "en"}, {320, false, "vi"}, {360, true, "vi"}, {1024, false, "en"}, {1024, true, "vi"}} {
			name := fmt.Sprintf("nps-%d-%s", tc.width, tc.lang)
			if tc.dark {
				name += "-dark"
			}
			t.Run(name, func(t *testing.T) {
				_, token := en.invite(sv, `{"email":"a@example.com","locale":"`+tc.lang+`"}`)
				b := newTab(t, browserCtx)
				b.do(browsertest.Viewport(tc.width, tc.dark))
				b.open(srv.URL + "/s/" + token)
				browsertest.Screenshot(t, b.ctx, "page-"+name)
				l := tabRun(b, chromedp.Evaluate[scaleLayout](scaleLayoutJS))
				if len(l.Buttons) != 11 || len(l.Ends) != 2 {
					t.Fatalf("%d buttons and %d end labels, want 11 and 2", len(l.Buttons), len(l.Ends))
				}
				first, last := l.Buttons[0], l.Buttons[10]
				minWidth := 24.0 // WCAG 2.5.8's minimum; 44 where the screen has room
				if tc.width >= 600 {
					minWidth = 44
				}
				for i, r := range l.Buttons {
					if math.Abs(r.Top-first.Top) > 0.5 {
						t.Errorf("button %d is at top %.1f, button 0 at %.1f: the scale wraps", i, r.Top, first.Top)
					}
					if r.Width < minWidth || r.Height < 44 {
						t.Errorf("button %d is %.1f×%.1f px, want at least %.0f×44", i, r.Width, r.Height, minWidth)
					}
				}
				if low := l.Ends[0]; math.Abs(low.Left-first.Left) > 2 || low.Top < first.Top+first.Height {
					t.Errorf("low label at x %.1f–%.1f y %.1f, want it under button 0 at x %.1f", low.Left, low.Right, low.Top, first.Left)
				}
				if high := l.Ends[1]; math.Abs(high.Right-last.Right) > 2 || high.Top < last.Top+last.Height {
					t.Errorf("high label at x %.1f–%.1f y %.1f, want it to end under button 10 at x %.1f", high.Left, high.Right, high.Top, last.Right)
				}
				for what, ratio := range map[string]float64{"unselected scale button border": l.ButtonContrast, "comment box border": l.TextareaContrast} {
					if ratio < 3 {
						t.Errorf("%s contrasts %.2f:1 with the page, want at least 3:1", what, ratio)
					}
				}
			})
		}
	})

	// A tap in the email: the page tells screen readers, through a live region, that it will
	// confirm by itself; after the confirm the thank-you page asks for the reason it skipped.
	t.Run("email-tap-then-reason", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"nps","name":"Tap","reasons":[{"code":"speed","label":{"en":"Speed","vi":"Tốc độ"},"about":"service"}]}`)
		inv, token := en.invite(sv, `{"email":"an@example.com","locale":"en"}`)
		b := newTab(t, browserCtx)
		b.do(browsertest.Viewport(390, false))
		b.open(srv.URL + "/s/" + token + "?score=7")
		if role := tabRun(b, chromedp.Evaluate[string](`document.querySelector("[data-autoconfirm-note]")?.getAttribute("role") ?? "none"`)); role != "status" {
			t.Fatalf("the auto-confirm note has role %q, want a live region with role=status", role)
		}
		note := ""
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(note, "saved in a moment"); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the live region says %q, want the auto-confirm note", note)
			}
			note = tabRun(b, chromedp.Evaluate[string](`document.querySelector("[data-autoconfirm-note]")?.textContent ?? ""`))
		}
		browsertest.Screenshot(t, b.ctx, "page-nps-390-en-email-tap")
		for deadline := time.Now().Add(15 * time.Second); !strings.Contains(tabRun(b, chromedp.Location()), "/thanks"); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the page did not confirm by itself")
			}
		}
		b.checkText("h1", "Thank you!")
		if b.count(`fieldset.reasons input[value="speed"]`) != 1 {
			t.Fatal("after the automatic confirm the thank-you page does not ask for the reason")
		}
		browsertest.Screenshot(t, b.ctx, "thanks-nps-390-en-reason")
		b.do(chromedp.Click(chromedp.CSS(`fieldset.reasons input[value="speed"]`)))
		b.submit(chromedp.Click(chromedp.CSS(`form.survey button[type="submit"]`)))
		b.checkText("p.note", "Thank you, we have added it to your answer.")
		if n := en.Count("responses", bson.D{{Key: "_id", Value: inv.ID}, {Key: "score", Value: 7}, {Key: "reason", Value: "speed"}}); n != 1 {
			t.Fatal("the reason given after the automatic confirm is not stored")
		}
	})

	t.Run("faces-screens", func(t *testing.T) {
		en := envFor(t)
		sv := en.CreateSurvey(`{"kind":"csat","name":"Faces","scale":"faces"}`)
		for _, tc := range []struct {
			width int64
			lang  string
		}{{390, "vi"}, {390, "en"}, {1024, "vi"}, {1024, "en"}} {
			_, token := en.invite(sv, `{"email":"a@example.com","locale":"`+tc.lang+`"}`)
			b := newTab(t, browserCtx)
			b.do(browsertest.Viewport(tc.width, false))
			b.open(srv.URL + "/s/" + token)
			l := tabRun(b, chromedp.Evaluate[scaleLayout](scaleLayoutJS))
			for i, r := range l.Buttons {
				if math.Abs(r.Top-l.Buttons[0].Top) > 0.5 || r.Width < 44 || r.Height < 44 {
					t.Errorf("%d px %s: face %d at top %.1f is %.1f×%.1f px, want one row of 44×44 targets", tc.width, tc.lang, i+1, r.Top, r.Width, r.Height)
				}
			}
			// The faces line up however long their captions are.
			tops := tabRun(b, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("fieldset.question .icon")].map(i => i.getBoundingClientRect().top)`))
			for i, top := range tops {
				if math.Abs(top-tops[0]) > 0.5 {
					t.Errorf("%d px %s: face %d is at top %.1f, face 1 at %.1f", tc.width, tc.lang, i+1, top, tops[0])
				}
			}
			browsertest.Screenshot(t, b.ctx, fmt.Sprintf("page-faces-%d-%s", tc.width, tc.lang))
		}
	})
}

// scaleLayout is where the browser put the first question's choices and end labels, and
// how its boundaries contrast with what is behind them.
type scaleLayout struct {
	Buttons          []rect  `json:"buttons"`
	Ends             []rect  `json:"ends"`
	ButtonContrast   float64 `json:"buttonContrast"`
	TextareaContrast float64 `json:"textareaContrast"`
}

type rect struct {
	Left   float64 `json:"left"`
	Right  float64 `json:"right"`
	Top    float64 `json:"top"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// scaleLayoutJS measures a scaleLayout. End labels are measured by their text, not their box,
// since the text is what a customer reads as under a button. Contrast is WCAG 2's, between a
// border's computed colour and the first opaque background behind the element.
const scaleLayoutJS = `(() => {
  const box = r => ({left: r.left, right: r.right, top: r.top, width: r.width, height: r.height});
  const textRect = el => { const r = document.createRange(); r.selectNodeContents(el); return box(r.getBoundingClientRect()); };
  const rgba = c => c.match(/[\d.]+/g).map(Number);
  const behind = el => {
    for (let n = el; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c;
    }
    return [255, 255, 255];
  };
  const lum = c => c.slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const border = el => el ? ratio(rgba(getComputedStyle(el).borderTopColor), behind(el.parentElement)) : 0;
  return {
    buttons: [...document.querySelectorAll("fieldset.question label.choice")].map(l => box(l.getBoundingClientRect())),
    ends: [...document.querySelectorAll("fieldset.question .ends span")].map(textRect),
    buttonContrast: border(document.querySelector("fieldset.question label.choice:not(:has(input:checked)) .box")),
    textareaContrast: border(document.querySelector("textarea#comment")),
  };
})()`

// browserHandler is the router plus the static assets, which cmd/surveyd serves beside the
// survey routes: with the stylesheet the radios are really hidden behind their labels, and
// with survey.js the page reports the interaction signal, as in production.
func browserHandler(en *env) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(templates.Static())))
	mux.Handle("/", en.Echo)
	return mux
}

// browserTab is one subtest's tab; its methods end the subtest on a browser error.
type browserTab struct {
	t   *testing.T
	ctx context.Context
}

// newTab opens a tab in the shared browser, closed and time-limited with the subtest.
func newTab(t *testing.T, browserCtx context.Context) *browserTab {
	t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(browserCtx)
	ctx, cancel := context.WithTimeout(tabCtx, browserTimeout)
	t.Cleanup(func() { cancel(); cancelTab() })
	return &browserTab{t: t, ctx: ctx}
}

func (b *browserTab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// tabRun runs an action that returns a value; a method cannot have type parameters.
func tabRun[T any](b *browserTab, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// open loads url and insists on a 200: an error page would still have a heading.
func (b *browserTab) open(url string) {
	b.t.Helper()
	if resp := tabRun(b, chromedp.NavigateResponse(url)); resp.Status != http.StatusOK {
		b.t.Fatalf("GET %s: status %d", url, resp.Status)
	}
}

// submit runs the step that leaves the page (a click or a key) and waits for the page it
// leads to. After a POST that is the end of the 303 redirect, which must be the thank-you
// page with a 200 and not the form again with a 422.
func (b *browserTab) submit(step chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, step)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.Status != http.StatusOK {
		b.t.Fatalf("%s: status %d", resp.URL, resp.Status)
	}
}

// choose clicks the visible label of a score. The radio itself is transparent (opacity 0)
// over its label; checking that proves the stylesheet is applied, so the click goes where a
// customer's would.
func (b *browserTab) choose(score int) {
	b.t.Helper()
	label := `label.choice[data-value="` + strconv.Itoa(score) + `"]`
	opacity := tabRun(b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(`+strconv.Quote(label+" input")+`)).opacity`))
	if opacity != "0" {
		b.t.Fatalf("score radio %d has opacity %q, want 0: the stylesheet did not load", score, opacity)
	}
	b.do(chromedp.Click(chromedp.CSS(label)))
	if got := b.checkedScore(); got != strconv.Itoa(score) {
		b.t.Fatalf("clicking the label of %d checked %q", score, got)
	}
}

// checkedScore is the value of the selected score radio, or "" when none is.
func (b *browserTab) checkedScore() string {
	b.t.Helper()
	return tabRun(b, chromedp.Evaluate[string](`document.querySelector('input[name="score"]:checked')?.value ?? ""`))
}

func (b *browserTab) checkLang(want string) {
	b.t.Helper()
	if got := tabRun(b, chromedp.Evaluate[string](`document.documentElement.lang`)); got != want {
		b.t.Errorf("<html lang> = %q, want %q", got, want)
	}
}

// checkText compares an element's text with spaces collapsed, as a reader hears it.
func (b *browserTab) checkText(sel, want string) {
	b.t.Helper()
	got := tabRun(b, chromedp.TextContent(chromedp.CSS(sel)))
	if got = strings.Join(strings.Fields(got), " "); got != want {
		b.t.Errorf("%s = %q, want %q", sel, got, want)
	}
}

func (b *browserTab) checkFocus(sel string) {
	b.t.Helper()
	if !tabRun(b, chromedp.Evaluate[bool](`document.activeElement?.matches(`+strconv.Quote(sel)+`) ?? false`)) {
		active := tabRun(b, chromedp.Evaluate[string](`document.activeElement?.outerHTML ?? "none"`))
		b.t.Fatalf("focus is on %s, want %s", active, sel)
	}
}

func (b *browserTab) count(sel string) int {
	b.t.Helper()
	return tabRun(b, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
}

// checkStored looks in the store behind the pages: exactly one answer with the score, and
// the comment, language and human signal it arrived with.
func (b *browserTab) checkStored(en *env, inv *survey.Invitation, score int, comment, lang string) {
	t := b.t
	t.Helper()
	if n := en.Count("responses", bson.D{{Key: "invitation_id", Value: inv.ID}, {Key: "score", Value: score}}); n != 1 {
		t.Fatalf("responses for the invitation with score %d: %d, want 1", score, n)
	}
	r, err := en.Core.ResponseFor(context.Background(), inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Comment != comment || r.Locale != lang {
		t.Errorf("stored comment %q, locale %q; want %q, %q", r.Comment, r.Locale, comment, lang)
	}
	// survey.js marks the form on the first pointer or key event; a real browser's answer
	// must count as a human's, or the bias filters would discard it.
	if !r.Signals.Interacted {
		t.Error("stored answer is not marked interacted: survey.js did not run or did not mark the form")
	}
}
