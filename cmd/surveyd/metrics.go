package main

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/surveyd/surveyd/mailer"
	"github.com/surveyd/surveyd/survey"
)

// instrument registers what an operator watches beside the HTTP metrics (which routes adds)
// and connects the packages that count it: the survey domain, the mailer, the outbox's
// backlog and the build.
func (a *app) instrument(reg *prometheus.Registry) {
	version, revision := buildVersion()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "surveyd_build_info", Help: "The running build: its version, VCS revision and Go version. Always 1.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	build.Set(1)
	reg.MustRegister(build, a.outbox.Backlog())
	a.svc.SetMetrics(survey.NewMetrics(reg))
	a.mailer.Metrics = mailer.NewMetrics(reg)
}

// buildVersion is the module version and VCS revision the binary was built from, "unknown"
// where the build recorded none (go test, or a build outside a checkout).
func buildVersion() (version, revision string) {
	version, revision = "unknown", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version, revision
	}
	if bi.Main.Version != "" {
		version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			revision = s.Value
		}
	}
	return version, revision
}
