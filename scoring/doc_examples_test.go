package scoring_test

import (
	"testing"

	"github.com/surveyd/surveyd/scoring"
)

// The worked examples of docs/scoring.md, each computed by the functions reports use, to
// the digits the document prints. A change here is a change to the document.
func TestScoringDocExamples(t *testing.T) {
	ces7 := func(h scoring.Histogram) scoring.Estimate { return scoring.CES(h, 7) }
	csat45 := scoring.CSAT(scoring.Histogram{5: 30, 4: 15, 3: 3, 1: 2})
	nps200 := scoring.NPS(scoring.Histogram{10: 120, 8: 40, 0: 40})
	ninety := ces7(scoring.Histogram{7: 9, 4: 1})

	t.Run("response funnel", func(t *testing.T) {
		email, web := scoring.Tuple{Team: "A", Channel: "email"}, scoring.Tuple{Team: "A", Channel: "web"}
		b := scoring.Bucket{}
		b.AddStage(email, scoring.StageSent, 10)
		b.AddStage(web, scoring.StageCreated, 10)
		mustAdd(t, b, email, scoring.ScoreKey{K: 1}, 5, 5)
		mustAdd(t, b, web, scoring.ScoreKey{K: 1}, 1, 2)
		total, _ := scoring.ReportSpec{Metric: scoring.MetricCSAT, Points: 5}.Summarize(b)
		if total.Funnel.Reached != 20 || total.ResponseRate == nil {
			t.Fatalf("funnel %+v", total.Funnel)
		}
		near(t, "response rate", *total.ResponseRate, 35, 1e-9)
		// Post-stratification, the first example.
		near(t, "raw CSAT", total.Raw.Value, 71.4, 0.05)
		near(t, "weighted CSAT", total.Weighted.Value, 50, 1e-9)
		weights := map[string]float64{}
		for _, w := range total.Weights {
			weights[w.Key] = w.Weight
		}
		near(t, "email weight", weights["email|A"], 0.7, 1e-12)
		near(t, "web weight", weights["web|A"], 1.75, 1e-12)
	})

	t.Run("intervals", func(t *testing.T) {
		near(t, "CSAT", csat45.Value, 90, 1e-9)
		near(t, "CSAT lo", csat45.Lo, 78.64, 0.005)
		near(t, "CSAT hi", csat45.Hi, 95.65, 0.005)

		near(t, "NPS", nps200.Value, 40, 1e-9)
		near(t, "NPS variance", nps200.Variance, 0.64, 1e-12)
		near(t, "NPS lo", nps200.Lo, 28.40, 0.005)
		near(t, "NPS hi", nps200.Hi, 50.42, 0.005)
		centre, _, _ := scoring.AdjustedWaldNPS(120, 40, 200)
		near(t, "NPS′", centre, 39.41, 0.005)

		one := scoring.NPS(scoring.Histogram{10: 1})
		centre, lo, hi := scoring.AdjustedWaldNPS(1, 0, 1)
		near(t, "one promoter NPS′", centre, 25, 1e-9)
		near(t, "one promoter adjusted lo", lo, -48.5, 1e-9)
		near(t, "one promoter adjusted hi", hi, 98.5, 1e-9)
		if one.Value != 100 || one.Lo != lo || one.Hi != 100 {
			t.Errorf("one promoter: %+v, want 100 in [−48.5, 100]", one.Interval)
		}

		near(t, "CES mean", ninety.Value, 6.7, 1e-9)
		near(t, "CES s²", ninety.Variance, 0.9, 1e-12)
		near(t, "CES lo", ninety.Lo, 6.02, 0.005)
		if ninety.Hi != 7 {
			t.Errorf("CES hi %v, want the unclipped 7.38 clipped to 7", ninety.Hi)
		}
		near(t, "CES unclipped hi", 6.7+(6.7-ninety.Lo), 7.38, 0.005)
		near(t, "% easy", ninety.Easy.Value, 90, 1e-9)
		near(t, "% easy lo", ninety.Easy.Lo, 59.58, 0.005)
		near(t, "% easy hi", ninety.Easy.Hi, 98.21, 0.005)
		if e := ces7(scoring.Histogram{7: 1}); e.Lo != 1 || e.Hi != 7 {
			t.Errorf("one 7: %+v", e.Interval)
		}
		near(t, "Kish n_eff", scoring.KishNEff(0.5+0.5+1, 0.25+0.25+1), 2.667, 5e-4)
	})

	t.Run("post-stratification", func(t *testing.T) {
		w, err := scoring.PostStratify([]scoring.Stratum{
			{Key: "email|A", Delivered: 10, Responded: 5}, {Key: "email|B", Delivered: 10}, {Key: "web|A", Delivered: 10, Responded: 5},
		})
		if err != nil || w[1].MergedInto != "email|A" {
			t.Fatalf("weights %+v, %v", w, err)
		}
		near(t, "email|A", w[0].Weight, 1.333, 5e-4)
		near(t, "email|B", w[1].Weight, 1.333, 5e-4)
		near(t, "web|A", w[2].Weight, 0.667, 5e-4)
		w, err = scoring.PostStratify([]scoring.Stratum{{Key: "chat|A", Delivered: 100, Responded: 50}, {Key: "email|A", Delivered: 100, Responded: 5}})
		if err != nil || !w[1].Trimmed {
			t.Fatalf("weights %+v, %v", w, err)
		}
		near(t, "chat|A", w[0].Weight, 0.55, 1e-12)
		near(t, "email|A trimmed", w[1].Weight, 5, 0)
	})

	t.Run("repeat", func(t *testing.T) {
		// One customer's two answers of a month (k = 2), and another's one.
		b := scoring.Bucket{}
		tu := scoring.Tuple{Channel: "email", Team: "A"}
		b.AddStage(tu, scoring.StageSent, 3)
		mustAdd(t, b, tu, scoring.ScoreKey{K: 2}, 5, 2)
		mustAdd(t, b, tu, scoring.ScoreKey{K: 1}, 1, 1)
		total, _ := scoring.ReportSpec{Metric: scoring.MetricCSAT, Points: 5}.Summarize(b)
		if total.Repeat.Answers != 2 || total.Repeat.CountedAs != 1 {
			t.Errorf("repeat %+v", total.Repeat)
		}
		near(t, "weighted CSAT", total.Weighted.Value, 50, 1e-9)
	})

	t.Run("comparisons", func(t *testing.T) {
		c := scoring.CompareToValue(csat45, 80)
		near(t, "CSAT z", c.Statistic, 1.768, 5e-4)
		near(t, "CSAT p", c.PValue, 0.0771, 5e-5)
		if c.Verdict != scoring.VerdictNotDistinguishable || c.NeededN != 62 {
			t.Errorf("CSAT against 80: %+v", c)
		}
		c = scoring.CompareToValue(nps200, 30.1)
		near(t, "NPS z", c.Statistic, 1.750, 5e-4)
		near(t, "NPS p", c.PValue, 0.0801, 5e-5)
		if c.NeededN != 251 {
			t.Errorf("NPS against 30.1: %+v", c)
		}
		c = scoring.CompareToValue(ninety, 6)
		near(t, "CES t", c.Statistic, 2.333, 5e-4)
		near(t, "CES p", c.PValue, 0.0445, 5e-5)
		if c.DF != 9 || c.Verdict != scoring.VerdictAbove || c.NeededN != 8 {
			t.Errorf("CES against 6: %+v", c)
		}
		c = scoring.Compare(scoring.CSAT(scoring.Histogram{5: 9, 2: 1}), scoring.CSAT(scoring.Histogram{4: 3, 1: 7}))
		near(t, "two-proportion z", c.Statistic, 2.739, 5e-4)
		near(t, "two-proportion p", c.PValue, 0.00617, 5e-6)
		if c.Verdict != scoring.VerdictAbove || c.NeededN != 6 {
			t.Errorf("An against Binh: %+v", c)
		}
		sig, adj := scoring.BenjaminiHochberg([]float64{0.01, 0.04, 0.03, 0.20}, scoring.FDR)
		for i, want := range []float64{0.04, 0.0533, 0.0533, 0.20} {
			near(t, "BH adjusted", adj[i], want, 5e-5)
			if sig[i] != (i == 0) {
				t.Errorf("BH significant %v", sig)
			}
		}
	})

	t.Run("leaderboards", func(t *testing.T) {
		groups := []scoring.Estimate{
			scoring.CSAT(scoring.Histogram{5: 45, 1: 5}), scoring.CSAT(scoring.Histogram{5: 40, 2: 10}),
			scoring.CSAT(scoring.Histogram{5: 50}), scoring.CSAT(scoring.Histogram{5: 3}),
		}
		sh, st := scoring.Rank(groups, scoring.CSAT(scoring.Histogram{5: 138, 2: 10, 1: 5}))
		near(t, "alpha", sh.Prior.Alpha, 9.25, 1e-9)
		near(t, "beta", sh.Prior.Beta, 0.75, 1e-9)
		near(t, "45 of 50", st[0].Shrunken, 90.4, 0.05)
		near(t, "40 of 50", st[1].Shrunken, 82.1, 0.05)
		near(t, "50 of 50", st[2].Shrunken, 98.75, 1e-9)
		near(t, "3 of 3", st[3].Shrunken, 94.2, 0.05)
		if st[2].Rank != 1 || st[0].Rank != 2 || st[1].Rank != 3 || st[3].Rank != 0 || !sh.Floored {
			t.Errorf("ranks %+v %+v %+v %+v, %+v", *st[0], *st[1], *st[2], *st[3], sh)
		}

		prior := scoring.FitBetaPrior([]float64{0.8, 0.9, 1})
		near(t, "α₀ + β₀", prior.Alpha+prior.Beta, 8, 1e-9)
		sh, _ = scoring.Rank([]scoring.Estimate{
			scoring.CSAT(scoring.Histogram{5: 8, 1: 2}), scoring.CSAT(scoring.Histogram{5: 9, 1: 1}), scoring.CSAT(scoring.Histogram{5: 10}),
		}, scoring.CSAT(scoring.Histogram{5: 27, 1: 3}))
		near(t, "floored alpha", sh.Prior.Alpha, 9, 1e-9)
		near(t, "floored beta", sh.Prior.Beta, 1, 1e-9)

		m, fitted := scoring.FitPseudoCount([]scoring.Estimate{
			ces7(scoring.Histogram{3: 1, 5: 1}), ces7(scoring.Histogram{4: 1, 6: 1}), ces7(scoring.Histogram{5: 1, 7: 1}),
		})
		if !fitted {
			t.Error("three CES groups: not fitted")
		}
		near(t, "m", m, 2.0/3, 1e-9)

		flat := []scoring.Estimate{
			ces7(scoring.Histogram{7: 1}), ces7(scoring.Histogram{7: 52, 6: 10}), ces7(scoring.Histogram{7: 80, 6: 21}),
			ces7(scoring.Histogram{6: 4, 5: 1}), ces7(scoring.Histogram{7: 10, 5: 6, 4: 2}),
		}
		m, _ = scoring.FitPseudoCount(flat)
		near(t, "flat m", m, 1.01, 0.005)
		near(t, "62 answers", flat[1].Value, 6.839, 5e-4)
		near(t, "101 answers", flat[2].Value, 6.79, 0.005)
		near(t, "5 answers", flat[3].Value, 5.8, 1e-9)
		near(t, "18 answers", flat[4].Value, 6.0, 1e-9)
		sh, st = scoring.Rank(flat, ces7(scoring.Histogram{7: 143, 6: 35, 5: 7, 4: 2}))
		near(t, "centre", sh.Center, 6.706, 5e-4)
		near(t, "62 answers shrunken", st[1].Shrunken, 6.820, 5e-4)
		if st[1].Rank != 1 || st[0].Rank != 0 || sh.PseudoCount != 10 {
			t.Errorf("flat fit: %+v, %+v, %+v", sh, *st[0], *st[1])
		}
	})

	t.Run("service KPIs", func(t *testing.T) {
		b := scoring.Bucket{}
		tu := scoring.Tuple{}
		for i := range 40 {
			resolved, seconds, transfers := i < 30, 300, 0
			if i < 4 {
				transfers = 2
			}
			b.AddStage(tu, scoring.StageInvited, 1)
			b.AddService(tu, scoring.ServiceFacts{FirstContactResolved: &resolved, HandleSeconds: &seconds, Transfers: &transfers})
		}
		total, _ := scoring.ReportSpec{Metric: scoring.MetricCSAT, Points: 5}.Summarize(b)
		k := total.KPI
		if k.Volume != 40 || k.FCRRate == nil || *k.FCRRate != 75 || k.AHTSeconds == nil || *k.AHTSeconds != 300 ||
			k.TransferRate == nil || *k.TransferRate != 10 {
			t.Errorf("KPIs %+v", k)
		}
		crr, _ := scoring.RetentionRate(1000, 1050, 100)
		ccr, _ := scoring.ChurnRate(1000, 1050)
		if crr != 95 || ccr != -5 {
			t.Errorf("CRR %v, CCR %v", crr, ccr)
		}
	})
}

func mustAdd(t *testing.T, b scoring.Bucket, tu scoring.Tuple, k scoring.ScoreKey, score int, n int64) {
	t.Helper()
	if err := b.AddAnswer(tu, k, score, n); err != nil {
		t.Fatal(err)
	}
}
