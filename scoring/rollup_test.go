package scoring_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/surveyd/surveyd/scoring"
)

func sampleBucket(t *testing.T) scoring.Bucket {
	t.Helper()
	b := scoring.Bucket{}
	an := scoring.Tuple{Agent: "Nguyễn Thu An", Team: "Billing", Channel: "email", Country: "VN"}
	none := scoring.Tuple{}
	b.AddStage(an, scoring.StageInvited, 3)
	b.AddStage(an, scoring.StageSent, 2)
	b.AddStage(none, scoring.StageBounced, 1)
	resolved, seconds, transfers := true, 420, 2
	b.AddService(an, scoring.ServiceFacts{FirstContactResolved: &resolved, HandleSeconds: &seconds, Transfers: &transfers})
	b.AddService(an, scoring.ServiceFacts{HandleSeconds: &seconds})
	b.AddService(none, scoring.ServiceFacts{})
	for _, a := range []struct {
		t     scoring.Tuple
		k     scoring.ScoreKey
		score int
		n     int64
	}{
		{an, scoring.ScoreKey{K: 1}, 5, 2},
		{an, scoring.ScoreKey{Mask: scoring.MaskAutomated | scoring.MaskLate, K: 1}, 1, 1},
		{an, scoring.ScoreKey{K: 3}, 4, 3},
		{none, scoring.ScoreKey{Mask: scoring.MaskContradiction, K: 1}, 10, -1},
	} {
		if err := b.AddAnswer(a.t, a.k, a.score, a.n); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestBucketRoundTrip(t *testing.T) {
	b := sampleBucket(t)
	data, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := b.MarshalBinary()
	if string(data) != string(again) {
		t.Error("encoding is not deterministic")
	}
	got := scoring.Bucket{}
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Errorf("round trip: got %v, want %v", got, b)
	}
}

func TestBucketMergeCancels(t *testing.T) {
	b := sampleBucket(t)
	neg := scoring.Bucket{}
	for tu, c := range b {
		nc := &scoring.Cell{}
		for s, n := range c.Funnel {
			nc.Funnel[s] = -n
		}
		for k, n := range c.KPI {
			nc.KPI[k] = -n
		}
		neg[tu] = nc
		for m, h := range c.Scores {
			for score, n := range h {
				if n != 0 {
					_ = neg.AddAnswer(tu, m, score, -n)
				}
			}
		}
	}
	b.Merge(neg)
	if len(b) != 0 {
		t.Errorf("a bucket merged with its negation keeps %d cells", len(b))
	}
}

// A cell counts an interaction's service KPIs by what its CRM said: nothing for what it did
// not say, and a transfer only when there was one.
func TestAddService(t *testing.T) {
	b := sampleBucket(t)
	an := scoring.Tuple{Agent: "Nguyễn Thu An", Team: "Billing", Channel: "email", Country: "VN"}
	want := [scoring.NumKPICounters]int64{scoring.KPIResolutionKnown: 1, scoring.KPIResolved: 1, scoring.KPIHandleKnown: 2,
		scoring.KPIHandleSeconds: 840, scoring.KPITransfersKnown: 1, scoring.KPITransferred: 1}
	if got := b[an].KPI; got != want {
		t.Errorf("KPI counts %v, want %v", got, want)
	}
	if got := b[scoring.Tuple{}].KPI; got != ([scoring.NumKPICounters]int64{}) {
		t.Errorf("an interaction the CRM said nothing of counted %v", got)
	}
}

// Rollups written before a format change do not decode: migrations drop them for a rebuild.
func TestBucketRejectsOldFormats(t *testing.T) {
	data, _ := sampleBucket(t).MarshalBinary()
	for _, format := range []byte{1, 2} {
		old := append([]byte{format}, data[1:]...)
		if err := (scoring.Bucket{}).UnmarshalBinary(old); !errors.Is(err, scoring.ErrRollupEncoding) {
			t.Errorf("format %d: %v, want ErrRollupEncoding", format, err)
		}
	}
}

func TestAddAnswerRejectsScoresOffTheScale(t *testing.T) {
	if err := (scoring.Bucket{}).AddAnswer(scoring.Tuple{}, scoring.ScoreKey{K: 1}, 11, 1); err == nil {
		t.Error("score 11 accepted")
	}
	if err := (scoring.Bucket{}).AddAnswer(scoring.Tuple{}, scoring.ScoreKey{}, 3, 1); err == nil {
		t.Error("an answer with a repeat count of 0 accepted")
	}
}

// FuzzBucketDecode: stored rollups are trusted, but a corrupt document must give an error,
// never a panic or an allocation its size cannot justify, and what decodes re-encodes
// to something that decodes the same.
func FuzzBucketDecode(f *testing.F) {
	b := sampleBucket(&testing.T{})
	data, _ := b.MarshalBinary()
	f.Add(data)
	f.Add([]byte{3, 0, 0})
	f.Add([]byte{3, 255, 255, 255, 255, 15})
	f.Add([]byte{3, 1, 0, 1, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		got := scoring.Bucket{}
		if err := got.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back := scoring.Bucket{}
		if err := back.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded bucket does not decode: %v", err)
		}
		if !reflect.DeepEqual(back, got) {
			t.Fatalf("re-encoded bucket decodes to %v, not %v", back, got)
		}
	})
}

func FuzzAnswersDecode(f *testing.F) {
	a := scoring.Answers{}
	a[[12]byte{1}] = scoring.Answer{ID: [12]byte{1}, Customer: 42, At: 1700000000000, Tuple: scoring.Tuple{Agent: "An"}, Mask: scoring.MaskLate, Score: 9, Commented: true}
	data, _ := a.MarshalBinary()
	f.Add(data)
	f.Add([]byte{1, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		got := scoring.Answers{}
		if err := got.UnmarshalBinary(data); err != nil {
			return
		}
		for _, ans := range got {
			if ans.Score < 0 || ans.Score > scoring.MaxScore {
				t.Fatalf("decoded score %d", ans.Score)
			}
		}
	})
}

func TestAnswersRoundTrip(t *testing.T) {
	a := scoring.Answers{}
	for i, s := range []int{0, 7, 10} {
		id := [12]byte{byte(i + 1)}
		a[id] = scoring.Answer{ID: id, Customer: uint64(i * 7), At: int64(i) * 1e9, Tuple: scoring.Tuple{Agent: "Lê Hải Châu", Channel: "chat"}, Mask: scoring.FlagMask(i), Score: s, Commented: i%2 == 0}
	}
	data, _ := a.MarshalBinary()
	got := scoring.Answers{}
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Errorf("round trip: got %v, want %v", got, a)
	}
}

func TestCover(t *testing.T) {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	ny, _ := time.LoadLocation("America/New_York")
	day := func(loc *time.Location, y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	sealedAll := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	count := func(ps []scoring.Piece) map[scoring.Granularity]int {
		out := map[scoring.Granularity]int{}
		for _, p := range ps {
			out[p.Gran]++
		}
		return out
	}
	tests := map[string]struct {
		from, to time.Time
		loc      *time.Location
		sealed   time.Time
		want     map[scoring.Granularity]int
	}{
		"a calendar year in the rollups' zone is twelve months": {
			from: day(hcm, 2025, 1, 1), to: day(hcm, 2026, 1, 1), loc: hcm, sealed: sealedAll,
			want: map[scoring.Granularity]int{scoring.Month: 12}},
		"unsealed months are days": {
			from: day(hcm, 2026, 10, 1), to: day(hcm, 2026, 12, 1), loc: hcm, sealed: day(hcm, 2026, 11, 2),
			want: map[scoring.Granularity]int{scoring.Month: 1, scoring.Day: 30}},
		"a rolling week": {
			from: day(hcm, 2026, 11, 16), to: day(hcm, 2026, 11, 23), loc: hcm, sealed: sealedAll,
			want: map[scoring.Granularity]int{scoring.Day: 7}},
		"UTC days against Vietnam's: hours at the ends": {
			from: day(time.UTC, 2026, 11, 16), to: day(time.UTC, 2026, 11, 18), loc: hcm, sealed: sealedAll,
			want: map[scoring.Granularity]int{scoring.Day: 1, scoring.Hour: 24}},
		"India's half hour needs quarters": {
			from: day(kolkata, 2026, 11, 16), to: day(kolkata, 2026, 11, 17), loc: hcm, sealed: sealedAll,
			want: map[scoring.Granularity]int{scoring.Hour: 23, scoring.Quarter: 4}},
		"a DST day of New York is 23 hours": {
			from: day(ny, 2026, 3, 8), to: day(ny, 2026, 3, 9), loc: ny, sealed: sealedAll,
			want: map[scoring.Granularity]int{scoring.Day: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ps, err := scoring.Cover(tc.from, tc.to, tc.loc, tc.sealed)
			if err != nil {
				t.Fatal(err)
			}
			if got := count(ps); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("pieces %v, want %v", got, tc.want)
			}
			at := tc.from
			for _, p := range ps {
				if !p.Start.Equal(at) {
					t.Fatalf("piece starts at %v, want %v: the cover has a gap or overlap", p.Start, at)
				}
				switch p.Gran {
				case scoring.Month:
					at = p.Start.In(tc.loc).AddDate(0, 1, 0)
				case scoring.Day:
					at = p.Start.In(tc.loc).AddDate(0, 0, 1)
				case scoring.Hour:
					at = p.Start.Add(time.Hour)
				default:
					at = p.Start.Add(15 * time.Minute)
				}
			}
			if !at.Equal(tc.to) {
				t.Errorf("cover ends at %v, want %v", at, tc.to)
			}
		})
	}
	if _, err := scoring.Cover(day(time.UTC, 2026, 1, 1).Add(time.Minute), day(time.UTC, 2026, 1, 2), hcm, sealedAll); err == nil {
		t.Error("a boundary off the quarter-hour was covered")
	}
}

// A worked report: agent An has a price complaint (non_attributable) and a scanner click
// (automated); the company score keeps the complaint, An's score does not; a customer who
// answered twice in the month weighs one half per answer in the weighted score.
func TestSummarizeExclusionsAndRepeats(t *testing.T) {
	an := scoring.Tuple{Agent: "An", Team: "Billing", Channel: "email"}
	binh := scoring.Tuple{Agent: "Bình", Team: "Billing", Channel: "email"}
	b := scoring.Bucket{}
	b.AddStage(an, scoring.StageSent, 10)
	b.AddStage(binh, scoring.StageSent, 10)
	add := func(tu scoring.Tuple, m scoring.FlagMask, k uint32, score int, n int64) {
		if err := b.AddAnswer(tu, scoring.ScoreKey{Mask: m, K: k}, score, n); err != nil {
			t.Fatal(err)
		}
	}
	add(an, 0, 1, 5, 1)
	add(an, 0, 2, 5, 2) // one customer's two answers
	add(an, scoring.MaskNonAttributable, 1, 1, 1)
	add(an, scoring.MaskAutomated, 1, 5, 1)
	add(binh, 0, 1, 4, 2)
	spec := scoring.ReportSpec{Metric: scoring.MetricCSAT, Points: 5, GroupBy: scoring.DimAgent,
		Exclude: scoring.MaskOf(scoring.FlagAutomated, scoring.FlagContradiction, scoring.FlagNonAttributable)}
	total, groups := spec.Summarize(b)
	if total.Raw.Responses != 7 || total.Filtered.Responses != 6 || total.Excluded != 1 {
		t.Errorf("total: raw %d filtered %d excluded %d, want 7, 6, 1", total.Raw.Responses, total.Filtered.Responses, total.Excluded)
	}
	// 5 of 6 top-2-box: the price complaint counts against the company.
	if got := total.Filtered.Value; got < 83.33 || got > 83.34 {
		t.Errorf("company filtered CSAT %.3f, want 83.333", got)
	}
	if len(groups) != 2 || groups[0].Group != "An" {
		t.Fatalf("groups %+v", groups)
	}
	a := groups[0]
	if a.Filtered.Responses != 3 || a.Filtered.Value != 100 || a.Excluded != 2 {
		t.Errorf("An: filtered %d at %.1f, excluded %d; want 3 at 100, 2", a.Filtered.Responses, a.Filtered.Value, a.Excluded)
	}
	// Weights 1/2, 1/2, 1: n_eff = (Σw)²/Σw² = 4/1.5.
	if a.Weighted.N < 2.666 || a.Weighted.N > 2.667 || a.Repeat.Answers != 2 || a.Repeat.CountedAs != 1 {
		t.Errorf("An weighted n_eff %.4f, repeat %+v; want 2.6667 and two answers counted as one", a.Weighted.N, a.Repeat)
	}
	if a.Funnel.Delivered != 10 || a.Funnel.Reached != 10 || a.ResponseRate == nil || *a.ResponseRate != 50 || a.LowResponseRate {
		t.Errorf("An funnel %+v rate %v", a.Funnel, a.ResponseRate)
	}
}

// Post-stratification weighs strata to the invitations that reached customers, the response
// rate's denominator: email|A has 10 delivered emails and 5 answers of 5, web|A 10 links
// made without email and 2 answers of 1. N = 20, n = 7: w = (10/20)/(5/7) = 0.7 for email,
// (10/20)/(2/7) = 1.75 for web, so the weighted CSAT is 5·0.7/(5·0.7 + 2·1.75) = 50%.
func TestSummarizeWeighsToReached(t *testing.T) {
	email := scoring.Tuple{Team: "A", Channel: "email"}
	web := scoring.Tuple{Team: "A", Channel: "web"}
	b := scoring.Bucket{}
	b.AddStage(email, scoring.StageInvited, 10)
	b.AddStage(email, scoring.StageScheduled, 10)
	b.AddStage(email, scoring.StageSent, 10)
	b.AddStage(web, scoring.StageInvited, 10)
	b.AddStage(web, scoring.StageCreated, 10)
	if err := b.AddAnswer(email, scoring.ScoreKey{K: 1}, 5, 5); err != nil {
		t.Fatal(err)
	}
	if err := b.AddAnswer(web, scoring.ScoreKey{K: 1}, 1, 2); err != nil {
		t.Fatal(err)
	}
	total, _ := scoring.ReportSpec{Metric: scoring.MetricCSAT, Points: 5}.Summarize(b)
	if total.Funnel.Reached != 20 || total.ResponseRate == nil || *total.ResponseRate != 35 {
		t.Errorf("funnel %+v, response rate %v", total.Funnel, total.ResponseRate)
	}
	weights := map[string]float64{}
	for _, w := range total.Weights {
		weights[w.Key] = w.Weight
	}
	near(t, "email weight", weights["email|A"], 0.7, 1e-12)
	near(t, "web weight", weights["web|A"], 1.75, 1e-12)
	near(t, "weighted CSAT", total.Weighted.Value, 50, 1e-9)
}
