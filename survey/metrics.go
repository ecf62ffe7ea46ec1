package survey

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count what the survey domain does, for the operator's /metrics. A nil *Metrics
// counts nothing: the admin commands and most tests run without one.
type Metrics struct {
	answers   *prometheus.CounterVec // by survey kind and change: created, updated
	flags     *prometheus.CounterVec // by flag name
	cacheHit  prometheus.Counter
	cacheMiss prometheus.Counter
	rebuilds  prometheus.Gauge
	progress  *prometheus.GaugeVec // by stage
}

// NewMetrics registers the survey metrics with reg; Service.SetMetrics puts them to use.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	cache := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "surveyd_rollup_cache_reads_total",
		Help: "Rollup documents read through the in-process cache (embedded store only), by result: hit or miss (read from the store).",
	}, []string{"result"})
	m := &Metrics{
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "surveyd_answers_recorded_total", Help: "Answers stored, by survey kind and change: created (a first answer) or updated (an edit).",
		}, []string{"kind", "change"}),
		flags: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "surveyd_answer_flags_total", Help: "Bias flags raised on stored answers, by flag.",
		}, []string{"flag"}),
		cacheHit:  cache.WithLabelValues("hit"),
		cacheMiss: cache.WithLabelValues("miss"),
		rebuilds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "surveyd_rollup_rebuilds_running", Help: "Rollup rebuilds this process is running.",
		}),
		progress: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "surveyd_rollup_rebuild_progress_ratio",
			Help: "How far the latest rollup rebuild has got through each stage, 0 to 1: invitations and responses read, answers and documents written.",
		}, []string{"stage"}),
	}
	reg.MustRegister(m.answers, m.flags, cache, m.rebuilds, m.progress)
	return m
}

// SetMetrics makes the service count its events into m. Call it before serving.
func (s *Service) SetMetrics(m *Metrics) { s.metrics = m }

func (m *Metrics) answerRecorded(r *Response, created bool) {
	if m == nil {
		return
	}
	change := "updated"
	if created {
		change = "created"
	}
	m.answers.WithLabelValues(string(r.Kind), change).Inc()
	for _, f := range r.Flags {
		m.flags.WithLabelValues(f.Name).Inc()
	}
}

func (m *Metrics) cacheRead(hit bool) {
	switch {
	case m == nil:
	case hit:
		m.cacheHit.Inc()
	default:
		m.cacheMiss.Inc()
	}
}

// rebuildStarted counts a rebuild in and returns the progress function that records its
// stages before passing them on to next (which may be nil), and the function that counts it
// out.
func (m *Metrics) rebuildStarted(next func(stage string, done, total int)) (progress func(string, int, int), ended func()) {
	progress = func(stage string, done, total int) {
		if m != nil {
			ratio := 1.0
			if total > 0 {
				ratio = float64(done) / float64(total)
			}
			m.progress.WithLabelValues(stage).Set(ratio)
		}
		if next != nil {
			next(stage, done, total)
		}
	}
	if m == nil {
		return progress, func() {}
	}
	m.progress.Reset()
	m.rebuilds.Inc()
	return progress, m.rebuilds.Dec
}
