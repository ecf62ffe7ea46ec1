package mailer

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/templates"
)

// Email is a rendered survey email: both parts and the headers that depend on the language.
type Email struct {
	Lang      string `json:"lang"` // the language it is written in: en or vi
	Subject   string `json:"subject"`
	Preheader string `json:"preheader"` // the preview line inbox lists show after the subject
	HTML      string `json:"html"`
	Text      string `json:"text"`
}

// EmailData is what one survey email is made from.
type EmailData struct {
	Workspace      *survey.Workspace
	Survey         *survey.Survey
	Invitation     *survey.Invitation
	SurveyURL      string // the signed survey link; each answer button adds ?score=N to it
	UnsubscribeURL string
	Reminder       bool
}

// ErrUnsupportedSurvey is a survey whose kind, scale or number of points has no email form.
var ErrUnsupportedSurvey = errors.New("mailer: survey has no email form")

// Renderer turns EmailData into an Email. The email preview renders through it too, so what
// an administrator previews is what a customer receives.
type Renderer struct {
	emails  *templates.Emails
	catalog *templates.Catalog
}

// NewRenderer renders with the parsed email templates, translating through catalog.
func NewRenderer(emails *templates.Emails, catalog *templates.Catalog) *Renderer {
	return &Renderer{emails: emails, catalog: catalog}
}

// Email colours. The brand colour paints the answer buttons; the text on them is whichever of
// white and ink reads better on it.
const (
	defaultBrand = "#1f5fbf"
	white        = "#ffffff"
	ink          = "#1b1f24"
)

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// emailView is what the templates see: every text already translated and every value chosen.
type emailView struct {
	Lang      string
	Subject   string
	Preheader string
	Company   string
	LogoURL   string

	Brand, OnBrand, Tint, LinkColor string

	Greeting        string
	Intro           string
	Question        string
	Instruction     string // under the question: CES asks how much one agrees
	TextInstruction string // the plain-text part's lead-in to the answer lines
	Control         string // stars, faces, numbers or agree; faces and agree are labelled lists
	Choices         []emailChoice
	LowLabel        string
	HighLabel       string

	NextStep   string
	OpenPrompt string
	OpenLink   string
	SurveyURL  string
	Signoff    string
	Signature  string

	Why              string
	UnsubscribeIntro string
	UnsubscribeLabel string
	UnsubscribeURL   string
}

type emailChoice struct {
	Value     int
	URL       string
	Label     string // the answer's name, as the survey page names it
	Aria      string // what a screen reader announces for the button
	TextLabel string // after the number in the plain-text part; empty for NPS's middle numbers
}

// Render writes the survey email in the customer's language: the invitation's locale when
// the catalog has it, else the workspace's default, else English.
func (r *Renderer) Render(d EmailData) (*Email, error) {
	if d.Workspace == nil || d.Survey == nil || d.Invitation == nil {
		return nil, errors.New("mailer: render: workspace, survey and invitation are required")
	}
	ws, sv, inv := d.Workspace, d.Survey, d.Invitation
	control, err := emailControl(sv)
	if err != nil {
		return nil, err
	}
	surveyURL, err := parseLink(d.SurveyURL, "http", "https")
	if err != nil {
		return nil, fmt.Errorf("mailer: render invitation %s: survey link: %w", inv.ID.Hex(), err)
	}
	unsubscribeURL, err := parseLink(d.UnsubscribeURL, "http", "https", "mailto")
	if err != nil {
		return nil, fmt.Errorf("mailer: render invitation %s: unsubscribe link: %w", inv.ID.Hex(), err)
	}

	lang := r.language(ws, inv)
	L := r.catalog.Localizer(lang)
	company := oneLine(ws.CompanyName)
	if company == "" {
		company = oneLine(ws.Name)
	}
	brand := defaultBrand
	if hexColor.MatchString(ws.BrandColor) {
		brand = strings.ToLower(ws.BrandColor)
	}

	v := &emailView{
		Lang:    lang,
		Company: company,
		Subject: L.T("email.subject."+string(sv.Kind), "Company", company),
		Brand:   brand, OnBrand: onColor(brand), Tint: tint(brand, 0.1), LinkColor: linkColor(brand),
		Intro:            L.T("email.intro", "Company", company),
		Preheader:        L.T("email.preheader", "Company", company),
		Question:         question(L, sv, company),
		TextInstruction:  L.T("email.instruction"),
		Control:          control,
		NextStep:         L.T("email.next_step"),
		OpenPrompt:       L.T("email.open.prompt"),
		OpenLink:         L.T("email.open.link"),
		SurveyURL:        withoutScore(surveyURL),
		Signoff:          L.T("email.signoff"),
		Signature:        oneLine(ws.SenderName),
		Why:              L.T("email.footer.why", "Company", company),
		UnsubscribeIntro: L.T("email.footer.unsubscribe.intro", "Company", company),
		UnsubscribeLabel: L.T("email.footer.unsubscribe"),
		UnsubscribeURL:   unsubscribeURL.String(),
	}
	if u, err := parseLink(ws.LogoURL, "https", "http"); err == nil {
		v.LogoURL = u.String()
	}
	if v.Signature == "" {
		v.Signature = L.T("email.team", "Company", company)
	}
	if name := oneLine(inv.Customer.Name); name != "" {
		v.Greeting = L.T("email.greeting.named", "Name", name)
	} else {
		v.Greeting = L.T("email.greeting")
	}
	if d.Reminder {
		v.Subject = L.T("email.reminder.subject", "Subject", v.Subject)
		v.Intro = L.T("email.reminder.intro", "Company", company)
		v.Preheader = L.T("email.reminder.preheader", "Company", company)
	}
	v.Subject, v.Preheader = oneLine(v.Subject), oneLine(v.Preheader)

	for n := sv.MinScore(); n <= sv.MaxScore(); n++ {
		v.Choices = append(v.Choices, choiceFor(L, sv, control, n, withScore(surveyURL, n)))
	}
	switch control {
	case "stars":
		v.LowLabel, v.HighLabel = L.T("csat.1"), L.T("csat.5")
	case "numbers":
		v.LowLabel, v.HighLabel = L.T("nps.low"), L.T("nps.high")
	case "agree":
		v.Instruction = L.T("survey.ces.instruction")
	}

	html, text, err := r.emails.Render("survey", v)
	if err != nil {
		return nil, fmt.Errorf("mailer: render invitation %s: %w", inv.ID.Hex(), err)
	}
	return &Email{Lang: lang, Subject: v.Subject, Preheader: v.Preheader, HTML: string(html), Text: string(text)}, nil
}

func (r *Renderer) language(ws *survey.Workspace, inv *survey.Invitation) string {
	for _, tag := range []string{inv.Customer.Locale, ws.DefaultLocale} {
		if tag == "" {
			continue
		}
		if lang := r.catalog.Match(tag); lang != "" {
			return lang
		}
	}
	return templates.Languages[0]
}

// emailControl is how the survey's first question is asked in the email; it rejects what the
// catalog has no labels for rather than show a customer a message id.
func emailControl(sv *survey.Survey) (string, error) {
	switch {
	case sv.Kind == survey.CSAT && sv.Points == 5 && sv.Scale == "faces":
		return "faces", nil
	case sv.Kind == survey.CSAT && sv.Points == 5:
		return "stars", nil // as the survey page does, anything but faces is stars
	case sv.Kind == survey.NPS && sv.Points == 11:
		return "numbers", nil
	case sv.Kind == survey.CES && (sv.Points == 5 || sv.Points == 7):
		return "agree", nil
	}
	return "", fmt.Errorf("%w: %s %s with %d points", ErrUnsupportedSurvey, sv.ID.Hex(), sv.Kind, sv.Points)
}

// question is the survey's question in lang, or the default one when the survey has none.
func question(L *templates.Localizer, sv *survey.Survey, company string) string {
	q := sv.Question.In(L.Lang)
	if q == "" {
		q = L.T("survey.default.question." + string(sv.Kind))
	}
	return strings.ReplaceAll(q, "{company}", company)
}

// choiceFor labels one answer with the catalog keys the survey page uses, so the answer the
// customer clicks is named the same on the page that opens.
func choiceFor(L *templates.Localizer, sv *survey.Survey, control string, n int, link string) emailChoice {
	c := emailChoice{Value: n, URL: link}
	num := strconv.Itoa(n)
	aria := ""
	switch control {
	case "stars":
		c.Label = L.T("csat." + num)
		aria = L.T("csat.star", "N", n, "Label", c.Label)
		c.TextLabel = c.Label
	case "faces":
		c.Label = L.T("csat." + num)
		c.TextLabel = c.Label
	case "numbers":
		c.Label = L.T("nps.choice", "N", n)
		switch n {
		case sv.MinScore():
			c.TextLabel = L.T("email.nps.low")
		case sv.MaxScore():
			c.TextLabel = L.T("email.nps.high")
		}
	default:
		c.Label = L.T("ces" + strconv.Itoa(sv.Points) + "." + num)
		c.TextLabel = c.Label
	}
	if aria == "" {
		aria = c.Label
	}
	c.Aria = L.T("email.choice.aria", "Label", aria)
	return c
}

// parseLink accepts an absolute URL with one of the schemes.
func parseLink(raw string, schemes ...string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	for _, s := range schemes {
		if strings.EqualFold(u.Scheme, s) && (u.Host != "" || u.Opaque != "") {
			return u, nil
		}
	}
	return nil, fmt.Errorf("%q is not an absolute %s URL", raw, strings.Join(schemes, "/"))
}

// withScore is the survey link with ?score=n, added to any query the link already has.
func withScore(u *url.URL, n int) string {
	c := *u
	q := c.Query()
	q.Set("score", strconv.Itoa(n))
	c.RawQuery = q.Encode()
	return c.String()
}

// withoutScore is the survey link for the "open the survey" link, which preselects nothing.
func withoutScore(u *url.URL) string {
	c := *u
	q := c.Query()
	if q.Has("score") {
		q.Del("score")
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// oneLine collapses runs of white space and control characters, line breaks included, into
// single spaces: names and subjects come from outside and must not break a header or a line
// of the layout.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// onColor is white or ink, whichever contrasts more with the background colour bg (#rrggbb).
func onColor(bg string) string {
	if contrast(bg, white) >= contrast(bg, ink) {
		return white
	}
	return ink
}

// linkColor is the brand colour for links on white when it is readable there (WCAG AA),
// else the default.
func linkColor(brand string) string {
	if contrast(brand, white) >= 4.5 {
		return brand
	}
	return defaultBrand
}

// tint mixes weight of c into white: the light background of the outlined answer buttons.
func tint(c string, weight float64) string {
	rgb := parseRGB(c)
	out := "#"
	for _, v := range rgb {
		m := 255 - (255-float64(v))*weight
		out += fmt.Sprintf("%02x", int(m+0.5))
	}
	return out
}

func parseRGB(c string) [3]uint8 {
	var rgb [3]uint8
	for i := range rgb {
		v, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		rgb[i] = uint8(v)
	}
	return rgb
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c string) float64 {
	rgb := parseRGB(c)
	var lin [3]float64
	for i, v := range rgb {
		s := float64(v) / 255
		if s <= 0.04045 {
			lin[i] = s / 12.92
		} else {
			lin[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*lin[0] + 0.7152*lin[1] + 0.0722*lin[2]
}
