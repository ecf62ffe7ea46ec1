package intake

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The service says why a signed webhook is refused with sentinels, never an HTTP answer:
// ErrorStatus makes that of them.
func TestReadSignedWebhookSentinels(t *testing.T) {
	en := newEnv(t)
	in, err := en.svc.CreateIntegration(t.Context(), en.WS.ID, "Helpdesk")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"event_id":"e"}`
	now := en.Clock.Now()
	read := func(integration, signature, body string) error {
		r := httptest.NewRequest("POST", "/hook", strings.NewReader(body))
		r.Header.Set(HeaderIntegration, integration)
		r.Header.Set(HeaderSignature, signature)
		_, _, err := en.svc.ReadSignedWebhook(httptest.NewRecorder(), r)
		return err
	}
	for name, tc := range map[string]struct {
		integration, signature, reason string
	}{
		"no integration":      {"", SignWebhook(in.Secret, now, []byte(body)), "unknown_integration"},
		"unknown integration": {bson.NewObjectID().Hex(), SignWebhook(in.Secret, now, []byte(body)), "unknown_integration"},
		"malformed signature": {in.ID.Hex(), "v1=00", "malformed"},
		"stale":               {in.ID.Hex(), SignWebhook(in.Secret, now.Add(-time.Hour), []byte(body)), "expired"},
		"wrong secret":        {in.ID.Hex(), SignWebhook("sdwh_wrong", now, []byte(body)), "mismatch"},
	} {
		err := read(tc.integration, tc.signature, body)
		var sig *SignatureError
		var p *httpx.Problem
		if !errors.Is(err, ErrSignature) || !errors.As(err, &sig) || sig.Reason != tc.reason || errors.As(err, &p) {
			t.Errorf("%s: %v (%T), want a SignatureError for %s", name, err, err, tc.reason)
			continue
		}
		if status, detail, ok := ErrorStatus(err); !ok || status != http.StatusUnauthorized || !strings.HasPrefix(detail, "Webhook signature check failed: ") {
			t.Errorf("%s: classified %d %q %v", name, status, detail, ok)
		}
	}
	huge := strings.Repeat("x", maxWebhookBody+1)
	err = read(in.ID.Hex(), SignWebhook(in.Secret, now, []byte(huge)), huge)
	var p *httpx.Problem
	if !errors.Is(err, ErrBodyTooLarge) || errors.As(err, &p) {
		t.Errorf("oversized body: %v (%T), want ErrBodyTooLarge", err, err)
	}
	if status, _, ok := ErrorStatus(err); !ok || status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body classified %d %v", status, ok)
	}
	if _, err := en.svc.VerifyWebhook(t.Context(), http.Header{HeaderIntegration: {in.ID.Hex()}, HeaderSignature: {SignWebhook(in.Secret, now, []byte(body))}}, []byte(body)); err != nil {
		t.Errorf("good signature: %v", err)
	}
}

func FuzzParseSignature(f *testing.F) {
	good := SignWebhook("sdwh_secret", time.Unix(1_800_000_000, 0), []byte(`{"event_id":"e"}`))
	for _, seed := range []string{good, good + ",v1=" + strings.Repeat("ab", 32), "t=1", "v1=00", "t=-5,v1=" + strings.Repeat("0", 64), "", ",,,", "t=99999999999999999999"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		ts, sigs, ok := parseSignature(h)
		if ok && (ts < 0 || len(sigs) == 0 || len(sigs) > 8) {
			t.Fatalf("accepted %q as t=%d with %d signatures", h, ts, len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes from %q", len(s), h)
			}
		}
	})
}
