package customercount

import (
	"errors"
	"net/http"
)

// ErrorStatus classifies this package's errors for httpx.ErrorHandler.
func ErrorStatus(err error) (int, string, bool) {
	if errors.Is(err, ErrNotFound) {
		return http.StatusNotFound, "No such resource in this workspace.", true
	}
	return 0, "", false
}
