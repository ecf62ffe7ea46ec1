package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/smtptest"
	"github.com/surveyd/surveyd/mailer/webhook"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/intake"
)

// crm is the CRM's webhook receiver.
type crm struct {
	mu       sync.Mutex
	requests []crmRequest
}

type crmRequest struct {
	header http.Header
	body   []byte
}

func (c *crm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.requests = append(c.requests, crmRequest{r.Header.Clone(), b})
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (c *crm) received() []crmRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]crmRequest(nil), c.requests...)
}

// running is surveyd serving on a free port, with a client that does not follow redirects.
type running struct {
	*app
	base   string
	client *http.Client
}

func serveApp(t *testing.T, env map[string]string) *running { return serveAppB(t, env) }

func serveAppB(t testing.TB, env map[string]string) *running {
	t.Helper()
	a := testApp(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, func(s string) { addr <- s }) }()
	t.Cleanup(func() { cancel(); <-done })
	return &running{app: a, base: "http://" + <-addr,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// api calls the JSON API and decodes the answer into out.
func (r *running) api(t *testing.T, method, path, key string, body, out any) int {
	return r.apiB(t, method, path, key, body, out)
}

func (r *running) apiB(t testing.TB, method, path, key string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode
}

// helpdesk sets ws up as a help desk would: an admin key, a CSAT survey, a CRM integration
// and a rule that surveys chats.
func (r *running) helpdesk(t *testing.T, ws *survey.Workspace) (key string, sv survey.Survey, integ intake.Integration) {
	t.Helper()
	ctx := context.Background()
	if err := r.svc.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	_, key, err := r.keys.Create(ctx, ws.ID, "test", apikey.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if code := r.api(t, "POST", "/api/v1/surveys", key, map[string]any{"kind": "csat", "name": "Support"}, &sv); code != 201 {
		t.Fatalf("create survey: %d", code)
	}
	if code := r.api(t, "POST", "/api/v1/integrations", key, map[string]any{"name": "Helpdesk"}, &integ); code != 201 || integ.Secret == "" {
		t.Fatalf("create integration: %d %+v", code, integ)
	}
	if code := r.api(t, "POST", "/api/v1/rules", key, map[string]any{"name": "Chats", "survey_id": sv.ID.Hex(), "channels": []string{"chat"}}, nil); code != 201 {
		t.Fatalf("create rule: %d", code)
	}
	return key, sv, integ
}

// local rewrites a link surveyd made (with its configured base URL) to the test server.
func (r *running) local(link string) string {
	u, _ := url.Parse(link)
	return r.base + u.RequestURI()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// textPart returns the decoded text/plain part of a MIME message.
func textPart(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text/plain part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			var r io.Reader = p // multipart decodes quoted-printable itself
			if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
				r = quotedprintable.NewReader(p)
			}
			b, _ := io.ReadAll(r)
			return string(b)
		}
	}
}

func signedPost(t *testing.T, r *running, integration, secret string, body []byte) (*http.Response, []byte) {
	t.Helper()
	res, err := r.post(integration, secret, body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func signedPostB(r *running, integration, secret string, body []byte) (int, error) {
	res, err := r.post(integration, secret, body)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

func (r *running) post(integration, secret string, body []byte) (*http.Response, error) {
	req, _ := http.NewRequest("POST", r.base+"/api/v1/webhooks/interactions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(intake.HeaderIntegration, integration)
	req.Header.Set(intake.HeaderSignature, intake.SignWebhook(secret, time.Now(), body))
	return r.client.Do(req)
}

// The whole distribution path, with every part real: a signed CRM webhook, the rule, the
// outbox, go-mail over STARTTLS with AUTH to an SMTP server, the one-click link in the received
// message, the confirm, and the signed response.created back to the CRM.
func TestEndToEndDistribution(t *testing.T) {
	smtp := smtptest.Start(t)
	hook := &crm{}
	crmServer := httptest.NewServer(hook)
	defer crmServer.Close()
	// The CRM listens on loopback, which webhooks reach only with the operator's allowance.
	r := serveApp(t, map[string]string{"SURVEYD_SMTP_URL": smtp.URL(), "SURVEYD_SMTP_CA_FILE": smtp.CAFile,
		"SURVEYD_WEBHOOK_ALLOW_PRIVATE": "127.0.0.0/8,::1/128"})

	ws := survey.NewWorkspace("Acme")
	ws.CompanyName = "Acme Việt Nam"
	key, _, integ := r.helpdesk(t, ws)
	var endpoint struct {
		Secret string `json:"secret"`
	}
	if code := r.api(t, "POST", "/api/v1/webhook-endpoints", key, map[string]any{"url": crmServer.URL, "events": []string{"response.created"}}, &endpoint); code != 201 {
		t.Fatalf("create endpoint: %d", code)
	}

	event := []byte(`{"event_id":"evt-1001","interaction":{"id":"T-77","type":"ticket","channel":"chat","agent":"Minh","team":"Billing","country":"VN",
		"first_contact_resolved":true,"handle_seconds":420},"customer":{"id":"C-9","email":"lan@example.com","name":"Lan","locale":"vi"}}`)
	res, body := signedPost(t, r, integ.ID.Hex(), integ.Secret, event)
	var result intake.WebhookResult
	if err := json.Unmarshal(body, &result); err != nil || res.StatusCode != http.StatusAccepted || result.Decision != survey.StatusScheduled {
		t.Fatalf("webhook: %d %s", res.StatusCode, body)
	}

	waitFor(t, "the survey email", func() bool { return len(smtp.Messages()) == 1 })
	msg := smtp.Messages()[0]
	if msg.To != "lan@example.com" || msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" ||
		!strings.Contains(msg.Header.Get("List-Unsubscribe"), "/u/") || msg.Header.Get("Message-Id") == "" {
		t.Fatalf("email headers: to %s, %v", msg.To, msg.Header)
	}
	text := textPart(t, msg.Raw)
	link := regexp.MustCompile(`https?://\S+/s/[A-Za-z0-9_-]+\?score=5`).FindString(text)
	if link == "" || !strings.Contains(text, "Acme Việt Nam") {
		t.Fatalf("no one-click link for 5 in:\n%s", text)
	}

	// The click only preselects; the confirm records.
	page, err := r.client.Get(r.local(link))
	if err != nil {
		t.Fatal(err)
	}
	pageBody, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(pageBody), `value="5" checked`) {
		t.Fatalf("survey page: %d", page.StatusCode)
	}
	var responses struct{ Data []survey.Response }
	r.api(t, "GET", "/api/v1/responses", key, nil, &responses)
	if len(responses.Data) != 0 {
		t.Fatal("opening the link recorded an answer")
	}
	confirm, err := r.client.PostForm(r.local(strings.Split(link, "?")[0]), url.Values{"score": {"5"}, "interacted": {"1"}})
	if err != nil || confirm.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %v %v", confirm, err)
	}
	confirm.Body.Close()
	r.api(t, "GET", "/api/v1/responses", key, nil, &responses)
	if len(responses.Data) != 1 || responses.Data[0].Score != 5 || responses.Data[0].Interaction.Agent != "Minh" {
		t.Fatalf("responses: %+v", responses.Data)
	}

	waitFor(t, "response.created at the CRM", func() bool { return len(hook.received()) == 1 })
	got := hook.received()[0]
	if err := webhook.Verify(endpoint.Secret, got.header, got.body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("CRM webhook signature: %v", err)
	}
	var payload struct {
		Type string `json:"type"`
		Data struct {
			InvitationID string `json:"invitation_id"`
			Score        int    `json:"score"`
		} `json:"data"`
	}
	if err := json.Unmarshal(got.body, &payload); err != nil || payload.Type != "response.created" || payload.Data.Score != 5 ||
		payload.Data.InvitationID != result.InvitationID {
		t.Fatalf("CRM payload %s", got.body)
	}

	// The CRM retries its webhook: same answer, nothing new created or sent.
	res, body = signedPost(t, r, integ.ID.Hex(), integ.Secret, event)
	var again intake.WebhookResult
	_ = json.Unmarshal(body, &again)
	if res.StatusCode != http.StatusOK || res.Header.Get("Idempotent-Replayed") != "true" || again.InvitationID != result.InvitationID {
		t.Fatalf("retried webhook: %d %s", res.StatusCode, body)
	}
	var invitations struct{ Data []survey.Invitation }
	r.api(t, "GET", "/api/v1/invitations", key, nil, &invitations)
	if len(invitations.Data) != 1 || invitations.Data[0].Status != survey.StatusResponded || invitations.Data[0].SentAt == nil {
		t.Fatalf("invitations: %+v", invitations.Data)
	}
	time.Sleep(2500 * time.Millisecond) // a poll of the outbox
	if n := len(smtp.Messages()); n != 1 {
		t.Fatalf("%d emails after the retried webhook, want 1", n)
	}
}
