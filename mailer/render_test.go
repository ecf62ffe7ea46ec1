package mailer

import (
	"errors"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func newTestRenderer(t *testing.T) *Renderer {
	t.Helper()
	emails, err := templates.LoadEmails()
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := templates.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return NewRenderer(emails, catalog)
}

func testSurvey(kind survey.Kind, scale string, points int) *survey.Survey {
	return &survey.Survey{
		ID: bson.NewObjectID(), Kind: kind, Scale: scale, Points: points,
		Question: survey.Text{
			En: map[survey.Kind]string{
				survey.CSAT: "How satisfied are you with the support you received from {company}?",
				survey.NPS:  "How likely are you to recommend {company} to a friend or colleague?",
				survey.CES:  "{company} made it easy for me to handle my issue.",
			}[kind],
			Vi: map[survey.Kind]string{
				survey.CSAT: "Bạn hài lòng đến mức nào với sự hỗ trợ của {company}?",
				survey.NPS:  "Bạn có sẵn lòng giới thiệu {company} cho bạn bè hoặc đồng nghiệp không?",
				survey.CES:  "{company} đã giúp tôi giải quyết vấn đề một cách dễ dàng.",
			}[kind],
		},
	}
}

func testData(sv *survey.Survey, customerLocale string) EmailData {
	return EmailData{
		Workspace: &survey.Workspace{
			ID: bson.NewObjectID(), Name: "acme", CompanyName: "Acme", DefaultLocale: "vi",
			LogoURL: "https://acme.example/logo.png",
		},
		Survey: sv,
		Invitation: &survey.Invitation{
			ID:       bson.NewObjectID(),
			Customer: survey.Customer{Email: "lan@example.com", Name: "Lan", Locale: customerLocale},
		},
		SurveyURL:      "https://surveys.example/s/tok3n",
		UnsubscribeURL: "https://surveys.example/u/tok3n",
	}
}

var hrefRE = regexp.MustCompile(`href="([^"]*)"`)

// htmlScores are the score values of the one-click links in an HTML part, in order.
func htmlScores(t *testing.T, body string) []int {
	t.Helper()
	var scores []int
	for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
		scores = append(scores, linkScores(t, html.UnescapeString(m[1]))...)
	}
	return scores
}

var textLinkRE = regexp.MustCompile(`(?m)^(\d+)(?: – ([^:\n]+))?: (\S+)$`)

// textScores are the score values of the answer lines in a text part, checking that each
// line's number is its link's score.
func textScores(t *testing.T, body string) []int {
	t.Helper()
	var scores []int
	for _, m := range textLinkRE.FindAllStringSubmatch(body, -1) {
		got := linkScores(t, m[3])
		if len(got) != 1 || strconv.Itoa(got[0]) != m[1] {
			t.Errorf("text line %q: link scores %v", m[0], got)
		}
		scores = append(scores, got...)
	}
	return scores
}

func linkScores(t *testing.T, link string) []int {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	var scores []int
	for _, s := range u.Query()["score"] {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Errorf("link %q: score %q", link, s)
			continue
		}
		scores = append(scores, n)
	}
	return scores
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestRenderKinds(t *testing.T) {
	r := newTestRenderer(t)
	tests := map[string]struct {
		survey   *survey.Survey
		locale   string
		lang     string
		subject  string
		scores   []int
		html     []string // in the HTML part
		text     []string // in the text part
		notInAny []string
	}{
		"csat stars vi": {
			survey: testSurvey(survey.CSAT, "stars", 5), locale: "vi-VN", lang: "vi",
			subject: "Trải nghiệm gần đây của bạn với Acme thế nào?",
			scores:  seq(1, 5),
			html:    []string{`lang="vi"`, "&#9733;", `aria-label="Trả lời: 4 trên 5 sao, Hài lòng"`, "Rất không hài lòng", "Chào Lan,", "Bạn hài lòng đến mức nào với sự hỗ trợ của Acme?"},
			text:    []string{"1 – Rất không hài lòng: https://surveys.example/s/tok3n?score=1", "5 – Rất hài lòng: "},
		},
		"csat stars en": {
			survey: testSurvey(survey.CSAT, "stars", 5), locale: "en", lang: "en",
			subject: "How was your recent experience with Acme?",
			scores:  seq(1, 5),
			html:    []string{`lang="en"`, `aria-label="Answer: 1 of 5 stars, Very dissatisfied"`, "Hi Lan,"},
			text:    []string{"3 – Neither satisfied nor dissatisfied: https://surveys.example/s/tok3n?score=3"},
		},
		"csat faces vi": {
			survey: testSurvey(survey.CSAT, "faces", 5), locale: "vi", lang: "vi",
			subject:  "Trải nghiệm gần đây của bạn với Acme thế nào?",
			scores:   seq(1, 5),
			html:     []string{">Rất không hài lòng</a>", ">Bình thường</a>", `aria-label="Trả lời: Bình thường"`},
			text:     []string{"3 – Bình thường: "},
			notInAny: []string{"&#9733;"},
		},
		"csat faces en": {
			survey: testSurvey(survey.CSAT, "faces", 5), locale: "en-GB", lang: "en",
			subject: "How was your recent experience with Acme?",
			scores:  seq(1, 5),
			html:    []string{">Very dissatisfied</a>", ">Very satisfied</a>", `aria-label="Answer: Very satisfied"`},
			text:    []string{"5 – Very satisfied: "},
		},
		"nps vi": {
			survey: testSurvey(survey.NPS, "", 11), locale: "vi", lang: "vi",
			subject: "Bạn có sẵn lòng giới thiệu Acme không?",
			scores:  seq(0, 10),
			html:    []string{"0 = Hoàn toàn không", "10 = Chắc chắn có", `aria-label="Trả lời: 7 trên 10"`},
			text:    []string{"0 – Hoàn toàn không: https://surveys.example/s/tok3n?score=0", "\n5: https://surveys.example/s/tok3n?score=5\n", "10 – Chắc chắn có: "},
		},
		"nps en": {
			survey: testSurvey(survey.NPS, "", 11), locale: "en", lang: "en",
			subject: "Would you recommend Acme?",
			scores:  seq(0, 10),
			html:    []string{"0 = Not at all likely", "10 = Extremely likely", `aria-label="Answer: 0 out of 10"`},
			text:    []string{"0 – Not at all likely: ", "10 – Extremely likely: https://surveys.example/s/tok3n?score=10"},
		},
		"ces 7 vi": {
			survey: testSurvey(survey.CES, "", 7), locale: "vi", lang: "vi",
			subject: "Acme có giúp bạn giải quyết vấn đề dễ dàng không?",
			scores:  seq(1, 7),
			html:    []string{"Bạn đồng ý với nhận định này đến mức nào?", ">Hơi đồng ý</a>", ">Hoàn toàn đồng ý</a>"},
			text:    []string{"Acme đã giúp tôi giải quyết vấn đề một cách dễ dàng.", "7 – Hoàn toàn đồng ý: "},
		},
		"ces 7 en": {
			survey: testSurvey(survey.CES, "", 7), locale: "en", lang: "en",
			subject: "Was it easy to get help from Acme?",
			scores:  seq(1, 7),
			html:    []string{"How much do you agree with this statement?", ">Somewhat agree</a>"},
			text:    []string{"1 – Strongly disagree: ", "How much do you agree with this statement?"},
		},
		"ces 5 vi": {
			survey: testSurvey(survey.CES, "", 5), locale: "vi", lang: "vi",
			subject:  "Acme có giúp bạn giải quyết vấn đề dễ dàng không?",
			scores:   seq(1, 5),
			text:     []string{"3 – Không đồng ý cũng không phản đối: "},
			notInAny: []string{"Hơi đồng ý"},
		},
		"ces 5 en": {
			survey: testSurvey(survey.CES, "", 5), locale: "en", lang: "en",
			subject:  "Was it easy to get help from Acme?",
			scores:   seq(1, 5),
			text:     []string{"4 – Agree: "},
			notInAny: []string{"Somewhat agree"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := r.Render(testData(tc.survey, tc.locale))
			if err != nil {
				t.Fatal(err)
			}
			if e.Lang != tc.lang {
				t.Errorf("lang = %q, want %q", e.Lang, tc.lang)
			}
			if e.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", e.Subject, tc.subject)
			}
			if !strings.Contains(e.HTML, "<title>"+tc.subject+"</title>") {
				t.Errorf("title is not the subject")
			}
			if e.Preheader == "" || !strings.Contains(e.HTML, e.Preheader) {
				t.Errorf("preheader %q missing from the HTML part", e.Preheader)
			}
			if got := htmlScores(t, e.HTML); !slices.Equal(got, tc.scores) {
				t.Errorf("HTML one-click scores = %v, want %v", got, tc.scores)
			}
			if got := textScores(t, e.Text); !slices.Equal(got, tc.scores) {
				t.Errorf("text answer lines = %v, want %v", got, tc.scores)
			}
			for _, s := range tc.html {
				if !strings.Contains(e.HTML, s) {
					t.Errorf("HTML part lacks %q", s)
				}
			}
			for _, s := range tc.text {
				if !strings.Contains(e.Text, s) {
					t.Errorf("text part lacks %q\n%s", s, e.Text)
				}
			}
			for _, s := range tc.notInAny {
				if strings.Contains(e.HTML, s) || strings.Contains(e.Text, s) {
					t.Errorf("email contains %q", s)
				}
			}
			checkCommon(t, e)
		})
	}
}

var numericRef = regexp.MustCompile(`&#([0-9]+);`)

// checkCommon holds for every email: the footer, the layout rules and nothing untranslated.
func checkCommon(t *testing.T, e *Email) {
	t.Helper()
	for _, s := range []string{
		`<meta name="color-scheme" content="light dark">`,
		`role="presentation"`,
		`max-width:600px`,
		`href="https://surveys.example/u/tok3n"`,
		`<!--[if mso]>`,
		`src="https://acme.example/logo.png" alt="Acme"`,
	} {
		if !strings.Contains(e.HTML, s) {
			t.Errorf("HTML part lacks %q", s)
		}
	}
	if strings.Count(e.HTML, "<table") != strings.Count(e.HTML, `<table role="presentation"`) {
		t.Errorf("a layout table lacks role=presentation")
	}
	for _, part := range []string{e.HTML, e.Text, e.Subject, e.Preheader} {
		// A missing message shows as its id.
		for _, id := range []string{"email.", "csat.", "nps.", "ces5.", "ces7.", "survey.", "{company}", "ZgotmplZ"} {
			if strings.Contains(part, id) {
				t.Errorf("untranslated or rejected %q in %.200q", id, part)
			}
		}
	}
	if strings.Contains(e.Text, "<") {
		t.Errorf("text part has markup:\n%s", e.Text)
	}
	// Emoji and other characters past the Basic Multilingual Plane show as empty boxes where
	// no font has them (no colour-emoji font on many Windows and Linux mail clients).
	for _, ref := range numericRef.FindAllStringSubmatch(e.HTML, -1) {
		if n, _ := strconv.Atoi(ref[1]); n > 0xFFFF {
			t.Errorf("HTML part has %s, a character outside the Basic Multilingual Plane", ref[0])
		}
	}
	for _, c := range e.HTML + e.Text + e.Subject {
		if c > 0xFFFF {
			t.Errorf("email has %q, a character outside the Basic Multilingual Plane", c)
		}
	}
	if !strings.Contains(e.Text, "https://surveys.example/u/tok3n") || !strings.Contains(e.Text, "Acme") {
		t.Errorf("text part lacks the footer:\n%s", e.Text)
	}
}

func TestRenderFooterAndGreeting(t *testing.T) {
	r := newTestRenderer(t)
	tests := map[string]struct {
		name, locale string
		want         []string
	}{
		"en named":   {"Lan", "en", []string{"Hi Lan,", "You received this email because you recently contacted Acme.", ">Unsubscribe</a>"}},
		"en unnamed": {"", "en", []string{"Hello,", "The Acme team"}},
		"vi named":   {"Nguyễn Thị Lan", "vi", []string{"Chào Nguyễn Thị Lan,", "Bạn nhận được email này vì gần đây bạn đã liên hệ với Acme.", ">Hủy đăng ký</a>"}},
		"vi unnamed": {"  \n ", "vi", []string{"Xin chào bạn,", "Đội ngũ Acme"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := testData(testSurvey(survey.NPS, "", 11), tc.locale)
			d.Invitation.Customer.Name = tc.name
			e, err := r.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want {
				if !strings.Contains(e.HTML, s) {
					t.Errorf("HTML part lacks %q", s)
				}
				if plain := strings.TrimSuffix(strings.TrimPrefix(s, ">"), "</a>"); !strings.Contains(e.Text, plain) {
					t.Errorf("text part lacks %q", plain)
				}
			}
		})
	}
}

func TestRenderEscapesHostileNames(t *testing.T) {
	r := newTestRenderer(t)
	d := testData(testSurvey(survey.CSAT, "faces", 5), "en")
	d.Workspace.CompanyName = `<script>alert("co")</script> & "Sons"`
	d.Workspace.SenderName = `<b onmouseover=alert(1)>Support</b>`
	d.Workspace.LogoURL = `javascript:alert(1)`
	d.Workspace.BrandColor = `red;background:url(https://evil.example/x)`
	d.Invitation.Customer.Name = "<img src=x onerror=alert(1)>\r\nBcc: victim@example.com"
	e, err := r.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<img src=x", "<b onmouseover", "javascript:", "evil.example"} {
		if strings.Contains(e.HTML, bad) {
			t.Errorf("HTML part contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt; Bcc: victim@example.com", "border:1px solid #1f5fbf"} {
		if !strings.Contains(e.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	if strings.ContainsAny(e.Subject, "\r\n") || strings.ContainsAny(e.Preheader, "\r\n") {
		t.Errorf("subject %q or preheader %q spans lines", e.Subject, e.Preheader)
	}
	if !strings.Contains(e.Subject, `<script>alert("co")</script> & "Sons"`) {
		t.Errorf("subject = %q, want the company name as typed", e.Subject)
	}
	// No logo to show: the company name stands in for it.
	if strings.Contains(e.HTML, "<img") {
		t.Errorf("HTML part shows a logo from an unsafe URL")
	}
	if got := htmlScores(t, e.HTML); !slices.Equal(got, seq(1, 5)) {
		t.Errorf("HTML one-click scores = %v", got)
	}
}

func TestRenderSurveyURLWithQuery(t *testing.T) {
	r := newTestRenderer(t)
	d := testData(testSurvey(survey.CSAT, "stars", 5), "en")
	d.SurveyURL = "https://surveys.example/s/tok3n?lang=vi&score=9#top"
	e, err := r.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range hrefRE.FindAllStringSubmatch(e.HTML, -1) {
		link := html.UnescapeString(m[1])
		if !strings.Contains(link, "score=") {
			continue
		}
		if strings.Count(link, "?") != 1 || !strings.Contains(link, "lang=vi") || !strings.HasSuffix(link, "#top") {
			t.Errorf("link %q does not keep the survey link's query", link)
		}
	}
	if got := htmlScores(t, e.HTML); !slices.Equal(got, seq(1, 5)) {
		t.Errorf("HTML one-click scores = %v, want 1–5, one per link", got)
	}
	if !strings.Contains(e.HTML, `href="https://surveys.example/s/tok3n?lang=vi#top"`) {
		t.Errorf("the open-the-survey link preselects an answer")
	}
	if !strings.Contains(e.Text, "1 – Very dissatisfied: https://surveys.example/s/tok3n?lang=vi&score=1#top") {
		t.Errorf("text part:\n%s", e.Text)
	}
}

func TestRenderReminder(t *testing.T) {
	r := newTestRenderer(t)
	tests := map[string]struct {
		locale, subject, intro string
	}{
		"en": {"en", "Reminder: Would you recommend Acme?", "We recently asked about your contact with Acme"},
		"vi": {"vi", "Nhắc lại: Bạn có sẵn lòng giới thiệu Acme không?", "Gần đây chúng tôi đã hỏi ý kiến của bạn về lần liên hệ với Acme"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := testData(testSurvey(survey.NPS, "", 11), tc.locale)
			first, err := r.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			d.Reminder = true
			e, err := r.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			if e.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", e.Subject, tc.subject)
			}
			if e.Preheader == first.Preheader {
				t.Errorf("reminder preheader is the invitation's: %q", e.Preheader)
			}
			for _, part := range []string{e.HTML, e.Text} {
				if !strings.Contains(part, tc.intro) {
					t.Errorf("reminder lacks its intro %q", tc.intro)
				}
			}
			if strings.Contains(first.HTML, tc.intro) {
				t.Errorf("invitation has the reminder's intro")
			}
			if got := htmlScores(t, e.HTML); !slices.Equal(got, seq(0, 10)) {
				t.Errorf("HTML one-click scores = %v", got)
			}
			checkCommon(t, e)
		})
	}
}

func TestRenderLanguage(t *testing.T) {
	r := newTestRenderer(t)
	tests := map[string]struct {
		customer, workspace, want string
	}{
		"customer vi":                {"vi", "en", "vi"},
		"customer region tag":        {"vi-VN", "en", "vi"},
		"customer en over vi":        {"en-US", "vi", "en"},
		"customer fr, workspace vi":  {"fr", "vi", "vi"},
		"customer fr, workspace en":  {"fr-CA", "en", "en"},
		"no customer locale":         {"", "vi", "vi"},
		"neither supported":          {"fr", "de", "en"},
		"nothing known":              {"", "", "en"},
		"malformed customer locale":  {"not a tag!", "vi", "vi"},
		"malformed workspace locale": {"", "??", "en"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := testData(testSurvey(survey.CSAT, "stars", 5), tc.customer)
			d.Workspace.DefaultLocale = tc.workspace
			e, err := r.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			if e.Lang != tc.want {
				t.Errorf("lang = %q, want %q", e.Lang, tc.want)
			}
			if !strings.Contains(e.HTML, `<html lang="`+tc.want+`"`) {
				t.Errorf("html element not in %s", tc.want)
			}
		})
	}
}

func TestRenderBrandColor(t *testing.T) {
	r := newTestRenderer(t)
	tests := map[string]struct {
		brand, background, text string
	}{
		"default":      {"", "#1f5fbf", "#ffffff"},
		"dark brand":   {"#0B3D2E", "#0b3d2e", "#ffffff"},
		"light brand":  {"#ffd400", "#ffd400", "#1b1f24"},
		"not a colour": {"blue", "#1f5fbf", "#ffffff"},
		"short hex":    {"#fff", "#1f5fbf", "#ffffff"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := testData(testSurvey(survey.NPS, "", 11), "en")
			d.Workspace.BrandColor = tc.brand
			e, err := r.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(e.HTML, `bgcolor="`+tc.background+`"`); n != 11 {
				t.Errorf("%d buttons in %s, want 11", n, tc.background)
			}
			if !strings.Contains(e.HTML, "color:"+tc.text+";text-decoration:none") {
				t.Errorf("button text is not %s", tc.text)
			}
		})
	}
}

func TestRenderDefaultQuestion(t *testing.T) {
	r := newTestRenderer(t)
	sv := testSurvey(survey.NPS, "", 11)
	sv.Question = survey.Text{}
	e, err := r.Render(testData(sv, "en"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "How likely are you to recommend Acme to a friend or colleague?"; !strings.Contains(e.HTML, want) || !strings.Contains(e.Text, want) {
		t.Errorf("default question %q missing", want)
	}
	// A question written in one language only is shown in it rather than not at all.
	sv.Question = survey.Text{En: "Would you tell a friend about {company}?"}
	e, err = r.Render(testData(sv, "vi"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Text, "Would you tell a friend about Acme?") {
		t.Errorf("text part:\n%s", e.Text)
	}
}

func TestRenderRejects(t *testing.T) {
	r := newTestRenderer(t)
	tests := map[string]struct {
		change func(*EmailData)
		is     error
	}{
		"ces with 6 points":    {func(d *EmailData) { d.Survey = testSurvey(survey.CES, "", 6) }, ErrUnsupportedSurvey},
		"nps with 10 points":   {func(d *EmailData) { d.Survey = testSurvey(survey.NPS, "", 10) }, ErrUnsupportedSurvey},
		"unknown kind":         {func(d *EmailData) { d.Survey = testSurvey("mood", "", 5) }, ErrUnsupportedSurvey},
		"no survey link":       {func(d *EmailData) { d.SurveyURL = "" }, nil},
		"relative survey link": {func(d *EmailData) { d.SurveyURL = "/s/tok3n" }, nil},
		"script survey link":   {func(d *EmailData) { d.SurveyURL = "javascript:alert(1)" }, nil},
		"no unsubscribe link":  {func(d *EmailData) { d.UnsubscribeURL = "" }, nil},
		"no workspace":         {func(d *EmailData) { d.Workspace = nil }, nil},
		"no invitation":        {func(d *EmailData) { d.Invitation = nil }, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := testData(testSurvey(survey.CSAT, "stars", 5), "en")
			tc.change(&d)
			e, err := r.Render(d)
			if err == nil {
				t.Fatalf("rendered %q", e.Subject)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
		})
	}
}

// TestRenderSamples writes one email of each kind to $SURVEYD_EMAIL_SAMPLES, to look at in
// a browser or mail client: SURVEYD_EMAIL_SAMPLES=/tmp go test ./mailer/ -run RenderSamples
func TestRenderSamples(t *testing.T) {
	dir := os.Getenv("SURVEYD_EMAIL_SAMPLES")
	if dir == "" {
		t.Skip("SURVEYD_EMAIL_SAMPLES not set")
	}
	r := newTestRenderer(t)
	samples := map[string]EmailData{
		"csat-stars-vi": testData(testSurvey(survey.CSAT, "stars", 5), "vi"),
		"csat-stars-en": testData(testSurvey(survey.CSAT, "stars", 5), "en"),
		"csat-faces-vi": testData(testSurvey(survey.CSAT, "faces", 5), "vi"),
		"csat-faces-en": testData(testSurvey(survey.CSAT, "faces", 5), "en"),
		"nps-en":        testData(testSurvey(survey.NPS, "", 11), "en"),
		"nps-vi":        testData(testSurvey(survey.NPS, "", 11), "vi"),
		"ces7-vi":       testData(testSurvey(survey.CES, "", 7), "vi"),
		"ces7-en":       testData(testSurvey(survey.CES, "", 7), "en"),
		"ces5-en":       testData(testSurvey(survey.CES, "", 5), "en"),
	}
	reminder := testData(testSurvey(survey.NPS, "", 11), "vi")
	reminder.Reminder, reminder.Workspace.LogoURL, reminder.Workspace.BrandColor = true, "", "#ffd400"
	reminder.Invitation.Customer.Name = ""
	samples["nps-reminder-vi"] = reminder
	for name, d := range samples {
		e, err := r.Render(d)
		if err != nil {
			t.Fatal(err)
		}
		for ext, body := range map[string]string{".html": e.HTML, ".txt": "Subject: " + e.Subject + "\n\n" + e.Text} {
			if err := os.WriteFile(filepath.Join(dir, "email-"+name+ext), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
