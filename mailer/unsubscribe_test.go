package mailer

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// pageScenario is one request to a page or the API and what must come back.
type pageScenario struct {
	name   string
	method string
	url    string
	key    string
	body   any
	header []string
	status int
	want   []string // substrings of the body
	absent []string // substrings the body must not have
}

func (en *mailEnv) runPages(t *testing.T, scenarios []pageScenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec := en.do(sc.method, sc.url, sc.key, sc.body, sc.header...)
			if rec.Code != sc.status {
				t.Fatalf("%s %s = %d, want %d: %s", sc.method, sc.url, rec.Code, sc.status, rec.Body)
			}
			for _, w := range sc.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body lacks %q: %s", w, rec.Body)
				}
			}
			for _, a := range sc.absent {
				if strings.Contains(rec.Body.String(), a) {
					t.Errorf("body has %q: %s", a, rec.Body)
				}
			}
			if strings.HasPrefix(sc.url, "/u/") {
				h := rec.Header()
				if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("Cache-Control") != "no-store" || h.Get("Content-Language") == "" {
					t.Errorf("page headers: %v", h)
				}
			}
		})
	}
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

	en.runPages(t, []pageScenario{
		{name: "GET shows the page in the customer's language", method: "GET", url: "/u/" + viTok, status: 200,
			want: []string{`lang="vi"`, "Ngừng nhận email khảo sát từ Acme Ltd", "Lan@Example.com", "<form", `method="post"`, `action="/u/` + viTok + `"`, "Hủy đăng ký"}},
		{name: "GET in English by ?lang", method: "GET", url: "/u/" + viTok + "?lang=en", status: 200,
			want: []string{`lang="en"`, "Stop survey emails from Acme Ltd?", "<form", "Unsubscribe"}},
		{name: "GET for an English customer", method: "GET", url: "/u/" + enTok, status: 200,
			want: []string{`lang="en"`, "We will stop sending surveys to mai@example.com", "Unsubscribe"}},
		{name: "GET in Vietnamese by Accept-Language is beaten by the customer's locale", method: "GET", url: "/u/" + enTok,
			header: []string{"Accept-Language", "vi"}, status: 200, want: []string{`lang="en"`}},
		{name: "forged token", method: "GET", url: "/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", status: 404},
		{name: "truncated token", method: "GET", url: "/u/" + viTok[:len(viTok)-4], status: 404},
		{name: "survey link token is not an unsubscribe link", method: "GET", url: "/u/" + surveyTok, status: 404},
		{name: "survey link token cannot unsubscribe", method: "POST", url: "/u/" + surveyTok, body: form, status: 404},
		{name: "forged token cannot unsubscribe", method: "POST", url: "/u/" + forge(viTok), body: form, status: 404},
	})
	if en.suppressed(en.ws.ID, vi.Customer.Email) || en.suppressed(en.ws.ID, enInv.Customer.Email) {
		t.Fatal("a GET or a bad token suppressed an address")
	}

	en.runPages(t, []pageScenario{
		{name: "POST unsubscribes", method: "POST", url: "/u/" + viTok, body: form, status: 200,
			want: []string{"Bạn đã hủy đăng ký", "Acme Ltd sẽ không gửi khảo sát đến Lan@Example.com nữa"}, absent: []string{"<form"}},
		{name: "POST again shows the same page", method: "POST", url: "/u/" + viTok, body: form, status: 200, want: []string{"Bạn đã hủy đăng ký"}},
		{name: "POST with lang", method: "POST", url: "/u/" + viTok, body: url.Values{"lang": {"en"}}, status: 200, want: []string{"You are unsubscribed"}},
		{name: "RFC 8058 one-click", method: "POST", url: "/u/" + enTok, body: oneClick, header: formCT, status: 200,
			want: []string{"You are unsubscribed", "Acme Ltd will not send surveys to mai@example.com any more"}},
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
	en.runPages(t, []pageScenario{
		{name: "survey link opens the survey", method: "GET", url: "/s/" + surveyTok, status: 200},
		{name: "unsubscribe token on the survey page", method: "GET", url: "/s/" + viTok, status: 404, absent: []string{"<form"}},
		{name: "unsubscribe token cannot answer", method: "POST", url: "/s/" + viTok, body: url.Values{"score": {"5"}}, status: 404},
		{name: "unsubscribe token has no thank-you page", method: "GET", url: "/s/" + viTok + "/thanks", status: 404},
	})
	if n, err := en.db.Collection("responses").CountDocuments(t.Context(), bson.D{{Key: "_id", Value: vi.ID}}); err != nil || n != 0 {
		t.Fatalf("an unsubscribe token recorded %d answers (%v)", n, err)
	}
}

func TestSuppressionAPI(t *testing.T) {
	en := newMailEnv(t)
	read := en.keyFor(en.ws, survey.ScopeRead)
	write := en.keyFor(en.ws, survey.ScopeWrite)
	rival, rivalKey := en.workspace("Rival")
	const u = "/api/v1/suppressions"
	en.runPages(t, []pageScenario{
		{name: "add", method: "POST", url: u, key: write, body: `{"email":"Lan@Example.com"}`, status: 201,
			want: []string{`"email":"lan@example.com"`, `"reason":"manual"`, `"created_at"`}},
		{name: "add with a reason", method: "POST", url: u, key: write, body: `{"email":"b@example.com","reason":"bounced"}`, status: 201, want: []string{`"reason":"bounced"`}},
		{name: "add again keeps the first reason", method: "POST", url: u, key: write, body: `{"email":"lan@example.com","reason":"complained"}`, status: 201, want: []string{`"reason":"manual"`}},
		{name: "bad email", method: "POST", url: u, key: write, body: `{"email":"lan"}`, status: 422, want: []string{`"field":"email"`}},
		{name: "missing email", method: "POST", url: u, key: write, body: `{}`, status: 422, want: []string{`"field":"email"`, "is required"}},
		{name: "bad reason", method: "POST", url: u, key: write, body: `{"email":"c@example.com","reason":"annoyed"}`, status: 422, want: []string{`"field":"reason"`}},
		{name: "unknown field", method: "POST", url: u, key: write, body: `{"email":"c@example.com","note":"x"}`, status: 400, want: []string{`"field":"note"`}},
		{name: "read key cannot add", method: "POST", url: u, key: read, body: `{"email":"c@example.com"}`, status: 403},
		{name: "no key", method: "GET", url: u, status: 401},
		{name: "list", method: "GET", url: u, key: read, status: 200, want: []string{`"email":"b@example.com"`, `"email":"lan@example.com"`}},
		{name: "another workspace lists none of ours", method: "GET", url: u, key: rivalKey, status: 200, want: []string{`"data":[]`}},
		{name: "another workspace cannot remove ours", method: "DELETE", url: u + "/b@example.com", key: rivalKey, status: 404},
		{name: "bad limit", method: "GET", url: u + "?limit=0", key: read, status: 400, want: []string{`"field":"limit"`}},
		{name: "bad cursor", method: "GET", url: u + "?cursor=***", key: read, status: 400, want: []string{`"field":"cursor"`}},
		{name: "read key cannot remove", method: "DELETE", url: u + "/lan@example.com", key: read, status: 403},
		{name: "remove, in any case", method: "DELETE", url: u + "/LAN@example.com", key: write, status: 204},
		{name: "remove again", method: "DELETE", url: u + "/lan@example.com", key: write, status: 404},
		{name: "remove unknown", method: "DELETE", url: u + "/nobody@example.com", key: write, status: 404},
		// Clients that escape the @ in a path segment reach the same address.
		{name: "percent-encoded @", method: "DELETE", url: u + "/b%40example.com", key: write, status: 204},
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
		decodeJSON(t, rec.Body.Bytes(), &page)
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
