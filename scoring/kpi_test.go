package scoring_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/surveyd/surveyd/scoring"
)

func TestRates(t *testing.T) {
	tests := map[string]struct {
		rate   func() (float64, bool)
		want   float64
		wantOK bool
	}{
		"response rate":              {rate: func() (float64, bool) { return scoring.ResponseRate(45, 300) }, want: 15, wantOK: true},
		"response rate, none sent":   {rate: func() (float64, bool) { return scoring.ResponseRate(0, 0) }},
		"retention, 200→180, 20 new": {rate: func() (float64, bool) { return scoring.RetentionRate(200, 180, 20) }, want: 80, wantOK: true},
		"retention, no customers":    {rate: func() (float64, bool) { return scoring.RetentionRate(0, 10, 10) }},
		"churn, 200→180":             {rate: func() (float64, bool) { return scoring.ChurnRate(200, 180) }, want: 10, wantOK: true},
		"churn, base grew":           {rate: func() (float64, bool) { return scoring.ChurnRate(200, 230) }, want: -15, wantOK: true},
		"churn, no customers":        {rate: func() (float64, bool) { return scoring.ChurnRate(0, 5) }},
		"fcr":                        {rate: func() (float64, bool) { return scoring.FCRRate(70, 80) }, want: 87.5, wantOK: true},
		"fcr, no interactions":       {rate: func() (float64, bool) { return scoring.FCRRate(0, 0) }},
		"transfer rate":              {rate: func() (float64, bool) { return scoring.TransferRate(12, 80) }, want: 15, wantOK: true},
		"transfer, negative total":   {rate: func() (float64, bool) { return scoring.TransferRate(1, -4) }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := tc.rate()
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			near(t, "rate", got, tc.want, 1e-12)
		})
	}
}

func TestAverageHandleTime(t *testing.T) {
	tests := map[string]struct {
		totalSeconds, interactions int64
		want                       float64
		wantOK                     bool
	}{
		"three calls":     {totalSeconds: 900, interactions: 3, want: 300, wantOK: true},
		"uneven division": {totalSeconds: 10, interactions: 3, want: 10.0 / 3, wantOK: true},
		// More than a time.Duration holds: 12 million interactions of 20 minutes.
		"a large year":    {totalSeconds: 12_000_000 * 1200, interactions: 12_000_000, want: 1200, wantOK: true},
		"no interactions": {totalSeconds: 60},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := scoring.AverageHandleTime(tc.totalSeconds, tc.interactions)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			near(t, "AHT", got, tc.want, 1e-9)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// A worked row: four interactions, three with their resolution known of which two were
// resolved (FCR 66.67%, n 3), two with handle times of 5 and 10 minutes (AHT 450 s, n 2),
// four with transfers known of which one was transferred twice (25%, n 4).
func TestSummarizeServiceKPIs(t *testing.T) {
	billing := scoring.Tuple{Agent: "An", Team: "Billing", Channel: "phone"}
	sales := scoring.Tuple{Agent: "Bình", Team: "Sales", Channel: "chat"}
	b := scoring.Bucket{}
	for _, in := range []struct {
		t scoring.Tuple
		f scoring.ServiceFacts
	}{
		{billing, scoring.ServiceFacts{FirstContactResolved: ptr(true), HandleSeconds: ptr(300), Transfers: ptr(0)}},
		{billing, scoring.ServiceFacts{FirstContactResolved: ptr(false), HandleSeconds: ptr(600), Transfers: ptr(2)}},
		{sales, scoring.ServiceFacts{FirstContactResolved: ptr(true), Transfers: ptr(0)}},
		{sales, scoring.ServiceFacts{Transfers: ptr(0)}},
	} {
		b.AddStage(in.t, scoring.StageInvited, 1)
		b.AddService(in.t, in.f)
	}
	spec := scoring.ReportSpec{Metric: scoring.MetricCSAT, Points: 5, GroupBy: scoring.DimTeam}
	total, groups := spec.Summarize(b)
	k := total.KPI
	if k.Volume != 4 || k.FCRN != 3 || k.AHTN != 2 || k.TransferN != 4 {
		t.Errorf("total volume %d, n %d %d %d; want 4, 3 2 4", k.Volume, k.FCRN, k.AHTN, k.TransferN)
	}
	if k.FCRRate == nil || k.AHTSeconds == nil || k.TransferRate == nil {
		t.Fatalf("total KPIs missing: %+v", k)
	}
	near(t, "FCR", *k.FCRRate, 200.0/3, 1e-9)
	near(t, "AHT", *k.AHTSeconds, 450, 1e-9)
	near(t, "transfer rate", *k.TransferRate, 25, 1e-9)
	if k.CRR != nil || k.CCR != nil || k.Customers != nil {
		t.Errorf("CRR and CCR without customer counts: %+v", k)
	}
	// Sales said nothing of handle times: its AHT is unknown, not 0.
	s := groups[1].KPI
	if groups[1].Group != "Sales" || s.Volume != 2 || s.AHTSeconds != nil || s.AHTN != 0 || s.FCRRate == nil || *s.FCRRate != 100 {
		t.Errorf("Sales KPIs %+v", s)
	}
}

func TestCombineCustomerCounts(t *testing.T) {
	month := func(m time.Month) (time.Time, time.Time) {
		return time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, m+1, 1, 0, 0, 0, 0, time.UTC)
	}
	count := func(from, to time.Month, start, end, new int64) scoring.CustomerCount {
		f, _ := month(from)
		_, t := month(to)
		return scoring.CustomerCount{From: f, To: t, Start: start, End: end, New: new}
	}
	jan, _ := month(1)
	_, dec := month(12)
	_, mar := month(3)
	tests := map[string]struct {
		counts   []scoring.CustomerCount
		from, to time.Time
		want     scoring.Customers // zero: none
	}{
		"one month": {counts: []scoring.CustomerCount{count(1, 1, 200, 180, 20)}, from: jan, to: dec,
			want: scoring.Customers{From: jan, To: count(1, 1, 0, 0, 0).To, Start: 200, End: 180, New: 20, Periods: 1}},
		"consecutive months make a quarter, in any order": {
			counts: []scoring.CustomerCount{count(3, 3, 190, 185, 10), count(1, 1, 200, 195, 5), count(2, 2, 195, 190, 8)}, from: jan, to: dec,
			want: scoring.Customers{From: jan, To: mar, Start: 200, End: 185, New: 23, Periods: 3}},
		"a quarter posted as such wins over its months": {
			counts: []scoring.CustomerCount{count(1, 1, 200, 195, 5), count(1, 3, 201, 186, 22), count(2, 2, 195, 190, 8), count(3, 3, 190, 185, 10)}, from: jan, to: dec,
			want: scoring.Customers{From: jan, To: mar, Start: 201, End: 186, New: 22, Periods: 1}},
		"a gap: the longer run": {
			counts: []scoring.CustomerCount{count(1, 1, 200, 195, 5), count(3, 3, 190, 185, 10), count(4, 4, 185, 180, 4)}, from: jan, to: dec,
			want: scoring.Customers{From: count(3, 3, 0, 0, 0).From, To: count(4, 4, 0, 0, 0).To, Start: 190, End: 180, New: 14, Periods: 2}},
		"runs of equal span: the latest": {
			counts: []scoring.CustomerCount{count(1, 1, 200, 195, 5), count(5, 5, 170, 160, 1)}, from: jan, to: dec,
			want: scoring.Customers{From: count(5, 5, 0, 0, 0).From, To: count(5, 5, 0, 0, 0).To, Start: 170, End: 160, New: 1, Periods: 1}},
		"a period reaching past the report is not used": {
			counts: []scoring.CustomerCount{count(1, 3, 200, 180, 20)}, from: jan, to: count(2, 2, 0, 0, 0).To},
		"none posted": {from: jan, to: dec},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := scoring.CombineCustomerCounts(tc.counts, tc.from, tc.to)
			if ok != (tc.want != scoring.Customers{}) || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, ok, tc.want)
			}
		})
	}
}

// SCORING.md's CRR and CCR on report rows: CS 200, CE 180, CN 20 → CRR 80%, CCR 10%, on the
// rows whose customers the counts are for.
func TestAddRetention(t *testing.T) {
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	counts := []scoring.CustomerCount{
		{From: from, To: to, Start: 200, End: 180, New: 20},
		{Dimension: scoring.DimTeam, Value: "Billing", From: from, To: to, Start: 50, End: 55, New: 10},
		{Dimension: scoring.DimTeam, Value: "Sales", From: from, To: to, Start: 0, End: 10, New: 10},
	}
	rows := func(names ...string) []scoring.Row {
		out := []scoring.Row{}
		for _, n := range names {
			out = append(out, scoring.Row{Group: n})
		}
		return out
	}
	rate := func(p *float64) string {
		if p == nil {
			return "null"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	tests := map[string]struct {
		spec      scoring.ReportSpec
		groups    []string
		wantTotal string   // CRR/CCR
		wantRows  []string // per group
	}{
		"the workspace": {wantTotal: "80/10"},
		"by team": {spec: scoring.ReportSpec{GroupBy: scoring.DimTeam}, groups: []string{"", "Billing", "Sales", "Support"},
			wantTotal: "80/10", wantRows: []string{"null/null", "90/-10", "null/null", "null/null"}},
		"filtered to a team": {spec: scoring.ReportSpec{Filter: map[scoring.Dimension]string{scoring.DimTeam: "Billing"}, GroupBy: scoring.DimTeam},
			groups: []string{"Billing"}, wantTotal: "90/-10", wantRows: []string{"90/-10"}},
		"a team's agents": {spec: scoring.ReportSpec{Filter: map[scoring.Dimension]string{scoring.DimTeam: "Billing"}, GroupBy: scoring.DimAgent},
			groups: []string{"An"}, wantTotal: "90/-10", wantRows: []string{"null/null"}},
		"filtered to a channel": {spec: scoring.ReportSpec{Filter: map[scoring.Dimension]string{scoring.DimChannel: "chat"}}, wantTotal: "null/null"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			total, groups := scoring.Row{}, rows(tc.groups...)
			tc.spec.AddRetention(counts, from, to, &total, groups)
			if got := rate(total.KPI.CRR) + "/" + rate(total.KPI.CCR); got != tc.wantTotal {
				t.Errorf("total %s, want %s", got, tc.wantTotal)
			}
			for i, g := range groups {
				if got := rate(g.KPI.CRR) + "/" + rate(g.KPI.CCR); got != tc.wantRows[i] {
					t.Errorf("group %q: %s, want %s", g.Group, got, tc.wantRows[i])
				}
				// Sales started with no customers: its counts are shown, its rates undefined.
				if posted := g.Group == "Billing" || g.Group == "Sales"; posted != (g.KPI.Customers != nil) && tc.spec.GroupBy == scoring.DimTeam {
					t.Errorf("group %q: customers %+v", g.Group, g.KPI.Customers)
				}
			}
		})
	}
	// Counts outside the period are not used.
	total := scoring.Row{}
	scoring.ReportSpec{}.AddRetention(counts, from, from.AddDate(0, 0, 7), &total, nil)
	if total.KPI.CRR != nil || total.KPI.Customers != nil {
		t.Errorf("a week's report got a month's CRR: %+v", total.KPI)
	}
}
