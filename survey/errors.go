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
	ErrRecorderClosed   = errors.New("response recorder is shutting down")
)

// ErrorStatus classifies this package's errors for httpx.ErrorHandler.
func ErrorStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, rollup.ErrNotFound):
		return http.StatusNotFound, "No such resource in this workspace.", true
	case errors.Is(err, ErrRecorderClosed):
		return http.StatusServiceUnavailable, "The server is shutting down; retry shortly.", true
	}
	return 0, "", false
}
