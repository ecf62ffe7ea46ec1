package survey

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/surveyd/surveyd/survey/rollup"
)

// A report read again is served by the rollup cache, and a rebuild shows while it runs and
// how far each stage got.
func TestRollupMetrics(t *testing.T) {
	en := newEnv(t)
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	value := func(name, label string) float64 {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			for _, s := range f.GetMetric() {
				if f.GetName() == name && (label == "" || s.GetLabel()[0].GetValue() == label) {
					return s.GetCounter().GetValue() + s.GetGauge().GetValue()
				}
			}
		}
		return 0
	}
	en.svc.SetMetrics(m)
	sv := en.createSurvey(`{"kind":"csat","name":"Support"}`)
	_, tok := en.invite(sv, `{"email":"lan@example.com","locale":"en"}`)
	en.answer(tok, "5")

	target := "/api/v1/surveys/" + sv.ID.Hex() + "/report"
	en.report(target, en.key)
	hits, misses := value("surveyd_rollup_cache_reads_total", "hit"), value("surveyd_rollup_cache_reads_total", "miss")
	if misses == 0 {
		t.Error("no cache misses counted: the first writes and reads find the cache empty")
	}
	en.report(target, en.key)
	if h, ms := value("surveyd_rollup_cache_reads_total", "hit"), value("surveyd_rollup_cache_reads_total", "miss"); h <= hits || ms != misses {
		t.Errorf("the report read again: hits %v → %v, misses %v → %v; want more hits and no new miss", hits, h, misses, ms)
	}

	surveys, err := en.svc.RollupSurveys(t.Context(), sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string]bool{}
	err = en.svc.RebuildRollups(t.Context(), surveys, rollup.RebuildOptions{Alone: true, Progress: func(stage string, done, total int) {
		stages[stage] = true
		if running := value("surveyd_rollup_rebuilds_running", ""); running != 1 {
			t.Errorf("during the rebuild %v running, want 1", running)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if running := value("surveyd_rollup_rebuilds_running", ""); running != 0 {
		t.Errorf("after the rebuild %v running, want 0", running)
	}
	for _, stage := range []string{"invitations", "responses", "answers", "writing"} {
		if !stages[stage] {
			t.Errorf("the rebuild reported no %s stage", stage)
		}
		if ratio := value("surveyd_rollup_rebuild_progress_ratio", stage); ratio != 1 {
			t.Errorf("stage %s at %v after the rebuild, want 1", stage, ratio)
		}
	}
}
