package intake

import (
	"errors"
	"fmt"
	"net/http"
)

// Domain errors. The service returns these (wrapped with context); ErrorStatus maps them to
// HTTP. Unknown integrations and rules are survey.ErrNotFound, which the core maps.
var (
	// ErrSignature is a signed webhook refused; a *SignatureError says why.
	ErrSignature = errors.New("webhook signature check failed")
	// ErrBodyTooLarge is a signed webhook's body over the 64 KiB it may have.
	ErrBodyTooLarge = errors.New("webhook body too large")
)

// SignatureError is a signed webhook refused for Reason (the metric's label); Detail tells
// the sender what was wrong, never which secret was tried.
type SignatureError struct {
	Reason string
	Detail string
}

func (e *SignatureError) Error() string { return ErrSignature.Error() + ": " + e.Detail }

// Unwrap makes every SignatureError an ErrSignature.
func (e *SignatureError) Unwrap() error { return ErrSignature }

// ErrorStatus classifies this package's errors for httpx.ErrorHandler.
func ErrorStatus(err error) (int, string, bool) {
	var sig *SignatureError
	switch {
	case errors.As(err, &sig):
		return http.StatusUnauthorized, "Webhook signature check failed: " + sig.Detail + ".", true
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", maxWebhookBody), true
	}
	return 0, "", false
}
