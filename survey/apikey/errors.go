package apikey

import (
	"errors"
	"net/http"
)

// Errors of the key store and the middleware; ErrorStatus maps them to HTTP.
var (
	ErrUnauthorized = errors.New("missing or unknown API key")
	ErrForbidden    = errors.New("API key lacks the scope for this request")
	ErrNotFound     = errors.New("API key not found")
)

// ErrorStatus classifies this package's errors for httpx.ErrorHandler.
func ErrorStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, "Send a valid API key as Authorization: Bearer <key>.", true
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, "This API key's scope does not allow this request.", true
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "No such resource in this workspace.", true
	}
	return 0, "", false
}
