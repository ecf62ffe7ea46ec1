package survey

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/templates"
)

// MaxComment is the longest comment accepted, in characters.
const MaxComment = 2000

// Pages serves the respondent's side: /s/{token} shows the survey, records the answer on POST,
// and thanks the customer, in their language.
type Pages struct {
	svc     *Service
	writer  *Writer
	pages   *templates.Pages
	catalog *templates.Catalog
}

// NewPages builds the respondent pages over svc, recording answers through w.
func NewPages(svc *Service, w *Writer, pages *templates.Pages, catalog *templates.Catalog) *Pages {
	return &Pages{svc: svc, writer: w, pages: pages, catalog: catalog}
}

// Register adds the respondent routes. post is the middleware for answer submissions (rate
// and body limits).
func (p *Pages) Register(e *echo.Echo, post ...echo.MiddlewareFunc) {
	e.GET("/s/:token", p.show)
	e.POST("/s/:token", p.submit, post...)
	e.GET("/s/:token/thanks", p.thanks)
}

// visit is what one request to a survey link resolved to.
type visit struct {
	token string
	inv   *Invitation
	sv    *Survey
	ws    *Workspace
	L     *templates.Localizer
}

// page is the data every respondent template gets.
type page struct {
	L         *templates.Localizer
	Title     string
	Company   string
	SwitchURL string

	// survey form
	Action        string
	Question      string
	Instruction   string
	Control       string // stars, faces, numbers or agree
	Choices       []choice
	LowLabel      string
	HighLabel     string
	Preselected   bool
	Editing       string
	Errors        []string
	ScoreError    bool
	Reasons       []reasonChoice
	NoReason      bool
	CommentPrompt string
	Comment       string
	CommentMax    int
	RenderedAt    int64
	SubmitLabel   string

	// thank-you page; Reasons and the comment box are offered there when the answer has none
	// yet (a choice confirmed from the email had no time for them)
	ThankYou   string
	Answer     string
	Score      int
	Reason     string
	AskComment bool
	MoreSaved  bool
	ChangeURL  string

	// message page
	MessageTitle string
	MessageBody  string
}

type choice struct {
	Value   int
	Label   string
	Mouth   string // faces only: the SVG path of the mouth
	Checked bool
}

type reasonChoice struct {
	Code    string
	Label   string
	Checked bool
}

// faceMouths draw the five CSAT faces, from a deep frown to a broad smile.
var faceMouths = [6]string{"", "M14 35 Q24 25 34 35", "M15 33 Q24 29 33 33", "M15 31 L33 31", "M15 29 Q24 35 33 29", "M13 28 Q24 40 35 28"}

// load resolves the token to its invitation, survey and workspace, or renders the page that
// explains why it cannot.
func (p *Pages) load(c *echo.Context) (*visit, error) {
	token := c.Param("token")
	ctx := c.Request().Context()
	claims, err := p.svc.signer.Verify(token, p.svc.now())
	switch {
	case errors.Is(err, ErrTokenExpired):
		L := p.localizer(c, nil, nil)
		return nil, p.message(c, http.StatusGone, L, "", "msg.expired", "Date", formatDate(L, claims.ExpiresAt, time.UTC))
	case err != nil:
		return nil, p.message(c, http.StatusNotFound, p.localizer(c, nil, nil), "", "msg.invalid")
	}
	inv, err := p.svc.invitationByID(ctx, claims.InvitationID)
	if errors.Is(err, ErrNotFound) {
		return nil, p.message(c, http.StatusNotFound, p.localizer(c, nil, nil), "", "msg.unknown")
	}
	if err != nil {
		return nil, err
	}
	ws, err := p.svc.cachedWorkspace(ctx, inv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	v := &visit{token: token, inv: inv, ws: ws, L: p.localizer(c, inv, ws)}
	sv, err := p.svc.cachedSurvey(ctx, inv.WorkspaceID, inv.SurveyID)
	if errors.Is(err, ErrNotFound) {
		return nil, p.message(c, http.StatusNotFound, v.L, ws.CompanyName, "msg.unknown")
	}
	if err != nil {
		return nil, err
	}
	if sv.Archived {
		return nil, p.message(c, http.StatusGone, v.L, ws.CompanyName, "msg.archived", "Company", ws.CompanyName)
	}
	v.sv = sv
	return v, nil
}

func (p *Pages) localizer(c *echo.Context, inv *Invitation, ws *Workspace) *templates.Localizer {
	return PickLanguage(p.catalog, c, inv, ws)
}

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

func (p *Pages) show(c *echo.Context) error {
	v, err := p.load(c)
	if v == nil {
		return err
	}
	ctx := c.Request().Context()
	prev, err := p.svc.responseFor(ctx, v.inv.ID)
	if err != nil {
		return err
	}
	if prev != nil && !p.editable(v.sv, prev) {
		return p.message(c, http.StatusOK, v.L, v.ws.CompanyName, "msg.closed",
			"Date", formatDate(v.L, prev.CreatedAt, v.ws.Location()))
	}
	if err := p.svc.markOpened(ctx, v.inv); err != nil {
		c.Logger().Warn("mark opened", "err", err)
	}
	f := answerForm{Reason: ""}
	if prev != nil {
		f = answerForm{Score: prev.Score, HasScore: true, Comment: prev.Comment, Reason: prev.Reason}
	}
	preselected := false
	var linkScore *int
	if n, err := strconv.Atoi(c.QueryParam("score")); err == nil && n >= v.sv.MinScore() && n <= v.sv.MaxScore() {
		f.Score, f.HasScore, preselected = n, true, prev == nil
		linkScore = &n
	}
	if err := p.svc.logVisit(ctx, v.inv, linkScore, c.Request().UserAgent(), c.RealIP()); err != nil {
		c.Logger().Warn("log visit", "err", err)
	}
	pg := p.surveyPage(c, v, f, prev)
	pg.Preselected = preselected
	return p.render(c, http.StatusOK, "survey", pg)
}

// answerForm is a submitted (or prefilled) answer.
type answerForm struct {
	Score         int
	HasScore      bool
	Comment       string
	Reason        string
	Interacted    bool
	AutoConfirmed bool // the page's script confirmed a choice made in the email
	RenderedAt    int64
	FromThanks    bool
}

func (p *Pages) submit(c *echo.Context) error {
	form, err := httpx.Form(c)
	if err != nil {
		return err
	}
	v, err := p.load(c)
	if v == nil {
		return err
	}
	f, errs := p.parseAnswer(form, v)
	if len(errs) > 0 {
		pg := p.surveyPage(c, v, f, nil)
		pg.Errors = errs
		pg.ScoreError = !f.HasScore
		return p.render(c, http.StatusUnprocessableEntity, "survey", pg)
	}
	now := p.svc.now()
	r := &Response{
		ID: v.inv.ID, WorkspaceID: v.inv.WorkspaceID, SurveyID: v.sv.ID, InvitationID: v.inv.ID,
		Kind: v.sv.Kind, Points: v.sv.Points, Score: f.Score, Comment: f.Comment, Reason: f.Reason,
		Locale: v.L.Lang, Customer: v.inv.Customer, Interaction: v.inv.Interaction,
		Signals:  p.signals(c, v.inv, f, now),
		Revision: 1, CreatedAt: now, UpdatedAt: now,
	}
	r.Flags = flags(v.sv, v.inv, r)
	err = p.writer.Submit(c.Request().Context(), r, v.sv.EditWindow())
	switch {
	case errors.Is(err, ErrEditWindowClosed):
		prev, perr := p.svc.responseFor(c.Request().Context(), v.inv.ID)
		if perr != nil || prev == nil {
			return perr
		}
		return p.message(c, http.StatusConflict, v.L, v.ws.CompanyName, "msg.closed",
			"Date", formatDate(v.L, prev.CreatedAt, v.ws.Location()))
	case errors.Is(err, ErrWriterClosed), errors.Is(err, context.DeadlineExceeded):
		return p.message(c, http.StatusServiceUnavailable, v.L, v.ws.CompanyName, "msg.busy")
	case err != nil:
		return err
	}
	q := url.Values{"lang": {v.L.Lang}}
	if f.FromThanks && (f.Comment != "" || f.Reason != "") {
		q.Set("saved", "more")
	}
	return c.Redirect(http.StatusSeeOther, "/s/"+v.token+"/thanks?"+q.Encode())
}

// parseAnswer reads and checks the form, returning the customer-facing problems.
func (p *Pages) parseAnswer(form map[string]string, v *visit) (answerForm, []string) {
	var f answerForm
	var errs []string
	if n, err := strconv.Atoi(form["score"]); err == nil && n >= v.sv.MinScore() && n <= v.sv.MaxScore() {
		f.Score, f.HasScore = n, true
	} else {
		errs = append(errs, v.L.T("survey.error.score"))
	}
	f.Comment = strings.TrimSpace(form["comment"])
	if utf8.RuneCountInString(f.Comment) > MaxComment {
		errs = append(errs, v.L.T("survey.error.comment", "Max", MaxComment))
	}
	f.Reason = form["reason"]
	if f.Reason != "" && !v.sv.hasReason(f.Reason) {
		errs = append(errs, v.L.T("survey.error.reason"))
		f.Reason = ""
	}
	f.Interacted = form["interacted"] == "1"
	f.AutoConfirmed = form["confirm"] == "auto"
	f.RenderedAt, _ = strconv.ParseInt(form["rendered_at"], 10, 64)
	f.FromThanks = form["from"] == "thanks"
	return f, errs
}

// signals records how the answer arrived, for the bias filters.
func (p *Pages) signals(c *echo.Context, inv *Invitation, f answerForm, now time.Time) Signals {
	s := Signals{
		SinceInviteSeconds: now.Sub(inv.CreatedAt).Seconds(),
		UAClass:            ClassifyUserAgent(c.Request().UserAgent()),
		IPHash:             p.svc.hashIP(c.RealIP()),
		Interacted:         f.Interacted,
		AutoConfirmed:      f.AutoConfirmed,
	}
	if f.RenderedAt > 0 {
		// The render time comes back from the client, so only a plausible value is kept.
		if d := now.Sub(time.UnixMilli(f.RenderedAt)).Seconds(); d >= 0 && d <= 7*24*3600 {
			s.OnPageSeconds = &d
		}
	}
	return s
}

func (p *Pages) thanks(c *echo.Context) error {
	v, err := p.load(c)
	if v == nil {
		return err
	}
	r, err := p.svc.responseFor(c.Request().Context(), v.inv.ID)
	if err != nil {
		return err
	}
	if r == nil {
		return c.Redirect(http.StatusSeeOther, "/s/"+v.token+"?lang="+v.L.Lang)
	}
	editable := p.editable(v.sv, r)
	pg := p.basePage(c, v)
	pg.ThankYou = v.sv.ThankYou.In(v.L.Lang)
	pg.Answer = answerLabel(v.L, v.sv, r.Score)
	pg.Score, pg.Reason, pg.Comment = r.Score, r.Reason, r.Comment
	pg.CommentPrompt = p.commentPrompt(v)
	pg.CommentMax = MaxComment
	pg.AskComment = editable && r.Comment == ""
	if editable && r.Reason == "" {
		pg.Reasons, pg.NoReason = reasonChoices(v.L, v.sv, ""), true
	}
	pg.MoreSaved = c.QueryParam("saved") == "more"
	if editable {
		pg.ChangeURL = "/s/" + v.token + "?lang=" + v.L.Lang
	}
	return p.render(c, http.StatusOK, "thanks", pg)
}

func (p *Pages) editable(sv *Survey, r *Response) bool {
	return p.svc.now().Before(r.CreatedAt.Add(sv.EditWindow()))
}

func (p *Pages) basePage(c *echo.Context, v *visit) *page {
	return &page{
		L: v.L, Company: v.ws.CompanyName,
		Title:     v.L.T("page.title", "Company", v.ws.CompanyName),
		Action:    "/s/" + v.token,
		SwitchURL: SwitchURL(c, v.L.Lang),
	}
}

func (p *Pages) commentPrompt(v *visit) string {
	if s := v.sv.CommentPrompt.In(v.L.Lang); s != "" {
		return s
	}
	return v.L.T("survey.default.comment_prompt")
}

func (p *Pages) surveyPage(c *echo.Context, v *visit, f answerForm, prev *Response) *page {
	L, sv := v.L, v.sv
	pg := p.basePage(c, v)
	pg.Question = strings.ReplaceAll(sv.Question.In(L.Lang), "{company}", v.ws.CompanyName)
	pg.CommentPrompt = p.commentPrompt(v)
	pg.Comment = f.Comment
	pg.CommentMax = MaxComment
	pg.RenderedAt = p.svc.now().UnixMilli()
	pg.SubmitLabel = L.T("survey.submit")
	if prev != nil {
		pg.SubmitLabel = L.T("survey.update")
		loc := v.ws.Location()
		pg.Editing = L.T("survey.editing", "Date", formatDate(L, prev.CreatedAt, loc),
			"Until", prev.CreatedAt.Add(sv.EditWindow()).In(loc).Format(L.T("format.datetime")))
	}
	for n := sv.MinScore(); n <= sv.MaxScore(); n++ {
		ch := choice{Value: n, Label: answerLabel(L, sv, n), Checked: f.HasScore && f.Score == n}
		if sv.Kind == CSAT && sv.Scale == "faces" {
			ch.Mouth = faceMouths[n]
		}
		pg.Choices = append(pg.Choices, ch)
	}
	switch {
	case sv.Kind == CSAT && sv.Scale == "faces":
		pg.Control = "faces"
	case sv.Kind == CSAT:
		pg.Control = "stars"
	case sv.Kind == NPS:
		pg.Control = "numbers"
		pg.LowLabel, pg.HighLabel = L.T("nps.low"), L.T("nps.high")
	default:
		pg.Control = "agree"
		pg.Instruction = L.T("survey.ces.instruction")
	}
	pg.Reasons = reasonChoices(L, sv, f.Reason)
	pg.NoReason = f.Reason == ""
	return pg
}

// reasonChoices are the survey's reasons in the customer's language, selected checked.
func reasonChoices(L *templates.Localizer, sv *Survey, selected string) []reasonChoice {
	var out []reasonChoice
	for _, r := range sv.Reasons {
		out = append(out, reasonChoice{Code: r.Code, Label: r.Label.In(L.Lang), Checked: selected == r.Code})
	}
	return out
}

// answerLabel names a score the way the customer saw it.
func answerLabel(L *templates.Localizer, sv *Survey, n int) string {
	switch {
	case sv.Kind == CSAT && sv.Scale == "stars":
		return L.T("csat.star", "N", n, "Label", L.T("csat."+strconv.Itoa(n)))
	case sv.Kind == CSAT:
		return L.T("csat." + strconv.Itoa(n))
	case sv.Kind == NPS:
		return L.T("nps.choice", "N", n)
	}
	return L.T("ces" + strconv.Itoa(sv.Points) + "." + strconv.Itoa(n))
}

// message renders a page that only explains something: a bad, expired or closed link.
func (p *Pages) message(c *echo.Context, status int, L *templates.Localizer, company, key string, args ...any) error {
	pg := &page{L: L, Company: company, SwitchURL: SwitchURL(c, L.Lang),
		MessageTitle: L.T(key + ".title"), MessageBody: L.T(key+".body", args...)}
	pg.Title = pg.MessageTitle
	return p.render(c, status, "message", pg)
}

func (p *Pages) render(c *echo.Context, status int, name string, pg *page) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	// The page holds a personal link and perhaps an answer: never cache it anywhere.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", pg.L.Lang)
	body, err := p.pages.Render(name, pg)
	if err != nil {
		return err
	}
	return c.HTMLBlob(status, body)
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

func formatDate(L *templates.Localizer, t time.Time, loc *time.Location) string {
	return t.In(loc).Format(L.T("format.date"))
}

func (sv *Survey) hasReason(code string) bool {
	for _, r := range sv.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}
