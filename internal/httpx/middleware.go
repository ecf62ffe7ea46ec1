package httpx

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// RequestLog logs one JSON line per request with its id, route, status and latency. It runs
// outside WriteErrors, to see the status an error was answered with.
func RequestLog(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogLatency: true, LogMethod: true, LogURIPath: true, LogRoutePath: true,
		LogStatus: true, LogRequestID: true, LogRemoteIP: true,
		LogValuesFunc: func(c *echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("request_id", v.RequestID),
				slog.String("method", v.Method),
				slog.String("route", v.RoutePath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("remote_ip", v.RemoteIP))
			return nil
		},
	})
}

// WriteErrors hands a handler's error to the error handler as soon as it is returned, so the
// request log and the metrics around it see the status the client got: a domain error such as
// an unknown API key carries no status of its own, and would be taken for a 500.
func WriteErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		err := next(c)
		if err != nil {
			c.Echo().HTTPErrorHandler(c, err)
		}
		return err
	}
}

// Metrics counts requests and their latency per route and status class.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "surveyd_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "surveyd_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// Middleware records each request. Routes, not raw paths, label the series, so tokens and
// ids never explode the cardinality. It runs outside WriteErrors, to count the status an error
// was answered with.
func (m *Metrics) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			start := time.Now()
			err := next(c)
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			_, status := echo.ResolveResponseStatus(c.Response(), err)
			m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
			m.latency.WithLabelValues(c.Request().Method, route).Observe(time.Since(start).Seconds())
			return err
		}
	}
}

// ServeHEAD makes every GET route added to e from now on answer HEAD too, as HTTP asks of
// every server (RFC 9110 §9.1), and so name HEAD in a 405's Allow header. The GET handler
// runs; net/http sends no body for HEAD.
func ServeHEAD(e *echo.Echo) {
	e.OnAddRoute = func(r echo.Route) error {
		if r.Method != http.MethodGet {
			return nil
		}
		r.Method, r.Name = http.MethodHead, ""
		_, err := e.Router().Add(r)
		return err
	}
}

// SecureHeaders sets the headers every response carries. Pages get a strict CSP: no inline
// script or style, nothing from other origins, no framing.
func SecureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		if c.Scheme() == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// RateLimit allows perSecond requests per client IP with a burst of twice that; beyond it the
// client gets 429 with Retry-After, counted by route on reg. perSecond 0 disables it.
func RateLimit(perSecond float64, reg prometheus.Registerer) echo.MiddlewareFunc {
	if perSecond <= 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "surveyd_rate_limited_total", Help: "Requests refused with 429 by the per-client rate limit, by route.",
	}, []string{"route"})
	reg.MustRegister(rejected)
	burst := max(int(2*perSecond), 1)
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: perSecond, Burst: burst, ExpiresIn: 5 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: store,
		DenyHandler: func(c *echo.Context, _ string, _ error) error {
			rejected.WithLabelValues(c.Path()).Inc()
			c.Response().Header().Set("Retry-After", "1")
			return NewProblem(http.StatusTooManyRequests, "Too many requests from this address; wait a moment and try again.")
		},
		ErrorHandler: func(c *echo.Context, err error) error {
			return NewProblem(http.StatusForbidden, "The client address could not be determined.")
		},
	})
}
