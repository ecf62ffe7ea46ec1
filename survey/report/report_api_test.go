package report

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/benchmark"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// reportNow is the tests' clock: Friday 20 November 2026, 10:00 in the workspace's
// Asia/Ho_Chi_Minh, so "today" and the default period are known.
var reportNow = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

// reportEnv is an env whose clock reads reportNow, with a CSAT survey. Its invitations are
// queued for email as the product's are (to a stub that sends nothing), so those that ask
// to be sent are scheduled, not link-only.
func reportEnv(t *testing.T) (*env, *survey.Survey) {
	t.Helper()
	en := newEnv(t)
	en.Core.SetDistributor(&surveytest.Distributor{DB: en.DB})
	en.Clock.Advance(reportNow.Sub(en.Clock.Now()))
	return en, en.CreateSurvey(`{"kind":"csat","name":"Support"}`)
}

// inviteAbout makes an invitation through the API for an interaction given as JSON, and
// records its email as sent an hour ago, so it counts as delivered and an answer now is not
// too soon to be human.
func (en *env) inviteAbout(sv *survey.Survey, email, interaction string) (*survey.Invitation, string) {
	en.T.Helper()
	rec := en.Do("POST", "/api/v1/invitations", en.Key,
		`{"survey_id":"`+sv.ID.Hex()+`","customer":{"email":"`+email+`","locale":"en"},"interaction":`+interaction+`}`)
	if rec.Code != http.StatusCreated {
		en.T.Fatalf("create invitation: %d %s", rec.Code, rec.Body)
	}
	var inv survey.Invitation
	surveytest.Decode(en.T, rec, &inv)
	if err := en.Core.MarkSent(en.T.Context(), inv.ID, en.Clock.Now().Add(-time.Hour), false); err != nil {
		en.T.Fatal(err)
	}
	return &inv, inv.Link[strings.LastIndex(inv.Link, "/")+1:]
}

// answer records an answer as the respondent page does when a person taps it.
func (en *env) answer(tok, score string, kv ...string) {
	en.T.Helper()
	en.respond(tok, formAnswer(score, append(kv, "interacted", "1")...))
}

func (en *env) report(target, key string) *Report {
	en.T.Helper()
	rec := en.Do("GET", target, key, nil)
	if rec.Code != http.StatusOK {
		en.T.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	var rep Report
	surveytest.Decode(en.T, rec, &rep)
	return &rep
}

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

// Two agents of two teams on two channels: Lan (Billing, email) has two answers of two
// emails, Minh (Sales, chat) one of two.
func seedReport(en *env, sv *survey.Survey) {
	en.T.Helper()
	lan := `{"agent":"Lan","team":"Billing","channel":"email","country":"VN"}`
	minh := `{"agent":"Minh","team":"Sales","channel":"chat","country":"VN"}`
	_, a := en.inviteAbout(sv, "a@example.com", lan)
	_, b := en.inviteAbout(sv, "b@example.com", lan)
	_, c := en.inviteAbout(sv, "c@example.com", minh)
	en.inviteAbout(sv, "d@example.com", minh)
	en.answer(a, "5")
	en.answer(b, "4")
	en.answer(c, "2", "comment", "I waited two days for a reply")
}

func TestReport(t *testing.T) {
	en, sv := reportEnv(t)
	seedReport(en, sv)
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report"

	t.Run("defaults", func(t *testing.T) {
		rep := en.report(u, en.KeyFor(en.WS, apikey.ScopeRead))
		// The 30 days up to today, 22 October to 20 November in Ho Chi Minh City.
		if rep.TimeZone != "Asia/Ho_Chi_Minh" || !rep.From.Equal(time.Date(2026, 10, 21, 17, 0, 0, 0, time.UTC)) ||
			!rep.To.Equal(time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC)) {
			t.Errorf("period %s–%s %s", rep.From, rep.To, rep.TimeZone)
		}
		f := rep.Total.Funnel
		if f.Invited != 4 || f.Sent != 4 || f.Delivered != 4 || f.Responded != 3 || f.Commented != 1 {
			t.Errorf("funnel %+v", f)
		}
		if rep.Total.ResponseRate == nil || !near(*rep.Total.ResponseRate, 75) || rep.Total.LowResponseRate {
			t.Errorf("response rate %v", rep.Total.ResponseRate)
		}
		// Top-2-box: the 5 and the 4 of three answers.
		if raw := rep.Total.Raw; !raw.Valid || raw.Responses != 3 || !near(raw.Value, 200.0/3) || !raw.LowN || raw.Lo >= raw.Value || raw.Hi <= raw.Value {
			t.Errorf("raw score %+v", raw)
		}
		if rep.Total.Filtered.Responses != 3 || rep.Total.Excluded != 0 || len(rep.Groups) != 0 || rep.Series != nil {
			t.Errorf("filtered %+v, excluded %d, groups %v, series %v", rep.Total.Filtered, rep.Total.Excluded, rep.Groups, rep.Series)
		}
	})

	t.Run("by agent", func(t *testing.T) {
		rep := en.report(u+"?group_by=Agent", en.Key)
		if rep.GroupBy != "agent" || len(rep.Groups) != 2 {
			t.Fatalf("groups %+v", rep.Groups)
		}
		lan, minh := rep.Groups[0], rep.Groups[1]
		if lan.Group != "Lan" || lan.Funnel.Responded != 2 || !near(lan.Raw.Value, 100) || lan.ResponseRate == nil || !near(*lan.ResponseRate, 100) {
			t.Errorf("Lan %+v", lan)
		}
		if minh.Group != "Minh" || minh.Funnel.Responded != 1 || minh.Funnel.Delivered != 2 || !near(minh.Raw.Value, 0) || minh.ResponseRate == nil || !near(*minh.ResponseRate, 50) {
			t.Errorf("Minh %+v", minh)
		}
		if rep.Total.Funnel.Responded != 3 {
			t.Errorf("total %+v", rep.Total.Funnel)
		}
	})

	t.Run("filter", func(t *testing.T) {
		rep := en.report(u+"?filter=team:Sales", en.Key)
		if rep.Filter["team"] != "Sales" || rep.Total.Funnel.Delivered != 2 || rep.Total.Funnel.Responded != 1 {
			t.Errorf("team Sales: filter %v, funnel %+v", rep.Filter, rep.Total.Funnel)
		}
		// Channels are stored in lower case and countries in upper case, whatever was asked.
		rep = en.report(u+"?filter=channel:EMAIL&filter=country:vn&group_by=team", en.Key)
		if rep.Total.Funnel.Responded != 2 || len(rep.Groups) != 1 || rep.Groups[0].Group != "Billing" {
			t.Errorf("email in VN: %+v, groups %+v", rep.Total.Funnel, rep.Groups)
		}
		if rep := en.report(u+"?filter=agent:"+url.QueryEscape("Lan:2"), en.Key); rep.Filter["agent"] != "Lan:2" || rep.Total.Funnel.Invited != 0 {
			t.Errorf("a value with a colon: %v, %+v", rep.Filter, rep.Total.Funnel)
		}
	})

	t.Run("daily series", func(t *testing.T) {
		rep := en.report(u+"?from=2026-11-18&to=2026-11-20&interval=day", en.Key)
		if rep.Interval != "day" || len(rep.Series) != 3 {
			t.Fatalf("series %+v", rep.Series)
		}
		for i, p := range rep.Series {
			want := int64(0)
			if i == 2 {
				want = 3
			}
			day := time.Date(2026, 11, 18+i, 0, 0, 0, 0, en.WS.Location())
			if !p.From.Equal(day) || !p.To.Equal(day.AddDate(0, 0, 1)) || p.Total.Funnel.Responded != want {
				t.Errorf("point %d: %s–%s responded %d, want %s and %d", i, p.From, p.To, p.Total.Funnel.Responded, day, want)
			}
		}
		if rep.Total.Funnel.Responded != 3 {
			t.Errorf("period total %+v", rep.Total.Funnel)
		}
	})

	t.Run("times and zones", func(t *testing.T) {
		// 01:45 to 02:15 UTC holds the emails sent at 02:00 UTC; invitations and answers came at 03:00.
		rep := en.report(u+"?from=2026-11-20T01:45:00Z&to=2026-11-20T09:15:00%2B07:00", en.Key)
		if rep.Total.Funnel.Sent != 4 || rep.Total.Funnel.Responded != 0 {
			t.Errorf("01:45–02:15 UTC: %+v", rep.Total.Funnel)
		}
		rep = en.report(u+"?tz=America/New_York&from=2026-11-19&to=2026-11-19", en.Key)
		if rep.TimeZone != "America/New_York" || !rep.From.Equal(time.Date(2026, 11, 19, 5, 0, 0, 0, time.UTC)) || rep.Total.Funnel.Responded != 3 {
			t.Errorf("19 November in New York: %s %s %+v", rep.TimeZone, rep.From, rep.Total.Funnel)
		}
	})

	_, rival := en.Workspace("Rival")
	long := "filter=agent:" + strings.Repeat("x", maxFilterValue+1)
	en.Run(t, []scenario{
		{"bad date", "GET", u + "?from=2026-13-01", en.Key, nil, nil, 400, []string{`"field":"from"`, "2026-11-01"}},
		{"not a date", "GET", u + "?to=yesterday", en.Key, nil, nil, 400, []string{`"field":"to"`}},
		{"unescaped plus", "GET", u + "?to=2026-11-20T09:00:00+07:00", en.Key, nil, nil, 400, []string{`"field":"to"`, "%2B"}},
		{"time off the quarter-hour", "GET", u + "?from=2026-11-20T09:10:00Z", en.Key, nil, nil, 400, []string{`"field":"from"`, "quarter-hour"}},
		{"from after to", "GET", u + "?from=2026-11-20&to=2026-11-19", en.Key, nil, nil, 400, []string{`"field":"from"`}},
		{"empty period", "GET", u + "?from=2026-11-20T00:00:00Z&to=2026-11-20T00:00:00Z", en.Key, nil, nil, 400, []string{`"field":"from"`}},
		{"from in the future", "GET", u + "?from=2026-12-01", en.Key, nil, nil, 400, []string{`"field":"from"`}},
		{"three years", "GET", u + "?from=2023-11-21&to=2026-11-20", en.Key, nil, nil, 200, nil},
		{"longer than three years", "GET", u + "?from=2023-11-20&to=2026-11-20", en.Key, nil, nil, 400, []string{`"field":"from"`, "1096 days"}},
		{"unknown group", "GET", u + "?group_by=region", en.Key, nil, nil, 400, []string{`"field":"group_by"`, "agent, team, channel, country"}},
		{"unknown zone", "GET", u + "?tz=Mars/Olympus", en.Key, nil, nil, 400, []string{`"field":"tz"`}},
		{"the server's zone", "GET", u + "?tz=Local", en.Key, nil, nil, 400, []string{`"field":"tz"`}},
		{"zone whose midnight is off the quarter-hour", "GET", u + "?tz=Asia/Bangkok&from=1900-01-01&to=1900-01-01", en.Key, nil, nil, 400, []string{`"field":"tz"`, "quarter-hour"}},
		{"unknown filter dimension", "GET", u + "?filter=region:North", en.Key, nil, nil, 400, []string{`"field":"filter"`}},
		{"filter without a colon", "GET", u + "?filter=team", en.Key, nil, nil, 400, []string{`"field":"filter"`}},
		{"filter without a value", "GET", u + "?filter=team:", en.Key, nil, nil, 400, []string{`"field":"filter"`}},
		{"a dimension filtered twice", "GET", u + "?filter=team:A&filter=team:B", en.Key, nil, nil, 400, []string{`"field":"filter"`, "twice"}},
		{"filter value too long", "GET", u + "?" + long, en.Key, nil, nil, 400, []string{`"field":"filter"`, "200 characters"}},
		{"unknown interval", "GET", u + "?interval=hour", en.Key, nil, nil, 400, []string{`"field":"interval"`}},
		{"too many points", "GET", u + "?from=2024-01-01&to=2026-11-20&interval=day", en.Key, nil, nil, 400, []string{`"field":"interval"`, "1000 points"}},
		{"weekly over the same period", "GET", u + "?from=2024-01-01&to=2026-11-20&interval=week", en.Key, nil, nil, 200, []string{`"interval":"week"`}},
		{"malformed id", "GET", "/api/v1/surveys/not-an-id/report", en.Key, nil, nil, 404, nil},
		{"unknown survey", "GET", "/api/v1/surveys/" + bson.NewObjectID().Hex() + "/report", en.Key, nil, nil, 404, nil},
		{"another workspace's survey", "GET", u, rival, nil, nil, 404, nil},
		{"another workspace's export", "GET", u + "/export", rival, nil, nil, 404, nil},
		{"export of bad input", "GET", u + "/export?interval=hour", en.Key, nil, nil, 400, []string{`"field":"interval"`}},
		{"no key", "GET", u, "", nil, nil, 401, nil},
	})
}

func TestReportCSV(t *testing.T) {
	en, sv := reportEnv(t)
	seedReport(en, sv)
	_, tok := en.inviteAbout(sv, "e@example.com", `{"agent":"=HYPERLINK(\"http://evil.example\")","channel":"chat"}`)
	en.answer(tok, "3")

	rec := en.Do("GET", "/api/v1/surveys/"+sv.ID.Hex()+"/report/export?group_by=agent&from=2026-11-19&to=2026-11-20&interval=day", en.Key, nil)
	body := rec.Body.String()
	wantName := `attachment; filename="report-` + sv.ID.Hex() + `-2026-11-19-2026-11-20.csv"`
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" || rec.Header().Get("Content-Disposition") != wantName {
		t.Fatalf("export: %d %v %s", rec.Code, rec.Header(), body)
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("no UTF-8 byte order mark: Excel would garble Vietnamese")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], reportColumns) {
		t.Fatalf("header %q", rows[0])
	}
	// The period, then 19 and 20 November: each a total and its three agents (none on the 19th).
	if len(rows) != 1+4+1+4 {
		t.Fatalf("%d rows: %q", len(rows), rows)
	}
	col := func(row []string, name string) string {
		t.Helper()
		return row[slices.Index(reportColumns, name)]
	}
	total := rows[1]
	for name, want := range map[string]string{
		"period_from": "2026-11-18T17:00:00Z", "period_to": "2026-11-20T17:00:00Z", "row": "total", "group": "",
		"invited": "5", "delivered": "5", "responded": "4", "commented": "1", "response_rate": "80", "low_response_rate": "false",
		"raw_value": "50", "raw_n": "4", "raw_responses": "4", "raw_low_n": "true", "excluded": "0", "flag_late": "0",
		"repeat_answers": "0", "repeat_counted_as": "0",
	} {
		if got := col(total, name); got != want {
			t.Errorf("total %s = %q, want %q", name, got, want)
		}
	}
	if col(rows[2], "row") != "group" || !strings.HasPrefix(col(rows[2], "group"), `'=HYPERLINK`) {
		t.Errorf("a formula went out as a formula: %q", rows[2])
	}
	if col(rows[3], "group") != "Lan" || col(rows[3], "raw_value") != "100" || col(rows[4], "group") != "Minh" || col(rows[4], "raw_value") != "0" {
		t.Errorf("agents %q %q", rows[3], rows[4])
	}
	day19 := rows[5]
	if col(day19, "period_from") != "2026-11-18T17:00:00Z" || col(day19, "period_to") != "2026-11-19T17:00:00Z" ||
		col(day19, "responded") != "0" || col(day19, "raw_value") != "" || col(day19, "raw_responses") != "0" {
		t.Errorf("a day without answers has no score: %q", day19)
	}
	if col(rows[6], "period_from") != "2026-11-19T17:00:00Z" || col(rows[6], "responded") != "4" {
		t.Errorf("20 November: %q", rows[6])
	}
}

// The workspace decides which flags leave answers out of the filtered and weighted scores.
func TestReportFollowsExcludeFlags(t *testing.T) {
	en, sv := reportEnv(t)
	chat := `{"agent":"Lan","channel":"chat"}`
	_, contradicted := en.inviteAbout(sv, "a@example.com", chat)
	_, late := en.inviteAbout(sv, "b@example.com", `{"agent":"Lan","channel":"chat","occurred_at":"`+
		reportNow.AddDate(0, 0, -20).Format(time.RFC3339)+`"}`)
	_, plain := en.inviteAbout(sv, "c@example.com", chat)
	en.answer(contradicted, "1", "comment", "great help, thank you")
	en.answer(late, "5")
	en.answer(plain, "4")
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report"

	check := func(name string, exclude []string, excluded, filtered int64, value float64) {
		t.Helper()
		rep := en.report(u, en.Key)
		if !slices.Equal(rep.ExcludeFlags, exclude) || rep.Total.Excluded != excluded ||
			rep.Total.Filtered.Responses != filtered || !near(rep.Total.Filtered.Value, value) || rep.Total.Raw.Responses != 3 {
			t.Errorf("%s: exclude %v, excluded %d, filtered %+v", name, rep.ExcludeFlags, rep.Total.Excluded, rep.Total.Filtered)
		}
		for _, fc := range rep.Total.Flags {
			// non_attributable never applies to the company score.
			excludes := slices.Contains(exclude, fc.Flag) && fc.Flag != "non_attributable"
			if (fc.Flag == "contradiction" || fc.Flag == "late") && fc.Count != 1 || fc.Excluded != excludes {
				t.Errorf("%s: flag count %+v", name, fc)
			}
		}
	}
	// By default the contradiction is excluded and the late answer shown.
	check("default", []string{"automated", "contradiction", "non_attributable"}, 1, 2, 100)

	en.Run(t, []scenario{
		{"exclude late answers only", "PATCH", "/api/v1/workspace", en.Key, `{"exclude_flags":["late"]}`, nil, 200, []string{`"exclude_flags":["late"]`}},
	})
	check("late only", []string{"late"}, 1, 2, 50)

	en.Run(t, []scenario{
		{"exclude nothing", "PATCH", "/api/v1/workspace", en.Key, `{"exclude_flags":[]}`, nil, 200, []string{`"exclude_flags":[]`}},
		{"absent leaves it", "PATCH", "/api/v1/workspace", en.Key, `{"reminder_days":2}`, nil, 200, []string{`"exclude_flags":[]`}},
		{"unknown flag", "PATCH", "/api/v1/workspace", en.Key, `{"exclude_flags":["repeat"]}`, nil, 422, []string{`"field":"exclude_flags[0]"`}},
		{"flag twice", "PATCH", "/api/v1/workspace", en.Key, `{"exclude_flags":["late","late"]}`, nil, 422, []string{`"field":"exclude_flags"`}},
		{"not a list", "PATCH", "/api/v1/workspace", en.Key, `{"exclude_flags":"late"}`, nil, 400, []string{`"field":"exclude_flags"`}},
	})
	check("none", []string{}, 0, 3, 200.0/3)
}

// A customer who answers twice in a month counts once in the weighted score, and a survey
// whose rollups are lost (a migration dropped them) is found, and rebuilt to the same report.
func TestReportRepeatCustomerAndLostRollups(t *testing.T) {
	en, sv := reportEnv(t)
	lan := `{"agent":"Lan","channel":"email"}`
	_, first := en.inviteAbout(sv, "repeat@example.com", lan)
	_, second := en.inviteAbout(sv, "repeat@example.com", lan)
	_, other := en.inviteAbout(sv, "once@example.com", lan)
	en.answer(first, "5")
	en.answer(second, "5")
	en.answer(other, "1")
	target := "/api/v1/surveys/" + sv.ID.Hex() + "/report?from=2026-11-01&to=2026-11-30"
	rep := en.report(target, en.Key)
	r := rep.Total
	// Weights ½, ½, 1: the repeat customer's two top-box answers count as one, so the
	// weighted CSAT is 1 of 2, and n_eff = (Σw)²/Σw² = 4/1.5.
	if r.Repeat.Answers != 2 || !near(r.Repeat.CountedAs, 1) || !near(r.Weighted.Value, 50) || !near(r.Weighted.N, 4/1.5) {
		t.Errorf("repeat %+v, weighted %.4f at n_eff %.4f; want 2 answers counted as 1, 50 at 2.6667", r.Repeat, r.Weighted.Value, r.Weighted.N)
	}
	if !near(r.Filtered.Value, 200.0/3) {
		t.Errorf("filtered %.4f, want 66.67: the repeat weight is the weighted score's only", r.Filtered.Value)
	}

	ctx := t.Context()
	for _, coll := range []string{rollup.CollRollups, rollup.CollRespondents} {
		if _, err := en.DB.Collection(coll).DeleteMany(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
	}
	// A survey that never invited anyone needs no rebuild, and is not looked at again.
	unused := en.CreateSurvey(`{"kind":"nps","name":"Unused"}`)
	wantMissing := func(when string) []survey.RollupSurvey {
		t.Helper()
		missing, err := en.Core.SurveysWithoutRollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) != 1 || missing[0].ID != sv.ID {
			t.Fatalf("%s: surveys without rollups: %+v, want %s", when, missing, sv.ID.Hex())
		}
		return missing
	}
	missing := wantMissing("rollups dropped")
	if n := en.Count(rollup.CollRollups, bson.D{{Key: "survey_id", Value: unused.ID}}); n != 1 {
		t.Errorf("the survey without invitations has %d rollup states, want 1", n)
	}

	// A rebuild stopped half-way is marked failed, found again, and taken over at once.
	stopped, stop := context.WithCancel(ctx)
	err := en.Core.RebuildRollups(stopped, missing, rollup.RebuildOptions{Alone: true, Progress: func(stage string, _, _ int) {
		if stage == "invitations" {
			stop()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped rebuild: %v, want context.Canceled", err)
	}
	if m, err := en.Core.Rollups().State(ctx, sv.ID); err != nil || m.Building == nil || !m.Building.Failed {
		t.Fatalf("after a stopped rebuild the state is %+v (%v), want its building failed", m, err)
	}
	missing = wantMissing("rebuild stopped")
	// One killed before it could say so is still marked running; the process that writes the
	// rollups alone knows it died with it.
	if _, err := en.DB.Collection(rollup.CollRollups).UpdateOne(ctx, bson.D{{Key: "survey_id", Value: sv.ID}, {Key: "building.failed", Value: true}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "building.failed", Value: false}}}}); err != nil {
		t.Fatal(err)
	}
	// Until then, by the service's clock, it is one that another rebuild must not take over.
	if err := en.Core.RebuildRollups(ctx, missing, rollup.RebuildOptions{Alone: true}); !errors.Is(err, rollup.ErrRebuildRunning) {
		t.Fatalf("rebuild beside a running one: %v, want ErrRebuildRunning", err)
	}
	missing = wantMissing("rebuild killed")
	if err := en.Core.RebuildRollups(ctx, missing, rollup.RebuildOptions{Alone: true}); err != nil {
		t.Fatal(err)
	}
	if again := en.report(target, en.Key); !reflect.DeepEqual(again.Total, rep.Total) {
		t.Errorf("rebuilt: %+v\nwant %+v", again.Total, rep.Total)
	}
	if missing, err := en.Core.SurveysWithoutRollups(ctx); err != nil || len(missing) != 0 {
		t.Errorf("after the rebuild, surveys without rollups: %+v, %v", missing, err)
	}
}

// comparisonOf is row's comparison of kind; it fails the test unless there is exactly one.
func comparisonOf(t *testing.T, r scoring.Row, kind scoring.ReferenceKind) scoring.RowComparison {
	t.Helper()
	var found []scoring.RowComparison
	for _, c := range r.Comparisons {
		if c.Reference.Kind == kind {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%q: %d %s comparisons in %+v", r.Group, len(found), kind, r.Comparisons)
	}
	return found[0]
}

// checkCompared checks a comparison's test against hand-worked numbers (p to 5e-6).
func checkCompared(t *testing.T, what string, c scoring.RowComparison, z, p, adjusted float64, family int, v scoring.Verdict) {
	t.Helper()
	if !c.Valid || math.Abs(c.Statistic-z) > 5e-6 || math.Abs(c.PValue-p) > 5e-6 || math.Abs(c.AdjustedPValue-adjusted) > 5e-6 ||
		c.FamilySize != family || c.Verdict != v {
		t.Errorf("%s: %+v; want z %.6f, p %.6f, adjusted %.6f in a family of %d, %s", what, c, z, p, adjusted, family, v)
	}
}

// An answers 9 of 10 customers satisfied and Binh 3 of 10, in November 2026; the report
// compares each with the other, a benchmark, targets and an empty previous period, and
// ranks them.
func TestReportCompare(t *testing.T) {
	en, sv := reportEnv(t)
	for i := range 10 {
		_, an := en.inviteAbout(sv, fmt.Sprintf("an%d@example.com", i), `{"agent":"An","team":"Billing","channel":"email"}`)
		_, binh := en.inviteAbout(sv, fmt.Sprintf("binh%d@example.com", i), `{"agent":"Binh","team":"Billing","channel":"chat"}`)
		en.answer(an, map[bool]string{true: "5", false: "2"}[i < 9])
		en.answer(binh, map[bool]string{true: "4", false: "1"}[i < 3])
	}
	var set benchmark.Set
	rec := en.Do("POST", "/api/v1/benchmark-sets", en.Key, `{"name":"Support desks","values":[
		{"metric":"csat","scale":"percent","value":50,"segment":{"industry":"Software"},"statistic":"median","source":"Example Survey","year":2025},
		{"metric":"nps","scale":"nps","value":36,"source":"Example Survey","year":2025}]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("benchmark set: %d %s", rec.Code, rec.Body)
	}
	surveytest.Decode(t, rec, &set)
	en.Run(t, []scenario{
		{"workspace target", "POST", "/api/v1/targets", en.Key, `{"metric":"csat","dimension":"workspace","value":70,"from":"2026-11-01","to":"2026-12-31","note":"Q4"}`, nil, 201, nil},
		{"An's target", "POST", "/api/v1/targets", en.Key, `{"metric":"csat","dimension":"agent","group":"An","value":95,"from":"2026-10-01","to":"2026-12-31"}`, nil, 201, nil},
		{"Binh's target of another year", "POST", "/api/v1/targets", en.Key, `{"metric":"csat","dimension":"agent","group":"Binh","value":95,"from":"2025-01-01","to":"2025-12-31"}`, nil, 201, nil},
		{"a team target", "POST", "/api/v1/targets", en.Key, `{"metric":"csat","dimension":"team","group":"Billing","value":80,"from":"2026-11-01","to":"2026-11-30"}`, nil, 201, nil},
		{"an nps target", "POST", "/api/v1/targets", en.Key, `{"metric":"nps","dimension":"workspace","value":30,"from":"2026-11-01","to":"2026-11-30"}`, nil, 201, nil},
	})
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report?from=2026-11-01&to=2026-11-30&group_by=agent&rank=true&compare=all,benchmark:" + set.ID.Hex()
	rep := en.report(u, en.Key)

	cs := rep.Comparisons
	if cs == nil || cs.Estimate != "filtered" || cs.Method != "benjamini_hochberg" || cs.Q != 0.05 || cs.Alpha != 0.05 {
		t.Fatalf("comparisons %+v", cs)
	}
	sizes := map[string]int{}
	for _, f := range cs.Families {
		sizes[f.Family] = f.Size
	}
	bench := "benchmark:" + set.ID.Hex() + ":0"
	if want := map[string]int{"previous": 0, "last_year": 0, "company": 2, bench: 2, "targets": 1}; !reflect.DeepEqual(sizes, want) {
		t.Errorf("families %+v, want sizes %v", cs.Families, want)
	}
	if len(cs.BenchmarkSets) != 1 || cs.BenchmarkSets[0].Values != 2 || cs.BenchmarkSets[0].Comparable != 1 {
		t.Errorf("benchmark sets %+v: the NPS value is not compared with a CSAT survey", cs.BenchmarkSets)
	}

	// Ranked: An first.
	if len(rep.Groups) != 2 || rep.Groups[0].Group != "An" || rep.Groups[1].Group != "Binh" {
		t.Fatalf("groups %+v", rep.Groups)
	}
	an, binh, total := rep.Groups[0], rep.Groups[1], rep.Total
	if r := rep.Ranking; r == nil || r.Estimate != "filtered" || r.Method != scoring.ShrinkBetaBinomial || r.Prior == nil {
		t.Errorf("ranking %+v", r)
	}
	if an.Standing == nil || an.Standing.Rank != 1 || an.Standing.Score != 90 || an.Standing.N != 10 || !(an.Standing.Shrunken < 90) ||
		binh.Standing == nil || binh.Standing.Rank != 2 || !(binh.Standing.Shrunken > 30) || total.Standing != nil {
		t.Errorf("standings %+v, %+v, total %+v", an.Standing, binh.Standing, total.Standing)
	}

	// Each against the other: pooled p̄ = 0.6, z = 0.6/sqrt(0.24·(1/10 + 1/10)) = 2.738613;
	// both p-values are equal, so Benjamini–Hochberg leaves them as they are.
	c := comparisonOf(t, an, scoring.RefCompany)
	checkCompared(t, "An against the company", c, 2.738613, 0.006170, 0.006170, 2, scoring.VerdictAbove)
	if c.Reference.Value != 30 || c.Reference.Estimate == nil || c.Reference.Estimate.Responses != 10 || c.Family != "company" {
		t.Errorf("An's company reference %+v", c.Reference)
	}
	checkCompared(t, "Binh against the company", comparisonOf(t, binh, scoring.RefCompany), -2.738613, 0.006170, 0.006170, 2, scoring.VerdictBelow)
	for _, rc := range total.Comparisons {
		if rc.Reference.Kind == scoring.RefCompany {
			t.Errorf("the total compared with the company: %+v", rc)
		}
	}

	// Against 50%: An z = 0.4/sqrt(0.25/10) = 2.529822, p = 0.011412, adjusted 2p = 0.022824;
	// Binh z = −1.264911, p = 0.205903; the total alone, z = 0.1/sqrt(0.25/20) = 0.894427.
	c = comparisonOf(t, an, scoring.RefBenchmark)
	checkCompared(t, "An against the benchmark", c, 2.529822, 0.011412, 0.022824, 2, scoring.VerdictAbove)
	if c.Reference.ID != set.ID.Hex() || c.Reference.Value != 50 || c.Family != bench ||
		!strings.Contains(c.Reference.Label, "Software") || !strings.Contains(c.Reference.Label, "Example Survey, 2025") {
		t.Errorf("benchmark reference %+v", c.Reference)
	}
	checkCompared(t, "Binh against the benchmark", comparisonOf(t, binh, scoring.RefBenchmark), -1.264911, 0.205903, 0.205903, 2, scoring.VerdictNotDistinguishable)
	c = comparisonOf(t, total, scoring.RefBenchmark)
	checkCompared(t, "the total against the benchmark", c, 0.894427, 0.371093, 0.371093, 1, scoring.VerdictNotDistinguishable)
	if c.Family != "" {
		t.Errorf("the total's comparison is in family %q", c.Family)
	}

	// Targets: the workspace's 70% for the total, z = −0.1/sqrt(0.21/20); An's own 95%,
	// z = −0.05/sqrt(0.0475/10). Binh's is for 2025 and the team's is not an agent's.
	checkCompared(t, "the total against its target", comparisonOf(t, total, scoring.RefTarget), -0.975900, 0.329114, 0.329114, 1, scoring.VerdictNotDistinguishable)
	c = comparisonOf(t, an, scoring.RefTarget)
	checkCompared(t, "An against An's target", c, -0.725476, 0.468160, 0.468160, 1, scoring.VerdictNotDistinguishable)
	if c.Reference.Value != 95 || !strings.Contains(c.Reference.Label, "agent An") {
		t.Errorf("target reference %+v", c.Reference)
	}
	for _, rc := range binh.Comparisons {
		if rc.Reference.Kind == scoring.RefTarget {
			t.Errorf("Binh compared with a target: %+v", rc)
		}
	}

	// October 2 to 31 had no answers: the comparison is reported and is no test.
	c = comparisonOf(t, total, scoring.RefPrevious)
	loc := en.WS.Location()
	if c.Valid || c.Verdict != scoring.VerdictNotDistinguishable || c.Reference.Estimate == nil || c.Reference.Estimate.Valid ||
		!c.Reference.From.Equal(time.Date(2026, 10, 2, 0, 0, 0, 0, loc)) || !c.Reference.To.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, loc)) ||
		!strings.Contains(c.Reference.Label, "2026-10-02 to 2026-10-31") {
		t.Errorf("previous period %+v", c)
	}

	// The export carries the same numbers: the rank, then a line per comparison.
	rec = en.Do("GET", strings.Replace(u, "/report?", "/report/export?", 1), en.Key, nil)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
	if rec.Code != http.StatusOK || err != nil {
		t.Fatalf("export: %d %v", rec.Code, err)
	}
	col := func(row []string, name string) string { return row[slices.Index(reportColumns, name)] }
	var anLine, anCompany, previous []string
	for _, row := range rows[1:] {
		switch {
		case col(row, "row") == "total_comparison" && col(row, "reference_kind") == "previous":
			previous = row
		case col(row, "row") == "group" && col(row, "group") == "An":
			anLine = row
		case col(row, "row") == "group_comparison" && col(row, "group") == "An" && col(row, "reference_kind") == "company":
			anCompany = row
		}
	}
	// The previous period had no answers: no reference value, as in the JSON.
	if previous == nil || col(previous, "reference_value") != "" || col(previous, "reference_n") != "0" {
		t.Errorf("previous period's line %q", previous)
	}
	if anLine == nil || col(anLine, "rank") != "1" || col(anLine, "shrunken_score") == "" || col(anLine, "verdict") != "" {
		t.Errorf("An's line %q", anLine)
	}
	if anCompany == nil || col(anCompany, "verdict") != "above" || col(anCompany, "reference_value") != "30" ||
		col(anCompany, "reference_n") != "10" || col(anCompany, "family_size") != "2" || !strings.HasPrefix(col(anCompany, "statistic"), "2.7386") ||
		col(anCompany, "responded") != "" {
		t.Errorf("An's company line %q", anCompany)
	}
	if n := len(rows) - 1; n != 3+len(total.Comparisons)+len(an.Comparisons)+len(binh.Comparisons) {
		t.Errorf("%d lines for %d comparisons", n, len(total.Comparisons)+len(an.Comparisons)+len(binh.Comparisons))
	}
}

// The previous period and last year are read with the report, and picked by dates of the
// report's time zone: across a change of the clocks and around 29 February.
func TestReportComparePeriods(t *testing.T) {
	en, sv := reportEnv(t)
	for i := range 2 {
		_, tok := en.inviteAbout(sv, fmt.Sprintf("early%d@example.com", i), `{"agent":"Lan"}`)
		en.answer(tok, "5")
	}
	en.Clock.Advance(7 * 24 * time.Hour) // Friday 27 November
	_, tok := en.inviteAbout(sv, "late@example.com", `{"agent":"Lan"}`)
	en.answer(tok, "1")
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report"

	// The week of 24 November against 17–23 November, which holds the first two answers.
	rep := en.report(u+"?from=2026-11-24&to=2026-11-30&group_by=agent&compare=previous,last_year", en.Key)
	prev := comparisonOf(t, rep.Total, scoring.RefPrevious)
	if rep.Total.Filtered.Responses != 1 || prev.Reference.Estimate.Responses != 2 || prev.Reference.Value != 100 || prev.Difference != -100 {
		t.Errorf("previous week: %d answers against %+v", rep.Total.Filtered.Responses, prev)
	}
	if g := comparisonOf(t, rep.Groups[0], scoring.RefPrevious); g.Reference.Estimate.Responses != 2 || g.Family != "previous" {
		t.Errorf("Lan's previous week %+v", g)
	}
	if ly := comparisonOf(t, rep.Total, scoring.RefLastYear); ly.Reference.Estimate.Responses != 0 ||
		!strings.Contains(ly.Reference.Label, "2025-11-24 to 2025-11-30") {
		t.Errorf("last year %+v", ly)
	}

	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	day := func(loc *time.Location, y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	for _, tc := range []struct {
		name, query string
		kind        scoring.ReferenceKind
		from, to    time.Time
	}{
		// The clocks went forward on 8 March 2026: that week is an hour short, and the week
		// before it is still the seven days before it.
		{"previous week across the change", "tz=America/New_York&from=2026-03-08&to=2026-03-14", scoring.RefPrevious, day(ny, 2026, 3, 1), day(ny, 2026, 3, 8)},
		// In 2025 the clocks changed on 9 March: the same dates, not the same instants.
		{"last year across the change", "tz=America/New_York&from=2026-03-08&to=2026-03-14", scoring.RefLastYear, day(ny, 2025, 3, 8), day(ny, 2025, 3, 15)},
		// February 2024 has 29 days; the same dates a year earlier end on the 28th.
		{"february of a leap year", "from=2024-02-01&to=2024-02-29", scoring.RefLastYear, day(en.WS.Location(), 2023, 2, 1), day(en.WS.Location(), 2023, 3, 1)},
		{"the leap day itself", "from=2024-02-29&to=2024-02-29", scoring.RefLastYear, day(en.WS.Location(), 2023, 2, 28), day(en.WS.Location(), 2023, 3, 1)},
		// March 2024's 31 days follow 30 January to 29 February.
		{"the month after a leap day", "from=2024-03-01&to=2024-03-31", scoring.RefPrevious, day(en.WS.Location(), 2024, 1, 30), day(en.WS.Location(), 2024, 3, 1)},
		// Instants rather than days: the same length just before.
		{"hours", "from=2026-11-20T08:00:00Z&to=2026-11-20T10:30:00Z", scoring.RefPrevious,
			time.Date(2026, 11, 20, 5, 30, 0, 0, time.UTC), time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := en.report(u+"?compare=previous,last_year&"+tc.query, en.Key)
			ref := comparisonOf(t, rep.Total, tc.kind).Reference
			if !ref.From.Equal(tc.from) || !ref.To.Equal(tc.to) {
				t.Errorf("%s: %s to %s, want %s to %s", tc.kind, ref.From, ref.To, tc.from.UTC(), tc.to.UTC())
			}
		})
	}
}

func TestReportCompareBadInput(t *testing.T) {
	en, sv := reportEnv(t)
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report"
	_, rivalKey := en.Workspace("Rival")
	rec := en.Do("POST", "/api/v1/benchmark-sets", rivalKey, `{"name":"Theirs","values":[{"metric":"csat","scale":"percent","value":80,"source":"Theirs","year":2025}]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("rival's set: %d %s", rec.Code, rec.Body)
	}
	var theirs benchmark.Set
	surveytest.Decode(t, rec, &theirs)
	var many []string
	for range maxCompareSets + 1 {
		many = append(many, "benchmark:"+bson.NewObjectID().Hex())
	}
	en.Run(t, []scenario{
		{"unknown comparison", "GET", u + "?compare=previous,yesterday", en.Key, nil, nil, 400, []string{`"field":"compare"`, `\"yesterday\"`}},
		{"malformed benchmark id", "GET", u + "?compare=benchmark:42", en.Key, nil, nil, 400, []string{`"field":"compare"`, "24 hexadecimal"}},
		{"unknown benchmark set", "GET", u + "?compare=benchmark:" + bson.NewObjectID().Hex(), en.Key, nil, nil, 404, []string{`"field":"compare"`}},
		{"another workspace's set", "GET", u + "?compare=benchmark:" + theirs.ID.Hex(), en.Key, nil, nil, 404, []string{`"field":"compare"`, theirs.ID.Hex()}},
		{"another workspace's set in an export", "GET", u + "/export?compare=benchmark:" + theirs.ID.Hex(), en.Key, nil, nil, 404, []string{`"field":"compare"`}},
		{"too many sets", "GET", u + "?compare=" + strings.Join(many, ","), en.Key, nil, nil, 400, []string{`"field":"compare"`}},
		{"company without groups", "GET", u + "?compare=company", en.Key, nil, nil, 400, []string{`"field":"compare"`, "group_by"}},
		{"all without groups leaves the company out", "GET", u + "?compare=all", en.Key, nil, nil, 200, []string{`"kind":"previous"`}},
		{"rank without groups", "GET", u + "?rank=true", en.Key, nil, nil, 400, []string{`"field":"rank"`}},
		{"rank of channels", "GET", u + "?rank=true&group_by=channel", en.Key, nil, nil, 400, []string{`"field":"rank"`, "agent"}},
		{"rank neither true nor false", "GET", u + "?rank=maybe&group_by=agent", en.Key, nil, nil, 400, []string{`"field":"rank"`}},
		{"rank of teams", "GET", u + "?rank=1&group_by=team", en.Key, nil, nil, 200, []string{`"ranking"`}},
		{"rank=false", "GET", u + "?rank=false", en.Key, nil, nil, 200, nil},
	})
}

// A CES leaderboard where Solo's one answer of 7 tops the raw scores: Solo is listed after
// the ranked agents, unranked with the reason, in the JSON and in the export.
func TestReportRankUnranked(t *testing.T) {
	en, _ := reportEnv(t)
	sv := en.CreateSurvey(`{"kind":"ces","name":"Effort","points":7}`)
	answers := map[string][]string{
		"Lan":  {"7", "7", "7", "7", "7", "7", "7", "7", "6", "6"},
		"Minh": {"7", "7", "7", "6", "6", "6", "5", "5", "4"},
		"Solo": {"7"},
	}
	for agent, scores := range answers {
		for i, s := range scores {
			_, tok := en.inviteAbout(sv, fmt.Sprintf("%s%d@example.com", strings.ToLower(agent), i), `{"agent":"`+agent+`","channel":"email"}`)
			en.answer(tok, s)
		}
	}
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report?from=2026-11-01&to=2026-11-30&group_by=agent&rank=true"
	rep := en.report(u, en.Key)
	if r := rep.Ranking; r == nil || r.MinN != scoring.MinRankedN || r.PseudoCount < scoring.MinPseudoCount {
		t.Errorf("ranking %+v", r)
	}
	var order []string
	for _, g := range rep.Groups {
		order = append(order, g.Group)
	}
	if !slices.Equal(order, []string{"Lan", "Minh", "Solo"}) {
		t.Fatalf("groups in order %v", order)
	}
	lan, solo := rep.Groups[0].Standing, rep.Groups[2].Standing
	if lan == nil || lan.Rank != 1 || solo == nil || solo.Rank != 0 || solo.Unranked != scoring.UnrankedFewAnswers || solo.Score != 7 || solo.N != 1 {
		t.Errorf("Lan %+v, Solo %+v", lan, solo)
	}
	rec := en.Do("GET", u, en.Key, nil)
	if body := rec.Body.String(); !strings.Contains(body, `"min_n":5`) || !strings.Contains(body, `"unranked":"fewer_than_min_n"`) {
		t.Errorf("report JSON %s", body)
	}

	rec = en.Do("GET", strings.Replace(u, "/report?", "/report/export?", 1), en.Key, nil)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
	if rec.Code != http.StatusOK || err != nil {
		t.Fatalf("export: %d %v", rec.Code, err)
	}
	col := func(row []string, name string) string { return row[slices.Index(reportColumns, name)] }
	for _, row := range rows[1:] {
		if col(row, "group") == "Solo" && (col(row, "rank") != "" || col(row, "unranked") != scoring.UnrankedFewAnswers || col(row, "shrunken_score") == "") {
			t.Errorf("Solo's line %q", row)
		}
	}
}

// Invitations the API made without email (send:false) reach their customers through the
// caller, so they count in the response rate's denominator, funnel.reached: 3 answers of 5
// such links is 60%, not 0%. A report with nothing reached has no rate, and no scores: null
// in JSON, empty in the export.
func TestReportResponseRateReached(t *testing.T) {
	en, sv := reportEnv(t)
	for i := range 5 {
		rec := en.Do("POST", "/api/v1/invitations", en.Key,
			fmt.Sprintf(`{"survey_id":"%s","customer":{"email":"c%d@example.com"},"send":false}`, sv.ID.Hex(), i))
		if rec.Code != http.StatusCreated {
			t.Fatalf("create invitation: %d %s", rec.Code, rec.Body)
		}
		var inv survey.Invitation
		surveytest.Decode(t, rec, &inv)
		if i < 3 {
			en.Clock.Advance(time.Minute)
			en.answer(inv.Link[strings.LastIndex(inv.Link, "/")+1:], "5")
		}
	}
	u := "/api/v1/surveys/" + sv.ID.Hex() + "/report"
	rep := en.report(u, en.Key)
	if f := rep.Total.Funnel; f.Created != 5 || f.Delivered != 0 || f.Reached != 5 || f.Responded != 3 ||
		rep.Total.ResponseRate == nil || !near(*rep.Total.ResponseRate, 60) || rep.Total.LowResponseRate {
		t.Errorf("funnel %+v, response rate %v", f, rep.Total.ResponseRate)
	}

	empty := u + "?from=2026-10-01&to=2026-10-31"
	rec := en.Do("GET", empty, en.Key, nil)
	for _, want := range []string{`"response_rate":null`, `"raw":{"value":null,"lo":null,"hi":null,`, `"reached":0`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("empty report lacks %s: %s", want, rec.Body)
		}
	}
	rec = en.Do("GET", strings.Replace(empty, "/report?", "/report/export?", 1), en.Key, nil)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
	if rec.Code != http.StatusOK || err != nil || len(rows) != 2 {
		t.Fatalf("export: %d %v %q", rec.Code, err, rows)
	}
	col := func(name string) string { return rows[1][slices.Index(reportColumns, name)] }
	if col("response_rate") != "" || col("raw_value") != "" || col("reached") != "0" {
		t.Errorf("empty export line %q", rows[1])
	}
}
