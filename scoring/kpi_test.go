package scoring_test

import (
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
		total        time.Duration
		interactions int64
		want         time.Duration
		wantOK       bool
	}{
		"three calls":     {total: 15 * time.Minute, interactions: 3, want: 5 * time.Minute, wantOK: true},
		"uneven division": {total: 10 * time.Second, interactions: 3, want: 3333333333, wantOK: true},
		"no interactions": {total: time.Minute},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := scoring.AverageHandleTime(tc.total, tc.interactions)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("AverageHandleTime = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
