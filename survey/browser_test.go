package survey

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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
	execPath := chromiumPath()
	if execPath == "" {
		// A developer machine without Chromium may skip; CI installs it, so there a
		// missing browser is a broken setup, not a reason to pass silently.
		if os.Getenv("CI") == "" {
			t.Skip("chromium not found in PATH (set CI to make this a failure)")
		}
		t.Fatal("chromium not found in PATH; CI must install it (apt-get install chromium)")
	}

	en := newEnv(t)
	srv := httptest.NewServer(browserHandler(en))
	t.Cleanup(srv.Close)

	// One browser for all subtests: starting Chromium costs far more than a tab.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // containers and CI runners rarely allow the setuid sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	)
	// Cleanups run last-registered first: the browser exits before the server closes and
	// before the temp profile directory is removed.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// Start the browser with a context that has no timeout: the first Run binds the
	// browser's life to its context, and a subtest's deadline must only end its own tab.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start chromium %s: %v", execPath, err)
	}

	// Each subtest gets the shared env reporting to its own t, so a failed setup call ends
	// that subtest rather than calling FailNow on the parent from the wrong goroutine.
	envFor := func(t *testing.T) *env {
		c := *en
		c.t = t
		return &c
	}

	t.Run("csat-stars-vi", func(t *testing.T) {
		en := envFor(t)
		sv := en.createSurvey(`{"kind":"csat","name":"Hỗ trợ"}`)
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
		sv := en.createSurvey(`{"kind":"nps","name":"Loyalty"}`)
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
		sv := en.createSurvey(`{"kind":"ces","name":"Effort","points":5}`)
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
		sv := en.createSurvey(`{"kind":"csat","name":"Faces","scale":"faces"}`)
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
		sv := en.createSurvey(`{"kind":"csat","name":"Support"}`)
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
		if n := en.count("responses", bson.D{{Key: "_id", Value: inv.ID}, {Key: "score", Value: 4}, {Key: "locale", Value: "vi"},
			{Key: "signals.auto_confirmed", Value: true}, {Key: "signals.interacted", Value: false}}); n != 1 {
			t.Fatal("the automatic confirm is not stored as score 4, auto-confirmed, untouched")
		}
	})

	t.Run("keyboard-only", func(t *testing.T) {
		en := envFor(t)
		sv := en.createSurvey(`{"kind":"csat","name":"Keys"}`)
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
}

// chromiumPath finds Debian's Chromium (or the name other distributions give it).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserHandler is the router plus the static assets, which cmd/surveyd serves beside the
// survey routes: with the stylesheet the radios are really hidden behind their labels, and
// with survey.js the page reports the interaction signal, as in production.
func browserHandler(en *env) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(templates.Static())))
	mux.Handle("/", en.e)
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
func (b *browserTab) checkStored(en *env, inv *Invitation, score int, comment, lang string) {
	t := b.t
	t.Helper()
	if n := en.count("responses", bson.D{{Key: "invitation_id", Value: inv.ID}, {Key: "score", Value: score}}); n != 1 {
		t.Fatalf("responses for the invitation with score %d: %d, want 1", score, n)
	}
	r, err := en.svc.responseFor(context.Background(), inv.ID)
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
