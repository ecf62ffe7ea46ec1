package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
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
	"github.com/surveyd/surveyd/mailer"
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/mailer/webhook"
	"github.com/surveyd/surveyd/migrations"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/benchmark"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/intake"
	"github.com/surveyd/surveyd/survey/report"
	"github.com/surveyd/surveyd/survey/respondent"
	"github.com/surveyd/surveyd/survey/rollup"
	"github.com/surveyd/surveyd/survey/target"
	"github.com/surveyd/surveyd/templates"
)

// app is surveyd assembled: the store, the survey domain, its background recorder, and the
// mailer with its outbox.
type app struct {
	cfg          *config.Config
	log          *slog.Logger
	store        *store.Store
	unserve      func() // lets another process serve the embedded store
	svc          *survey.Service
	intake       *intake.Service
	benchmarks   *benchmark.Service
	targets      *target.Service
	reports      *report.Service
	counts       *customercount.Service
	keys         *apikey.Store
	recorder     *survey.Recorder
	catalog      *templates.Catalog
	pages        *templates.Pages
	outbox       *outbox.Outbox
	queueMetrics *outbox.Metrics // the outbox's, counted by its workers
	mailer       *mailer.Mailer
	sender       mailer.Sender
	renderer     *mailer.Renderer
	suppressions *mailer.Suppressions
	webhooks     *webhook.Service // outgoing, to the workspaces' CRMs
}

// Reports compare with benchmark sets and targets and read customer counts through
// interfaces survey/report declares.
var (
	_ report.Benchmarks     = (*benchmark.Service)(nil)
	_ report.Targets        = (*target.Service)(nil)
	_ report.CustomerCounts = (*customercount.Service)(nil)
	_ target.Periods        = (*survey.Service)(nil)
	_ customercount.Periods = (*survey.Service)(nil)
)

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
	st, err := openMigrated(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	unserve, err := st.Serve()
	if err != nil {
		_ = st.Close(context.Background())
		return nil, fmt.Errorf("%w (%s); stop it first, or give this one another SURVEYD_DATA_DIR", err, cfg.DataDir)
	}
	a := &app{cfg: cfg, log: log, store: st, unserve: unserve, catalog: catalog, pages: pages}
	salt, err := survey.LoadIPSalt(ctx, st.DB)
	if err != nil {
		a.close()
		return nil, err
	}
	a.svc = survey.NewService(st.DB, survey.Options{Signer: signer, BaseURL: cfg.BaseURL, IPSalt: salt,
		SoleRollupWriter: st.Embedded}) // an embedded store is served by this process alone (st.Serve above)
	a.benchmarks, a.targets = benchmark.NewService(st.DB, benchmark.Options{}), target.NewService(st.DB, target.Options{})
	a.counts = customercount.NewService(st.DB, a.svc.Rollups(), customercount.Options{})
	a.reports = report.NewService(a.svc, a.svc.Rollups(), report.Options{Benchmarks: a.benchmarks, Targets: a.targets, Counts: a.counts})
	a.intake = intake.NewService(st.DB, a.svc, cfg.SecretKey)
	a.keys = apikey.NewStore(st.DB)
	a.recorder = survey.NewRecorder(a.svc, log)
	if err := a.initMail(); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// initMail builds the outbox, the email sender (SMTP, or .eml files without it), the CRM
// webhooks, and connects them to the survey domain.
func (a *app) initMail() error {
	emails, err := templates.LoadEmails()
	if err != nil {
		return err
	}
	if a.cfg.SMTPURL != "" {
		smtpCfg, err := config.ParseSMTPURL(a.cfg.SMTPURL)
		if err != nil {
			return err
		}
		var tlsCfg *tls.Config
		if a.cfg.SMTPCAFile != "" {
			pem, err := os.ReadFile(a.cfg.SMTPCAFile)
			if err != nil {
				return err
			}
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(pem)
			tlsCfg = &tls.Config{RootCAs: roots, ServerName: smtpCfg.Host, MinVersion: tls.VersionTLS12}
		}
		if a.sender, err = mailer.NewSMTP(smtpCfg, mailer.SMTPOptions{PerSecond: a.cfg.SMTPRate, TLSConfig: tlsCfg}); err != nil {
			return err
		}
	} else if a.sender, err = mailer.NewEMLDir(filepath.Join(a.cfg.DataDir, "mail"), a.log); err != nil {
		return err
	}
	db := a.store.DB
	a.outbox = outbox.New(db, a.cfg.OutboxLease, a.log)
	a.suppressions = mailer.NewSuppressions(db)
	a.renderer = mailer.NewRenderer(emails, a.catalog)
	if a.mailer, err = mailer.NewMailer(a.svc, a.outbox, a.suppressions, a.renderer, a.sender, mailer.MailerOptions{BaseURL: a.cfg.BaseURL, From: a.cfg.MailFrom, Log: a.log}); err != nil {
		return err
	}
	a.webhooks = webhook.New(db, a.outbox, webhook.Options{
		MasterKey: a.cfg.SecretKey, Client: &http.Client{Timeout: 10 * time.Second}, AllowPrivate: a.cfg.WebhookAllowPrivate, Log: a.log,
	})
	a.svc.SetDistributor(a.mailer)
	a.outbox.OnFailed = func(ctx context.Context, m *outbox.Message) {
		if m.Kind != outbox.KindEmail {
			return
		}
		a.mailer.Failed(ctx, m)
		if err := a.webhooks.Notify(ctx, m.WorkspaceID, webhook.InvitationFailedOf(m)); err != nil {
			a.log.Error("notify invitation.failed", "err", err)
		}
	}
	a.recorder.OnRecorded = func(ctx context.Context, r *survey.Response, created bool) error {
		return a.webhooks.Notify(ctx, r.WorkspaceID, webhook.ResponseRecorded(r, created))
	}
	return nil
}

func (a *app) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.store.Close(ctx); err != nil {
		a.log.Warn("close store", "err", err)
	}
	a.unserve()
}

// routes builds the HTTP surface: every route surveyd serves is registered here.
func (a *app) routes(reg *prometheus.Registry) *echo.Echo {
	e := echo.NewWithConfig(echo.Config{
		Logger:           a.log,
		HTTPErrorHandler: httpx.ErrorHandler(a.log, survey.ErrorStatus, apikey.ErrorStatus, intake.ErrorStatus, benchmark.ErrorStatus, target.ErrorStatus, customercount.ErrorStatus, mailer.ErrorStatus, outbox.ErrorStatus),
		IPExtractor:      clientIP(a.cfg.TrustedProxies),
		// An unknown path under /api/v1 is a 404 and a known one asked with another method a
		// 405, not a catch-all route that runs the group's authentication.
		NoGroupAutoRegister404Routes: true,
	})
	httpx.ServeHEAD(e)
	metrics := httpx.NewMetrics(reg)
	// Errors, and panics turned into errors, are answered inside the log and the metrics, so
	// that both record the status the client got.
	e.Use(
		middleware.RequestID(),
		httpx.RequestLog(a.log),
		metrics.Middleware(),
		httpx.WriteErrors,
		middleware.Recover(),
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

	e.GET("/favicon.ico", func(c *echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return c.Blob(http.StatusOK, "image/x-icon", templates.Favicon)
	})

	publicPost := []echo.MiddlewareFunc{middleware.BodyLimit(64 << 10), httpx.RateLimit(a.cfg.RateLimit, reg)}
	respondent.NewPages(a.svc, a.recorder, a.pages, a.catalog).Register(e, publicPost...)
	mailer.NewUnsubscribe(a.svc, a.suppressions, a.pages, a.catalog).Register(e, publicPost...)
	api := survey.NewHandler(a.svc, a.catalog)
	crm := intake.NewHandler(a.intake)
	crm.RegisterWebhooks(e)
	bounces := mailer.NewBounces(a.svc, a.intake, a.suppressions)
	bounces.Metrics = a.mailer.Metrics
	bounces.Register(e)
	g := e.Group("/api/v1", a.keys.Authenticate)
	api.Register(g)
	read, write := apikey.RequireScope(apikey.ScopeRead), apikey.RequireScope(apikey.ScopeWrite)
	benchmark.NewHandler(a.benchmarks, apikey.WorkspaceOf).Register(g, read, write)
	target.NewHandler(a.targets, a.svc, apikey.WorkspaceOf).Register(g, read, write)
	report.NewHandler(a.reports).Register(g)
	customercount.NewHandler(a.counts, a.svc, apikey.WorkspaceOf).Register(g, read, write)
	crm.Register(g)
	a.suppressions.RegisterAPI(g)
	a.webhooks.Register(g)
	a.outbox.RegisterAPI(g)
	mailer.NewPreview(a.svc, a.renderer).Register(g)
	return e
}

// clientIP finds the client's address for rate limits and IP hashes: the peer, or, behind the
// configured load balancers only, the address they report in X-Forwarded-For. Trusting the
// header from anyone would let a client choose its own rate-limit bucket.
func clientIP(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		opts = append(opts, echo.TrustIPRange(p))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
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
// recorder, and closes the store.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.instrument(reg)
	e := a.routes(reg)

	// The recorder and the outbox workers outlive the HTTP server: in-flight requests still
	// record answers and queue messages while it drains.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var background sync.WaitGroup
	background.Go(func() { a.recorder.Run(bg) })
	background.Go(func() { a.outbox.Work(bg, outbox.KindEmail, a.mailer, 2*time.Second, a.queueMetrics) })
	background.Go(func() { a.outbox.Work(bg, outbox.KindWebhook, a.webhooks, 2*time.Second, a.queueMetrics) })
	// Before the first request can give a survey fresh rollups, find the ones that lost theirs.
	if missing, err := a.svc.SurveysWithoutRollups(ctx); err != nil {
		a.log.Error("rollups: find surveys without them", "err", err)
	} else if len(missing) > 0 {
		background.Go(func() { a.rebuildRollups(bg, missing) })
	}
	// `surveyd rollups rebuild` asks this process when it serves the embedded store.
	background.Go(func() { a.svc.ServeRebuildRequests(bg, 2*time.Second) })

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
	stopBackground()
	background.Wait()
	if smtp, ok := a.sender.(*mailer.SMTP); ok {
		smtp.Close()
	}
	a.log.Info("surveyd stopped")
	return err
}

// rebuildRollups rebuilds the rollups of surveys that have none, one at a time.
func (a *app) rebuildRollups(ctx context.Context, surveys []survey.RollupSurvey) {
	began := time.Now()
	for _, sv := range surveys {
		a.log.Info("rollups: rebuilding a survey's", "survey_id", sv.ID.Hex(), "name", sv.Name)
	}
	if err := a.svc.RebuildRollups(ctx, surveys, rollup.RebuildOptions{}); err != nil {
		a.log.Error("rollups: rebuild; serve retries at its next start, or run `surveyd rollups rebuild`", "err", err)
		return
	}
	a.log.Info("rollups: rebuilt", "surveys", len(surveys), "took", time.Since(began).Round(time.Millisecond))
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := loadConfig("serve", args, getenv, nil)
	if err != nil {
		return err
	}
	a, err := initApp(ctx, cfg, newLogger(stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, nil)
}

// openStore is the store of the admin commands (keys, integrations): migrated, with
// warnings only on stderr.
func openStore(ctx context.Context, cfg *config.Config, stderr io.Writer) (*store.Store, error) {
	return openMigrated(ctx, cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// openMigrated opens the configured store and brings it to this build's schema.
func openMigrated(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, Database: cfg.Database, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, st, log); err != nil {
		_ = st.Close(context.Background())
		return nil, err
	}
	return st, nil
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("migrate", args, getenv, nil)
	if err != nil {
		return err
	}
	st, err := openMigrated(ctx, cfg, newLogger(stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
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
