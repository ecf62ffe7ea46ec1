package respondent

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/templates"
)

// MaxComment is the longest comment accepted, in characters.
const MaxComment = 2000

// Pages serves the respondent's side: /s/{token} shows the survey, records the answer on POST,
// and thanks the customer, in their language.
type Pages struct {
	svc      *survey.Service
	recorder *survey.Recorder
	pages    *templates.Pages
	catalog  *templates.Catalog
}

// NewPages builds the respondent pages over svc, recording answers through rec.
func NewPages(svc *survey.Service, rec *survey.Recorder, pages *templates.Pages, catalog *templates.Catalog) *Pages {
	return &Pages{svc: svc, recorder: rec, pages: pages, catalog: catalog}
}

// Register adds the respondent routes. post is the middleware for answer submissions (rate
// and body limits).
func (p *Pages) Register(e *echo.Echo, post ...echo.MiddlewareFunc) {
	e.GET("/s/:token", p.show)
	e.POST("/s/:token", p.answer, post...)
	e.GET("/s/:token/thanks", p.thanks)
}

// link is what one request to a survey link resolved to (survey.Visit is the record of a GET
// of it kept on the invitation).
type link struct {
	token string
	inv   *survey.Invitation
	sv    *survey.Survey
	ws    *survey.Workspace
	L     *templates.Localizer
}

// unusable is why a link cannot be answered: the message page to show instead of the survey.
type unusable struct {
	status  int
	L       *templates.Localizer
	company string
	key     string // the message's catalog key
	args    []any
}

func (u *unusable) Error() string { return "respondent: link cannot be answered: " + u.key }

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

// load resolves the token to its invitation, survey and workspace. A link that cannot be
// answered is an *unusable error, which the handler renders (failed).
func (p *Pages) load(c *echo.Context) (*link, error) {
	token := c.Param("token")
	ctx := c.Request().Context()
	claims, err := p.svc.VerifyLink(token)
	switch {
	case errors.Is(err, survey.ErrTokenExpired):
		L := p.localizer(c, nil, nil)
		return nil, &unusable{status: http.StatusGone, L: L, key: "msg.expired", args: []any{"Date", formatDate(L, claims.ExpiresAt, time.UTC)}}
	case err != nil:
		return nil, &unusable{status: http.StatusNotFound, L: p.localizer(c, nil, nil), key: "msg.invalid"}
	}
	inv, err := p.svc.LinkInvitation(ctx, claims.InvitationID)
	if errors.Is(err, survey.ErrNotFound) {
		return nil, &unusable{status: http.StatusNotFound, L: p.localizer(c, nil, nil), key: "msg.unknown"}
	}
	if err != nil {
		return nil, err
	}
	ws, err := p.svc.CachedWorkspace(ctx, inv.WorkspaceID)
	if err != nil {
		return nil, err
	}
	l := &link{token: token, inv: inv, ws: ws, L: p.localizer(c, inv, ws)}
	sv, err := p.svc.CachedSurvey(ctx, inv.WorkspaceID, inv.SurveyID)
	if errors.Is(err, survey.ErrNotFound) {
		return nil, &unusable{status: http.StatusNotFound, L: l.L, company: ws.CompanyName, key: "msg.unknown"}
	}
	if err != nil {
		return nil, err
	}
	if sv.Archived {
		return nil, &unusable{status: http.StatusGone, L: l.L, company: ws.CompanyName, key: "msg.archived", args: []any{"Company", ws.CompanyName}}
	}
	l.sv = sv
	return l, nil
}

// failed answers a request that load (or a later step) could not serve: the message page for
// an unusable link, the error handler for anything else.
func (p *Pages) failed(c *echo.Context, err error) error {
	if u, ok := errors.AsType[*unusable](err); ok {
		return p.message(c, u.status, u.L, u.company, u.key, u.args...)
	}
	return err
}

func (p *Pages) localizer(c *echo.Context, inv *survey.Invitation, ws *survey.Workspace) *templates.Localizer {
	return survey.PickLanguage(p.catalog, c, inv, ws)
}

func (p *Pages) editable(sv *survey.Survey, r *survey.Response) bool {
	return p.svc.Now().Before(r.CreatedAt.Add(sv.EditWindow()))
}

func (p *Pages) basePage(c *echo.Context, l *link) *page {
	return &page{
		L: l.L, Company: l.ws.CompanyName,
		Title:     l.L.T("page.title", "Company", l.ws.CompanyName),
		Action:    "/s/" + l.token,
		SwitchURL: survey.SwitchURL(c, l.L.Lang),
	}
}

func (p *Pages) commentPrompt(l *link) string {
	if s := l.sv.CommentPrompt.In(l.L.Lang); s != "" {
		return s
	}
	return l.L.T("survey.default.comment_prompt")
}

func (p *Pages) surveyPage(c *echo.Context, l *link, f answerForm, prev *survey.Response) *page {
	L, sv := l.L, l.sv
	pg := p.basePage(c, l)
	pg.Question = strings.ReplaceAll(sv.Question.In(L.Lang), "{company}", l.ws.CompanyName)
	pg.CommentPrompt = p.commentPrompt(l)
	pg.Comment = f.Comment
	pg.CommentMax = MaxComment
	pg.RenderedAt = p.svc.Now().UnixMilli()
	pg.SubmitLabel = L.T("survey.submit")
	if prev != nil {
		pg.SubmitLabel = L.T("survey.update")
		loc := l.ws.Location()
		pg.Editing = L.T("survey.editing", "Date", formatDate(L, prev.CreatedAt, loc),
			"Until", prev.CreatedAt.Add(sv.EditWindow()).In(loc).Format(L.T("format.datetime")))
	}
	for n := sv.MinScore(); n <= sv.MaxScore(); n++ {
		ch := choice{Value: n, Label: answerLabel(L, sv, n), Checked: f.HasScore && f.Score == n}
		if sv.Kind == survey.CSAT && sv.Scale == "faces" {
			ch.Mouth = faceMouths[n]
		}
		pg.Choices = append(pg.Choices, ch)
	}
	switch {
	case sv.Kind == survey.CSAT && sv.Scale == "faces":
		pg.Control = "faces"
	case sv.Kind == survey.CSAT:
		pg.Control = "stars"
	case sv.Kind == survey.NPS:
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
func reasonChoices(L *templates.Localizer, sv *survey.Survey, selected string) []reasonChoice {
	var out []reasonChoice
	for _, r := range sv.Reasons {
		out = append(out, reasonChoice{Code: r.Code, Label: r.Label.In(L.Lang), Checked: selected == r.Code})
	}
	return out
}

// answerLabel names a score the way the customer saw it.
func answerLabel(L *templates.Localizer, sv *survey.Survey, n int) string {
	switch {
	case sv.Kind == survey.CSAT && sv.Scale == "stars":
		return L.T("csat.star", "N", n, "Label", L.T("csat."+strconv.Itoa(n)))
	case sv.Kind == survey.CSAT:
		return L.T("csat." + strconv.Itoa(n))
	case sv.Kind == survey.NPS:
		return L.T("nps.choice", "N", n)
	}
	return L.T("ces" + strconv.Itoa(sv.Points) + "." + strconv.Itoa(n))
}

// message renders a page that only explains something: a bad, expired or closed link.
func (p *Pages) message(c *echo.Context, status int, L *templates.Localizer, company, key string, args ...any) error {
	pg := &page{L: L, Company: company, SwitchURL: survey.SwitchURL(c, L.Lang),
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

func formatDate(L *templates.Localizer, t time.Time, loc *time.Location) string {
	return t.In(loc).Format(L.T("format.date"))
}

func hasReason(sv *survey.Survey, code string) bool {
	for _, r := range sv.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}
