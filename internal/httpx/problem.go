// Package httpx holds surveyd's HTTP plumbing shared by every feature package: RFC 9457
// problem details, strict JSON binding and validation, the one error handler, middleware, and
// cursor pagination.
package httpx

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v5"
)

// Problem is an RFC 9457 problem details body. Errors lists each bad field of the request.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// FieldError names one bad input: Field is a JSON path such as "customer.email" or
// "invitations[3].survey_id", or a query parameter name.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Title + ": " + p.Detail
	}
	return p.Title
}

// StatusCode lets Echo's middleware (logger, metrics) see the status.
func (p *Problem) StatusCode() int { return p.Status }

// NewProblem builds a problem for status with a detail sentence.
func NewProblem(status int, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// Invalid is a 422 naming each field that failed validation.
func Invalid(errs ...FieldError) *Problem {
	p := NewProblem(http.StatusUnprocessableEntity, "The request has invalid fields.")
	p.Errors = errs
	return p
}

// BadField is a 400 for one malformed parameter (a query value, a path id, a cursor).
func BadField(field, message string) *Problem {
	p := NewProblem(http.StatusBadRequest, field+": "+message)
	p.Errors = []FieldError{{Field: field, Message: message}}
	return p
}

// Classifier maps a domain error to a status and a detail, or reports false. Feature packages
// provide one each, so services return sentinels and never build HTTP errors.
type Classifier func(err error) (status int, detail string, ok bool)

// ErrorHandler renders every error as problem details; only server errors are logged, with
// the request id, because 4xx are the client's business and would flood the log.
func ErrorHandler(log *slog.Logger, classifiers ...Classifier) echo.HTTPErrorHandler {
	return func(c *echo.Context, err error) {
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
			return
		}
		p := toProblem(err, classifiers)
		if p.Status >= 500 {
			log.Error("request failed", "err", err, "method", c.Request().Method,
				"path", c.Request().URL.Path, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		if p.Instance == "" {
			p.Instance = c.Request().URL.Path
		}
		WriteProblem(c, p)
	}
}

// WriteProblem sends p as application/problem+json.
func WriteProblem(c *echo.Context, p *Problem) {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.JSON(p.Status, p)
}

func toProblem(err error, classifiers []Classifier) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	for _, classify := range classifiers {
		if status, detail, ok := classify(err); ok {
			return NewProblem(status, detail)
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return NewProblem(he.Code, he.Message)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return NewProblem(http.StatusRequestEntityTooLarge, "The request body is too large.")
	}
	if status := echo.StatusCode(err); status >= 400 && status < 500 {
		return NewProblem(status, http.StatusText(status))
	}
	return NewProblem(http.StatusInternalServerError, "Something went wrong on our side; the request id in X-Request-Id helps us find it.")
}
