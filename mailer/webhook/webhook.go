// Package webhook sends the workspaces' outgoing webhooks: signed events (a response created or
// updated, an invitation that failed) posted to URLs of the customer's CRM, per the Standard
// Webhooks convention. It owns the endpoints and their API, the event types and their payloads,
// the signing and a Verify for receivers, delivery through the outbox with the address guard
// that keeps a webhook from reaching surveyd's own network, and the test button. The two
// inbound flows that are also called webhooks live elsewhere: the CRM's signed interactions
// (survey) and the sending provider's bounce notices (mailer.Bounces). It imports mailer/outbox
// and survey (API scopes, the response event); cmd/surveyd wires it.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/mailer/outbox"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// EndpointsCollection holds the endpoints.
const EndpointsCollection = "webhook_endpoints"

// Errors of Verify.
var (
	ErrSignature = errors.New("webhook signature is missing or does not match")
	ErrTimestamp = errors.New("webhook timestamp is outside the tolerance")
)

// ErrNotFound is an endpoint that does not exist in the workspace.
var ErrNotFound = errors.New("not found")

// secretPrefix marks a secret in the Standard Webhooks format, so integrators' libraries
// (svix, standardwebhooks) accept it as it is.
const secretPrefix = "whsec_"

// defaultTimeout bounds one delivery when the client given has no timeout of its own:
// a CRM that hangs must not hold an outbox worker (which delivers without cancellation).
const defaultTimeout = 10 * time.Second

// Endpoint is a URL of the customer's CRM that receives signed events. Its secret is not
// stored: it is derived from the master key, the endpoint id and SecretVersion, so a copy of
// the database alone cannot forge deliveries.
type Endpoint struct {
	ID            bson.ObjectID `bson:"_id" json:"id"`
	WorkspaceID   bson.ObjectID `bson:"workspace_id" json:"-"`
	URL           string        `bson:"url" json:"url"`
	Description   string        `bson:"description" json:"description"`
	Events        []string      `bson:"events" json:"events"` // empty: every event
	Enabled       bool          `bson:"enabled" json:"enabled"`
	SecretVersion int           `bson:"secret_version" json:"secret_version"`
	CreatedAt     time.Time     `bson:"created_at" json:"created_at"`
	UpdatedAt     time.Time     `bson:"updated_at" json:"updated_at"`
}

// Subscribed reports whether the endpoint wants events of type event.
func (e *Endpoint) Subscribed(event string) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, event)
}

// EndpointPatch changes the fields that are not nil.
type EndpointPatch struct {
	URL         *string
	Description *string
	Events      *[]string
	Enabled     *bool
}

// TestResult is how the CRM answered a test event. StatusCode is 0 when no answer came
// (refused, timed out); Error then says why.
type TestResult struct {
	WebhookID  string `json:"webhook_id"`
	StatusCode int    `json:"status_code"`
	DurationMS int64  `json:"duration_ms"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"`
}

// Service keeps the workspaces' webhook endpoints, queues events for them in the outbox and
// delivers them, signed per the Standard Webhooks convention (standardwebhooks.com).
type Service struct {
	endpoints *mongo.Collection
	outbox    *outbox.Outbox
	masterKey []byte
	client    *http.Client
	dialer    *net.Dialer // makes every connection of client, through guard
	guard     addressGuard
	log       *slog.Logger
	now       func() time.Time
}

var _ outbox.Deliverer = (*Service)(nil)

// Options configure a Service.
type Options struct {
	// MasterKey derives every endpoint's signing secret (required).
	MasterKey []byte
	// Client sends the requests (nil: a default client). It is copied, not changed, to turn
	// off redirects, give it a 10 s timeout if it has none, and its own transport, whose every
	// connection is checked against the address rules as it is made. That transport connects
	// straight to the endpoint, never through a proxy from the environment: the proxy's would
	// be the only address checked.
	Client *http.Client
	// AllowPrivate lists the private ranges endpoints may be in besides public addresses
	// (none: public addresses only).
	AllowPrivate []netip.Prefix
	Log          *slog.Logger
}

// New keeps endpoints in db and queues events in o.
func New(db *mongo.Database, o *outbox.Outbox, opts Options) *Service {
	c := &http.Client{}
	if opts.Client != nil {
		*c = *opts.Client
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	guard := addressGuard{allow: opts.AllowPrivate}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: guard.control}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = dialer.DialContext
	c.Transport = transport
	// A redirect is not followed: the signed request would be replayed to a host the
	// customer never configured, and a POST turned into a GET on 301/302 would "succeed"
	// without the CRM ever seeing the event.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Service{
		endpoints: db.Collection(EndpointsCollection),
		outbox:    o,
		masterKey: opts.MasterKey,
		client:    c,
		dialer:    dialer,
		guard:     guard,
		log:       opts.Log,
		now:       func() time.Time { return time.Now().UTC() },
	}
}

// Secret is the endpoint's current signing secret in the Standard Webhooks form,
// "whsec_" + base64 of 32 bytes.
func (w *Service) Secret(e *Endpoint) string {
	return secretPrefix + base64.StdEncoding.EncodeToString(w.secretBytes(e.ID, e.SecretVersion))
}

func (w *Service) secretBytes(id bson.ObjectID, version int) []byte {
	m := hmac.New(sha256.New, w.masterKey)
	m.Write([]byte("webhook-endpoint:" + id.Hex() + ":" + strconv.Itoa(version)))
	return m.Sum(nil)
}

// CreateEndpoint stores e as a new endpoint of its workspace and returns its secret, which
// the API shows this once.
func (w *Service) CreateEndpoint(ctx context.Context, e *Endpoint) (string, error) {
	now := w.now()
	e.ID, e.SecretVersion, e.CreatedAt, e.UpdatedAt = bson.NewObjectID(), 1, now, now
	if e.Events == nil {
		e.Events = []string{}
	}
	if _, err := w.endpoints.InsertOne(ctx, e); err != nil {
		return "", fmt.Errorf("webhook: create endpoint: %w", err)
	}
	return w.Secret(e), nil
}

// Endpoint finds one endpoint of the workspace.
func (w *Service) Endpoint(ctx context.Context, ws, id bson.ObjectID) (*Endpoint, error) {
	var e Endpoint
	err := w.endpoints.FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "workspace_id", Value: ws}}).Decode(&e)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("webhook: endpoint %s: %w", id.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: endpoint %s: %w", id.Hex(), err)
	}
	return normalizeEndpoint(&e), nil
}

// ListEndpoints returns up to p.Limit+1 endpoints of the workspace, newest first, so that
// httpx.NewPage can tell whether another page follows.
func (w *Service) ListEndpoints(ctx context.Context, ws bson.ObjectID, p httpx.PageParams) ([]Endpoint, error) {
	cur, err := w.endpoints.Find(ctx, p.Filter(bson.D{{Key: "workspace_id", Value: ws}}),
		options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(p.Limit+1)))
	if err != nil {
		return nil, fmt.Errorf("webhook: list endpoints: %w", err)
	}
	var rows []Endpoint
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("webhook: list endpoints: %w", err)
	}
	for i := range rows {
		normalizeEndpoint(&rows[i])
	}
	return rows, nil
}

// UpdateEndpoint applies p to an endpoint of the workspace and returns the result.
func (w *Service) UpdateEndpoint(ctx context.Context, ws, id bson.ObjectID, p EndpointPatch) (*Endpoint, error) {
	set := bson.D{{Key: "updated_at", Value: w.now()}}
	if p.URL != nil {
		set = append(set, bson.E{Key: "url", Value: *p.URL})
	}
	if p.Description != nil {
		set = append(set, bson.E{Key: "description", Value: *p.Description})
	}
	if p.Events != nil {
		events := *p.Events
		if events == nil {
			events = []string{}
		}
		set = append(set, bson.E{Key: "events", Value: events})
	}
	if p.Enabled != nil {
		set = append(set, bson.E{Key: "enabled", Value: *p.Enabled})
	}
	return w.modify(ctx, ws, id, bson.D{{Key: "$set", Value: set}})
}

// RotateSecret moves the endpoint to a new secret and returns it. The old secret is not kept
// and stops working at once — deliveries are signed with the current version only, even
// those queued before the rotation — because a rotation usually follows a leak, and a leaked
// secret that keeps verifying for a grace period is still a leaked secret.
func (w *Service) RotateSecret(ctx context.Context, ws, id bson.ObjectID) (*Endpoint, string, error) {
	e, err := w.modify(ctx, ws, id, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "secret_version", Value: 1}}},
		{Key: "$set", Value: bson.D{{Key: "updated_at", Value: w.now()}}},
	})
	if err != nil {
		return nil, "", err
	}
	return e, w.Secret(e), nil
}

func (w *Service) modify(ctx context.Context, ws, id bson.ObjectID, update bson.D) (*Endpoint, error) {
	var e Endpoint
	err := w.endpoints.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}, {Key: "workspace_id", Value: ws}}, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&e)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("webhook: endpoint %s: %w", id.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: update endpoint %s: %w", id.Hex(), err)
	}
	return normalizeEndpoint(&e), nil
}

// DeleteEndpoint removes an endpoint of the workspace. Events already queued for it then fail
// for good when their turn comes (Deliver finds no endpoint).
func (w *Service) DeleteEndpoint(ctx context.Context, ws, id bson.ObjectID) error {
	res, err := w.endpoints.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "workspace_id", Value: ws}})
	if err != nil {
		return fmt.Errorf("webhook: delete endpoint %s: %w", id.Hex(), err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("webhook: endpoint %s: %w", id.Hex(), ErrNotFound)
	}
	return nil
}

// normalizeEndpoint makes a missing event list an empty one, so the API always shows an array.
func normalizeEndpoint(e *Endpoint) *Endpoint {
	if e.Events == nil {
		e.Events = []string{}
	}
	return e
}

// payload is the body of every event, in the Standard Webhooks shape.
type payload struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
}

func (w *Service) encode(eventType string, data any) ([]byte, error) {
	return json.Marshal(payload{Type: eventType, Timestamp: w.now().UTC().Format(time.RFC3339Nano), Data: data})
}

// Notify queues an event of the workspace for every enabled endpoint subscribed to it. The
// payload is fixed here, when the event happens, so a retry days later sends the same bytes
// and the same webhook-id (the outbox message's), and the CRM can deduplicate on it.
func (w *Service) Notify(ctx context.Context, ws bson.ObjectID, event Event) error {
	eventType := event.EventType()
	if !slices.Contains(Events, eventType) {
		return fmt.Errorf("webhook: notify: unknown webhook event %q", eventType)
	}
	// A workspace has a handful of endpoints, so the subscription is checked here rather
	// than with array operators the embedded store may not support.
	cur, err := w.endpoints.Find(ctx, bson.D{{Key: "workspace_id", Value: ws}, {Key: "enabled", Value: true}})
	if err != nil {
		return fmt.Errorf("webhook: notify %s: %w", eventType, err)
	}
	var eps []Endpoint
	if err := cur.All(ctx, &eps); err != nil {
		return fmt.Errorf("webhook: notify %s: %w", eventType, err)
	}
	var msgs []*outbox.Message
	var body []byte
	for i := range eps {
		if !eps[i].Subscribed(eventType) {
			continue
		}
		if body == nil {
			if body, err = w.encode(eventType, event); err != nil {
				return fmt.Errorf("webhook: notify %s: encode data: %w", eventType, err)
			}
		}
		msgs = append(msgs, &outbox.Message{
			ID: bson.NewObjectID(), WorkspaceID: ws, Kind: outbox.KindWebhook, Purpose: eventType,
			EndpointID: eps[i].ID, Body: body,
		})
	}
	if err := w.outbox.Enqueue(ctx, msgs...); err != nil {
		return err
	}
	w.log.Debug("webhook: event queued", "workspace_id", ws.Hex(), "type", eventType, "endpoints", len(msgs))
	return nil
}

// MessageID is the webhook-id a message is delivered under: the same on every attempt.
func MessageID(m *outbox.Message) string { return "msg_" + m.ID.Hex() }

// Deliver sends one queued event to its endpoint. A deleted or disabled endpoint and a 4xx
// other than 408 and 429 fail for good; 5xx, 408, 429, timeouts and network errors are
// retried by the outbox.
func (w *Service) Deliver(ctx context.Context, m *outbox.Message) error {
	if m.Kind != outbox.KindWebhook {
		return outbox.Permanent(fmt.Errorf("webhook: message %s is of kind %q", m.ID.Hex(), m.Kind))
	}
	var e Endpoint
	err := w.endpoints.FindOne(ctx, bson.D{{Key: "_id", Value: m.EndpointID}, {Key: "workspace_id", Value: m.WorkspaceID}}).Decode(&e)
	if store.IsNotFound(err) {
		return outbox.Permanent(fmt.Errorf("webhook: endpoint %s: %w", m.EndpointID.Hex(), ErrNotFound))
	}
	if err != nil {
		return fmt.Errorf("webhook: endpoint %s: %w", m.EndpointID.Hex(), err)
	}
	if !e.Enabled {
		return outbox.Permanent(fmt.Errorf("webhook: endpoint %s is disabled", e.ID.Hex()))
	}
	status, _, err := w.send(ctx, &e, MessageID(m), m.Body)
	if err != nil {
		return err
	}
	if status >= 200 && status < 300 {
		return nil
	}
	return statusError(status)
}

// statusError classifies a non-2xx answer. 408 and 429 say "later", 5xx may pass; any other
// answer (4xx, a redirect we will not follow) is the CRM's considered refusal, which the same
// request will get again.
func statusError(status int) error {
	err := fmt.Errorf("webhook: endpoint answered %d %s", status, http.StatusText(status))
	if status >= 300 && status < 400 {
		return outbox.Permanent(fmt.Errorf("%w; redirects are not followed, set the endpoint to the final URL", err))
	}
	if status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500 {
		return err
	}
	return outbox.Permanent(err)
}

// SendTest posts a webhook.test event to an endpoint of the workspace now, enabled or not, and
// reports how the CRM answered. The CRM's failures are the result, not an error.
func (w *Service) SendTest(ctx context.Context, ws, id bson.ObjectID) (*TestResult, error) {
	e, err := w.Endpoint(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	body, err := w.encode(EventWebhookTest, map[string]string{
		"endpoint_id": e.ID.Hex(),
		"message":     "Test event from surveyd: a delivery with this signature scheme is genuine.",
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: test webhook: %w", err)
	}
	res := &TestResult{WebhookID: "msg_" + bson.NewObjectID().Hex()}
	status, took, err := w.send(ctx, e, res.WebhookID, body)
	res.StatusCode, res.DurationMS = status, took.Milliseconds()
	res.OK = err == nil && status >= 200 && status < 300
	switch {
	case err != nil:
		res.Error = err.Error()
	case !res.OK:
		res.Error = statusError(status).Error()
	}
	return res, nil
}

// send POSTs body to the endpoint, signed with its current secret, and returns the status
// (0 when no answer came). The error is already classified: Permanent when the request
// cannot be built or its address is refused, plain for anything else on the network.
func (w *Service) send(ctx context.Context, e *Endpoint, id string, body []byte) (int, time.Duration, error) {
	// Checked again: the endpoint may predate the rules, or the operator's allowance may have
	// narrowed since it was saved.
	if msg := w.guard.checkURL(e.URL); msg != "" {
		return 0, 0, outbox.Permanent(fmt.Errorf("webhook: endpoint %s: refused: url %s", e.ID.Hex(), msg))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, outbox.Permanent(fmt.Errorf("webhook: endpoint %s: %w", e.ID.Hex(), err))
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "surveyd-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", sign(w.secretBytes(e.ID, e.SecretVersion), id, ts, body))

	start := time.Now()
	resp, err := w.client.Do(req)
	took := time.Since(start)
	if re := (*refusedAddressError)(nil); errors.As(err, &re) {
		// Refused again on every retry, and each retry would be another probe of what the
		// name resolves to.
		w.log.Warn("webhook: address refused", "endpoint_id", e.ID.Hex(), "host", req.URL.Host, "addr", re.addr.String(), "reason", re.what)
		return 0, took, outbox.Permanent(fmt.Errorf("webhook: POST %s: %w", req.URL.Host, re))
	}
	if err != nil {
		return 0, took, networkError(req.URL, err, w.client.Timeout)
	}
	// Draining a little lets the connection be reused; a CRM that answers with megabytes
	// gets its connection closed instead of read to the end.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, took, nil
}

// networkError says what went wrong without the URL's path, query or credentials, which may
// carry the CRM's own tokens and end up in last_error for anyone with a read key to see.
func networkError(u *url.URL, err error, timeout time.Duration) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("webhook: POST %s: no answer within %s", u.Host, timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("webhook: POST %s: %w", u.Host, err)
}

// sign is the Standard Webhooks signature: v1, then base64 of HMAC-SHA256 over
// "id.timestamp.body".
func sign(secret []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery the way a CRM should before trusting it: the
// webhook-signature header holds a v1 signature by secret ("whsec_…", as shown when the
// endpoint was created or its secret rotated) over webhook-id, webhook-timestamp and the raw
// body, and the timestamp is within tolerance of now (five minutes when tolerance ≤ 0), which
// stops replays of an old delivery. Verify the body exactly as received, before any JSON
// parsing, and deduplicate on webhook-id: a retried delivery carries the same one.
func Verify(secret string, headers http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(key) == 0 {
		return fmt.Errorf("%w: the secret is not in the whsec_<base64> form", ErrSignature)
	}
	id, ts, sigs := headers.Get("webhook-id"), headers.Get("webhook-timestamp"), headers.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("%w: webhook-id, webhook-timestamp and webhook-signature are all required", ErrSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: webhook-timestamp %q is not unix seconds", ErrTimestamp, ts)
	}
	if tolerance <= 0 {
		tolerance = 5 * time.Minute
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: sent at %s, now %s", ErrTimestamp, time.Unix(sec, 0).UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	want := []byte(sign(key, id, ts, body))
	// The header may list several space-separated signatures (a sender mid-rotation signs
	// with each secret); one match is enough. Every candidate is compared in constant time.
	ok := false
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignature
	}
	return nil
}
