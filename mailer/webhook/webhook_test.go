package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/storetest"
	"github.com/surveyd/surveyd/mailer/internal/mailtest"
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// whEnv is one test's webhook setup: its own database, the survey API keys in front of the
// real Echo router with the webhook routes, and a workspace with a write key.
type whEnv struct {
	t      testing.TB
	db     *mongo.Database
	svc    *survey.Service
	wh     *Service
	e      *echo.Echo
	ws     *survey.Workspace
	key    string // write key of ws
	master []byte
}

// allowLoopback is the operator's allowance a test needs to deliver to an httptest server.
var allowLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// newWebhookEnv delivers with client, to public addresses and those in allow.
func newWebhookEnv(t testing.TB, client *http.Client, allow ...netip.Prefix) *whEnv {
	t.Helper()
	db := storetest.DB(t)
	lk := config.LinkKey{ID: "t1", Secret: bytes.Repeat([]byte{7}, 32)}
	signer, err := survey.NewSigner([]config.LinkKey{lk}, lk.ID)
	if err != nil {
		t.Fatal(err)
	}
	svc := survey.NewService(db, survey.Options{Signer: signer, BaseURL: "http://surveyd.test", IPSalt: []byte("salt")})
	log := slog.New(slog.DiscardHandler)
	master := bytes.Repeat([]byte{42}, 32)
	wh := New(db, outbox.New(db, time.Minute, log), Options{MasterKey: master, Client: client, AllowPrivate: allow, Log: log})

	e := echo.NewWithConfig(echo.Config{Logger: log, HTTPErrorHandler: httpx.ErrorHandler(log, survey.ErrorStatus, apikey.ErrorStatus)})
	wh.Register(e.Group("/api/v1", apikey.NewStore(db).Authenticate))

	en := &whEnv{t: t, db: db, svc: svc, wh: wh, e: e, master: master}
	en.ws = en.workspace("Acme")
	en.key = en.keyFor(en.ws, apikey.ScopeWrite)
	return en
}

func (en *whEnv) workspace(name string) *survey.Workspace {
	en.t.Helper()
	ws := survey.NewWorkspace(name)
	if err := en.svc.CreateWorkspace(context.Background(), ws); err != nil {
		en.t.Fatal(err)
	}
	return ws
}

func (en *whEnv) keyFor(ws *survey.Workspace, scope apikey.Scope) string {
	en.t.Helper()
	_, secret, err := apikey.NewStore(en.db).Create(context.Background(), ws.ID, "test", scope)
	if err != nil {
		en.t.Fatal(err)
	}
	return secret
}

// do sends a request through the router; a string body is sent as is, anything else as JSON.
func (en *whEnv) do(method, target, key string, body any) *httptest.ResponseRecorder {
	en.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			en.t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, target, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	en.e.ServeHTTP(rec, req)
	return rec
}

type endpointOut struct {
	ID            string   `json:"id"`
	URL           string   `json:"url"`
	Description   string   `json:"description"`
	Events        []string `json:"events"`
	Enabled       bool     `json:"enabled"`
	SecretVersion int      `json:"secret_version"`
	Secret        string   `json:"secret"`
}

// createEndpoint makes an endpoint through the API with key and returns it with its secret.
func (en *whEnv) createEndpoint(key string, body string) endpointOut {
	en.t.Helper()
	rec := en.do("POST", "/api/v1/webhook-endpoints", key, body)
	if rec.Code != http.StatusCreated {
		en.t.Fatalf("create endpoint %s: %d %s", body, rec.Code, rec.Body)
	}
	var out endpointOut
	mailtest.DecodeJSON(en.t, rec.Body.Bytes(), &out)
	return out
}

// outbox reads back the queued webhook messages, oldest first.
func (en *whEnv) outbox() []*outbox.Message {
	en.t.Helper()
	ctx := context.Background()
	cur, err := en.db.Collection(outbox.MessagesCollection).Find(ctx, bson.D{{Key: "kind", Value: outbox.KindWebhook}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		en.t.Fatal(err)
	}
	var msgs []*outbox.Message
	if err := cur.All(ctx, &msgs); err != nil {
		en.t.Fatal(err)
	}
	return msgs
}

func (en *whEnv) message(endpointID string) *outbox.Message {
	en.t.Helper()
	id, err := bson.ObjectIDFromHex(endpointID)
	if err != nil {
		en.t.Fatal(err)
	}
	return &outbox.Message{ID: bson.NewObjectID(), WorkspaceID: en.ws.ID, Kind: outbox.KindWebhook, Purpose: EventResponseCreated,
		EndpointID: id, Body: []byte(`{"type":"response.created","timestamp":"2026-01-02T03:04:05Z","data":{}}`)}
}

// otherEvent is an event of any type, for the types Notify must refuse.
type otherEvent string

func (e otherEvent) EventType() string { return string(e) }

// crm stands in for the customer's CRM: it records what it receives and answers with status
// (200 unless set), after delay.
type crm struct {
	*httptest.Server
	mu     sync.Mutex
	got    []crmRequest
	status int
	delay  time.Duration
}

type crmRequest struct {
	method string
	header http.Header
	body   []byte
}

func newCRM(t testing.TB) *crm {
	c := &crm{status: http.StatusOK}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.got = append(c.got, crmRequest{r.Method, r.Header.Clone(), body})
		status, delay := c.status, c.delay
		c.mu.Unlock()
		if delay > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(delay):
			}
		}
		if status >= 300 && status < 400 {
			w.Header().Set("Location", c.URL+"/elsewhere")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *crm) answer(status int, delay time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status, c.delay = status, delay
}

func (c *crm) requests() []crmRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// whScenario is one API request and what must come back.
type whScenario struct {
	name   string
	method string
	url    string
	key    string
	body   any
	status int
	want   []string // substrings of the body
	unwant []string // substrings the body must not have
}

func (en *whEnv) run(t *testing.T, scenarios []whScenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec := en.do(sc.method, sc.url, sc.key, sc.body)
			if rec.Code != sc.status {
				t.Fatalf("%s %s = %d, want %d: %s", sc.method, sc.url, rec.Code, sc.status, rec.Body)
			}
			for _, w := range sc.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %s lacks %q", rec.Body, w)
				}
			}
			for _, w := range sc.unwant {
				if strings.Contains(rec.Body.String(), w) {
					t.Errorf("body %s has %q", rec.Body, w)
				}
			}
			if sc.status >= 400 {
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("error content type %q, want application/problem+json", ct)
				}
			}
		})
	}
}

// standardSignature recomputes a signature from the Standard Webhooks spec alone: the secret
// is the base64 after "whsec_", the signed content is "id.timestamp.body", the header value
// is "v1," and the base64 of its HMAC-SHA256.
func standardSignature(t testing.TB, secret, id, ts string, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestWebhookEndpointCRUD(t *testing.T) {
	en := newWebhookEnv(t, nil, allowLoopback...)
	k := en.key

	ep := en.createEndpoint(k, `{"url":" https://crm.example.com/hooks/surveyd ","description":"Zendesk","events":["response.created","invitation.failed"]}`)
	if ep.URL != "https://crm.example.com/hooks/surveyd" || ep.Description != "Zendesk" || !ep.Enabled || ep.SecretVersion != 1 ||
		!slices.Equal(ep.Events, []string{"response.created", "invitation.failed"}) {
		t.Errorf("created %+v", ep)
	}
	// The secret is derived, not stored: HMAC-SHA256(master key, "webhook-endpoint:<id>:<version>").
	mac := hmac.New(sha256.New, en.master)
	mac.Write([]byte("webhook-endpoint:" + ep.ID + ":1"))
	if want := "whsec_" + base64.StdEncoding.EncodeToString(mac.Sum(nil)); ep.Secret != want {
		t.Errorf("secret %q, want %q", ep.Secret, want)
	}
	raw, err := en.db.Collection(EndpointsCollection).FindOne(context.Background(), bson.D{}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.String(), "secret\"") || bytes.Contains(raw, []byte(ep.Secret)) {
		t.Errorf("stored endpoint holds a secret: %s", raw)
	}

	local := en.createEndpoint(k, `{"url":"http://127.0.0.1:9/hook","enabled":false}`)
	if local.Enabled || local.Events == nil || len(local.Events) != 0 {
		t.Errorf("created %+v, want disabled with events []", local)
	}
	third := en.createEndpoint(k, `{"url":"http://localhost:8080/x"}`)

	base := "/api/v1/webhook-endpoints/"
	en.run(t, []whScenario{
		{"get", "GET", base + ep.ID, k, nil, 200, []string{`"url":"https://crm.example.com/hooks/surveyd"`, `"secret_version":1`}, []string{"secret\":", "whsec_"}},
		{"list first page", "GET", "/api/v1/webhook-endpoints?limit=2", k, nil, 200,
			[]string{`"id":"` + third.ID, `"id":"` + local.ID, `"next_cursor":"`, `"events":[]`}, []string{ep.ID, "whsec_"}},
		{"patch", "PATCH", base + ep.ID, k, `{"description":"Zendesk EU","events":[],"enabled":false}`, 200,
			[]string{`"description":"Zendesk EU"`, `"events":[]`, `"enabled":false`, `"url":"https://crm.example.com/hooks/surveyd"`}, []string{"whsec_"}},
		{"patch url", "PATCH", base + ep.ID, k, `{"url":"https://crm.example.com/v2","enabled":true}`, 200,
			[]string{`"url":"https://crm.example.com/v2"`, `"enabled":true`, `"description":"Zendesk EU"`}, nil},
		{"empty patch changes nothing", "PATCH", base + ep.ID, k, `{}`, 200, []string{`"url":"https://crm.example.com/v2"`}, nil},
		{"delete", "DELETE", base + third.ID, k, nil, 204, nil, nil},
		{"gone after delete", "GET", base + third.ID, k, nil, 404, []string{"No such webhook endpoint"}, nil},
		{"delete twice", "DELETE", base + third.ID, k, nil, 404, nil, nil},
		{"malformed id", "GET", base + "nope", k, nil, 404, nil, nil},
	})

	// The next page follows the cursor to the oldest endpoint.
	rec := en.do("GET", "/api/v1/webhook-endpoints?limit=1", k, nil)
	var page httpx.Page[endpointOut]
	mailtest.DecodeJSON(t, rec.Body.Bytes(), &page)
	if len(page.Data) != 1 || page.Data[0].ID != local.ID || page.NextCursor == "" {
		t.Fatalf("first page %+v, want %s and a cursor", page, local.ID)
	}
	rec = en.do("GET", "/api/v1/webhook-endpoints?limit=1&cursor="+page.NextCursor, k, nil)
	var next httpx.Page[endpointOut]
	mailtest.DecodeJSON(t, rec.Body.Bytes(), &next)
	if len(next.Data) != 1 || next.Data[0].ID != ep.ID || next.NextCursor != "" {
		t.Errorf("second page %+v, want only %s", next, ep.ID)
	}
}

func TestWebhookEndpointScopesAndIsolation(t *testing.T) {
	en := newWebhookEnv(t, nil, allowLoopback...)
	crm := newCRM(t)
	ep := en.createEndpoint(en.key, `{"url":"`+crm.URL+`"}`)
	read := en.keyFor(en.ws, apikey.ScopeRead)
	other := en.workspace("Other")
	otherKey := en.keyFor(other, apikey.ScopeAdmin)
	theirs := en.createEndpoint(otherKey, `{"url":"https://other.example.com/h"}`)
	one := "/api/v1/webhook-endpoints/" + ep.ID

	en.run(t, []whScenario{
		{"no key", "GET", "/api/v1/webhook-endpoints", "", nil, 401, nil, nil},
		{"read key lists", "GET", "/api/v1/webhook-endpoints", read, nil, 200, []string{ep.ID}, []string{theirs.ID}},
		{"read key gets", "GET", one, read, nil, 200, []string{ep.ID}, nil},
		{"read key cannot create", "POST", "/api/v1/webhook-endpoints", read, `{"url":"https://a.example/h"}`, 403, nil, nil},
		{"read key cannot patch", "PATCH", one, read, `{"enabled":false}`, 403, nil, nil},
		{"read key cannot delete", "DELETE", one, read, nil, 403, nil, nil},
		{"read key cannot rotate", "POST", one + "/rotate-secret", read, nil, 403, nil, nil},
		{"read key cannot send a test", "POST", one + "/test", read, nil, 403, nil, nil},

		{"other workspace lists only its own", "GET", "/api/v1/webhook-endpoints", otherKey, nil, 200, []string{theirs.ID}, []string{ep.ID}},
		{"other workspace get", "GET", one, otherKey, nil, 404, nil, nil},
		{"other workspace patch", "PATCH", one, otherKey, `{"url":"https://evil.example/h"}`, 404, nil, nil},
		{"other workspace rotate", "POST", one + "/rotate-secret", otherKey, nil, 404, nil, []string{"whsec_"}},
		{"other workspace test", "POST", one + "/test", otherKey, nil, 404, nil, nil},
		{"other workspace delete", "DELETE", one, otherKey, nil, 404, nil, nil},
		{"still there, unchanged", "GET", one, read, nil, 200, []string{`"url":"` + crm.URL + `"`, `"secret_version":1`}, nil},
	})
	if n := len(crm.requests()); n != 0 {
		t.Errorf("CRM got %d requests from another workspace's test", n)
	}
}

func TestWebhookEndpointRejectsBadInput(t *testing.T) {
	en := newWebhookEnv(t, nil)
	k := en.key
	ep := en.createEndpoint(k, `{"url":"https://crm.example.com/h"}`)
	coll, one := "/api/v1/webhook-endpoints", "/api/v1/webhook-endpoints/"+ep.ID
	long := `{"url":"https://crm.example.com/` + strings.Repeat("a", 2000) + `"}`

	en.run(t, []whScenario{
		{"malformed json", "POST", coll, k, `{"url":`, 400, []string{"not valid JSON"}, nil},
		{"empty body", "POST", coll, k, ``, 400, []string{"empty"}, nil},
		{"array body", "POST", coll, k, `[]`, 400, []string{"must be an object"}, nil},
		{"unknown field", "POST", coll, k, `{"url":"https://crm.example.com/h","secret":"mine"}`, 400, []string{`"field":"secret"`, "not a known field"}, nil},
		{"url of wrong type", "POST", coll, k, `{"url":5}`, 400, []string{`"field":"url"`, "must be a string"}, nil},
		{"events of wrong type", "POST", coll, k, `{"url":"https://crm.example.com/h","events":"response.created"}`, 400, []string{`"field":"events"`, "must be an array"}, nil},
		{"enabled of wrong type", "POST", coll, k, `{"url":"https://crm.example.com/h","enabled":"yes"}`, 400, []string{`"field":"enabled"`, "true or false"}, nil},
		{"missing url", "POST", coll, k, `{}`, 422, []string{`"field":"url"`, "is required"}, nil},
		{"not a url", "POST", coll, k, `{"url":"crm dot example"}`, 422, []string{`"field":"url"`, "absolute http(s) URL"}, nil},
		{"relative url", "POST", coll, k, `{"url":"/hooks"}`, 422, []string{`"field":"url"`}, nil},
		{"ftp url", "POST", coll, k, `{"url":"ftp://crm.example.com/h"}`, 422, []string{`"field":"url"`}, nil},
		{"plain http to another host", "POST", coll, k, `{"url":"http://crm.example.com/h"}`, 422, []string{`"field":"url"`, "must use https"}, nil},
		{"url too long", "POST", coll, k, long, 422, []string{`"field":"url"`, "at most 2000"}, nil},
		{"unknown event", "POST", coll, k, `{"url":"https://crm.example.com/h","events":["response.created","response.deleted"]}`, 422,
			[]string{`"field":"events[1]"`, "must be one of: response.created, response.updated, invitation.failed"}, nil},
		{"repeated event", "POST", coll, k, `{"url":"https://crm.example.com/h","events":["response.created","response.created"]}`, 422, []string{`"field":"events"`}, nil},
		{"test event is not subscribable", "POST", coll, k, `{"url":"https://crm.example.com/h","events":["webhook.test"]}`, 422, []string{`"field":"events[0]"`}, nil},
		{"description too long", "POST", coll, k, `{"url":"https://crm.example.com/h","description":"` + strings.Repeat("d", 501) + `"}`, 422, []string{`"field":"description"`}, nil},
		{"every bad field at once", "POST", coll, k, `{"url":"http://crm.example.com/h","events":["nope"]}`, 422, []string{`"field":"url"`, `"field":"events[0]"`}, nil},
		{"not json", "POST", coll, k, `url=https://crm.example.com/h`, 400, []string{"not valid JSON"}, nil},

		{"patch malformed", "PATCH", one, k, `{"enabled":`, 400, []string{"not valid JSON"}, nil},
		{"patch unknown field", "PATCH", one, k, `{"secret_version":7}`, 400, []string{`"field":"secret_version"`}, nil},
		{"patch wrong type", "PATCH", one, k, `{"enabled":1}`, 400, []string{`"field":"enabled"`}, nil},
		{"patch bad url", "PATCH", one, k, `{"url":"http://10.0.0.5/h"}`, 422, []string{`"field":"url"`, "must use https"}, nil},
		{"patch empty url", "PATCH", one, k, `{"url":""}`, 422, []string{`"field":"url"`}, nil},
		{"patch unknown event", "PATCH", one, k, `{"events":["response.created","survey.created"]}`, 422, []string{`"field":"events[1]"`}, nil},
		{"unchanged after bad patches", "GET", one, k, nil, 200, []string{`"url":"https://crm.example.com/h"`, `"events":[]`, `"enabled":true`}, nil},

		{"bad limit", "GET", coll + "?limit=0", k, nil, 400, []string{`"field":"limit"`}, nil},
		{"bad cursor", "GET", coll + "?cursor=!!", k, nil, 400, []string{`"field":"cursor"`}, nil},
	})

	req := httptest.NewRequest("POST", coll, strings.NewReader(`{"url":"https://crm.example.com/h"}`))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Authorization", "Bearer "+k)
	rec := httptest.NewRecorder()
	en.e.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: %d %s", rec.Code, rec.Body)
	}
}

func TestWebhookNotifyTargetsSubscribedEnabledEndpoints(t *testing.T) {
	en := newWebhookEnv(t, nil)
	k := en.key
	all := en.createEndpoint(k, `{"url":"https://a.example.com/h"}`)
	created := en.createEndpoint(k, `{"url":"https://b.example.com/h","events":["response.created"]}`)
	en.createEndpoint(k, `{"url":"https://c.example.com/h","events":["response.updated","invitation.failed"]}`)
	en.createEndpoint(k, `{"url":"https://d.example.com/h","enabled":false}`)
	other := en.workspace("Other")
	en.createEndpoint(en.keyFor(other, apikey.ScopeWrite), `{"url":"https://e.example.com/h"}`)

	ctx := context.Background()
	resp := ResponseCreated{survey.ResponseEvent{ID: bson.NewObjectID(), SurveyID: bson.NewObjectID(), Kind: "csat", Points: 5, Score: 4, Comment: "quick", Locale: "en"}}
	before := time.Now().Add(-time.Second)
	if err := en.wh.Notify(ctx, en.ws.ID, resp); err != nil {
		t.Fatal(err)
	}
	msgs := en.outbox()
	var targets []string
	for _, m := range msgs {
		targets = append(targets, m.EndpointID.Hex())
		if m.Kind != outbox.KindWebhook || m.Purpose != EventResponseCreated || m.WorkspaceID != en.ws.ID || m.Status != outbox.StatusPending {
			t.Errorf("message %+v", m)
		}
		var p struct {
			Type      string          `json:"type"`
			Timestamp string          `json:"timestamp"`
			Data      json.RawMessage `json:"data"`
		}
		mailtest.DecodeJSON(t, m.Body, &p)
		at, err := time.Parse(time.RFC3339Nano, p.Timestamp)
		if p.Type != EventResponseCreated || err != nil || at.Before(before) || at.Location() != time.UTC || !strings.HasSuffix(p.Timestamp, "Z") {
			t.Errorf("payload %s", m.Body)
		}
		want, _ := json.Marshal(resp)
		if !bytes.Equal(p.Data, want) {
			t.Errorf("data %s, want %s", p.Data, want)
		}
	}
	slices.Sort(targets)
	want := []string{all.ID, created.ID}
	slices.Sort(want)
	if !slices.Equal(targets, want) {
		t.Errorf("response.created went to %v, want %v (all-events and subscribed, enabled, own workspace)", targets, want)
	}

	if err := en.wh.Notify(ctx, en.ws.ID, InvitationFailed{InvitationID: bson.NewObjectID()}); err != nil {
		t.Fatal(err)
	}
	if msgs := en.outbox(); len(msgs) != 4 || msgs[2].Purpose != EventInvitationFailed || msgs[3].Purpose != EventInvitationFailed {
		t.Errorf("after invitation.failed: %d messages", len(msgs))
	}

	if err := en.wh.Notify(ctx, en.ws.ID, otherEvent("response.deleted")); err == nil {
		t.Error("unknown event type accepted")
	}
	if err := en.wh.Notify(ctx, en.ws.ID, otherEvent(EventWebhookTest)); err == nil {
		t.Error("webhook.test queued to every endpoint")
	}
	if err := en.wh.Notify(ctx, bson.NewObjectID(), ResponseUpdated{}); err != nil {
		t.Errorf("workspace without endpoints: %v", err)
	}
	if n := len(en.outbox()); n != 4 {
		t.Errorf("%d messages, want 4", n)
	}
}

func TestWebhookDeliverSignsPerStandardWebhooks(t *testing.T) {
	en := newWebhookEnv(t, nil, allowLoopback...)
	crm := newCRM(t)
	ep := en.createEndpoint(en.key, `{"url":"`+crm.URL+`/hooks?token=abc","events":["response.updated"]}`)
	ctx := context.Background()
	if err := en.wh.Notify(ctx, en.ws.ID, ResponseUpdated{survey.ResponseEvent{ID: bson.NewObjectID(), Score: 9}}); err != nil {
		t.Fatal(err)
	}
	msgs := en.outbox()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	// Delivered twice, as after a lost acknowledgement: the CRM must see the same id and body.
	for range 2 {
		if err := en.wh.Deliver(ctx, m); err != nil {
			t.Fatalf("deliver: %v", err)
		}
	}
	got := crm.requests()
	if len(got) != 2 {
		t.Fatalf("CRM got %d requests, want 2", len(got))
	}
	for i, r := range got {
		h := r.header
		if r.method != http.MethodPost || h.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: %s with content type %q", i, r.method, h.Get("Content-Type"))
		}
		if id := h.Get("webhook-id"); id != "msg_"+m.ID.Hex() {
			t.Errorf("request %d: webhook-id %q, want msg_%s", i, id, m.ID.Hex())
		}
		if !bytes.Equal(r.body, m.Body) {
			t.Errorf("request %d: body %s, want %s", i, r.body, m.Body)
		}
		ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
		if d := time.Since(time.Unix(ts, 0)); err != nil || d < -2*time.Second || d > time.Minute {
			t.Errorf("request %d: webhook-timestamp %q is not now", i, h.Get("webhook-timestamp"))
		}
		if err := Verify(ep.Secret, h, r.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("request %d: Verify: %v", i, err)
		}
		if want := standardSignature(t, ep.Secret, h.Get("webhook-id"), h.Get("webhook-timestamp"), r.body); h.Get("webhook-signature") != want {
			t.Errorf("request %d: webhook-signature %q, recomputed %q", i, h.Get("webhook-signature"), want)
		}
		tampered := bytes.Replace(r.body, []byte(`"score":9`), []byte(`"score":0`), 1)
		if err := Verify(ep.Secret, h, tampered, time.Now(), 5*time.Minute); !errors.Is(err, ErrSignature) {
			t.Errorf("request %d: tampered body verified: %v", i, err)
		}
	}
}

func TestWebhookDeliverClassifiesAnswers(t *testing.T) {
	en := newWebhookEnv(t, &http.Client{Timeout: 500 * time.Millisecond}, allowLoopback...)
	crm := newCRM(t)
	ep := en.createEndpoint(en.key, `{"url":"`+crm.URL+`"}`)
	ctx := context.Background()

	for _, tc := range []struct {
		name      string
		status    int
		delay     time.Duration
		ok        bool
		permanent bool
	}{
		{"200", 200, 0, true, false},
		{"204", 204, 0, true, false},
		{"400", 400, 0, false, true},
		{"401", 401, 0, false, true},
		{"410 gone", 410, 0, false, true},
		{"413", 413, 0, false, true},
		{"408 is retried", 408, 0, false, false},
		{"429 is retried", 429, 0, false, false},
		{"500", 500, 0, false, false},
		{"503", 503, 0, false, false},
		{"302 is not followed", 302, 0, false, true},
		{"timeout is retried", 200, 5 * time.Second, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crm.answer(tc.status, tc.delay)
			n := len(crm.requests())
			err := en.wh.Deliver(ctx, en.message(ep.ID))
			t.Logf("Deliver: %v", err)
			if (err == nil) != tc.ok || outbox.IsPermanent(err) != tc.permanent {
				t.Errorf("Deliver = %v (permanent %v), want ok %v permanent %v", err, outbox.IsPermanent(err), tc.ok, tc.permanent)
			}
			if got := len(crm.requests()) - n; got != 1 {
				t.Errorf("CRM got %d requests, want exactly 1 (no redirect followed)", got)
			}
		})
	}
	crm.answer(200, 0)

	t.Run("connection refused is retried", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		gone := en.createEndpoint(en.key, `{"url":"`+dead.URL+`"}`)
		err := en.wh.Deliver(ctx, en.message(gone.ID))
		t.Logf("Deliver: %v", err)
		if err == nil || outbox.IsPermanent(err) {
			t.Errorf("Deliver = %v, want a retryable error", err)
		}
	})
	t.Run("disabled endpoint fails for good", func(t *testing.T) {
		off := en.createEndpoint(en.key, `{"url":"`+crm.URL+`","enabled":false}`)
		n := len(crm.requests())
		if err := en.wh.Deliver(ctx, en.message(off.ID)); !outbox.IsPermanent(err) {
			t.Errorf("Deliver = %v, want permanent", err)
		}
		if len(crm.requests()) != n {
			t.Error("a disabled endpoint was called")
		}
	})
	t.Run("deleted endpoint fails for good", func(t *testing.T) {
		del := en.createEndpoint(en.key, `{"url":"`+crm.URL+`"}`)
		if rec := en.do("DELETE", "/api/v1/webhook-endpoints/"+del.ID, en.key, nil); rec.Code != 204 {
			t.Fatalf("delete: %d", rec.Code)
		}
		err := en.wh.Deliver(ctx, en.message(del.ID))
		if !outbox.IsPermanent(err) || !errors.Is(err, ErrNotFound) {
			t.Errorf("Deliver = %v, want permanent not found", err)
		}
	})
	t.Run("another workspace's endpoint is not found", func(t *testing.T) {
		m := en.message(ep.ID)
		m.WorkspaceID = bson.NewObjectID()
		if err := en.wh.Deliver(ctx, m); !outbox.IsPermanent(err) {
			t.Errorf("Deliver = %v, want permanent", err)
		}
	})
}

func TestWebhookRotateSecret(t *testing.T) {
	en := newWebhookEnv(t, nil, allowLoopback...)
	crm := newCRM(t)
	ep := en.createEndpoint(en.key, `{"url":"`+crm.URL+`"}`)
	ctx := context.Background()

	rec := en.do("POST", "/api/v1/webhook-endpoints/"+ep.ID+"/rotate-secret", en.key, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	var rotated endpointOut
	mailtest.DecodeJSON(t, rec.Body.Bytes(), &rotated)
	if rotated.SecretVersion != 2 || rotated.Secret == ep.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.URL != ep.URL {
		t.Fatalf("rotated %+v (old secret %s)", rotated, ep.Secret)
	}

	if err := en.wh.Deliver(ctx, en.message(ep.ID)); err != nil {
		t.Fatal(err)
	}
	r := crm.requests()[0]
	if err := Verify(rotated.Secret, r.header, r.body, time.Now(), 0); err != nil {
		t.Errorf("new secret: %v", err)
	}
	if err := Verify(ep.Secret, r.header, r.body, time.Now(), 0); !errors.Is(err, ErrSignature) {
		t.Errorf("old secret still verifies: %v", err)
	}
	if got := en.do("GET", "/api/v1/webhook-endpoints/"+ep.ID, en.key, nil); !strings.Contains(got.Body.String(), `"secret_version":2`) {
		t.Errorf("after rotation: %s", got.Body)
	}
}

func TestWebhookTestEventReportsTheCRMsAnswer(t *testing.T) {
	en := newWebhookEnv(t, &http.Client{Timeout: 500 * time.Millisecond}, allowLoopback...)
	crm := newCRM(t)
	ep := en.createEndpoint(en.key, `{"url":"`+crm.URL+`","events":["invitation.failed"],"enabled":false}`)
	test := "/api/v1/webhook-endpoints/" + ep.ID + "/test"

	type result struct {
		WebhookID  string `json:"webhook_id"`
		StatusCode int    `json:"status_code"`
		DurationMS *int64 `json:"duration_ms"`
		OK         bool   `json:"ok"`
		Error      string `json:"error"`
	}
	for _, tc := range []struct {
		name   string
		status int
		delay  time.Duration
		want   result
	}{
		{"accepted", 200, 0, result{StatusCode: 200, OK: true}},
		{"refused", 401, 0, result{StatusCode: 401}},
		{"crashed", 500, 0, result{StatusCode: 500}},
		{"hung", 200, 5 * time.Second, result{StatusCode: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crm.answer(tc.status, tc.delay)
			n := len(crm.requests())
			rec := en.do("POST", test, en.key, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("test: %d %s", rec.Code, rec.Body)
			}
			t.Logf("test result: %s", rec.Body)
			var res result
			mailtest.DecodeJSON(t, rec.Body.Bytes(), &res)
			if res.StatusCode != tc.want.StatusCode || res.OK != tc.want.OK || res.DurationMS == nil || (res.Error == "") != tc.want.OK {
				t.Errorf("result %s, want %+v", rec.Body, tc.want)
			}
			got := crm.requests()
			if len(got) != n+1 {
				t.Fatalf("CRM got %d requests, want 1", len(got)-n)
			}
			r := got[n]
			if r.header.Get("webhook-id") != res.WebhookID || !strings.HasPrefix(res.WebhookID, "msg_") {
				t.Errorf("webhook-id %q, reported %q", r.header.Get("webhook-id"), res.WebhookID)
			}
			if err := Verify(ep.Secret, r.header, r.body, time.Now(), 0); err != nil {
				t.Errorf("test event does not verify: %v", err)
			}
			var p struct {
				Type string            `json:"type"`
				Data map[string]string `json:"data"`
			}
			mailtest.DecodeJSON(t, r.body, &p)
			if p.Type != EventWebhookTest || p.Data["endpoint_id"] != ep.ID {
				t.Errorf("test payload %s", r.body)
			}
		})
	}
	if n := len(en.outbox()); n != 0 {
		t.Errorf("the test event left %d outbox messages", n)
	}
}

func TestVerifyWebhook(t *testing.T) {
	// The worked example of the Standard Webhooks reference libraries.
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	body := []byte(`{"test": 2432232314}`)
	sent := time.Unix(1614265330, 0)
	headers := func(kv ...string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				h.Del(kv[i])
			} else {
				h.Set(kv[i], kv[i+1])
			}
		}
		return h
	}

	if got := sign(mustSecret(t, secret), id, ts, body); got != sig {
		t.Fatalf("sign = %s, want the published %s", got, sig)
	}
	for name, tc := range map[string]struct {
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		"published example":          {secret, headers(), body, sent.Add(10 * time.Second), 0, nil},
		"secret without prefix":      {strings.TrimPrefix(secret, "whsec_"), headers(), body, sent, 0, nil},
		"one of several signatures":  {secret, headers("webhook-signature", "v1,bm90IGl0 v2,whatever "+sig), body, sent, 0, nil},
		"within a custom tolerance":  {secret, headers(), body, sent.Add(-50 * time.Minute), time.Hour, nil},
		"tampered body":              {secret, headers(), []byte(`{"test": 2432232315}`), sent, 0, ErrSignature},
		"other id":                   {secret, headers("webhook-id", "msg_other"), body, sent, 0, ErrSignature},
		"wrong secret":               {"whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret entirely")), headers(), body, sent, 0, ErrSignature},
		"secret not base64":          {"whsec_%%%", headers(), body, sent, 0, ErrSignature},
		"other version tag":          {secret, headers("webhook-signature", "v1a,"+strings.TrimPrefix(sig, "v1,")), body, sent, 0, ErrSignature},
		"missing signature":          {secret, headers("webhook-signature", ""), body, sent, 0, ErrSignature},
		"missing id":                 {secret, headers("webhook-id", ""), body, sent, 0, ErrSignature},
		"missing timestamp":          {secret, headers("webhook-timestamp", ""), body, sent, 0, ErrSignature},
		"timestamp not a number":     {secret, headers("webhook-timestamp", "2021-02-25T15:02:10Z"), body, sent, 0, ErrTimestamp},
		"too old (replay)":           {secret, headers(), body, sent.Add(6 * time.Minute), 0, ErrTimestamp},
		"from the future":            {secret, headers(), body, sent.Add(-6 * time.Minute), 0, ErrTimestamp},
		"outside a custom tolerance": {secret, headers(), body, sent.Add(2 * time.Minute), time.Minute, ErrTimestamp},
	} {
		t.Run(name, func(t *testing.T) {
			err := Verify(tc.secret, tc.h, tc.body, tc.now, tc.tol)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func mustSecret(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckWebhookURL(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://crm.example.com/hooks?x=1": true,
		"https://user:pw@crm.example.com/h": true,
		"HTTPS://CRM.EXAMPLE.COM/h":         true,
		"http://localhost:8080/h":           true,
		"http://127.0.0.1:9999/h":           true,
		"http://[::1]:9999/h":               true,
		"http://crm.example.com/h":          false,
		"http://127.0.0.2/h":                false,
		"http://localhost.evil.com/h":       false,
		"https://":                          false,
		"https:crm.example.com":             false,
		"//crm.example.com/h":               false,
		"mailto:ops@example.com":            false,
		"javascript:alert(1)":               false,
		"":                                  false,
	} {
		if got := (addressGuard{allow: allowLoopback}).checkURL(url) == ""; got != ok {
			t.Errorf("checkURL(%q) with loopback allowed accepts = %v, want %v", url, got, ok)
		}
	}
}
