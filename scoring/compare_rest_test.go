package scoring_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

func TestOthers(t *testing.T) {
	cells := scoring.Bucket{}
	add := func(agent, channel string, mask scoring.FlagMask, score int, n int64) {
		t.Helper()
		if err := cells.AddAnswer(scoring.Tuple{Agent: agent, Channel: channel}, scoring.ScoreKey{Mask: mask, K: 1}, score, n); err != nil {
			t.Fatal(err)
		}
	}
	add("Lan", "email", 0, 5, 9)
	add("Lan", "email", 0, 2, 1)
	add("Lan", "email", scoring.MaskNonAttributable, 1, 5) // a price complaint
	add("Minh", "chat", 0, 4, 6)
	add("Minh", "chat", 0, 1, 4)
	add("Minh", "chat", scoring.MaskNonAttributable, 1, 10)
	exclude := scoring.MaskNonAttributable

	// By agent, price complaints leave both sides: Lan 9 of 10 against Minh's 6 of 10.
	spec := scoring.ReportSpec{Metric: scoring.MetricCSAT, Points: 5, GroupBy: scoring.DimAgent, Exclude: exclude}
	all, others := spec.Others(cells)
	if len(others) != 2 || others["Lan"].Responses != 10 || !near1(others["Lan"].Value, 60) ||
		others["Minh"].Responses != 10 || !near1(others["Minh"].Value, 90) || all.Responses != 20 || !near1(all.Value, 75) {
		t.Errorf("by agent: all %v of %d, others %+v", all.Value, all.Responses, others)
	}
	// By channel they stay on both sides, as in the company score.
	spec.GroupBy = scoring.DimChannel
	all, others = spec.Others(cells)
	if others["email"].Responses != 20 || !near1(others["email"].Value, 30) || all.Responses != 35 {
		t.Errorf("by channel: all %d, others %+v", all.Responses, others)
	}
	// A filter narrows the company to what the report covers.
	spec.Filter = map[scoring.Dimension]string{scoring.DimChannel: "chat"}
	if _, others = spec.Others(cells); len(others) != 1 || others["chat"].Valid {
		t.Errorf("filtered to chat: %+v", others)
	}
	spec.GroupBy, spec.Filter = "", nil
	if all, others = spec.Others(cells); all.Valid || len(others) != 0 {
		t.Errorf("no groups: %+v %+v", all, others)
	}
}

func near1(got, want float64) bool { return got > want-1e-9 && got < want+1e-9 }

// With no true difference among 50 agents, the report's company comparison (each agent
// against the rest, judged together with Benjamini–Hochberg) flags on average at most
// q·50 agents per report, where testing each alone flags about α·50.
func TestCompanyComparisonNullSimulation(t *testing.T) {
	const (
		agents    = 50
		reports   = 200
		satisfied = 0.85
	)
	rng := rand.New(rand.NewPCG(2026, 5))
	spec := scoring.ReportSpec{Metric: scoring.MetricCSAT, Points: 5, GroupBy: scoring.DimAgent}
	var unadjusted, adjusted int
	for range reports {
		cells := scoring.Bucket{}
		for a := range agents {
			// Agents answer unevenly, as on a service desk: from 10 to 400 answers.
			n := 10 + rng.IntN(391)
			tuple := scoring.Tuple{Agent: fmt.Sprintf("agent %02d", a), Team: fmt.Sprintf("team %d", a%5), Channel: "email"}
			for range n {
				score := 5
				if rng.Float64() >= satisfied {
					score = 1 + rng.IntN(3)
				}
				if err := cells.AddAnswer(tuple, scoring.ScoreKey{K: 1}, score, 1); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, groups := spec.Summarize(cells)
		_, others := spec.Others(cells)
		cs := make([]scoring.Comparison, len(groups))
		for i, g := range groups {
			cs[i] = scoring.Compare(g.Filtered, others[g.Group])
			if cs[i].Verdict != scoring.VerdictNotDistinguishable {
				unadjusted++
			}
		}
		for _, c := range scoring.AdjustFamily(cs) {
			if c.FamilySize != agents {
				t.Fatalf("family of %d, want %d", c.FamilySize, agents)
			}
			if c.Verdict != scoring.VerdictNotDistinguishable {
				adjusted++
			}
		}
	}
	perUnadjusted, perAdjusted := float64(unadjusted)/reports, float64(adjusted)/reports
	t.Logf("agents flagged per report of %d without true differences: %.2f one at a time, %.2f with Benjamini–Hochberg",
		agents, perUnadjusted, perAdjusted)
	if perAdjusted > scoring.FDR*agents {
		t.Errorf("Benjamini–Hochberg flagged %.2f agents per report, want ≤ %.1f", perAdjusted, scoring.FDR*agents)
	}
	// The simulation must be able to fail: one at a time, about α·50 = 2.5 agents are flagged.
	if perUnadjusted < 1.5 || perUnadjusted > 4 {
		t.Errorf("unadjusted tests flagged %.2f agents per report, want about %.1f", perUnadjusted, scoring.Alpha*agents)
	}
}
