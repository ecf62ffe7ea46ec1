package respondent

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func formAnswer(score string, kv ...string) url.Values {
	v := url.Values{"score": {score}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestPagesRenderEveryKind(t *testing.T) {
	en := newEnv(t)
	tests := map[string]struct {
		survey   string
		control  string
		min, max int
		text     []string
	}{
		"csat stars":   {`{"kind":"csat","name":"a"}`, "stars", 1, 5, []string{"5 of 5 stars, Very satisfied"}},
		"csat faces":   {`{"kind":"csat","name":"a","scale":"faces"}`, "faces", 1, 5, []string{"Very dissatisfied", `class="icon face face-1"`}},
		"nps numbers":  {`{"kind":"nps","name":"a"}`, "numbers", 0, 10, []string{"10 = Extremely likely", "0 out of 10"}},
		"ces 7 points": {`{"kind":"ces","name":"a"}`, "agree", 1, 7, []string{"Somewhat agree", "How much do you agree", "Acme Ltd made it easy"}},
		"ces 5 points": {`{"kind":"ces","name":"a","points":5}`, "agree", 1, 5, []string{"Strongly agree"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sv := en.CreateSurvey(tc.survey)
			_, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
			rec := en.Do("GET", "/s/"+tok, "", nil)
			body := rec.Body.String()
			if rec.Code != 200 || !strings.Contains(body, `class="question `+tc.control+`"`) {
				t.Fatalf("GET = %d, want the %s control:\n%s", rec.Code, tc.control, body)
			}
			if got := strings.Count(body, `type="radio" name="score"`); got != tc.max-tc.min+1 {
				t.Errorf("%d score choices, want %d", got, tc.max-tc.min+1)
			}
			for _, w := range append(tc.text, `value="`+strconv.Itoa(tc.min)+`"`, `value="`+strconv.Itoa(tc.max)+`"`) {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, `value="`+strconv.Itoa(tc.max+1)+`" `) {
				t.Error("page offers a score above the scale")
			}
		})
	}
}

// GET never records an answer: mail scanners fetch every link. It only preselects.
func TestGetPreselectsAndRecordsNothing(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"nps","name":"a"}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
	for range 3 {
		rec := en.Do("GET", "/s/"+tok+"?score=9", "", nil, "User-Agent", "Proofpoint URL Defense")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `value="9" checked`) || !strings.Contains(rec.Body.String(), "will be saved in a moment") {
			t.Fatalf("GET ?score=9: %d", rec.Code)
		}
	}
	if n := en.Count("responses", nil); n != 0 {
		t.Fatalf("GET recorded %d responses", n)
	}
	if got, _ := en.Core.Invitation(t.Context(), en.WS.ID, inv.ID); got.Status != survey.StatusOpened || got.OpenedAt == nil {
		t.Fatalf("invitation status %q after a visit, want opened", got.Status)
	}
	var visits struct{ Data []survey.Visit }
	surveytest.Decode(t, en.Do("GET", "/api/v1/invitations/"+inv.ID.Hex()+"/visits", en.Key, nil), &visits)
	if len(visits.Data) != 3 || visits.Data[0].UAClass != survey.UABot || visits.Data[0].Score == nil || *visits.Data[0].Score != 9 {
		t.Fatalf("visits: %+v", visits.Data)
	}
	for _, s := range []string{"11", "-1", "abc", "9.5"} {
		if body := en.Do("GET", "/s/"+tok+"?score="+s, "", nil).Body.String(); strings.Contains(body, " checked") {
			t.Errorf("?score=%s preselected something", s)
		}
	}
}

func TestAnswerAndThankYou(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"csat","name":"a","reasons":[{"code":"wait","label":{"en":"Waiting","vi":"Chờ đợi"},"about":"service"}]}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com","locale":"vi"}`)
	rec := en.Do("POST", "/s/"+tok, "", formAnswer("4", "comment", "  Nhanh, cảm ơn!  ", "reason", "wait", "interacted", "1",
		"rendered_at", strconv.FormatInt(en.Clock.Now().Add(-12*time.Second).UnixMilli(), 10)),
		"User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/s/"+tok+"/thanks?lang=vi" {
		t.Fatalf("POST = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	var r survey.Response
	if err := en.DB.Collection("responses").FindOne(t.Context(), bson.D{{Key: "invitation_id", Value: inv.ID}}).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.Score != 4 || r.Comment != "Nhanh, cảm ơn!" || r.Reason != "wait" || r.Locale != "vi" || r.Kind != survey.CSAT || r.Revision != 1 ||
		r.Interaction.Agent != "Lan" || r.Customer.Email != "a@example.com" {
		t.Fatalf("stored %+v", r)
	}
	if s := r.Signals; s.UAClass != survey.UAMobile || !s.Interacted || s.IPHash == "" || s.OnPageSeconds == nil || *s.OnPageSeconds != 12 {
		t.Fatalf("signals %+v", s)
	}
	if got, _ := en.Core.Invitation(t.Context(), en.WS.ID, inv.ID); got.Status != survey.StatusResponded || got.RespondedAt == nil {
		t.Fatalf("invitation status %q", got.Status)
	}
	page := en.Do("GET", "/s/"+tok+"/thanks?lang=vi", "", nil).Body.String()
	for _, w := range []string{"Cảm ơn bạn!", "Chúng tôi đã ghi nhận câu trả lời của bạn: 4 trên 5 sao, Hài lòng.", "Thay đổi câu trả lời"} {
		if !strings.Contains(page, w) {
			t.Errorf("thank-you page lacks %q", w)
		}
	}
	if strings.Contains(page, "Bạn có muốn chia sẻ thêm không?") {
		t.Error("asks for a comment that was already given")
	}

	list := en.Do("GET", "/api/v1/responses?survey_id="+sv.ID.Hex(), en.Key, nil).Body.String()
	for _, w := range []string{`"score":4`, `"invitation_id":"` + inv.ID.Hex(), `"ua_class":"mobile"`} {
		if !strings.Contains(list, w) {
			t.Errorf("responses list lacks %q: %s", w, list)
		}
	}
}

func TestCommentFromThankYouPage(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"nps","name":"a"}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
	en.Do("POST", "/s/"+tok, "", formAnswer("10"))
	if page := en.Do("GET", "/s/"+tok+"/thanks", "", nil).Body.String(); !strings.Contains(page, "Would you like to tell us more?") {
		t.Fatal("thank-you page does not offer a comment box")
	}
	rec := en.Do("POST", "/s/"+tok, "", formAnswer("10", "comment", "Great help", "from", "thanks"))
	if loc := rec.Header().Get("Location"); rec.Code != 303 || !strings.Contains(loc, "saved=more") {
		t.Fatalf("comment POST = %d %q", rec.Code, loc)
	}
	if n := en.Count("responses", bson.D{{Key: "invitation_id", Value: inv.ID}, {Key: "comment", Value: "Great help"}, {Key: "revision", Value: 2}}); n != 1 {
		t.Fatal("the comment did not update the same response")
	}
}

func TestAnswerRejectsBadInput(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"csat","name":"a","reasons":[{"code":"wait","label":{"en":"Waiting"},"about":"service"}]}`)
	_, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
	tests := map[string]struct {
		form   url.Values
		body   string
		status int
		want   string
	}{
		"no score":          {form: url.Values{"comment": {"hi"}}, status: 422, want: "Please choose an answer"},
		"score above scale": {form: formAnswer("6"), status: 422, want: "Please choose an answer"},
		"score below scale": {form: formAnswer("0"), status: 422, want: "Please choose an answer"},
		"score not number":  {form: formAnswer("five"), status: 422, want: "Please choose an answer"},
		"unknown reason":    {form: formAnswer("3", "reason", "price"), status: 422, want: "choose one of the listed topics"},
		"comment too long":  {form: formAnswer("3", "comment", strings.Repeat("é", MaxComment+1)), status: 422, want: "longer than 2000 characters"},
		"oversized body":    {body: "score=3&comment=" + strings.Repeat("x", 70<<10), status: 413},
		// What no browser sends: refused whole, naming the field, rather than read one way.
		"repeated score":          {body: "score=2&score=5", status: 400, want: `"field":"score"`},
		"repeated comment":        {body: "score=3&comment=a&comment=b", status: 400, want: `"field":"comment"`},
		"NUL in the score":        {form: formAnswer("3\x00"), status: 400, want: `"field":"score"`},
		"NUL in the comment":      {form: formAnswer("3", "comment", "fine\x00"), status: 400, want: `"field":"comment"`},
		"NUL in the reason":       {form: formAnswer("3", "reason", "wait\x00"), status: 400, want: `"field":"reason"`},
		"comment not UTF-8":       {body: "score=3&comment=caf%E9", status: 400, want: `"field":"comment"`},
		"reason not UTF-8":        {body: "score=3&reason=%FF", status: 400, want: `"field":"reason"`},
		"malformed percent-codes": {body: "score=3&comment=%zz", status: 400, want: "form"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var body any = tc.form
			if tc.body != "" {
				body = tc.body
			}
			rec := en.Do("POST", "/s/"+tok, "", body, "Content-Type", "application/x-www-form-urlencoded")
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("POST = %d, want %d with %q:\n%s", rec.Code, tc.status, tc.want, rec.Body)
			}
			if tc.status == 422 && !strings.Contains(rec.Body.String(), `role="alert"`) {
				t.Error("errors are not announced to screen readers")
			}
		})
	}
	if n := en.Count("responses", nil); n != 0 {
		t.Fatalf("bad answers stored %d responses", n)
	}
}

// Answering again inside the edit window changes the one response; after it, nothing changes.
func TestEditWindowAndReplay(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"nps","name":"a","edit_window_hours":2}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
	form := formAnswer("3", "comment", "slow")
	for i := range 2 { // a double-submit or a replayed form
		if rec := en.Do("POST", "/s/"+tok, "", form); rec.Code != 303 {
			t.Fatalf("POST %d = %d", i, rec.Code)
		}
	}
	en.Clock.Advance(90 * time.Minute)
	if page := en.Do("GET", "/s/"+tok, "", nil).Body.String(); !strings.Contains(page, "You can change your answer until") || !strings.Contains(page, `value="3" checked`) {
		t.Fatalf("editing page does not show the earlier answer:\n%s", page)
	}
	if rec := en.Do("POST", "/s/"+tok, "", formAnswer("8", "comment", "fixed after all")); rec.Code != 303 {
		t.Fatalf("edit = %d", rec.Code)
	}
	filter := bson.D{{Key: "invitation_id", Value: inv.ID}}
	if n := en.Count("responses", filter); n != 1 {
		t.Fatalf("%d responses for one invitation", n)
	}
	if n := en.Count("responses", append(filter, bson.E{Key: "score", Value: 8}, bson.E{Key: "revision", Value: 3})); n != 1 {
		t.Fatal("the edit did not update the response in place")
	}

	en.Clock.Advance(31 * time.Minute) // past the 2-hour window
	rec := en.Do("POST", "/s/"+tok, "", formAnswer("0"))
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "the time to change it has passed") {
		t.Fatalf("late edit = %d:\n%s", rec.Code, rec.Body)
	}
	if page := en.Do("GET", "/s/"+tok, "", nil); page.Code != 200 || !strings.Contains(page.Body.String(), "Your answer is already recorded") {
		t.Fatalf("late visit = %d", page.Code)
	}
	if n := en.Count("responses", append(filter, bson.E{Key: "score", Value: 8})); n != 1 {
		t.Fatal("a late edit changed the stored answer")
	}
}

func TestLanguageChoice(t *testing.T) {
	en := newEnv(t) // the workspace default is vi
	sv := en.CreateSurvey(`{"kind":"csat","name":"a"}`)
	_, tokVi := en.invite(sv, `{"email":"a@example.com","locale":"vi-VN"}`)
	_, tokNone := en.invite(sv, `{"email":"b@example.com"}`)
	_, tokFr := en.invite(sv, `{"email":"c@example.com","locale":"fr"}`)
	tests := map[string]struct {
		url, accept, lang, text string
	}{
		"invitation locale":                  {"/s/" + tokVi, "en-US,en", "vi", "Bạn hài lòng đến mức nào"},
		"?lang switches":                     {"/s/" + tokVi + "?lang=en", "", "en", "How satisfied are you"},
		"accept-language without a locale":   {"/s/" + tokNone, "en-GB,en;q=0.9", "en", "How satisfied are you"},
		"workspace default as the last word": {"/s/" + tokNone, "", "vi", "Bạn hài lòng"},
		"unsupported locale falls through":   {"/s/" + tokFr, "fr-FR, en;q=0.5", "en", "How satisfied"},
		"error pages too":                    {"/s/garbage", "vi", "vi", "Liên kết này không hợp lệ"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := en.Do("GET", tc.url, "", nil, "Accept-Language", tc.accept)
			body := rec.Body.String()
			if !strings.Contains(body, `<html lang="`+tc.lang+`">`) || !strings.Contains(body, tc.text) || rec.Header().Get("Content-Language") != tc.lang {
				t.Fatalf("want %s page with %q, got:\n%s", tc.lang, tc.text, body)
			}
		})
	}
}

func TestLinksThatCannotBeAnswered(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"csat","name":"a","link_valid_days":1}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
	ghost := en.Signer.Sign(bson.NewObjectID(), en.Clock.Now().Add(time.Hour))
	forged := tok[:len(tok)-2] + "AA"
	if forged == tok {
		forged = tok[:len(tok)-2] + "BB"
	}
	check := func(name, method, url string, status int, want string) {
		t.Helper()
		var body any
		if method == "POST" {
			body = formAnswer("5")
		}
		rec := en.Do(method, url, "", body)
		if rec.Code != status || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %s %s = %d, want %d with %q", name, method, url, rec.Code, status, want)
		}
		if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: page without CSP or no-store", name)
		}
	}
	check("forged", "GET", "/s/"+forged, 404, "This link does not work")
	check("forged answer", "POST", "/s/"+forged, 404, "This link does not work")
	check("truncated", "GET", "/s/"+tok[:20], 404, "This link does not work")
	check("unknown invitation", "GET", "/s/"+ghost, 404, "We could not find this survey")
	en.Do("POST", "/api/v1/surveys/"+sv.ID.Hex()+"/archive", en.Key, nil)
	check("archived survey", "GET", "/s/"+tok, 410, "no longer running")
	check("archived survey answer", "POST", "/s/"+tok, 410, "no longer running")
	en.Do("POST", "/api/v1/surveys/"+sv.ID.Hex()+"/restore", en.Key, nil)
	en.Clock.Advance(25 * time.Hour)
	check("expired", "GET", "/s/"+tok, 410, "This survey has closed")
	check("expired answer", "POST", "/s/"+tok, 410, "This survey has closed")
	if n := en.Count("responses", bson.D{{Key: "invitation_id", Value: inv.ID}}); n != 0 {
		t.Fatalf("%d responses stored through unusable links", n)
	}
}

// The bias filters run as the answer is written and are kept with their evidence.
func TestAnswersCarryTheirFlags(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"csat","name":"a","reasons":[{"code":"price","label":{"en":"Price"},"about":"price"}]}`)
	stored := func(inv *survey.Invitation) survey.Response {
		t.Helper()
		var r survey.Response
		if err := en.DB.Collection("responses").FindOne(t.Context(), bson.D{{Key: "_id", Value: inv.ID}}).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	names := func(r survey.Response) []string {
		var out []string
		for _, f := range r.Flags {
			out = append(out, f.Name)
		}
		return out
	}

	// A mail scanner opens every star of the email within a second, then "answers".
	scanned, tok := en.invite(sv, `{"email":"a@example.com","locale":"vi"}`)
	for s := 1; s <= 5; s++ {
		en.Do("GET", "/s/"+tok+"?score="+strconv.Itoa(s), "", nil, "User-Agent", "Mozilla/5.0 Safari")
	}
	en.Do("POST", "/s/"+tok, "", formAnswer("1", "comment", "rất tốt, cảm ơn", "confirm", "auto"), "User-Agent", "Mozilla/5.0 Safari")
	if got := names(stored(scanned)); !slices.Contains(got, "automated") || !slices.Contains(got, "contradiction") {
		t.Fatalf("scanner answer flags = %v, want automated and contradiction", got)
	}

	// A person who answers a while later, blaming the price, is only non-attributable.
	person, tok := en.invite(sv, `{"email":"b@example.com","locale":"en"}`)
	en.Do("GET", "/s/"+tok+"?score=2", "", nil)
	en.Clock.Advance(time.Minute)
	en.Do("POST", "/s/"+tok, "", formAnswer("2", "reason", "price", "interacted", "1"))
	r := stored(person)
	if got := names(r); len(got) != 1 || got[0] != "non_attributable" || r.Flags[0].Evidence == "" {
		t.Fatalf("person's answer flags = %+v", r.Flags)
	}
}

// The editing note names the deadline as people write it, in the workspace's zone: a time and
// a date, never a raw UTC offset such as "+07".
func TestEditingDeadlineReadsNaturally(t *testing.T) {
	en := newEnv(t) // the workspace is in Asia/Ho_Chi_Minh
	en.Clock.Advance(time.Date(2026, 12, 3, 8, 33, 0, 0, time.UTC).Sub(en.Clock.Now()))
	sv := en.CreateSurvey(`{"kind":"nps","name":"a","edit_window_hours":24}`)
	tests := map[string]string{
		"vi": "Bạn đã trả lời vào 03/12/2026. Bạn có thể thay đổi câu trả lời đến 15:33 ngày 04/12/2026.",
		"en": "You answered on Dec 3, 2026. You can change your answer until 3:33 PM on Dec 4, 2026.",
	}
	for lang, want := range tests {
		t.Run(lang, func(t *testing.T) {
			_, tok := en.invite(sv, `{"email":"a@example.com","locale":"`+lang+`"}`)
			if rec := en.Do("POST", "/s/"+tok, "", formAnswer("9")); rec.Code != http.StatusSeeOther {
				t.Fatalf("POST = %d", rec.Code)
			}
			page := en.Do("GET", "/s/"+tok, "", nil).Body.String()
			if !strings.Contains(page, `<p class="note">`+want+`</p>`) {
				t.Errorf("editing note is not %q:\n%s", want, page)
			}
		})
	}
}

// A choice tapped in the email is confirmed by the page before the customer could pick a
// reason, so the thank-you page asks for the reason (and a comment) afterwards.
func TestThankYouAsksReasonAfterEmailTap(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"csat","name":"a","reasons":[{"code":"wait","label":{"en":"Waiting","vi":"Chờ đợi"},"about":"service"}]}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
	en.Do("GET", "/s/"+tok+"?score=2", "", nil)
	if rec := en.Do("POST", "/s/"+tok, "", formAnswer("2", "reason", "", "confirm", "auto")); rec.Code != http.StatusSeeOther {
		t.Fatalf("automatic confirm = %d", rec.Code)
	}
	page := en.Do("GET", "/s/"+tok+"/thanks", "", nil).Body.String()
	for _, w := range []string{"What was this mainly about?", `name="reason" value="wait"`, "Waiting", `name="comment"`} {
		if !strings.Contains(page, w) {
			t.Errorf("thank-you page after an email tap lacks %q", w)
		}
	}
	rec := en.Do("POST", "/s/"+tok, "", formAnswer("2", "reason", "wait", "comment", "", "from", "thanks"))
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.Contains(loc, "saved=") {
		t.Fatalf("reason POST = %d %q", rec.Code, loc)
	}
	if n := en.Count("responses", bson.D{{Key: "invitation_id", Value: inv.ID}, {Key: "score", Value: 2}, {Key: "reason", Value: "wait"}}); n != 1 {
		t.Fatal("the reason from the thank-you page was not stored on the response")
	}
	page = en.Do("GET", "/s/"+tok+"/thanks?saved=more", "", nil).Body.String()
	if strings.Contains(page, "What was this mainly about?") || !strings.Contains(page, "Thank you, we have added it to your answer.") {
		t.Errorf("after the reason is given the page still asks for it, or does not confirm it:\n%s", page)
	}
	// A comment given alone keeps the reason given before it.
	en.Do("POST", "/s/"+tok, "", formAnswer("2", "reason", "wait", "comment", "Too slow", "from", "thanks"))
	if n := en.Count("responses", bson.D{{Key: "invitation_id", Value: inv.ID}, {Key: "reason", Value: "wait"}, {Key: "comment", Value: "Too slow"}}); n != 1 {
		t.Fatal("the comment from the thank-you page lost the reason")
	}
}

// A refused form leaves an answer already given as it was.
func TestRefusedFormKeepsTheAnswer(t *testing.T) {
	en := newEnv(t)
	sv := en.CreateSurvey(`{"kind":"nps","name":"a","edit_window_hours":2}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if rec := en.Do("POST", "/s/"+tok, "", "score=9&comment=Quick", form...); rec.Code != http.StatusSeeOther {
		t.Fatalf("first answer: %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{"score=2&score=5", "score=2&comment=Slow%00", "score=2&comment=%FF"} {
		if rec := en.Do("POST", "/s/"+tok, "", body, form...); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400: %s", body, rec.Code, rec.Body)
		}
	}
	r, err := en.Core.ResponseFor(t.Context(), inv.ID)
	if err != nil || r == nil || r.Score != 9 || r.Comment != "Quick" || r.Revision != 1 {
		t.Fatalf("answer after refused forms: %+v %v, want score 9, comment Quick, revision 1", r, err)
	}
}
