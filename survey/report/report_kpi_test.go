package report

import (
	"encoding/csv"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/demo"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A known-answer report of the service KPIs, through the router: four interactions, three
// with their resolution known of which two were resolved (FCR 66.67%, n 3), two with handle
// times of 5 and 10 minutes (AHT 450 s, n 2), four with transfers known, one transferred
// (25%, n 4); and CRR 80%, CCR 10% from October's counts CS 200, CE 180, CN 20.
func TestReportKPIs(t *testing.T) {
	en, sv := reportEnv(t)
	en.inviteAbout(sv, "a@example.com", `{"agent":"Lan","team":"Billing","channel":"phone","first_contact_resolved":true,"handle_seconds":300,"transfers":0}`)
	en.inviteAbout(sv, "b@example.com", `{"agent":"Lan","team":"Billing","channel":"phone","first_contact_resolved":false,"handle_seconds":600,"transfers":2}`)
	_, tok := en.inviteAbout(sv, "c@example.com", `{"agent":"Minh","team":"Sales","channel":"chat","first_contact_resolved":true,"transfers":0}`)
	en.inviteAbout(sv, "d@example.com", `{"agent":"Minh","team":"Sales","channel":"chat","transfers":0}`)
	en.answer(tok, "5")
	en.postCounts(`{"from":"2026-10-01","to":"2026-10-31","customers_start":200,"customers_end":180,"customers_new":20}`, http.StatusCreated)
	en.postCounts(`{"from":"2026-09-01","to":"2026-09-30","customers_start":190,"customers_end":200,"customers_new":15}`, http.StatusCreated)
	en.postCounts(`{"from":"2026-10-01","to":"2026-10-31","dimension":"team","value":"Billing","customers_start":50,"customers_end":45,"customers_new":5}`, http.StatusCreated)
	// November has not ended within the reports below: its counts are not used.
	en.postCounts(`{"from":"2026-11-01","to":"2026-11-30","customers_start":180,"customers_end":170,"customers_new":9}`, http.StatusCreated)
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report"

	type want struct {
		volume                        int64
		fcr, aht, transfer, crr, ccr  float64 // NaN: null
		fcrN, ahtN, transferN, period int64   // period: the posted periods CRR comes from
	}
	null := math.NaN()
	check := func(name string, k scoring.KPI, w want) {
		t.Helper()
		same := func(p *float64, v float64) bool {
			return (p == nil) == math.IsNaN(v) && (p == nil || math.Abs(*p-v) < 1e-9)
		}
		periods := int64(0)
		if k.Customers != nil {
			periods = int64(k.Customers.Periods)
		}
		if k.Volume != w.volume || !same(k.FCRRate, w.fcr) || k.FCRN != w.fcrN || !same(k.AHTSeconds, w.aht) || k.AHTN != w.ahtN ||
			!same(k.TransferRate, w.transfer) || k.TransferN != w.transferN || !same(k.CRR, w.crr) || !same(k.CCR, w.ccr) || periods != w.period {
			t.Errorf("%s: KPIs %s, want %+v", name, propShort(k), w)
		}
	}

	rec := en.Do("GET", u+"?from=2026-10-01&to=2026-11-20&group_by=team", en.Key, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("report: %d %s", rec.Code, rec.Body)
	}
	// What is not known reads as null, not as 0%.
	if body := rec.Body.String(); !strings.Contains(body, `"aht_seconds":null,"aht_n":0`) || !strings.Contains(body, `"crr":null,"ccr":null,"customers":null`) {
		t.Errorf("unknowns are not null: %s", body)
	}
	var rep Report
	surveytest.Decode(t, rec, &rep)
	check("total", rep.Total.KPI, want{volume: 4, fcr: 200.0 / 3, fcrN: 3, aht: 450, ahtN: 2, transfer: 25, transferN: 4, crr: 80, ccr: 10, period: 1})
	if len(rep.Groups) != 2 {
		t.Fatalf("groups %+v", rep.Groups)
	}
	// Billing's October: (45 − 5)/50 = 80% kept, (50 − 45)/50 = 10% lost.
	check("Billing", rep.Groups[0].KPI, want{volume: 2, fcr: 50, fcrN: 2, aht: 450, ahtN: 2, transfer: 50, transferN: 2, crr: 80, ccr: 10, period: 1})
	check("Sales", rep.Groups[1].KPI, want{volume: 2, fcr: 100, fcrN: 1, aht: null, transfer: 0, transferN: 2, crr: null, ccr: null})
	if rep.Groups[1].Funnel.Responded != 1 || !near(rep.Groups[1].Raw.Value, 100) {
		t.Errorf("Sales' score beside its KPIs: %+v", rep.Groups[1].Raw)
	}

	// September and October make one period: 190 at its start, 180 at its end, 35 new.
	rep = *en.report(u+"?from=2026-09-01&to=2026-11-20", en.Key)
	check("September to November", rep.Total.KPI, want{volume: 4, fcr: 200.0 / 3, fcrN: 3, aht: 450, ahtN: 2, transfer: 25, transferN: 4,
		crr: 100 * (180.0 - 35) / 190, ccr: 100 * 10.0 / 190, period: 2})
	if c := rep.Total.KPI.Customers; c.Start != 190 || c.End != 180 || c.New != 35 {
		t.Errorf("customers %+v", c)
	}

	// A monthly series: each month its own counts and interactions.
	rep = *en.report(u+"?from=2026-09-01&to=2026-11-20&interval=month&filter=team:Billing", en.Key)
	if len(rep.Series) != 3 {
		t.Fatalf("series %+v", rep.Series)
	}
	check("Billing in September", rep.Series[0].Total.KPI, want{fcr: null, aht: null, transfer: null, crr: null, ccr: null})
	check("Billing in October", rep.Series[1].Total.KPI, want{fcr: null, aht: null, transfer: null, crr: 80, ccr: 10, period: 1})
	check("Billing in November", rep.Series[2].Total.KPI, want{volume: 2, fcr: 50, fcrN: 2, aht: 450, ahtN: 2, transfer: 50, transferN: 2, crr: null, ccr: null})

	// The export carries the same numbers, empty where unknown.
	rec = en.Do("GET", u+"/export?from=2026-10-01&to=2026-11-20&group_by=team", en.Key, nil)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("export: %v %q", err, rows)
	}
	col := func(row []string, name string) string {
		t.Helper()
		i := slices.Index(reportColumns, name)
		if i < 0 {
			t.Fatalf("no column %s", name)
		}
		return row[i]
	}
	for _, c := range []struct {
		row        int
		name, want string
	}{
		{1, "volume", "4"}, {1, "fcr_n", "3"}, {1, "aht_seconds", "450"}, {1, "aht_n", "2"}, {1, "transfer_rate", "25"},
		{1, "transfer_n", "4"}, {1, "crr", "80"}, {1, "ccr", "10"}, {1, "customers_start", "200"}, {1, "customers_end", "180"}, {1, "customers_new", "20"},
		{3, "aht_seconds", ""}, {3, "aht_n", "0"}, {3, "transfer_rate", "0"}, {3, "crr", ""}, {3, "customers_start", ""},
	} {
		if got := col(rows[c.row], c.name); got != c.want {
			t.Errorf("row %d %s = %q, want %q", c.row, c.name, got, c.want)
		}
	}
	if got := col(rows[1], "fcr_rate"); !strings.HasPrefix(got, "66.666") {
		t.Errorf("fcr_rate %q", got)
	}
}

// `surveyd demo` shows every service KPI: by team, and by channel with calls taking longer
// than chats, and retention and churn for each month of its history.
func TestDemoShowsServiceKPIs(t *testing.T) {
	en := newEnv(t)
	seeded, err := demo.Seed(t.Context(), demo.Services{Core: en.Core, Counts: en.counts}, demo.Options{Responses: 300, Catalog: surveytest.Catalog(t)})
	if err != nil {
		t.Fatal(err)
	}
	var sv survey.Survey
	if err := en.DB.Collection("surveys").FindOne(t.Context(), bson.D{{Key: "workspace_id", Value: seeded.Workspace.ID}, {Key: "name", Value: "Support CSAT"}}).Decode(&sv); err != nil {
		t.Fatal(err)
	}
	key := en.KeyFor(seeded.Workspace, apikey.ScopeRead)
	// The months of the demo's 90 days that have ended.
	now := en.Clock.Now().In(seeded.Workspace.Location())
	first := now.AddDate(0, 0, -90)
	first = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(now.Year(), now.Month(), 0, 0, 0, 0, 0, time.UTC)
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report?from=" + first.Format(time.DateOnly) + "&to=" + last.Format(time.DateOnly)

	rep := en.report(u+"&group_by=team&interval=month", key)
	for _, r := range append([]scoring.Row{rep.Total}, rep.Groups...) {
		k := r.KPI
		if k.Volume == 0 || k.FCRRate == nil || *k.FCRRate < 55 || *k.FCRRate > 95 || k.AHTSeconds == nil || k.TransferRate == nil ||
			*k.TransferRate > 30 || k.CRR == nil || k.CCR == nil || k.Customers == nil || k.Customers.Periods < 2 {
			t.Errorf("%q: KPIs %s", r.Group, propShort(k))
		}
	}
	for _, p := range rep.Series {
		if p.Total.KPI.CRR == nil || p.Total.KPI.Customers.Periods != 1 {
			t.Errorf("month from %s: %s", p.From, propShort(p.Total.KPI))
		}
	}
	rep = en.report(u+"&group_by=channel", key)
	aht := map[string]float64{}
	for _, r := range rep.Groups {
		if r.KPI.AHTSeconds != nil {
			aht[r.Group] = *r.KPI.AHTSeconds
		}
	}
	if !(aht["phone"] > aht["chat"] && aht["chat"] > 0) {
		t.Errorf("handle times by channel %v: calls should take longer than chats", aht)
	}
}
