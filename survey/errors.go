package survey

import (
	"errors"
	"net/http"

	"github.com/surveyd/surveyd/survey/rollup"
)

// Domain errors. Services return these (wrapped with context); ErrorStatus maps them to HTTP.
var (
	ErrNotFound         = errors.New("not found")
	ErrTokenInvalid     = errors.New("survey link is not valid")
	ErrTokenExpired     = errors.New("survey link has expired")
	ErrEditWindowClosed = errors.New("response can no longer be changed")
	ErrWorkspaceExists  = errors.New("workspace already exists")
	ErrUnauthorized     = errors.New("missing or unknown API key")
	ErrForbidden        = errors.New("API key lacks the scope for this request")
	ErrWriterClosed     = errors.New("response writer is shutting down")
)

// ErrorStatus classifies this package's errors for httpx.ErrorHandler.
func ErrorStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, rollup.ErrNotFound):
		return http.StatusNotFound, "No such resource in this workspace.", true
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, "Send a valid API key as Authorization: Bearer <key>.", true
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, "This API key's scope does not allow this request.", true
	case errors.Is(err, ErrWriterClosed):
		return http.StatusServiceUnavailable, "The server is shutting down; retry shortly.", true
	}
	return 0, "", false
}
