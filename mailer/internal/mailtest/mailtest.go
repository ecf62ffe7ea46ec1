// Package mailtest holds the test set-up that mailer and its sub-packages (outbox, webhook)
// share. It imports only the standard library; only their tests use it.
package mailtest

import (
	"encoding/json"
	"testing"
	"time"
)

// Eventually waits up to 20 seconds for cond.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
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
