package survey

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/survey/apikey"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// scenario is one API request and what must come back (pocketbase's ApiScenario, trimmed).
type scenario struct {
	name   string
	method string
	url    string
	key    string // "" sends no Authorization header
	body   any
	header []string
	status int
	want   []string // substrings of the body
}

func (en *env) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	all := make([]apitest.Scenario, len(scenarios))
	for i, sc := range scenarios {
		all[i] = apitest.Scenario{Name: sc.name, Method: sc.method, URL: sc.url, Key: sc.key, Body: sc.body,
			Header: sc.header, Status: sc.status, Want: sc.want}
	}
	apitest.Run(t, en.e, all, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		if sc.Status >= 400 && !strings.HasPrefix(sc.URL, "/s/") {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("error content type %q, want application/problem+json", ct)
			}
		}
	})
}

func TestSurveyCreate(t *testing.T) {
	en := newEnv(t)
	k := en.key
	en.run(t, []scenario{
		{"nps from kind and name alone", "POST", "/api/v1/surveys", k, `{"kind":"nps","name":"x"}`, nil, 201,
			[]string{`"points":11`, `"How likely are you to recommend {company}`, `"vi":"Bạn có sẵn lòng giới thiệu {company}`, `"thank_you":{"en":"Your feedback helps us`}},
		{"csat defaults to stars", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"Support"}`, nil, 201, []string{`"scale":"stars"`, `"points":5`}},
		{"csat faces", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"Chat","scale":"faces"}`, nil, 201, []string{`"scale":"faces"`}},
		{"ces defaults to 7 points", "POST", "/api/v1/surveys", k, `{"kind":"ces","name":"Effort"}`, nil, 201, []string{`"points":7`}},
		{"ces 5 points", "POST", "/api/v1/surveys", k, `{"kind":"ces","name":"Effort","points":5}`, nil, 201, []string{`"points":5`}},
		{"custom question in one language", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"x","question":{"vi":"Bạn thấy thế nào?"},"link_valid_days":7,"edit_window_hours":0}`, nil, 201,
			[]string{`"question":{"en":"","vi":"Bạn thấy thế nào?"}`, `"link_valid_days":7`, `"edit_window_hours":0`}},
		{"reasons", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"x","reasons":[{"code":"price","label":{"en":"Price"},"about":"price"}]}`, nil, 201,
			[]string{`"reasons":[{"code":"price","label":{"en":"Price","vi":""},"about":"price"}]`}},
	})
}

func TestSurveyCreateRejectsBadInput(t *testing.T) {
	en := newEnv(t)
	k := en.key
	big := `{"kind":"nps","name":"` + strings.Repeat("x", 3<<20) + `"}`
	en.run(t, []scenario{
		{"malformed json", "POST", "/api/v1/surveys", k, `{"kind":"nps",`, nil, 400, []string{"not valid JSON"}},
		{"syntax error", "POST", "/api/v1/surveys", k, `{"kind" "nps"}`, nil, 400, []string{"not valid JSON"}},
		{"empty body", "POST", "/api/v1/surveys", k, ``, nil, 400, []string{"empty"}},
		{"two values", "POST", "/api/v1/surveys", k, `{"kind":"nps","name":"a"}{}`, nil, 400, []string{"single JSON value"}},
		{"unknown field", "POST", "/api/v1/surveys", k, `{"kind":"nps","name":"a","colour":"red"}`, nil, 400, []string{`"field":"colour"`, "not a known field"}},
		{"wrong type", "POST", "/api/v1/surveys", k, `{"kind":"nps","name":5}`, nil, 400, []string{`"field":"name"`, "must be a string"}},
		{"wrong nested type", "POST", "/api/v1/surveys", k, `{"kind":"nps","name":"a","question":"hi"}`, nil, 400, []string{`"field":"question"`, "must be an object"}},
		{"array body", "POST", "/api/v1/surveys", k, `[]`, nil, 400, []string{"must be an object"}},
		{"unknown kind", "POST", "/api/v1/surveys", k, `{"kind":"ces2","name":"a"}`, nil, 422, []string{`"field":"kind"`, "must be one of: csat, nps, ces"}},
		{"missing kind and name", "POST", "/api/v1/surveys", k, `{}`, nil, 422, []string{`"field":"kind"`, `"field":"name"`}},
		{"blank name", "POST", "/api/v1/surveys", k, `{"kind":"nps","name":"  "}`, nil, 422, []string{`"field":"name"`}},
		{"scale on nps", "POST", "/api/v1/surveys", k, `{"kind":"nps","name":"a","scale":"stars"}`, nil, 422, []string{`"field":"scale"`}},
		{"bad scale", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"a","scale":"hearts"}`, nil, 422, []string{`"field":"scale"`}},
		{"ces 6 points", "POST", "/api/v1/surveys", k, `{"kind":"ces","name":"a","points":6}`, nil, 422, []string{`"field":"points"`, "5 or 7"}},
		{"csat 10 points", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"a","points":10}`, nil, 422, []string{`"field":"points"`}},
		{"empty question", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"a","question":{"en":" "}}`, nil, 422, []string{`"field":"question"`}},
		{"link valid 0 days", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"a","link_valid_days":0}`, nil, 422, []string{`"field":"link_valid_days"`}},
		{"edit window negative", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"a","edit_window_hours":-1}`, nil, 422, []string{`"field":"edit_window_hours"`}},
		{"duplicate reason codes", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"a","reasons":[{"code":"x","label":{"en":"X"},"about":"price"},{"code":"x","label":{"en":"Y"},"about":"price"}]}`, nil, 422, []string{`"field":"reasons"`}},
		{"bad reason subject", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"a","reasons":[{"code":"x","label":{"en":"X"},"about":"weather"}]}`, nil, 422, []string{`"field":"reasons[0].about"`}},
		{"reason without label", "POST", "/api/v1/surveys", k, `{"kind":"csat","name":"a","reasons":[{"code":"x","label":{},"about":"price"}]}`, nil, 422, []string{`"field":"reasons[0].label"`}},
		{"name too long", "POST", "/api/v1/surveys", k, `{"kind":"nps","name":"` + strings.Repeat("x", 201) + `"}`, nil, 422, []string{`"field":"name"`, "at most 200 characters"}},
		{"oversized body", "POST", "/api/v1/surveys", k, big, nil, 413, []string{"larger than"}},
		{"not json", "POST", "/api/v1/surveys", k, `kind=nps`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, nil},
	})
	if n := en.count("surveys", nil); n != 0 {
		t.Fatalf("bad requests stored %d surveys", n)
	}
}

func TestAuthAndScopes(t *testing.T) {
	en := newEnv(t)
	read := en.keyFor(en.ws, apikey.ScopeRead)
	write := en.keyFor(en.ws, apikey.ScopeWrite)
	revoked := en.keyFor(en.ws, apikey.ScopeAdmin)
	keys, _ := en.keys.List(t.Context(), en.ws.ID)
	for _, k := range keys {
		if strings.HasPrefix(revoked, k.Prefix) {
			if err := en.keys.Revoke(t.Context(), en.ws.ID, k.ID.Hex()); err != nil {
				t.Fatal(err)
			}
		}
	}
	en.run(t, []scenario{
		{"no key", "GET", "/api/v1/surveys", "", nil, nil, 401, []string{"Bearer"}},
		{"unknown key", "GET", "/api/v1/surveys", "sd_forged0000000000000000000000000000", nil, nil, 401, nil},
		{"not a surveyd key", "GET", "/api/v1/surveys", "hunter2", nil, nil, 401, nil},
		{"revoked key", "GET", "/api/v1/surveys", revoked, nil, nil, 401, nil},
		{"read key reads", "GET", "/api/v1/surveys", read, nil, nil, 200, []string{`"data":[]`}},
		{"read key cannot write", "POST", "/api/v1/surveys", read, `{"kind":"nps","name":"x"}`, nil, 403, []string{"scope"}},
		{"write key writes", "POST", "/api/v1/surveys", write, `{"kind":"nps","name":"x"}`, nil, 201, nil},
		{"write key cannot change the workspace", "PATCH", "/api/v1/workspace", write, `{"company_name":"X"}`, nil, 403, nil},
		{"admin changes the workspace", "PATCH", "/api/v1/workspace", en.key, `{"company_name":"Acme Vietnam","time_zone":"Asia/Bangkok","default_locale":"en"}`, nil, 200,
			[]string{`"company_name":"Acme Vietnam"`, `"time_zone":"Asia/Bangkok"`}},
		{"bad time zone", "PATCH", "/api/v1/workspace", en.key, `{"time_zone":"Mars/Olympus"}`, nil, 422, []string{`"field":"time_zone"`}},
		{"bad locale", "PATCH", "/api/v1/workspace", en.key, `{"default_locale":"fr"}`, nil, 422, []string{`"field":"default_locale"`}},
	})
	rec := en.do("GET", "/api/v1/surveys", "", nil)
	if rec.Header().Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
}

// Another workspace's ids behave exactly like ids that do not exist.
func TestWorkspaceIsolation(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"csat","name":"Ours"}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com"}`)
	en.respond(tok, formAnswer("5"))
	_, other := en.workspace("Rival")
	id := sv.ID.Hex()
	en.run(t, []scenario{
		{"get survey", "GET", "/api/v1/surveys/" + id, other, nil, nil, 404, nil},
		{"update survey", "PATCH", "/api/v1/surveys/" + id, other, `{"name":"mine now"}`, nil, 404, nil},
		{"archive survey", "POST", "/api/v1/surveys/" + id + "/archive", other, nil, nil, 404, nil},
		{"invite to survey", "POST", "/api/v1/invitations", other, `{"survey_id":"` + id + `","customer":{"email":"x@example.com"}}`, nil, 422, []string{`"field":"survey_id"`}},
		{"get invitation", "GET", "/api/v1/invitations/" + inv.ID.Hex(), other, nil, nil, 404, nil},
		{"list surveys", "GET", "/api/v1/surveys", other, nil, nil, 200, []string{`"data":[]`}},
		{"list invitations", "GET", "/api/v1/invitations?survey_id=" + id, other, nil, nil, 200, []string{`"data":[]`}},
		{"list responses", "GET", "/api/v1/responses?survey_id=" + id, other, nil, nil, 200, []string{`"data":[]`}},
		{"malformed id", "GET", "/api/v1/surveys/not-an-id", en.key, nil, nil, 404, nil},
	})
	if got, _ := en.svc.Survey(t.Context(), en.ws.ID, sv.ID); got.Name != "Ours" || got.Archived {
		t.Fatalf("another workspace changed our survey: %+v", got)
	}
}

func TestSurveyUpdateAndArchive(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"ces","name":"Effort","points":5}`)
	u := "/api/v1/surveys/" + sv.ID.Hex()
	en.run(t, []scenario{
		{"rename", "PATCH", u, en.key, `{"name":"Effort after chat","thank_you":{"en":"Cheers","vi":"Cảm ơn"}}`, nil, 200, []string{`"name":"Effort after chat"`, `"thank_you":{"en":"Cheers","vi":"Cảm ơn"}`, `"points":5`}},
		{"same kind is fine", "PATCH", u, en.key, `{"kind":"ces","points":5}`, nil, 200, nil},
		{"kind is fixed", "PATCH", u, en.key, `{"kind":"nps"}`, nil, 422, []string{`"field":"kind"`}},
		{"points are fixed", "PATCH", u, en.key, `{"points":7}`, nil, 422, []string{`"field":"points"`}},
		{"archive", "POST", u + "/archive", en.key, nil, nil, 200, []string{`"archived":true`}},
		{"listed as archived", "GET", "/api/v1/surveys?archived=true", en.key, nil, nil, 200, []string{sv.ID.Hex()}},
		{"bad archived filter", "GET", "/api/v1/surveys?archived=maybe", en.key, nil, nil, 400, []string{`"field":"archived"`}},
		{"no invitations to an archived survey", "POST", "/api/v1/invitations", en.key, `{"survey_id":"` + sv.ID.Hex() + `","customer":{"email":"a@example.com"}}`, nil, 422, []string{"archived"}},
		{"restore", "POST", u + "/restore", en.key, nil, nil, 200, []string{`"archived":false`}},
		{"invitations again", "POST", "/api/v1/invitations", en.key, `{"survey_id":"` + sv.ID.Hex() + `","customer":{"email":"a@example.com"}}`, nil, 201, nil},
	})
}

func TestInvitations(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"nps","name":"NPS"}`)
	id := sv.ID.Hex()
	one := func(extra string) string {
		return `{"survey_id":"` + id + `","customer":{"email":"lan@example.com","name":"Lan","locale":"vi-VN","id":"C1"}` + extra + `}`
	}
	en.run(t, []scenario{
		{"create", "POST", "/api/v1/invitations", en.key, one(`,"interaction":{"id":"T9","agent":"Minh","team":"Billing","channel":" Chat ","country":"vn","occurred_at":"2026-06-16T08:00:00+07:00"},"send":false`), nil, 201,
			[]string{`"status":"created"`, `"link":"http://surveyd.test/s/`, `"country":"VN"`, `"channel":"chat"`, `"occurred_at":"2026-06-16T01:00:00Z"`, `"send":false`}},
		{"send defaults to true", "POST", "/api/v1/invitations", en.key, one(""), nil, 201, []string{`"send":true`}},
		{"bad email", "POST", "/api/v1/invitations", en.key, `{"survey_id":"` + id + `","customer":{"email":"lan"}}`, nil, 422, []string{`"field":"customer.email"`}},
		{"no customer", "POST", "/api/v1/invitations", en.key, `{"survey_id":"` + id + `"}`, nil, 422, []string{`"field":"customer"`}},
		{"bad survey id and email together", "POST", "/api/v1/invitations", en.key, `{"survey_id":"zz","customer":{"email":"x"}}`, nil, 422, []string{`"field":"survey_id"`, `"field":"customer.email"`}},
		{"unknown survey", "POST", "/api/v1/invitations", en.key, `{"survey_id":"` + bson.NewObjectID().Hex() + `","customer":{"email":"a@example.com"}}`, nil, 422, []string{"does not name a survey"}},
		{"bad country", "POST", "/api/v1/invitations", en.key, one(`,"interaction":{"country":"Vietnam"}`), nil, 422, []string{`"field":"interaction.country"`}},
		{"bad locale", "POST", "/api/v1/invitations", en.key, `{"survey_id":"` + id + `","customer":{"email":"a@example.com","locale":"not a tag!"}}`, nil, 422, []string{`"field":"customer.locale"`}},
		{"bad timestamp", "POST", "/api/v1/invitations", en.key, one(`,"interaction":{"occurred_at":"yesterday"}`), nil, 400, []string{`"field":"interaction.occurred_at"`, "RFC 3339"}},
		{"future timestamp", "POST", "/api/v1/invitations", en.key, one(`,"interaction":{"occurred_at":"2099-01-01T00:00:00Z"}`), nil, 422, []string{`"field":"interaction.occurred_at"`}},
		{"wrong type send", "POST", "/api/v1/invitations", en.key, one(`,"send":"yes"`), nil, 400, []string{`"field":"send"`}},
		{"unknown nested field", "POST", "/api/v1/invitations", en.key, one(`,"interaction":{"mood":"happy"}`), nil, 400, []string{"mood"}},
	})
	if n := en.count("invitations", nil); n != 2 {
		t.Fatalf("stored %d invitations, want the 2 good ones", n)
	}
}

func TestInvitationBatch(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"csat","name":"CSAT"}`)
	item := `{"survey_id":"` + sv.ID.Hex() + `","customer":{"email":"a@example.com"}}`
	bad := `{"survey_id":"` + sv.ID.Hex() + `","customer":{"email":"nope"}}`
	batch := func(items ...string) string { return `{"invitations":[` + strings.Join(items, ",") + `]}` }
	many := make([]string, MaxBatch+1)
	for i := range many {
		many[i] = item
	}
	en.run(t, []scenario{
		{"one bad item stores nothing", "POST", "/api/v1/invitations/batch", en.key, batch(item, item, bad), nil, 422, []string{`"field":"invitations[2].customer.email"`}},
		{"too many", "POST", "/api/v1/invitations/batch", en.key, batch(many...), nil, 422, []string{`"field":"invitations"`, "at most 1000"}},
		{"empty", "POST", "/api/v1/invitations/batch", en.key, batch(), nil, 422, []string{`"field":"invitations"`}},
		{"not a list", "POST", "/api/v1/invitations/batch", en.key, `{"invitations":{}}`, nil, 400, []string{`"field":"invitations"`}},
	})
	if n := en.count("invitations", nil); n != 0 {
		t.Fatalf("failed batches stored %d invitations", n)
	}
	rec := en.do("POST", "/api/v1/invitations/batch", en.key, batch(many[:MaxBatch]...))
	if rec.Code != http.StatusCreated {
		t.Fatalf("batch of %d: %d %s", MaxBatch, rec.Code, rec.Body)
	}
	var out struct{ Data []Invitation }
	decode(t, rec, &out)
	if len(out.Data) != MaxBatch || out.Data[0].Link == "" || en.count("invitations", nil) != MaxBatch {
		t.Fatalf("batch returned %d invitations", len(out.Data))
	}
}

func TestListPagination(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"csat","name":"CSAT"}`)
	for range 5 {
		en.invite(sv, `{"email":"a@example.com"}`)
	}
	seen := map[string]bool{}
	url := "/api/v1/invitations?limit=2&survey_id=" + sv.ID.Hex()
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var page struct {
			Data       []Invitation `json:"data"`
			NextCursor string       `json:"next_cursor"`
		}
		rec := en.do("GET", url, en.key, nil)
		decode(t, rec, &page)
		for _, inv := range page.Data {
			if seen[inv.ID.Hex()] {
				t.Fatalf("invitation %s on two pages", inv.ID.Hex())
			}
			seen[inv.ID.Hex()] = true
		}
		if page.NextCursor == "" {
			break
		}
		url = "/api/v1/invitations?limit=2&survey_id=" + sv.ID.Hex() + "&cursor=" + page.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("pages held %d invitations, want 5", len(seen))
	}
	en.run(t, []scenario{
		{"by status", "GET", "/api/v1/invitations?status=responded", en.key, nil, nil, 200, []string{`"data":[]`}},
		{"bad status", "GET", "/api/v1/invitations?status=lost", en.key, nil, nil, 400, []string{`"field":"status"`}},
		{"bad cursor", "GET", "/api/v1/invitations?cursor=!!", en.key, nil, nil, 400, []string{`"field":"cursor"`}},
		{"limit too big", "GET", "/api/v1/invitations?limit=100000", en.key, nil, nil, 400, []string{`"field":"limit"`}},
		{"limit not a number", "GET", "/api/v1/responses?limit=ten", en.key, nil, nil, 400, []string{`"field":"limit"`}},
		{"bad survey id", "GET", "/api/v1/responses?survey_id=123", en.key, nil, nil, 400, []string{`"field":"survey_id"`}},
	})
}

// A manager overrides a response's flags; each change is audited with who, when and why, and
// survives the customer editing the answer.
func TestFlagOverridesAndFilters(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"csat","name":"a","reasons":[{"code":"price","label":{"en":"Price"},"about":"price"}],"edit_window_hours":48}`)
	inv, tok := en.invite(sv, `{"email":"a@example.com","locale":"en"}`)
	en.respond(tok, formAnswer("1", "comment", "great help, thank you", "interacted", "1"))
	other, tok2 := en.invite(sv, `{"email":"b@example.com","locale":"en"}`)
	en.respond(tok2, formAnswer("2", "reason", "price", "interacted", "1"))
	write := en.keyFor(en.ws, apikey.ScopeWrite)
	read := en.keyFor(en.ws, apikey.ScopeRead)
	_, rival := en.workspace("Rival")
	u := "/api/v1/responses/" + inv.ID.Hex() + "/flags"
	en.run(t, []scenario{
		{"filter by flag", "GET", "/api/v1/responses?flag=contradiction", read, nil, nil, 200, []string{inv.ID.Hex()}},
		{"filter by score and flag", "GET", "/api/v1/responses?flag=non_attributable&score=2", read, nil, nil, 200, []string{other.ID.Hex()}},
		{"filter by group", "GET", "/api/v1/responses?agent=Lan&channel=CHAT&country=vn", read, nil, nil, 200, []string{inv.ID.Hex(), other.ID.Hex()}},
		{"bad flag filter", "GET", "/api/v1/responses?flag=spam", read, nil, nil, 400, []string{`"field":"flag"`}},
		{"bad score filter", "GET", "/api/v1/responses?score=eleven", read, nil, nil, 400, []string{`"field":"score"`}},
		{"read key cannot override", "PATCH", u, read, `{"remove":["contradiction"],"reason":"x"}`, nil, 403, nil},
		{"reason required", "PATCH", u, write, `{"remove":["contradiction"]}`, nil, 422, []string{`"field":"reason"`}},
		{"unknown flag", "PATCH", u, write, `{"add":["spam"],"reason":"x"}`, nil, 422, []string{`"field":"add[0]"`}},
		{"add and remove the same", "PATCH", u, write, `{"add":["late"],"remove":["late"],"reason":"x"}`, nil, 422, []string{`"field":"remove"`}},
		{"nothing to do", "PATCH", u, write, `{"reason":"x"}`, nil, 422, []string{`"field":"add"`}},
		{"another workspace", "PATCH", u, rival, `{"remove":["contradiction"],"reason":"x"}`, nil, 404, nil},
		{"restore from review", "PATCH", u, write, `{"remove":["contradiction"],"reason":"Called her: the 1 was a slip"}`, nil, 200, []string{`"flags":[]`, `"removed":["contradiction"]`}},
		{"now unflagged", "GET", "/api/v1/responses?flag=none", read, nil, nil, 200, []string{inv.ID.Hex()}},
		{"mark late by hand", "PATCH", u, write, `{"add":["late"],"reason":"CRM sent the interaction a month late"}`, nil, 200, []string{`"name":"late"`, `"set by a manager"`}},
		{"audit", "GET", u + "/audit", read, nil, nil, 200, []string{`"reason":"Called her: the 1 was a slip"`, `"remove":["contradiction"]`, `"key_name":"test"`, `"name":"contradiction"`}},
		{"audit of another workspace's response", "GET", u + "/audit", rival, nil, nil, 404, nil},
	})
	// The customer edits the answer: the filters run again, the manager's decisions stand.
	en.respond(tok, formAnswer("1", "comment", "great help, thank you!", "interacted", "1"))
	var r Response
	if err := en.svc.responses.FindOne(t.Context(), bson.D{{Key: "_id", Value: inv.ID}}).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if len(r.Flags) != 1 || r.Flags[0].Name != "late" || r.Revision != 2 {
		t.Fatalf("after the customer's edit: %+v", r.Flags)
	}
}

func TestWorkspaceBranding(t *testing.T) {
	en := newEnv(t)
	en.run(t, []scenario{
		{"set branding", "PATCH", "/api/v1/workspace", en.key, `{"sender_name":"Acme CX","sender_email":"cx@acme.example","logo_url":"https://acme.example/logo.png","brand_color":"#0a7d3e","reminder_days":5}`, nil, 200,
			[]string{`"sender_email":"cx@acme.example"`, `"brand_color":"#0a7d3e"`, `"reminder_days":5`}},
		{"sender name with a header break", "PATCH", "/api/v1/workspace", en.key, `{"sender_name":"Acme\r\nBcc: x@evil.example"}`, nil, 422, []string{`"field":"sender_name"`}},
		{"bad sender email", "PATCH", "/api/v1/workspace", en.key, `{"sender_email":"cx"}`, nil, 422, []string{`"field":"sender_email"`}},
		{"logo over http", "PATCH", "/api/v1/workspace", en.key, `{"logo_url":"http://acme.example/logo.png"}`, nil, 422, []string{`"field":"logo_url"`}},
		{"colour name", "PATCH", "/api/v1/workspace", en.key, `{"brand_color":"green"}`, nil, 422, []string{`"field":"brand_color"`}},
		{"too many reminder days", "PATCH", "/api/v1/workspace", en.key, `{"reminder_days":99}`, nil, 422, []string{`"field":"reminder_days"`}},
		{"wrong type", "PATCH", "/api/v1/workspace", en.key, `{"reminder_days":"3"}`, nil, 400, []string{`"field":"reminder_days"`}},
		{"clear to defaults", "PATCH", "/api/v1/workspace", en.key, `{"logo_url":"","brand_color":"","sender_email":""}`, nil, 200, []string{`"sender_name":"Acme CX"`}},
	})
	w, err := en.svc.WorkspaceByID(t.Context(), en.ws.ID)
	if err != nil || w.LogoURL != "" || w.BrandColor != "" || w.SenderEmail != "" || w.SenderName != "Acme CX" {
		t.Fatalf("after clearing: %+v, %v", w, err)
	}
}
