package report

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A report read again is served by the rollup cache, and a rebuild shows while it runs and
// how far each stage got.
func TestRollupMetrics(t *testing.T) {
	en := newEnv(t)
	reg := prometheus.NewPedanticRegistry()
	m := survey.NewMetrics(reg)
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
	en.Core.SetMetrics(m)
	sv := en.CreateSurvey(`{"kind":"csat","name":"Support"}`)
	_, tok := en.invite(sv, `{"email":"lan@example.com","locale":"en"}`)
	en.answer(tok, "5")

	target := "/api/v1/surveys/" + sv.ID.Hex() + "/report"
	en.report(target, en.Key)
	hits, misses := value("surveyd_rollup_cache_reads_total", "hit"), value("surveyd_rollup_cache_reads_total", "miss")
	if misses == 0 {
		t.Error("no cache misses counted: the first writes and reads find the cache empty")
	}
	en.report(target, en.Key)
	if h, ms := value("surveyd_rollup_cache_reads_total", "hit"), value("surveyd_rollup_cache_reads_total", "miss"); h <= hits || ms != misses {
		t.Errorf("the report read again: hits %v → %v, misses %v → %v; want more hits and no new miss", hits, h, misses, ms)
	}

	surveys, err := en.Core.RollupSurveys(t.Context(), sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string]bool{}
	err = en.Core.RebuildRollups(t.Context(), surveys, rollup.RebuildOptions{Alone: true, Progress: func(stage string, done, total int) {
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

// Writers that share a store (instances on one MongoDB, a rebuild beside the live path) each
// keep a month's answers in memory. One that is behind finds out when the number of the
// entry it writes is taken, reads what it missed, and counts its customer's answers under
// the right repeat count; a writer that starts later (a restart) reads the month from its
// entries. Every count is checked through the report: three answers of one customer in a
// month count as one, an edit moves only the edited answer, and a fourth makes them four.
func TestAnswerMonthsSharedByWriters(t *testing.T) {
	en, sv := reportEnv(t)
	ctx := t.Context()
	// None keeps a bucket cache, as instances sharing a MongoDB do not; the reports' rollups,
	// started over as such a writer, read the buckets for the reports below.
	en.reports.rollups = sharedWriter(en)
	a, b := sharedWriter(en), sharedWriter(en)
	at := en.Clock.Now().Add(-time.Hour)
	answer := func(score int) scoring.Answer {
		return scoring.Answer{ID: bson.NewObjectID(), Customer: 42, At: at.UnixMilli(),
			Tuple: scoring.Tuple{Agent: "Lan", Team: "Billing", Channel: "email", Country: "VN"}, Score: score}
	}
	record := func(w *rollup.Engine, ans scoring.Answer) {
		t.Helper()
		if err := w.Record(ctx, rollup.Change{Workspace: en.WS.ID, Survey: sv.ID, At: at, Answer: &ans}); err != nil {
			t.Fatal(err)
		}
	}
	target := "/api/v1/surveys/" + sv.ID.Hex() + "/report?from=2026-11-01&to=2026-11-30"
	check := func(when string, answers int64, csat float64) {
		t.Helper()
		r := en.report(target, en.Key).Total
		if r.Raw.N != float64(answers) || !near(r.Raw.Value, csat) {
			t.Errorf("%s: raw CSAT %.4f of %v answers, want %.4f of %d", when, r.Raw.Value, r.Raw.N, csat, answers)
		}
		if r.Repeat.Answers != answers || !near(r.Repeat.CountedAs, 1) {
			t.Errorf("%s: repeat %+v, want %d answers counted as 1", when, r.Repeat, answers)
		}
	}

	first, second, third := answer(5), answer(4), answer(5)
	record(a, first)  // entry 1
	record(b, second) // b reads entry 1: the customer's second answer
	record(a, third)  // a, behind, finds entry 2 taken, reads it: the third
	first.Score = 2
	record(b, first) // b, behind, finds entry 3 taken: an edit of the first, still one of three
	check("three answers, one edited, by two writers", 3, 200.0/3)

	restarted := sharedWriter(en)
	record(restarted, answer(1)) // reads entries 1–4 before writing the fifth
	check("a fourth after a restart", 4, 50)
	if n := en.Count(rollup.CollRespondents, bson.D{{Key: "survey_id", Value: sv.ID}}); n != 5 {
		t.Errorf("the month's log has %d entries, want 5: one per write", n)
	}
}

// sharedWriter is a rollup engine of en's store as an instance sharing a MongoDB with others
// has one: without a bucket cache, new rollups in their workspace's time zone.
func sharedWriter(en *env) *rollup.Engine {
	return rollup.New(en.DB, rollup.Options{Zones: workspaceZones{en.Core}, Now: en.Clock.Now})
}

// workspaceZones gives new rollups their workspace's time zone, as the core does.
type workspaceZones struct{ svc *survey.Service }

func (z workspaceZones) Zone(ctx context.Context, ws bson.ObjectID) (*time.Location, error) {
	w, err := z.svc.WorkspaceByID(ctx, ws)
	if err != nil {
		return nil, err
	}
	return w.Location(), nil
}
