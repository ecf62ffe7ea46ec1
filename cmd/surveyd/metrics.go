package main

import (
	"cmp"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/surveyd/surveyd/mailer"
	"github.com/surveyd/surveyd/mailer/outbox"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/intake"
)

// instrument registers what an operator watches beside the HTTP metrics (which routes adds)
// and connects the packages that count it: the survey domain, the CRM intake, the mailer, the outbox's
// backlog and the build.
func (a *app) instrument(reg *prometheus.Registry) {
	b := readBuildStamp()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "surveyd_build_info", Help: "The running build: its version, VCS revision and Go version. Always 1.",
		ConstLabels: prometheus.Labels{"version": b.version, "revision": cmp.Or(b.revision, "unknown"), "goversion": runtime.Version()},
	})
	build.Set(1)
	reg.MustRegister(build, a.outbox.Backlog())
	a.svc.SetMetrics(survey.NewMetrics(reg))
	a.intake.SetMetrics(intake.NewMetrics(reg))
	a.mailer.Metrics = mailer.NewMetrics(reg)
	a.queueMetrics = outbox.NewMetrics(reg)
}
