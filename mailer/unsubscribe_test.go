package mailer

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/mailer/internal/mailtest"

	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func (en *mailEnv) runPages(t *testing.T, scenarios []apitest.Scenario) {
	t.Helper()
	apitest.Run(t, en.e, scenarios, func(t *testing.T, sc apitest.Scenario, rec *httptest.ResponseRecorder) {
		if strings.HasPrefix(sc.URL, "/u/") {
			h := rec.Header()
			if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Cache-Control") != "no-store" || h.Get("Content-Language") == "" {
				t.Errorf("page headers: %v", h)
			}
		}
	})
}

// unsubscribeSetup makes a Vietnamese and an English customer's invitations and returns
// them with their unsubscribe and survey-link tokens.
func unsubscribeSetup(t *testing.T, en *mailEnv) (vi, enInv *survey.Invitation, viTok, enTok, surveyTok string) {
	t.Helper()
	sv := en.createSurvey(`{"kind":"csat","name":"Support"}`)
	invs := en.invite(sv, false,
		survey.Customer{Email: "Lan@Example.com", Name: "Lan", Locale: "vi"},
		survey.Customer{Email: "mai@example.com", Locale: "en"})
	tok := func(link string) string { return link[strings.LastIndex(link, "/")+1:] }
	return invs[0], invs[1], tok(en.svc.UnsubscribeLink(invs[0])), tok(en.svc.UnsubscribeLink(invs[1])), tok(invs[0].Link)
}

func (en *mailEnv) suppressed(ws bson.ObjectID, email string) bool {
	en.t.Helper()
	ok, err := en.supp.Suppressed(context.Background(), ws, email)
	if err != nil {
		en.t.Fatal(err)
	}
	return ok
}

func TestUnsubscribePage(t *testing.T) {
	en := newMailEnv(t)
	vi, enInv, viTok, enTok, surveyTok := unsubscribeSetup(t, en)
	form := url.Values{}
	oneClick := "List-Unsubscribe=One-Click"
	formCT := []string{"Content-Type", "application/x-www-form-urlencoded"}

	en.runPages(t, []apitest.Scenario{
		{Name: "GET shows the page in the customer's language", Method: "GET", URL: "/u/" + viTok, Status: 200,
			Want: []string{`lang="vi"`, "Ngừng nhận email khảo sát từ Acme Ltd", "Lan@Example.com", "<form", `method="post"`, `action="/u/` + viTok + `"`, "Hủy đăng ký"}},
		{Name: "GET in English by ?lang", Method: "GET", URL: "/u/" + viTok + "?lang=en", Status: 200,
			Want: []string{`lang="en"`, "Stop survey emails from Acme Ltd?", "<form", "Unsubscribe"}},
		{Name: "GET for an English customer", Method: "GET", URL: "/u/" + enTok, Status: 200,
			Want: []string{`lang="en"`, "We will stop sending surveys to mai@example.com", "Unsubscribe"}},
		{Name: "GET in Vietnamese by Accept-Language is beaten by the customer's locale", Method: "GET", URL: "/u/" + enTok,
			Header: []string{"Accept-Language", "vi"}, Status: 200, Want: []string{`lang="en"`}},
		{Name: "forged token", Method: "GET", URL: "/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Status: 404},
		{Name: "truncated token", Method: "GET", URL: "/u/" + viTok[:len(viTok)-4], Status: 404},
		{Name: "survey link token is not an unsubscribe link", Method: "GET", URL: "/u/" + surveyTok, Status: 404},
		{Name: "survey link token cannot unsubscribe", Method: "POST", URL: "/u/" + surveyTok, Body: form, Status: 404},
		{Name: "forged token cannot unsubscribe", Method: "POST", URL: "/u/" + forge(viTok), Body: form, Status: 404},
	})
	if en.suppressed(en.ws.ID, vi.Customer.Email) || en.suppressed(en.ws.ID, enInv.Customer.Email) {
		t.Fatal("a GET or a bad token suppressed an address")
	}

	en.runPages(t, []apitest.Scenario{
		{Name: "POST unsubscribes", Method: "POST", URL: "/u/" + viTok, Body: form, Status: 200,
			Want: []string{"Bạn đã hủy đăng ký", "Acme Ltd sẽ không gửi khảo sát đến Lan@Example.com nữa"}, Absent: []string{"<form"}},
		{Name: "POST again shows the same page", Method: "POST", URL: "/u/" + viTok, Body: form, Status: 200, Want: []string{"Bạn đã hủy đăng ký"}},
		{Name: "POST with lang", Method: "POST", URL: "/u/" + viTok, Body: url.Values{"lang": {"en"}}, Status: 200, Want: []string{"You are unsubscribed"}},
		{Name: "RFC 8058 one-click", Method: "POST", URL: "/u/" + enTok, Body: oneClick, Header: formCT, Status: 200,
			Want: []string{"You are unsubscribed", "Acme Ltd will not send surveys to mai@example.com any more"}},
	})
	for _, inv := range []*survey.Invitation{vi, enInv} {
		if !en.suppressed(en.ws.ID, inv.Customer.Email) {
			t.Errorf("%s is not suppressed", inv.Customer.Email)
		}
	}
	rows, err := en.supp.List(t.Context(), en.ws.ID, "", 10)
	if err != nil || len(rows) != 2 || rows[0].Reason != ReasonUnsubscribed || rows[0].Email != "lan@example.com" {
		t.Fatalf("suppressions: %+v %v", rows, err)
	}
}

// The token's version byte keeps the two kinds of link apart: an unsubscribe token opens no
// survey and records no answer.
func TestUnsubscribeTokenIsNotASurveyLink(t *testing.T) {
	en := newMailEnv(t)
	vi, _, viTok, _, surveyTok := unsubscribeSetup(t, en)
	en.runPages(t, []apitest.Scenario{
		{Name: "survey link opens the survey", Method: "GET", URL: "/s/" + surveyTok, Status: 200},
		{Name: "unsubscribe token on the survey page", Method: "GET", URL: "/s/" + viTok, Status: 404, Absent: []string{"<form"}},
		{Name: "unsubscribe token cannot answer", Method: "POST", URL: "/s/" + viTok, Body: url.Values{"score": {"5"}}, Status: 404},
		{Name: "unsubscribe token has no thank-you page", Method: "GET", URL: "/s/" + viTok + "/thanks", Status: 404},
	})
	if n, err := en.db.Collection("responses").CountDocuments(t.Context(), bson.D{{Key: "_id", Value: vi.ID}}); err != nil || n != 0 {
		t.Fatalf("an unsubscribe token recorded %d answers (%v)", n, err)
	}
}

func TestSuppressionAPI(t *testing.T) {
	en := newMailEnv(t)
	read := en.keyFor(en.ws, apikey.ScopeRead)
	write := en.keyFor(en.ws, apikey.ScopeWrite)
	rival, rivalKey := en.workspace("Rival")
	const u = "/api/v1/suppressions"
	en.runPages(t, []apitest.Scenario{
		{Name: "add", Method: "POST", URL: u, Key: write, Body: `{"email":"Lan@Example.com"}`, Status: 201,
			Want: []string{`"email":"lan@example.com"`, `"reason":"manual"`, `"created_at"`}},
		{Name: "add with a reason", Method: "POST", URL: u, Key: write, Body: `{"email":"b@example.com","reason":"bounced"}`, Status: 201, Want: []string{`"reason":"bounced"`}},
		{Name: "add again keeps the first reason", Method: "POST", URL: u, Key: write, Body: `{"email":"lan@example.com","reason":"complained"}`, Status: 201, Want: []string{`"reason":"manual"`}},
		{Name: "bad email", Method: "POST", URL: u, Key: write, Body: `{"email":"lan"}`, Status: 422, Want: []string{`"field":"email"`}},
		{Name: "missing email", Method: "POST", URL: u, Key: write, Body: `{}`, Status: 422, Want: []string{`"field":"email"`, "is required"}},
		{Name: "bad reason", Method: "POST", URL: u, Key: write, Body: `{"email":"c@example.com","reason":"annoyed"}`, Status: 422, Want: []string{`"field":"reason"`}},
		{Name: "unknown field", Method: "POST", URL: u, Key: write, Body: `{"email":"c@example.com","note":"x"}`, Status: 400, Want: []string{`"field":"note"`}},
		{Name: "read key cannot add", Method: "POST", URL: u, Key: read, Body: `{"email":"c@example.com"}`, Status: 403},
		{Name: "no key", Method: "GET", URL: u, Status: 401},
		{Name: "list", Method: "GET", URL: u, Key: read, Status: 200, Want: []string{`"email":"b@example.com"`, `"email":"lan@example.com"`}},
		{Name: "another workspace lists none of ours", Method: "GET", URL: u, Key: rivalKey, Status: 200, Want: []string{`"data":[]`}},
		{Name: "another workspace cannot remove ours", Method: "DELETE", URL: u + "/b@example.com", Key: rivalKey, Status: 404},
		{Name: "bad limit", Method: "GET", URL: u + "?limit=0", Key: read, Status: 400, Want: []string{`"field":"limit"`}},
		{Name: "bad cursor", Method: "GET", URL: u + "?cursor=***", Key: read, Status: 400, Want: []string{`"field":"cursor"`}},
		{Name: "read key cannot remove", Method: "DELETE", URL: u + "/lan@example.com", Key: read, Status: 403},
		{Name: "remove, in any case", Method: "DELETE", URL: u + "/LAN@example.com", Key: write, Status: 204},
		{Name: "remove again", Method: "DELETE", URL: u + "/lan@example.com", Key: write, Status: 404},
		{Name: "remove unknown", Method: "DELETE", URL: u + "/nobody@example.com", Key: write, Status: 404},
		// Clients that escape the @ in a path segment reach the same address.
		{Name: "percent-encoded @", Method: "DELETE", URL: u + "/b%40example.com", Key: write, Status: 204},
	})
	if en.suppressed(en.ws.ID, "lan@example.com") || en.suppressed(en.ws.ID, "B@example.com") {
		t.Fatal("suppressions after the API calls are wrong")
	}
	if en.suppressed(rival.ID, "b@example.com") {
		t.Fatal("a suppression leaked into another workspace")
	}
}

func TestSuppressionAPIPagination(t *testing.T) {
	en := newMailEnv(t)
	want := []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"}
	for _, e := range []string{"d@example.com", "a@example.com", "e@example.com", "c@example.com", "b@example.com"} {
		if rec := en.do("POST", "/api/v1/suppressions", en.key, `{"email":"`+e+`"}`); rec.Code != http.StatusCreated {
			t.Fatalf("add %s: %d %s", e, rec.Code, rec.Body)
		}
	}
	other, _ := en.workspace("Rival")
	if _, err := en.supp.Add(t.Context(), other.ID, "aa@example.com", ReasonManual); err != nil {
		t.Fatal(err)
	}
	var got []string
	target := "/api/v1/suppressions?limit=2"
	for pages := 1; ; pages++ {
		if pages > 3 {
			t.Fatal("more than 3 pages of 2 for 5 addresses")
		}
		rec := en.do("GET", target, en.key, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages, rec.Code, rec.Body)
		}
		var page struct {
			Data       []Suppression `json:"data"`
			NextCursor string        `json:"next_cursor"`
		}
		mailtest.DecodeJSON(t, rec.Body.Bytes(), &page)
		if len(page.Data) > 2 {
			t.Fatalf("page %d holds %d", pages, len(page.Data))
		}
		for _, s := range page.Data {
			got = append(got, s.Email)
		}
		if page.NextCursor == "" {
			if pages != 3 {
				t.Fatalf("pagination ended after %d pages", pages)
			}
			break
		}
		if _, err := base64.RawURLEncoding.DecodeString(page.NextCursor); err != nil {
			t.Fatalf("cursor %q is not base64url", page.NextCursor)
		}
		target = "/api/v1/suppressions?limit=2&cursor=" + page.NextCursor
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages held %v, want %v in address order", got, want)
	}
	// A page that ends exactly at the last address has no next page.
	rec := en.do("GET", "/api/v1/suppressions?limit=5", en.key, nil)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "next_cursor\":\"") {
		t.Fatalf("full page: %d %s", rec.Code, rec.Body)
	}
}

// forge changes a token's signature so it no longer verifies.
func forge(token string) string {
	i := len(token) - 3 // inside the tag, clear of the final character's padding bits
	c := byte('A')
	if token[i] == c {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}
