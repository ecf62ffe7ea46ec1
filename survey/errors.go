package survey

import (
	"errors"
	"net/http"
)

// Domain errors. Services return these (wrapped with context); ErrorStatus maps them to HTTP.
var (
	ErrNotFound         = errors.New("not found")
	ErrTokenInvalid     = errors.New("survey link is not valid")
	ErrTokenExpired     = errors.New("survey link has expired")
	ErrEditWindowClosed = errors.New("response can no longer be changed")
	ErrWorkspaceExists  = errors.New("workspace already exists")
	ErrRecorderClosed   = errors.New("response recorder is shutting down")
)

// ErrorStatus classifies this package's errors for httpx.ErrorHandler.
func ErrorStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "No such resource in this workspace.", true
	case errors.Is(err, ErrStarterSet):
		// The set exists and every workspace reads it, but no key of any scope may change it:
		// a permission no one has, not a conflict a client could resolve.
		return http.StatusForbidden, "Starter benchmark sets ship with surveyd and are read-only; " +
			"to change one, create a set of your own (POST /api/v1/benchmark-sets) with its values.", true
	case errors.Is(err, ErrRecorderClosed):
		return http.StatusServiceUnavailable, "The server is shutting down; retry shortly.", true
	}
	return 0, "", false
}
