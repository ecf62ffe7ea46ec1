package survey

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// An invitation without an answer is a not-found error, never a nil response with no error.
func TestResponseForUnansweredIsNotFound(t *testing.T) {
	en := newEnv(t)
	r, err := en.svc.ResponseFor(t.Context(), bson.NewObjectID())
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("ResponseFor(unanswered) = %v, %v; want ErrNotFound", r, err)
	}
}
