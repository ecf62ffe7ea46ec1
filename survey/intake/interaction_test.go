package intake

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const webhookURL = "/api/v1/webhooks/interactions"

// hookEnv is an env with a survey, an integration and a rule made through the API, and the
// stub distributor connected.
type hookEnv struct {
	*env
	sv    *survey.Survey
	integ Integration
	rule  Rule
	dist  *surveytest.Distributor
}

// newHookEnv makes the setup; rule is extra JSON fields of the rule ("" for the defaults
// with channels ["chat"]).
func newHookEnv(t *testing.T, rule string) *hookEnv {
	t.Helper()
	h := &hookEnv{env: newEnv(t)}
	h.dist = &surveytest.Distributor{DB: h.DB, Suppress: map[string]bool{}}
	h.Core.SetDistributor(h.dist)
	h.sv = h.CreateSurvey(`{"kind":"csat","name":"Support"}`)
	h.integ = h.createIntegration(h.Key, "Helpdesk")
	if rule == "" {
		rule = `"channels":["chat"]`
	}
	rec := h.Do("POST", "/api/v1/rules", h.Key, `{"name":"Chats","survey_id":"`+h.sv.ID.Hex()+`",`+rule+`}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create rule: %d %s", rec.Code, rec.Body)
	}
	surveytest.Decode(t, rec, &h.rule)
	return h
}

func (en *env) createIntegration(key, name string) Integration {
	en.T.Helper()
	rec := en.Do("POST", "/api/v1/integrations", key, `{"name":"`+name+`"}`)
	if rec.Code != http.StatusCreated {
		en.T.Fatalf("create integration: %d %s", rec.Code, rec.Body)
	}
	var in Integration
	surveytest.Decode(en.T, rec, &in)
	if !strings.HasPrefix(in.Secret, "sdwh_") {
		en.T.Fatalf("integration without a secret: %s", rec.Body)
	}
	return in
}

// signed are the headers of body signed with secret at at, for the env's integration.
func (h *hookEnv) signed(secret string, at time.Time, body string) []string {
	return []string{HeaderIntegration, h.integ.ID.Hex(), HeaderSignature, SignWebhook(secret, at, []byte(body))}
}

// post sends body signed now with the integration's current secret.
func (h *hookEnv) post(body string) *httptest.ResponseRecorder {
	h.T.Helper()
	return h.Do("POST", webhookURL, "", body, h.signed(h.integ.Secret, h.Clock.Now(), body)...)
}

// postOK posts and decodes the result, failing unless the status is want.
func (h *hookEnv) postOK(body string, want int) WebhookResult {
	h.T.Helper()
	rec := h.post(body)
	if rec.Code != want {
		h.T.Fatalf("webhook %s: %d, want %d: %s", body, rec.Code, want, rec.Body)
	}
	var res WebhookResult
	surveytest.Decode(h.T, rec, &res)
	return res
}

// interactionEventJSON is a webhook body; customer is the customer object.
func interactionEventJSON(eventID, channel, customer string) string {
	return `{"event_id":"` + eventID + `","interaction":{"id":"T-1","type":"Ticket","channel":"` + channel +
		`","agent":"Minh","team":"Billing","country":"vn","properties":{"priority":"high"}},"customer":` + customer + `}`
}

func (h *hookEnv) storedCounts() map[string]int64 {
	h.T.Helper()
	out := map[string]int64{}
	for _, c := range []string{"interactions", "invitations", "webhook_events", "outbox"} {
		out[c] = h.Count(c, nil)
	}
	return out
}

func (h *hookEnv) checkCounts(want map[string]int64) {
	h.T.Helper()
	got := h.storedCounts()
	for c, n := range want {
		if got[c] != n {
			h.T.Errorf("%s: %d stored, want %d", c, got[c], n)
		}
	}
}

func TestInteractionWebhookAccepted(t *testing.T) {
	h := newHookEnv(t, "")
	lan := `{"id":"C-1","email":"lan@example.com","name":"Lan","locale":"vi"}`
	mai := `{"id":"C-2","email":"mai@example.com"}`
	now := h.Clock.Now()
	due := now.UTC().Format(time.RFC3339)
	scheduledBody := interactionEventJSON("evt-1", "chat", lan)
	upperBody := interactionEventJSON("evt-2", " CHAT ", mai)
	phoneBody := interactionEventJSON("evt-3", "phone", lan)
	h.Run(t, []scenario{
		{"matching rule schedules", "POST", webhookURL, "", scheduledBody, h.signed(h.integ.Secret, now, scheduledBody), 202,
			[]string{`"decision":"scheduled"`, `"invitation_id":"`, `"due_at":"` + due + `"`, `"link":"http://surveyd.test/s/`}},
		{"channel is matched in lower case", "POST", webhookURL, "", upperBody, h.signed(h.integ.Secret, now, upperBody), 202,
			[]string{`"decision":"scheduled"`}},
		{"no matching rule", "POST", webhookURL, "", phoneBody, h.signed(h.integ.Secret, now, phoneBody), 202,
			[]string{`"decision":"no_rule"`, `"interaction_id":"`}},
	})
	if rec := h.Do("POST", webhookURL, "", phoneBody, h.signed(h.integ.Secret, now, phoneBody)...); strings.Contains(rec.Body.String(), "invitation_id") {
		t.Errorf("no_rule answer names an invitation: %s", rec.Body)
	}
	h.checkCounts(map[string]int64{"interactions": 3, "invitations": 2, "webhook_events": 3, "outbox": 2})

	calls := h.dist.Calls()
	if len(calls) != 2 {
		t.Fatalf("Schedule called for %d invitations, want 2", len(calls))
	}
	inv, err := h.Core.Invitation(t.Context(), h.WS.ID, calls[0].Invitation)
	if err != nil {
		t.Fatal(err)
	}
	if !calls[0].Due.Equal(now) || inv.Status != survey.StatusScheduled || !inv.Send || inv.SurveyID != h.sv.ID ||
		inv.Customer.Email != "lan@example.com" || inv.Interaction.Type != "ticket" || inv.Interaction.Channel != "chat" ||
		inv.Interaction.Country != "VN" || inv.Interaction.OccurredAt == nil {
		t.Fatalf("scheduled invitation: due %s, %+v", calls[0].Due, inv)
	}
	var si StoredInteraction
	if err := h.DB.Collection("interactions").FindOne(t.Context(), bson.D{{Key: "event_id", Value: "evt-1"}}).Decode(&si); err != nil {
		t.Fatal(err)
	}
	if si.IntegrationID != h.integ.ID || si.WorkspaceID != h.WS.ID || si.Properties["priority"] != "high" || si.Customer.ID != "C-1" {
		t.Fatalf("stored interaction: %+v", si)
	}
}

// The first enabled rule by priority decides, the newer of equal ones first; a disabled rule
// is passed over, and a deciding rule whose survey is archived leaves no invitation.
func TestInteractionWebhookRuleChoice(t *testing.T) {
	h := newHookEnv(t, `"channels":["chat"],"priority":10`)
	other := h.CreateSurvey(`{"kind":"nps","name":"Loyalty"}`)
	rec := h.Do("POST", "/api/v1/rules", h.Key, `{"name":"First","survey_id":"`+other.ID.Hex()+`","priority":1,"types":["ticket"]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create rule: %d %s", rec.Code, rec.Body)
	}
	var first Rule
	surveytest.Decode(t, rec, &first)

	customer := func(n string) string { return `{"id":"C-` + n + `","email":"c` + n + `@example.com"}` }
	surveyOf := func(res WebhookResult) bson.ObjectID {
		id, _ := bson.ObjectIDFromHex(res.InvitationID)
		inv, err := h.Core.Invitation(t.Context(), h.WS.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return inv.SurveyID
	}
	if res := h.postOK(interactionEventJSON("evt-1", "chat", customer("1")), 202); surveyOf(res) != other.ID {
		t.Fatalf("priority 1 rule did not decide: %+v", res)
	}
	if rec := h.Do("PATCH", "/api/v1/rules/"+first.ID.Hex(), h.Key, `{"enabled":false}`); rec.Code != http.StatusOK {
		t.Fatalf("disable rule: %d %s", rec.Code, rec.Body)
	}
	if res := h.postOK(interactionEventJSON("evt-2", "chat", customer("2")), 202); surveyOf(res) != h.sv.ID {
		t.Fatalf("disabled rule still decides: %+v", res)
	}
	// Among equal priorities the newer rule decides.
	third := h.CreateSurvey(`{"kind":"ces","name":"Effort"}`)
	if rec := h.Do("POST", "/api/v1/rules", h.Key, `{"name":"Newer","survey_id":"`+third.ID.Hex()+`","priority":10}`); rec.Code != http.StatusCreated {
		t.Fatalf("create rule: %d %s", rec.Code, rec.Body)
	}
	if res := h.postOK(interactionEventJSON("evt-3", "chat", customer("3")), 202); surveyOf(res) != third.ID {
		t.Fatalf("the older of two equal-priority rules decided: %+v", res)
	}
	if rec := h.Do("DELETE", "/api/v1/rules/"+first.ID.Hex(), h.Key, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("delete rule: %d %s", rec.Code, rec.Body)
	}
	if rec := h.Do("POST", "/api/v1/surveys/"+third.ID.Hex()+"/archive", h.Key, nil); rec.Code != http.StatusOK {
		t.Fatalf("archive: %d %s", rec.Code, rec.Body)
	}
	if res := h.postOK(interactionEventJSON("evt-4", "chat", customer("4")), 202); res.Decision != "no_rule" || res.InvitationID != "" {
		t.Fatalf("rule of an archived survey: %+v", res)
	}
	h.checkCounts(map[string]int64{"interactions": 4, "invitations": 3, "outbox": 3})
}

func TestInteractionWebhookRejectsBadSignatures(t *testing.T) {
	h := newHookEnv(t, "")
	body := interactionEventJSON("evt-1", "chat", `{"email":"lan@example.com"}`)
	now := h.Clock.Now()
	id := h.integ.ID.Hex()
	sig := SignWebhook(h.integ.Secret, now, []byte(body))
	ts := sig[:strings.Index(sig, ",")]
	forged := make([]byte, 32)
	_, _ = rand.Read(forged)

	other := h.createIntegration(h.Key, "Other CRM")
	revoked := h.createIntegration(h.Key, "Old CRM")
	if rec := h.Do("DELETE", "/api/v1/integrations/"+revoked.ID.Hex(), h.Key, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	_, rivalKey := h.Workspace("Rival")
	rival := h.createIntegration(rivalKey, "Rival CRM")

	hdr := func(integration, signature string) []string {
		var out []string
		if integration != "" {
			out = append(out, HeaderIntegration, integration)
		}
		if signature != "" {
			out = append(out, HeaderSignature, signature)
		}
		return out
	}
	bad := func(name string, header []string, want ...string) scenario {
		return scenario{name, "POST", webhookURL, "", body, header, 401, append([]string{"Webhook signature check failed"}, want...)}
	}
	h.Run(t, []scenario{
		bad("forged signature", hdr(id, ts+",v1="+hex.EncodeToString(forged)), "no signature matches"),
		bad("wrong secret", hdr(id, SignWebhook("sdwh_not-the-secret", now, []byte(body))), "no signature matches"),
		bad("signature of another body", hdr(id, SignWebhook(h.integ.Secret, now, []byte(body+" "))), "no signature matches"),
		bad("another integration's secret", hdr(id, SignWebhook(other.Secret, now, []byte(body))), "no signature matches"),
		bad("another workspace's integration secret", hdr(id, SignWebhook(rival.Secret, now, []byte(body))), "no signature matches"),
		bad("timestamp of another signature", hdr(id, "t="+strconv.FormatInt(now.Unix()+1, 10)+sig[strings.Index(sig, ","):]), "no signature matches"),
		bad("no integration header", hdr("", sig), HeaderIntegration),
		bad("no signature header", hdr(id, ""), HeaderSignature),
		bad("no headers", nil, HeaderIntegration),
		bad("malformed integration id", hdr("42", sig), HeaderIntegration),
		bad("signature without timestamp", hdr(id, sig[strings.Index(sig, ",")+1:]), HeaderSignature),
		bad("signature without v1", hdr(id, ts), HeaderSignature),
		bad("short v1", hdr(id, ts+",v1=abcd"), HeaderSignature),
		bad("unknown integration", hdr(bson.NewObjectID().Hex(), sig), "unknown integration"),
		bad("revoked integration", hdr(revoked.ID.Hex(), SignWebhook(revoked.Secret, now, []byte(body))), "revoked"),
		bad("stale timestamp, 6 minutes old", hdr(id, SignWebhook(h.integ.Secret, now.Add(-6*time.Minute), []byte(body))), "5-minute window"),
		bad("5 minutes and 1 second old", hdr(id, SignWebhook(h.integ.Secret, now.Add(-5*time.Minute-time.Second), []byte(body))), "5-minute window"),
		bad("6 minutes in the future", hdr(id, SignWebhook(h.integ.Secret, now.Add(6*time.Minute), []byte(body))), "5-minute window"),
		bad("a day in the future", hdr(id, SignWebhook(h.integ.Secret, now.Add(24*time.Hour), []byte(body))), "5-minute window"),
	})
	h.checkCounts(map[string]int64{"interactions": 0, "invitations": 0, "webhook_events": 0, "outbox": 0})

	// The window's edges are inside it.
	for name, at := range map[string]time.Time{"4m59s old": now.Add(-4*time.Minute - 59*time.Second), "4m59s ahead": now.Add(4*time.Minute + 59*time.Second)} {
		b := interactionEventJSON("evt-"+name, "chat", `{"email":"`+strings.ReplaceAll(name, " ", "")+`@example.com"}`)
		if rec := h.Do("POST", webhookURL, "", b, h.signed(h.integ.Secret, at, b)...); rec.Code != http.StatusAccepted {
			t.Errorf("signed %s: %d %s", name, rec.Code, rec.Body)
		}
	}
}

func TestInteractionWebhookReplay(t *testing.T) {
	h := newHookEnv(t, "")
	body := interactionEventJSON("evt-1", "chat", `{"id":"C-1","email":"lan@example.com"}`)
	header := h.signed(h.integ.Secret, h.Clock.Now(), body)
	first := h.Do("POST", webhookURL, "", body, header...)
	if first.Code != http.StatusAccepted || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first delivery: %d %v %s", first.Code, first.Header(), first.Body)
	}
	var want WebhookResult
	surveytest.Decode(t, first, &want)
	before := h.storedCounts()

	replay := func(name, body string, header []string) {
		t.Helper()
		rec := h.Do("POST", webhookURL, "", body, header...)
		var got WebhookResult
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", name, rec.Code, rec.Body)
		}
		surveytest.Decode(t, rec, &got)
		if rec.Header().Get("Idempotent-Replayed") != "true" || got != want {
			t.Fatalf("%s: replayed %v, %+v, want %+v", name, rec.Header().Get("Idempotent-Replayed"), got, want)
		}
	}
	replay("identical request", body, header)
	h.Clock.Advance(2 * time.Minute)
	replay("identical request 2 minutes later", body, header)
	replay("the same event signed afresh", body, h.signed(h.integ.Secret, h.Clock.Now(), body))
	changed := interactionEventJSON("evt-1", "chat", `{"id":"C-9","email":"someone-else@example.com"}`)
	replay("the same event id with another payload", changed, h.signed(h.integ.Secret, h.Clock.Now(), changed))
	h.checkCounts(before)
	if n := len(h.dist.Calls()); n != 1 {
		t.Fatalf("Schedule called %d times, want 1", n)
	}

	h.Clock.Advance(4 * time.Minute) // the first signature is now 6 minutes old
	if rec := h.Do("POST", webhookURL, "", body, header...); rec.Code != http.StatusUnauthorized {
		t.Fatalf("identical request after the window: %d %s", rec.Code, rec.Body)
	}

	// Event ids are the workspace's own: another workspace's CRM may use the same one.
	_, rivalKey := h.Workspace("Rival")
	rivalSurvey := h.Do("POST", "/api/v1/surveys", rivalKey, `{"kind":"csat","name":"x"}`)
	var rsv survey.Survey
	surveytest.Decode(t, rivalSurvey, &rsv)
	if rec := h.Do("POST", "/api/v1/rules", rivalKey, `{"name":"All","survey_id":"`+rsv.ID.Hex()+`"}`); rec.Code != http.StatusCreated {
		t.Fatalf("rival rule: %d %s", rec.Code, rec.Body)
	}
	rival := h.createIntegration(rivalKey, "Rival CRM")
	rec := h.Do("POST", webhookURL, "", body, HeaderIntegration, rival.ID.Hex(), HeaderSignature, SignWebhook(rival.Secret, h.Clock.Now(), []byte(body)))
	var got WebhookResult
	surveytest.Decode(t, rec, &got)
	if rec.Code != http.StatusAccepted || got.InvitationID == want.InvitationID || got.Decision != survey.StatusScheduled {
		t.Fatalf("same event id in another workspace: %d %s", rec.Code, rec.Body)
	}
}

// raceDeliveries posts the same signed request from n goroutines at once.
func (h *hookEnv) raceDeliveries(body string, n int) []*httptest.ResponseRecorder {
	header := h.signed(h.integ.Secret, h.Clock.Now(), body)
	recs := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			recs[i] = h.Do("POST", webhookURL, "", body, header...)
		})
	}
	close(start)
	wg.Wait()
	return recs
}

func TestInteractionWebhookConcurrentDuplicates(t *testing.T) {
	h := newHookEnv(t, "")
	body := interactionEventJSON("evt-race", "chat", `{"id":"C-1","email":"lan@example.com"}`)
	ids := map[string]int{}
	failed := 0
	for i, rec := range h.raceDeliveries(body, 10) {
		switch rec.Code {
		case http.StatusAccepted, http.StatusOK:
			var res WebhookResult
			surveytest.Decode(t, rec, &res)
			ids[res.InvitationID]++
		case http.StatusInternalServerError:
			// See TestInteractionWebhookConcurrentDuplicatesNeverFail: a racer may lose the
			// contact upsert. The CRM retries such an answer, which must converge below.
			failed++
		default:
			t.Fatalf("delivery %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("deliveries answered with %d invitation ids: %v", len(ids), ids)
	}
	if failed > 0 {
		rec := h.post(body)
		var res WebhookResult
		surveytest.Decode(t, rec, &res)
		if rec.Code >= 300 || ids[res.InvitationID] == 0 {
			t.Fatalf("retry after a failed racer: %d %s, want invitation %v", rec.Code, rec.Body, ids)
		}
	}
	h.checkCounts(map[string]int64{"interactions": 1, "invitations": 1, "webhook_events": 1, "outbox": 1})
	distinct := map[bson.ObjectID]bool{}
	for _, c := range h.dist.Calls() {
		distinct[c.Invitation] = true
	}
	if len(distinct) != 1 {
		t.Fatalf("scheduled %d different invitations, want 1", len(distinct))
	}
}

// Deliveries racing the first one must each get the result, never a server error.
func TestInteractionWebhookConcurrentDuplicatesNeverFail(t *testing.T) {
	for round := range 40 {
		h := newHookEnv(t, "")
		body := interactionEventJSON("evt-race", "chat", `{"id":"C-1","email":"lan@example.com"}`)
		for i, rec := range h.raceDeliveries(body, 10) {
			if rec.Code != http.StatusAccepted && rec.Code != http.StatusOK {
				t.Fatalf("round %d, delivery %d: %d %s", round, i, rec.Code, rec.Body)
			}
		}
	}
}

func TestInteractionWebhookRotation(t *testing.T) {
	h := newHookEnv(t, "")
	old := h.integ.Secret
	n := 0
	post := func(secrets ...string) int {
		t.Helper()
		n++
		body := interactionEventJSON("evt-"+strconv.Itoa(n), "chat", `{"id":"C-`+strconv.Itoa(n)+`","email":"c@example.com"}`)
		now := h.Clock.Now()
		sig := SignWebhook(secrets[0], now, []byte(body))
		for _, s := range secrets[1:] {
			v := SignWebhook(s, now, []byte(body))
			sig += v[strings.Index(v, ","):]
		}
		return h.Do("POST", webhookURL, "", body, HeaderIntegration, h.integ.ID.Hex(), HeaderSignature, sig).Code
	}
	rotate := func(body any) Integration {
		t.Helper()
		rec := h.Do("POST", "/api/v1/integrations/"+h.integ.ID.Hex()+"/rotate", h.Key, body)
		if rec.Code != http.StatusOK {
			t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
		}
		var in Integration
		surveytest.Decode(t, rec, &in)
		return in
	}

	v2 := rotate(nil) // default overlap: 24 hours
	if v2.Version != 2 || v2.Secret == old || !strings.HasPrefix(v2.Secret, "sdwh_") || v2.PreviousUntil == nil ||
		!v2.PreviousUntil.Equal(h.Clock.Now().Add(24*time.Hour)) {
		t.Fatalf("rotated: %+v", v2)
	}
	steps := []struct {
		name    string
		advance time.Duration
		secrets []string
		want    int
	}{
		{"old secret during the overlap", 0, []string{old}, 202},
		{"new secret during the overlap", 0, []string{v2.Secret}, 202},
		{"both signatures in one header", 0, []string{"sdwh_wrong", old, v2.Secret}, 202},
		{"old secret near the end of the overlap", 23*time.Hour + 59*time.Minute, []string{old}, 202},
		{"old secret after the overlap", 2 * time.Minute, []string{old}, 401},
		{"new secret after the overlap", 0, []string{v2.Secret}, 202},
		{"both after the overlap", 0, []string{old, v2.Secret}, 202},
	}
	for _, s := range steps {
		h.Clock.Advance(s.advance)
		if got := post(s.secrets...); got != s.want {
			t.Fatalf("%s: %d, want %d", s.name, got, s.want)
		}
	}

	// Only the previous version overlaps: a second rotation retires the first secret at once.
	v3 := rotate(`{"overlap_hours":1}`)
	if v3.Version != 3 || !v3.PreviousUntil.Equal(h.Clock.Now().Add(time.Hour)) {
		t.Fatalf("second rotation: %+v", v3)
	}
	for _, c := range []struct {
		name   string
		secret string
		want   int
	}{{"v1 after two rotations", old, 401}, {"v2 in the second overlap", v2.Secret, 202}, {"v3", v3.Secret, 202}} {
		if got := post(c.secret); got != c.want {
			t.Fatalf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	v4 := rotate(`{"overlap_hours":0}`)
	if got := post(v3.Secret); got != 401 {
		t.Fatalf("previous secret after a rotation without overlap: %d", got)
	}
	if got := post(v4.Secret); got != 202 {
		t.Fatalf("new secret after a rotation without overlap: %d", got)
	}
}

func TestInteractionWebhookRejectsBadPayloads(t *testing.T) {
	h := newHookEnv(t, "")
	cust := `{"email":"lan@example.com"}`
	inter := `{"channel":"chat"}`
	ev := func(fields string) string { return `{` + fields + `}` }
	huge := ev(`"event_id":"evt-big","interaction":{"channel":"chat","properties":{"blob":"` + strings.Repeat("x", 64<<10) + `"}},"customer":` + cust)
	cases := []struct {
		name   string
		body   string
		status int
		want   []string
	}{
		{"malformed json", `{"event_id":`, 400, []string{"not valid JSON"}},
		{"syntax error", `{"event_id" "x"}`, 400, []string{"not valid JSON"}},
		{"empty body", ``, 400, []string{"empty"}},
		{"not an object", `[]`, 400, []string{"must be an object"}},
		{"two values", ev(`"event_id":"e","interaction":`+inter+`,"customer":`+cust) + `{}`, 400, []string{"single JSON value"}},
		{"unknown top-level field", ev(`"event_id":"e","interaction":` + inter + `,"customer":` + cust + `,"priority":"high"`), 400, []string{`"field":"priority"`, "not a known field"}},
		{"unknown field in interaction", ev(`"event_id":"e","interaction":{"channel":"chat","mood":"happy"},"customer":` + cust), 400, []string{"mood", "not a known field"}},
		{"unknown field in customer", ev(`"event_id":"e","interaction":` + inter + `,"customer":{"email":"a@example.com","phone":"1"}`), 400, []string{"phone", "not a known field"}},
		{"event id not a string", ev(`"event_id":42,"interaction":` + inter + `,"customer":` + cust), 400, []string{`"field":"event_id"`, "must be a string"}},
		{"interaction not an object", ev(`"event_id":"e","interaction":"chat","customer":` + cust), 400, []string{`"field":"interaction"`, "must be an object"}},
		{"customer not an object", ev(`"event_id":"e","interaction":` + inter + `,"customer":["a@example.com"]`), 400, []string{`"field":"customer"`, "must be an object"}},
		{"handle seconds not a number", ev(`"event_id":"e","interaction":{"handle_seconds":"long"},"customer":` + cust), 400, []string{`"field":"interaction.handle_seconds"`, "whole number"}},
		{"resolved not a bool", ev(`"event_id":"e","interaction":{"first_contact_resolved":"yes"},"customer":` + cust), 400, []string{`"field":"interaction.first_contact_resolved"`, "true or false"}},
		{"bad occurred_at", ev(`"event_id":"e","interaction":{"occurred_at":"yesterday"},"customer":` + cust), 400, []string{`"field":"interaction.occurred_at"`, "RFC 3339"}},
		{"missing event id", ev(`"interaction":` + inter + `,"customer":` + cust), 422, []string{`"field":"event_id"`, "is required"}},
		{"blank event id", ev(`"event_id":"   ","interaction":` + inter + `,"customer":` + cust), 422, []string{`"field":"event_id"`, "is required"}},
		{"event id too long", ev(`"event_id":"` + strings.Repeat("e", 201) + `","interaction":` + inter + `,"customer":` + cust), 422, []string{`"field":"event_id"`, "at most 200"}},
		{"missing customer", ev(`"event_id":"e","interaction":` + inter), 422, []string{`"field":"customer"`, "is required"}},
		{"null customer", ev(`"event_id":"e","interaction":` + inter + `,"customer":null`), 422, []string{`"field":"customer"`}},
		{"missing interaction", ev(`"event_id":"e","customer":` + cust), 422, []string{`"field":"interaction"`, "is required"}},
		{"missing email", ev(`"event_id":"e","interaction":` + inter + `,"customer":{"name":"Lan"}`), 422, []string{`"field":"customer.email"`, "is required"}},
		{"bad email", ev(`"event_id":"e","interaction":` + inter + `,"customer":{"email":"lan"}`), 422, []string{`"field":"customer.email"`, "valid email"}},
		{"bad country", ev(`"event_id":"e","interaction":{"country":"Vietnam"},"customer":` + cust), 422, []string{`"field":"interaction.country"`}},
		{"negative transfers", ev(`"event_id":"e","interaction":{"transfers":-1},"customer":` + cust), 422, []string{`"field":"interaction.transfers"`}},
		{"oversized body", huge, 413, []string{"larger than 65536 bytes"}},
	}
	scenarios := make([]scenario, len(cases))
	for i, c := range cases {
		scenarios[i] = scenario{c.name, "POST", webhookURL, "", c.body, h.signed(h.integ.Secret, h.Clock.Now(), c.body), c.status, c.want}
	}
	h.Run(t, scenarios)
	h.checkCounts(map[string]int64{"interactions": 0, "invitations": 0, "webhook_events": 0, "outbox": 0})
	if n := len(h.dist.Calls()); n != 0 {
		t.Fatalf("bad payloads scheduled %d emails", n)
	}
}

func TestInteractionWebhookThrottles(t *testing.T) {
	h := newHookEnv(t, "") // frequency_days defaults to 30
	lan := `{"id":"C-1","email":"lan@example.com"}`
	steps := []struct {
		name     string
		advance  time.Duration
		event    string
		customer string
		want     string
		outbox   int64
	}{
		{"first interaction", 0, "evt-1", lan, survey.StatusScheduled, 1},
		{"same customer 10 days later", 10 * 24 * time.Hour, "evt-2", lan, survey.StatusThrottled, 1},
		{"same customer id, new address", 0, "evt-3", `{"id":"C-1","email":"lan.new@example.com"}`, survey.StatusThrottled, 1},
		{"another customer", 0, "evt-4", `{"id":"C-2","email":"mai@example.com"}`, survey.StatusScheduled, 2},
		{"customer known by address", 0, "evt-5", `{"email":"Hoa@Example.com"}`, survey.StatusScheduled, 3},
		{"same address in another case", 0, "evt-6", `{"email":" hoa@example.COM "}`, survey.StatusThrottled, 3},
		{"first customer 29 days after", 19 * 24 * time.Hour, "evt-7", lan, survey.StatusThrottled, 3},
		{"first customer 30 days after", 24 * time.Hour, "evt-8", lan, survey.StatusScheduled, 4},
		{"and throttled again right after", time.Minute, "evt-9", lan, survey.StatusThrottled, 4},
	}
	for _, s := range steps {
		h.Clock.Advance(s.advance)
		res := h.postOK(interactionEventJSON(s.event, "chat", s.customer), 202)
		if res.Decision != s.want {
			t.Fatalf("%s: %s, want %s", s.name, res.Decision, s.want)
		}
		if s.want != survey.StatusScheduled && res.DueAt != "" {
			t.Errorf("%s: due at %s", s.name, res.DueAt)
		}
		if n := h.Count("outbox", nil); n != s.outbox {
			t.Fatalf("%s: %d emails queued, want %d", s.name, n, s.outbox)
		}
	}
	if n := len(h.dist.Calls()); n != 4 {
		t.Fatalf("Schedule called %d times, want 4", n)
	}
	if n := h.Count("invitations", bson.D{{Key: "status", Value: survey.StatusThrottled}, {Key: "send", Value: false}}); n != 5 {
		t.Fatalf("%d throttled invitations stored, want 5", n)
	}
}

func TestInteractionWebhookSampledOut(t *testing.T) {
	h := newHookEnv(t, `"sample_percent":0`)
	for _, ev := range []string{"evt-1", "evt-2", "evt-3"} {
		res := h.postOK(interactionEventJSON(ev, "chat", `{"id":"`+ev+`","email":"lan@example.com"}`), 202)
		if res.Decision != survey.StatusSampledOut || res.DueAt != "" {
			t.Fatalf("%s: %+v", ev, res)
		}
	}
	h.checkCounts(map[string]int64{"interactions": 3, "invitations": 3, "outbox": 0})
	if n := len(h.dist.Calls()); n != 0 {
		t.Fatalf("sampled-out interactions scheduled %d emails", n)
	}
}

func TestInteractionWebhookSuppressed(t *testing.T) {
	h := newHookEnv(t, "")
	h.dist.Suppress["blocked@example.com"] = true
	res := h.postOK(interactionEventJSON("evt-1", "chat", `{"id":"C-1","email":"Blocked@Example.com"}`), 202)
	if res.Decision != survey.StatusSuppressed || res.DueAt != "" {
		t.Fatalf("suppressed address: %+v", res)
	}
	if res := h.postOK(interactionEventJSON("evt-2", "chat", `{"id":"C-2","email":"open@example.com"}`), 202); res.Decision != survey.StatusScheduled {
		t.Fatalf("other address: %+v", res)
	}
	calls := h.dist.Calls()
	if len(calls) != 1 || h.Count("outbox", nil) != 1 {
		t.Fatalf("scheduled %d emails, want only the unsuppressed one", len(calls))
	}
	id, _ := bson.ObjectIDFromHex(res.InvitationID)
	inv, err := h.Core.Invitation(t.Context(), h.WS.ID, id)
	if err != nil || inv.Status != survey.StatusSuppressed || inv.Send {
		t.Fatalf("suppressed invitation: %+v %v", inv, err)
	}
	// A suppressed customer was not surveyed, so lifting the suppression does not throttle them.
	delete(h.dist.Suppress, "blocked@example.com")
	if res := h.postOK(interactionEventJSON("evt-3", "chat", `{"id":"C-1","email":"blocked@example.com"}`), 202); res.Decision != survey.StatusScheduled {
		t.Fatalf("after the suppression is lifted: %+v", res)
	}
}

func TestRulesAPI(t *testing.T) {
	h := newHookEnv(t, "")
	k := h.Key
	sv := h.sv.ID.Hex()
	archived := h.CreateSurvey(`{"kind":"nps","name":"Old"}`)
	if rec := h.Do("POST", "/api/v1/surveys/"+archived.ID.Hex()+"/archive", k, nil); rec.Code != http.StatusOK {
		t.Fatalf("archive: %d", rec.Code)
	}
	rivalWS, rivalKey := h.Workspace("Rival")
	rivalSurvey := h.Do("POST", "/api/v1/surveys", rivalKey, `{"kind":"csat","name":"Theirs"}`)
	var rsv survey.Survey
	surveytest.Decode(t, rivalSurvey, &rsv)
	read := h.KeyFor(h.WS, apikey.ScopeRead)
	write := h.KeyFor(h.WS, apikey.ScopeWrite)
	rule := "/api/v1/rules/" + h.rule.ID.Hex()
	rule2 := func(extra string) string { return `{"name":"R","survey_id":"` + sv + `"` + extra + `}` }

	h.Run(t, []scenario{
		{"defaults", "POST", "/api/v1/rules", write, rule2(""), nil, 201,
			[]string{`"enabled":true`, `"sample_percent":100`, `"frequency_days":30`, `"delay_minutes":0`, `"channels":[]`, `"types":[]`}},
		{"every field", "POST", "/api/v1/rules", k, rule2(`,"enabled":false,"priority":5,"channels":[" Chat ","EMAIL"],"types":["Ticket"],"delay_minutes":90,"sample_percent":12.5,"quiet_hours":{"start":"21:00","end":"08:00"},"frequency_days":0`), nil, 201,
			[]string{`"enabled":false`, `"priority":5`, `"channels":["chat","email"]`, `"types":["ticket"]`, `"delay_minutes":90`, `"sample_percent":12.5`, `"quiet_hours":{"start":"21:00","end":"08:00"}`, `"frequency_days":0`}},
		{"read key cannot create", "POST", "/api/v1/rules", read, rule2(""), nil, 403, nil},
		{"missing name and survey", "POST", "/api/v1/rules", k, `{}`, nil, 422, []string{`"field":"name"`, `"field":"survey_id"`}},
		{"unknown survey", "POST", "/api/v1/rules", k, `{"name":"R","survey_id":"` + bson.NewObjectID().Hex() + `"}`, nil, 422, []string{`"field":"survey_id"`, "does not name a survey"}},
		{"another workspace's survey", "POST", "/api/v1/rules", k, `{"name":"R","survey_id":"` + rsv.ID.Hex() + `"}`, nil, 422, []string{`"field":"survey_id"`, "does not name a survey"}},
		{"archived survey", "POST", "/api/v1/rules", k, `{"name":"R","survey_id":"` + archived.ID.Hex() + `"}`, nil, 422, []string{`"field":"survey_id"`, "archived"}},
		{"malformed survey id", "POST", "/api/v1/rules", k, `{"name":"R","survey_id":"zz"}`, nil, 422, []string{`"field":"survey_id"`, "24-character"}},
		{"quiet hours 25:00", "POST", "/api/v1/rules", k, rule2(`,"quiet_hours":{"start":"25:00","end":"08:00"}`), nil, 422, []string{`"field":"quiet_hours.start"`}},
		{"quiet hours without end", "POST", "/api/v1/rules", k, rule2(`,"quiet_hours":{"start":"21:00"}`), nil, 422, []string{`"field":"quiet_hours.end"`}},
		{"quiet hours in another form", "POST", "/api/v1/rules", k, rule2(`,"quiet_hours":{"start":"9pm","end":"8am"}`), nil, 422, []string{`"field":"quiet_hours.start"`, `"field":"quiet_hours.end"`}},
		{"sample 150", "POST", "/api/v1/rules", k, rule2(`,"sample_percent":150`), nil, 422, []string{`"field":"sample_percent"`, "at most 100"}},
		{"negative sample", "POST", "/api/v1/rules", k, rule2(`,"sample_percent":-1`), nil, 422, []string{`"field":"sample_percent"`}},
		{"negative delay", "POST", "/api/v1/rules", k, rule2(`,"delay_minutes":-5`), nil, 422, []string{`"field":"delay_minutes"`}},
		{"frequency over a year", "POST", "/api/v1/rules", k, rule2(`,"frequency_days":366`), nil, 422, []string{`"field":"frequency_days"`}},
		{"blank channel", "POST", "/api/v1/rules", k, rule2(`,"channels":[""]`), nil, 422, []string{`"field":"channels[0]"`}},
		{"unknown field", "POST", "/api/v1/rules", k, rule2(`,"weekdays":[1]`), nil, 400, []string{`"field":"weekdays"`}},
		{"wrong type", "POST", "/api/v1/rules", k, rule2(`,"sample_percent":"all"`), nil, 400, []string{`"field":"sample_percent"`, "must be a number"}},
		{"update", "PATCH", rule, write, `{"sample_percent":50,"channels":["email"]}`, nil, 200, []string{`"sample_percent":50`, `"channels":["email"]`, `"name":"Chats"`}},
		{"update to an archived survey", "PATCH", rule, k, `{"survey_id":"` + archived.ID.Hex() + `"}`, nil, 422, []string{"archived"}},
		{"update with bad quiet hours", "PATCH", rule, k, `{"quiet_hours":{"start":"12:00","end":"24:30"}}`, nil, 422, []string{`"field":"quiet_hours.end"`}},
		{"read key cannot update", "PATCH", rule, read, `{"enabled":false}`, nil, 403, nil},
		{"another workspace's rule: update", "PATCH", rule, rivalKey, `{"enabled":false}`, nil, 404, nil},
		{"another workspace's rule: delete", "DELETE", rule, rivalKey, nil, nil, 404, nil},
		{"unknown rule", "PATCH", "/api/v1/rules/" + bson.NewObjectID().Hex(), k, `{"enabled":false}`, nil, 404, nil},
		{"malformed rule id", "DELETE", "/api/v1/rules/nope", k, nil, nil, 404, nil},
		{"list", "GET", "/api/v1/rules", read, nil, nil, 200, []string{h.rule.ID.Hex()}},
		{"another workspace lists none of ours", "GET", "/api/v1/rules", rivalKey, nil, nil, 200, []string{`"data":[]`}},
		{"delete", "DELETE", rule, write, nil, nil, 204, nil},
		{"delete again", "DELETE", rule, k, nil, nil, 404, nil},
	})
	if n := h.Count("rules", bson.D{{Key: "workspace_id", Value: h.WS.ID}}); n != 2 {
		t.Fatalf("%d rules left, want the 2 good ones", n)
	}
	if n := h.Count("rules", bson.D{{Key: "workspace_id", Value: rivalWS.ID}}); n != 0 {
		t.Fatalf("rival has %d rules", n)
	}
}

func TestIntegrationsAPI(t *testing.T) {
	en := newEnv(t)
	read := en.KeyFor(en.WS, apikey.ScopeRead)
	write := en.KeyFor(en.WS, apikey.ScopeWrite)
	in := en.createIntegration(en.Key, "Helpdesk")
	revoked := en.createIntegration(en.Key, "Old")
	_, rivalKey := en.Workspace("Rival")
	u := "/api/v1/integrations/" + in.ID.Hex()
	en.Run(t, []scenario{
		{"read key cannot create", "POST", "/api/v1/integrations", read, `{"name":"x"}`, nil, 403, []string{"scope"}},
		{"write key cannot create", "POST", "/api/v1/integrations", write, `{"name":"x"}`, nil, 403, []string{"scope"}},
		{"no key", "POST", "/api/v1/integrations", "", `{"name":"x"}`, nil, 401, nil},
		{"admin creates", "POST", "/api/v1/integrations", en.Key, `{"name":"CRM"}`, nil, 201, []string{`"secret":"sdwh_`, `"version":1`}},
		{"missing name", "POST", "/api/v1/integrations", en.Key, `{}`, nil, 422, []string{`"field":"name"`}},
		{"name too long", "POST", "/api/v1/integrations", en.Key, `{"name":"` + strings.Repeat("n", 201) + `"}`, nil, 422, []string{`"field":"name"`}},
		{"read key cannot rotate", "POST", u + "/rotate", read, nil, nil, 403, nil},
		{"read key cannot revoke", "DELETE", u, read, nil, nil, 403, nil},
		{"another workspace cannot rotate", "POST", u + "/rotate", rivalKey, nil, nil, 404, nil},
		{"another workspace cannot revoke", "DELETE", u, rivalKey, nil, nil, 404, nil},
		{"another workspace lists none of ours", "GET", "/api/v1/integrations", rivalKey, nil, nil, 200, []string{`"data":[]`}},
		{"unknown integration", "POST", "/api/v1/integrations/" + bson.NewObjectID().Hex() + "/rotate", en.Key, nil, nil, 404, nil},
		{"malformed id", "DELETE", "/api/v1/integrations/xyz", en.Key, nil, nil, 404, nil},
		{"overlap too long", "POST", u + "/rotate", en.Key, `{"overlap_hours":1000}`, nil, 422, []string{`"field":"overlap_hours"`}},
		{"revoke", "DELETE", "/api/v1/integrations/" + revoked.ID.Hex(), en.Key, nil, nil, 204, nil},
		{"a revoked integration does not rotate", "POST", "/api/v1/integrations/" + revoked.ID.Hex() + "/rotate", en.Key, nil, nil, 404, nil},
	})
	rec := en.Do("GET", "/api/v1/integrations", read, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), in.ID.Hex()) || strings.Contains(rec.Body.String(), "sdwh_") ||
		!strings.Contains(rec.Body.String(), `"revoked_at"`) {
		t.Fatalf("read key lists: %d %s", rec.Code, rec.Body)
	}
	// The secret is derived, never stored.
	if n := en.Count("integrations", bson.D{{Key: "secret", Value: in.Secret}}); n != 0 {
		t.Fatal("an integration secret is stored")
	}
}
