package survey

import (
	"errors"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/httpx"
)

// Whatever a client sends, decoding and validating a request body ends in success or a 4xx
// problem — never a panic and never a server error.
func FuzzDecodeRequests(f *testing.F) {
	for _, seed := range []string{
		`{"survey_id":"6b03a7489cf4e5f05f3fb2a5","customer":{"email":"a@b.co","locale":"vi-VN"},"interaction":{"country":"vn","occurred_at":"2026-11-20T08:00:00+07:00"}}`,
		`{"invitations":[{"survey_id":"x","customer":{}}]}`,
		`{"kind":"csat","name":"x","reasons":[{"code":"a","label":{"en":"A"},"about":"price"}]}`,
		`{"customer":{"email":1}}`, `[]`, `null`, `{"a":`, "\xff\xfe", `{"interaction":{"occurred_at":7}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		targets := []func() any{
			func() any { return &invitationRequest{} },
			func() any { return &batchRequest{} },
			func() any { return &surveyRequest{} },
			func() any { return &workspaceRequest{} },
		}
		for _, newTarget := range targets {
			v := newTarget()
			err := httpx.DecodeJSON(strings.NewReader(body), v)
			if err == nil {
				if r, ok := v.(*invitationRequest); ok {
					r.normalize()
				}
				err = httpx.Validate(v)
			}
			if err == nil {
				continue
			}
			var p *httpx.Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status >= 500 {
				t.Fatalf("body %q: error %v is not a 4xx problem", body, err)
			}
		}
	})
}
