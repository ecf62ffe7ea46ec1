package webhook

import (
	"net/http/httptest"
	"testing"

	"github.com/surveyd/surveyd/internal/apitest"
)

// TestWebhookEndpointBadJSONChangesNothing: a PATCH whose body is not one clean JSON object is
// refused, naming the field, and the endpoint reads as it was.
func TestWebhookEndpointBadJSONChangesNothing(t *testing.T) {
	en := newWebhookEnv(t, nil)
	k := en.key
	ep := en.createEndpoint(k, `{"url":"https://crm.example.com/h","description":"CRM"}`)
	one := "/api/v1/webhook-endpoints/" + ep.ID
	before := en.do("GET", one, k, nil).Body.String()
	patch := func(name, body, field string) apitest.Scenario {
		return apitest.Scenario{Name: name, Method: "PATCH", URL: one, Key: k, Body: body, Status: 400, Want: []string{`"field":"` + field + `"`}}
	}
	apitest.Run(t, en.e, []apitest.Scenario{
		patch("null body", `null`, "body"),
		patch("array body", `[{"enabled":false}]`, "body"),
		patch("string body", `"x"`, "body"),
		patch("invalid UTF-8", `{"description":"a`+"\xff"+`b"}`, "description"),
		patch("lone surrogate", `{"description":"a\ud800b"}`, "description"),
		patch("escaped NUL", `{"description":"a\u0000b"}`, "description"),
		patch("NUL in a list item", `{"events":["response.created\u0000"]}`, "events[0]"),
		patch("repeated member", `{"enabled":false,"enabled":true}`, "enabled"),
	}, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		if after := en.do("GET", one, k, nil).Body.String(); after != before {
			t.Errorf("endpoint changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}
