package intake

import "github.com/prometheus/client_golang/prometheus"

// Metrics count what the intake decides and refuses, for the operator's /metrics. A nil
// *Metrics counts nothing: the admin commands and most tests run without one.
type Metrics struct {
	decisions  *prometheus.CounterVec // by decision: an invitation status, or no_rule
	rejections *prometheus.CounterVec // by reason
}

// NewMetrics registers the intake metrics with reg; Service.SetMetrics puts them to use.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "surveyd_webhook_decisions_total", Help: "CRM interaction webhooks decided by the rules, by decision: scheduled, throttled, suppressed, sampled_out or no_rule.",
		}, []string{"decision"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "surveyd_webhook_signature_rejections_total",
			Help: "Signed webhooks refused, by reason: unknown_integration, revoked, malformed, expired (outside the replay window) or mismatch.",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.decisions, m.rejections)
	return m
}

func (m *Metrics) decided(decision string) {
	if m != nil {
		m.decisions.WithLabelValues(decision).Inc()
	}
}

func (m *Metrics) signatureRejected(reason string) {
	if m != nil {
		m.rejections.WithLabelValues(reason).Inc()
	}
}
