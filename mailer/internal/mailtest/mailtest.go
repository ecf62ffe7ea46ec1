// Package mailtest holds the test set-up that mailer and its sub-packages (outbox, webhook)
// share. It imports only the standard library; only their tests use it.
package mailtest

import (
	"encoding/json"
	"testing"
	"time"
)

// Eventually waits up to a minute for cond: long enough for one retry of a message whose
// first attempt met a transient failure (outbox.Backoff waits 24–36 s), which a loaded
// machine can cause and the outbox is there to absorb.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// DecodeJSON unmarshals b into v, failing the test when b is not what v holds.
func DecodeJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
}
