package intake

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/apitest"
)

// TestBadJSONChangesNothing sends each kind of malformed body to every endpoint that changes
// a stored thing, and checks the answer names the bad field and a read afterwards shows the
// thing as it was.
func TestBadJSONChangesNothing(t *testing.T) {
	h := newHookEnv(t, `"quiet_hours":{"start":"21:00","end":"08:00"}`)
	k := h.Key
	// field is a member of the endpoint's body, good its good value. The text checks come
	// before the type checks, so bad text in the integer overlap_hours is named as bad text.
	endpoints := []struct{ name, method, url, read, field, good string }{
		{"survey", "PATCH", "/api/v1/surveys/" + h.sv.ID.Hex(), "/api/v1/surveys/" + h.sv.ID.Hex(), "name", `"Renamed"`},
		{"workspace", "PATCH", "/api/v1/workspace", "/api/v1/workspace", "company_name", `"Renamed"`},
		{"rule", "PATCH", "/api/v1/rules/" + h.rule.ID.Hex(), "/api/v1/rules", "name", `"Renamed"`},
		{"rotate", "POST", "/api/v1/integrations/" + h.integ.ID.Hex() + "/rotate", "/api/v1/integrations", "overlap_hours", `1`},
	}
	// GOOD is the endpoint's good member; want is the field the answer must name.
	bodies := []struct{ name, body, want string }{
		{"null body", `null`, "body"},
		{"array body", `[{GOOD}]`, "body"},
		{"string body", `"x"`, "body"},
		{"number body", `5`, "body"},
		{"invalid UTF-8", `{"FIELD":"a` + "\xff" + `b"}`, "FIELD"},
		{"lone surrogate", `{"FIELD":"a\ud800b"}`, "FIELD"},
		{"lone low surrogate", `{"FIELD":"a\udc00b"}`, "FIELD"},
		{"escaped NUL", `{"FIELD":"a\u0000b"}`, "FIELD"},
		{"repeated member", `{GOOD,GOOD}`, "FIELD"},
	}
	var scenarios []apitest.Scenario
	reads := map[string]string{}
	before := map[string]string{}
	for _, ep := range endpoints {
		before[ep.read] = h.Do("GET", ep.read, k, nil).Body.String()
		for _, b := range bodies {
			body := strings.ReplaceAll(b.body, "GOOD", `"`+ep.field+`":`+ep.good)
			body = strings.ReplaceAll(body, "FIELD", ep.field)
			sc := apitest.Scenario{Name: ep.name + "/" + b.name, Method: ep.method, URL: ep.url, Key: k, Body: body,
				Status: 400, Want: []string{`"field":"` + strings.ReplaceAll(b.want, "FIELD", ep.field) + `"`}}
			scenarios = append(scenarios, sc)
			reads[sc.Name] = ep.read
		}
	}
	nested := []apitest.Scenario{
		{Name: "rule/unknown member in quiet_hours", Method: "PATCH", URL: "/api/v1/rules/" + h.rule.ID.Hex(), Key: k,
			Body: `{"quiet_hours":{"start":"22:00","end":"07:00","zzz":1}}`, Status: 400, Want: []string{`"field":"quiet_hours.zzz"`, "not a known field"}},
		{Name: "rule/wrong type in quiet_hours", Method: "PATCH", URL: "/api/v1/rules/" + h.rule.ID.Hex(), Key: k,
			Body: `{"quiet_hours":{"start":5,"end":"07:00"}}`, Status: 400, Want: []string{`"field":"quiet_hours.start"`, "must be a string"}},
		{Name: "survey/unknown member in question", Method: "PATCH", URL: "/api/v1/surveys/" + h.sv.ID.Hex(), Key: k,
			Body: `{"question":{"en":"Hi?","zzz":1}}`, Status: 400, Want: []string{`"field":"question.zzz"`}},
		{Name: "survey/unknown member in a reason", Method: "PATCH", URL: "/api/v1/surveys/" + h.sv.ID.Hex(), Key: k,
			Body: `{"reasons":[{"code":"a","about":"price"},{"code":"b","about":"price","zzz":1}]}`, Status: 400, Want: []string{`"field":"reasons[1].zzz"`}},
		{Name: "survey/bad text in a nested label", Method: "PATCH", URL: "/api/v1/surveys/" + h.sv.ID.Hex(), Key: k,
			Body: `{"reasons":[{"code":"a","about":"price","label":{"en":"x\u0000"}}]}`, Status: 400, Want: []string{`"field":"reasons[0].label.en"`}},
		{Name: "workspace/NUL in a list item", Method: "PATCH", URL: "/api/v1/workspace", Key: k,
			Body: `{"exclude_flags":["late\u0000"]}`, Status: 400, Want: []string{`"field":"exclude_flags[0]"`}},
	}
	for _, sc := range nested {
		reads[sc.Name] = "/api/v1/rules"
		if strings.HasPrefix(sc.Name, "survey/") {
			reads[sc.Name] = "/api/v1/surveys/" + h.sv.ID.Hex()
		}
		if strings.HasPrefix(sc.Name, "workspace/") {
			reads[sc.Name] = "/api/v1/workspace"
		}
	}
	scenarios = append(scenarios, nested...)
	apitest.Run(t, h.Echo, scenarios, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		if after := h.Do("GET", reads[sc.Name], k, nil).Body.String(); after != before[reads[sc.Name]] {
			t.Errorf("GET %s changed:\nbefore %s\nafter  %s", reads[sc.Name], before[reads[sc.Name]], after)
		}
	})
	// The good members themselves are accepted: the bodies above failed for their bad part.
	for _, ep := range endpoints {
		body := `{"` + ep.field + `":` + ep.good + `}`
		if rec := h.Do(ep.method, ep.url, k, body); rec.Code != 200 {
			t.Errorf("%s %s %s = %d: %s", ep.method, ep.url, body, rec.Code, rec.Body)
		}
	}
}

// TestHeaderFieldsRefuseLineBreaks: every field that ends up in an email header is one line
// without control characters, through each way it comes in.
func TestHeaderFieldsRefuseLineBreaks(t *testing.T) {
	h := newHookEnv(t, "")
	k := h.Key
	sv := h.sv.ID.Hex()
	invitation := func(name, email string) string {
		return `{"survey_id":"` + sv + `","customer":{"email":"` + email + `","name":"` + name + `"},"send":false}`
	}
	event := `{"event_id":"e1","interaction":{"channel":"chat"},"customer":{"email":"lan@example.com","name":"Lan\r\nBcc: spy@example.com"}}`
	webhook := h.signed(h.integ.Secret, h.Clock.Now(), event)
	invitations := "/api/v1/invitations?survey_id=" + sv
	bad := func(name, method, url, body, field string) apitest.Scenario {
		want := []string{`"field":"` + field + `"`, "one line"}
		if strings.HasSuffix(field, "email") { // refused as not an address already
			want = want[:1]
		}
		return apitest.Scenario{Name: name, Method: method, URL: url, Key: k, Body: body, Status: 422, Want: want}
	}
	scenarios := []apitest.Scenario{
		bad("customer name with CR LF", "POST", "/api/v1/invitations", invitation(`Lan\r\nBcc: spy@example.com`, "lan@example.com"), "customer.name"),
		bad("customer name with a tab", "POST", "/api/v1/invitations", invitation(`Lan\tNguyen`, "lan@example.com"), "customer.name"),
		bad("customer name with a line separator", "POST", "/api/v1/invitations", invitation(`Lan\u2028Nguyen`, "lan@example.com"), "customer.name"),
		bad("customer email with LF", "POST", "/api/v1/invitations", invitation("Lan", `lan@example.com\nBcc: spy@example.com`), "customer.email"),
		bad("batch item's customer name", "POST", "/api/v1/invitations/batch",
			`{"invitations":[`+invitation("Lan", "lan@example.com")+`,`+invitation(`Mai\rX`, "mai@example.com")+`]}`, "invitations[1].customer.name"),
		bad("company name", "PATCH", "/api/v1/workspace", `{"company_name":"Acme\r\nBcc: spy@example.com"}`, "company_name"),
		bad("company name with a control character", "PATCH", "/api/v1/workspace", `{"company_name":"Acme\u0007"}`, "company_name"),
		bad("sender name", "PATCH", "/api/v1/workspace", `{"sender_name":"Acme\u0085Support"}`, "sender_name"),
		bad("sender email", "PATCH", "/api/v1/workspace", `{"sender_email":"help@acme.test\nBcc: spy@example.com"}`, "sender_email"),
		{Name: "interaction webhook's customer name", Method: "POST", URL: webhookURL, Body: event, Header: webhook, Status: 422,
			Want: []string{`"field":"customer.name"`, "one line"}},
	}
	reads := []string{"/api/v1/workspace", invitations}
	before := map[string]string{}
	for _, u := range reads {
		before[u] = h.Do("GET", u, k, nil).Body.String()
	}
	apitest.Run(t, h.Echo, scenarios, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		for _, u := range reads {
			if after := h.Do("GET", u, k, nil).Body.String(); after != before[u] {
				t.Errorf("GET %s changed:\nbefore %s\nafter  %s", u, before[u], after)
			}
		}
	})
	h.checkCounts(map[string]int64{"interactions": 0, "invitations": 0})
	// Spaces and letters beyond ASCII are of course fine.
	if rec := h.Do("POST", "/api/v1/invitations", k, invitation("Nguyễn Thị Lan", "lan@example.com")); rec.Code != 201 {
		t.Fatalf("a plain name: %d %s", rec.Code, rec.Body)
	}
}
