package survey

import (
	"testing"
	"time"

	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Writers that share a store (instances on one MongoDB, a rebuild beside the live path) each
// keep a month's answers in memory. One that is behind finds out when the number of the
// entry it writes is taken, reads what it missed, and counts its customer's answers under
// the right repeat count; a writer that starts later (a restart) reads the month from its
// entries. Every count is checked through the report: three answers of one customer in a
// month count as one, an edit moves only the edited answer, and a fourth makes them four.
func TestAnswerMonthsSharedByWriters(t *testing.T) {
	en, sv := reportEnv(t)
	ctx := t.Context()
	// None keeps a bucket cache, as instances sharing a MongoDB do not; en's own rollups,
	// started over as such a writer, read the buckets for the reports below.
	en.svc.rollups = newRollupEngine(en.svc, false)
	a, b := newRollupEngine(en.svc, false), newRollupEngine(en.svc, false)
	at := en.clock.now().Add(-time.Hour)
	answer := func(score int) scoring.Answer {
		return scoring.Answer{ID: bson.NewObjectID(), Customer: 42, At: at.UnixMilli(),
			Tuple: scoring.Tuple{Agent: "Lan", Team: "Billing", Channel: "email", Country: "VN"}, Score: score}
	}
	record := func(w *rollup.Engine, ans scoring.Answer) {
		t.Helper()
		if err := w.Record(ctx, rollup.Change{Workspace: en.ws.ID, Survey: sv.ID, At: at, Answer: &ans}); err != nil {
			t.Fatal(err)
		}
	}
	target := "/api/v1/surveys/" + sv.ID.Hex() + "/report?from=2026-11-01&to=2026-11-30"
	check := func(when string, answers int64, csat float64) {
		t.Helper()
		r := en.report(target, en.key).Total
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

	restarted := newRollupEngine(en.svc, false)
	record(restarted, answer(1)) // reads entries 1–4 before writing the fifth
	check("a fourth after a restart", 4, 50)
	if n := en.count(rollup.CollRespondents, bson.D{{Key: "survey_id", Value: sv.ID}}); n != 5 {
		t.Errorf("the month's log has %d entries, want 5: one per write", n)
	}
}
