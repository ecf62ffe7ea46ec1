package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/surveyd/surveyd/docs"
	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/migrations"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/templates"
)

// app is surveyd assembled: the store, the survey domain and its background writer.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	store   *store.Store
	svc     *survey.Service
	writer  *survey.Writer
	catalog *templates.Catalog
	pages   *templates.Pages
}

// initApp opens the store, migrates it and builds the packages on top, in that order.
func initApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	catalog, err := templates.LoadCatalog()
	if err != nil {
		return nil, err
	}
	pages, err := templates.LoadPages()
	if err != nil {
		return nil, err
	}
	if err := cfg.EnsureKeys(); err != nil {
		return nil, err
	}
	signer, err := survey.NewSigner(cfg.LinkKeys, cfg.LinkKeyID)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, Database: cfg.Database, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, st, log); err != nil {
		_ = st.Close(context.Background())
		return nil, err
	}
	salt, err := survey.LoadIPSalt(ctx, st.DB)
	if err != nil {
		_ = st.Close(context.Background())
		return nil, err
	}
	svc := survey.NewService(st.DB, signer, cfg.BaseURL, salt)
	return &app{
		cfg: cfg, log: log, store: st, svc: svc, writer: survey.NewWriter(svc, log),
		catalog: catalog, pages: pages,
	}, nil
}

func (a *app) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.store.Close(ctx); err != nil {
		a.log.Warn("close store", "err", err)
	}
}

// routes builds the HTTP surface: every route surveyd serves is registered here.
func (a *app) routes(reg *prometheus.Registry) *echo.Echo {
	e := echo.NewWithConfig(echo.Config{
		Logger:           a.log,
		HTTPErrorHandler: httpx.ErrorHandler(a.log, survey.ErrorStatus),
	})
	metrics := httpx.NewMetrics(reg)
	e.Use(
		middleware.Recover(),
		middleware.RequestID(),
		httpx.RequestLog(a.log),
		metrics.Middleware(),
		httpx.SecureHeaders,
	)

	e.GET("/", func(c *echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{
			"service": "surveyd", "api": "/api/v1", "openapi": "/openapi.yaml", "health": "/healthz",
		})
	})
	e.GET("/healthz", func(c *echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", a.ready)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	e.GET("/openapi.yaml", func(c *echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", docs.OpenAPI)
	})
	e.GET("/static/*", echo.StaticDirectoryHandler(templates.Static(), false), func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			c.Response().Header().Set("Cache-Control", "public, max-age=3600")
			return next(c)
		}
	})

	survey.NewPages(a.svc, a.writer, a.pages, a.catalog).Register(e,
		middleware.BodyLimit(64<<10), httpx.RateLimit(a.cfg.RateLimit))
	api := survey.NewHandler(a.svc, a.catalog)
	api.Register(e.Group("/api/v1", api.Authenticate))
	return e
}

// ready reports whether this instance can serve: the store answers and its schema is current.
func (a *app) ready(c *echo.Context) error {
	ctx := c.Request().Context()
	if err := a.store.Ping(ctx); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "store unreachable", "error": err.Error()})
	}
	pending, err := migrations.Pending(ctx, a.store.DB)
	if err != nil || pending > 0 {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "migrations pending", "pending": pending})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// serve runs HTTP until ctx ends, then lets in-flight requests finish, drains the response
// writer, and closes the store.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	e := a.routes(reg)

	writerCtx, stopWriter := context.WithCancel(context.WithoutCancel(ctx))
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		a.writer.Run(writerCtx)
	}()

	sc := echo.StartConfig{
		Address: a.cfg.Addr, HideBanner: true, HidePort: true, GracefulTimeout: 20 * time.Second,
		BeforeServeFunc: func(s *http.Server) error {
			s.ReadHeaderTimeout = 10 * time.Second
			s.IdleTimeout = 2 * time.Minute
			return nil
		},
		ListenerAddrFunc: func(addr net.Addr) {
			a.log.Info("surveyd listening", "addr", addr.String(), "base_url", a.cfg.BaseURL, "embedded_store", a.store.Embedded)
			if ready != nil {
				ready(addr.String())
			}
		},
	}
	err := sc.Start(ctx, e)
	stopWriter()
	<-writerDone
	a.log.Info("surveyd stopped")
	return err
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := loadConfig("serve", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	a, err := initApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, nil)
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("migrate", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, Database: cfg.Database, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	if err := migrate(ctx, st, log); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "the database is current (%d migrations)\n", len(migrations.All))
	return nil
}

// migrate brings the schema up to date and indexes _id on the embedded store.
func migrate(ctx context.Context, st *store.Store, log *slog.Logger) error {
	if _, err := migrations.Run(ctx, st.DB, log); err != nil {
		return err
	}
	return st.IndexIDs(ctx, st.DB)
}
