package survey

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// reportNow is the tests' clock: Friday 20 November 2026, 10:00 in the workspace's
// Asia/Ho_Chi_Minh, so "today" and the default period are known.
var reportNow = time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)

// reportEnv is an env whose clock reads reportNow, with a CSAT survey.
func reportEnv(t *testing.T) (*env, *Survey) {
	t.Helper()
	en := newEnv(t)
	en.clock.advance(reportNow.Sub(en.clock.now()))
	return en, en.createSurvey(`{"kind":"csat","name":"Support"}`)
}

// inviteAbout makes an invitation through the API for an interaction given as JSON, and
// records its email as sent an hour ago, so it counts as delivered and an answer now is not
// too soon to be human.
func (en *env) inviteAbout(sv *Survey, email, interaction string) (*Invitation, string) {
	en.t.Helper()
	rec := en.do("POST", "/api/v1/invitations", en.key,
		`{"survey_id":"`+sv.ID.Hex()+`","customer":{"email":"`+email+`","locale":"en"},"interaction":`+interaction+`}`)
	if rec.Code != http.StatusCreated {
		en.t.Fatalf("create invitation: %d %s", rec.Code, rec.Body)
	}
	var inv Invitation
	decode(en.t, rec, &inv)
	if err := en.svc.MarkSent(en.t.Context(), inv.ID, en.svc.now().Add(-time.Hour), false); err != nil {
		en.t.Fatal(err)
	}
	return &inv, inv.Link[strings.LastIndex(inv.Link, "/")+1:]
}

// answer records an answer through the respondent page, as a person taps it.
func (en *env) answer(tok, score string, kv ...string) {
	en.t.Helper()
	if rec := en.do("POST", "/s/"+tok, "", formAnswer(score, append(kv, "interacted", "1")...)); rec.Code != http.StatusSeeOther {
		en.t.Fatalf("answer: %d %s", rec.Code, rec.Body)
	}
}

func (en *env) report(target, key string) *Report {
	en.t.Helper()
	rec := en.do("GET", target, key, nil)
	if rec.Code != http.StatusOK {
		en.t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	var rep Report
	decode(en.t, rec, &rep)
	return &rep
}

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

// Two agents of two teams on two channels: Lan (Billing, email) has two answers of two
// emails, Minh (Sales, chat) one of two.
func seedReport(en *env, sv *Survey) {
	en.t.Helper()
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
		rep := en.report(u, en.keyFor(en.ws, ScopeRead))
		// The 30 days up to today, 22 October to 20 November in Ho Chi Minh City.
		if rep.TimeZone != "Asia/Ho_Chi_Minh" || !rep.From.Equal(time.Date(2026, 10, 21, 17, 0, 0, 0, time.UTC)) ||
			!rep.To.Equal(time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC)) {
			t.Errorf("period %s–%s %s", rep.From, rep.To, rep.TimeZone)
		}
		f := rep.Total.Funnel
		if f.Invited != 4 || f.Sent != 4 || f.Delivered != 4 || f.Responded != 3 || f.Commented != 1 {
			t.Errorf("funnel %+v", f)
		}
		if !near(rep.Total.ResponseRate, 75) || rep.Total.LowResponseRate {
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
		rep := en.report(u+"?group_by=Agent", en.key)
		if rep.GroupBy != "agent" || len(rep.Groups) != 2 {
			t.Fatalf("groups %+v", rep.Groups)
		}
		lan, minh := rep.Groups[0], rep.Groups[1]
		if lan.Group != "Lan" || lan.Funnel.Responded != 2 || !near(lan.Raw.Value, 100) || !near(lan.ResponseRate, 100) {
			t.Errorf("Lan %+v", lan)
		}
		if minh.Group != "Minh" || minh.Funnel.Responded != 1 || minh.Funnel.Delivered != 2 || !near(minh.Raw.Value, 0) || !near(minh.ResponseRate, 50) {
			t.Errorf("Minh %+v", minh)
		}
		if rep.Total.Funnel.Responded != 3 {
			t.Errorf("total %+v", rep.Total.Funnel)
		}
	})

	t.Run("filter", func(t *testing.T) {
		rep := en.report(u+"?filter=team:Sales", en.key)
		if rep.Filter["team"] != "Sales" || rep.Total.Funnel.Delivered != 2 || rep.Total.Funnel.Responded != 1 {
			t.Errorf("team Sales: filter %v, funnel %+v", rep.Filter, rep.Total.Funnel)
		}
		// Channels are stored in lower case and countries in upper case, whatever was asked.
		rep = en.report(u+"?filter=channel:EMAIL&filter=country:vn&group_by=team", en.key)
		if rep.Total.Funnel.Responded != 2 || len(rep.Groups) != 1 || rep.Groups[0].Group != "Billing" {
			t.Errorf("email in VN: %+v, groups %+v", rep.Total.Funnel, rep.Groups)
		}
		if rep := en.report(u+"?filter=agent:"+url.QueryEscape("Lan:2"), en.key); rep.Filter["agent"] != "Lan:2" || rep.Total.Funnel.Invited != 0 {
			t.Errorf("a value with a colon: %v, %+v", rep.Filter, rep.Total.Funnel)
		}
	})

	t.Run("daily series", func(t *testing.T) {
		rep := en.report(u+"?from=2026-11-18&to=2026-11-20&interval=day", en.key)
		if rep.Interval != "day" || len(rep.Series) != 3 {
			t.Fatalf("series %+v", rep.Series)
		}
		for i, p := range rep.Series {
			want := int64(0)
			if i == 2 {
				want = 3
			}
			day := time.Date(2026, 11, 18+i, 0, 0, 0, 0, en.ws.Location())
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
		rep := en.report(u+"?from=2026-11-20T01:45:00Z&to=2026-11-20T09:15:00%2B07:00", en.key)
		if rep.Total.Funnel.Sent != 4 || rep.Total.Funnel.Responded != 0 {
			t.Errorf("01:45–02:15 UTC: %+v", rep.Total.Funnel)
		}
		rep = en.report(u+"?tz=America/New_York&from=2026-11-19&to=2026-11-19", en.key)
		if rep.TimeZone != "America/New_York" || !rep.From.Equal(time.Date(2026, 11, 19, 5, 0, 0, 0, time.UTC)) || rep.Total.Funnel.Responded != 3 {
			t.Errorf("19 November in New York: %s %s %+v", rep.TimeZone, rep.From, rep.Total.Funnel)
		}
	})

	_, rival := en.workspace("Rival")
	long := "filter=agent:" + strings.Repeat("x", maxFilterValue+1)
	en.run(t, []scenario{
		{"bad date", "GET", u + "?from=2026-13-01", en.key, nil, nil, 400, []string{`"field":"from"`, "2026-11-01"}},
		{"not a date", "GET", u + "?to=yesterday", en.key, nil, nil, 400, []string{`"field":"to"`}},
		{"unescaped plus", "GET", u + "?to=2026-11-20T09:00:00+07:00", en.key, nil, nil, 400, []string{`"field":"to"`, "%2B"}},
		{"time off the quarter-hour", "GET", u + "?from=2026-11-20T09:10:00Z", en.key, nil, nil, 400, []string{`"field":"from"`, "quarter-hour"}},
		{"from after to", "GET", u + "?from=2026-11-20&to=2026-11-19", en.key, nil, nil, 400, []string{`"field":"from"`}},
		{"empty period", "GET", u + "?from=2026-11-20T00:00:00Z&to=2026-11-20T00:00:00Z", en.key, nil, nil, 400, []string{`"field":"from"`}},
		{"from in the future", "GET", u + "?from=2026-12-01", en.key, nil, nil, 400, []string{`"field":"from"`}},
		{"three years", "GET", u + "?from=2023-11-21&to=2026-11-20", en.key, nil, nil, 200, nil},
		{"longer than three years", "GET", u + "?from=2023-11-20&to=2026-11-20", en.key, nil, nil, 400, []string{`"field":"from"`, "1096 days"}},
		{"unknown group", "GET", u + "?group_by=region", en.key, nil, nil, 400, []string{`"field":"group_by"`, "agent, team, channel, country"}},
		{"unknown zone", "GET", u + "?tz=Mars/Olympus", en.key, nil, nil, 400, []string{`"field":"tz"`}},
		{"the server's zone", "GET", u + "?tz=Local", en.key, nil, nil, 400, []string{`"field":"tz"`}},
		{"zone whose midnight is off the quarter-hour", "GET", u + "?tz=Asia/Bangkok&from=1900-01-01&to=1900-01-01", en.key, nil, nil, 400, []string{`"field":"tz"`, "quarter-hour"}},
		{"unknown filter dimension", "GET", u + "?filter=region:North", en.key, nil, nil, 400, []string{`"field":"filter"`}},
		{"filter without a colon", "GET", u + "?filter=team", en.key, nil, nil, 400, []string{`"field":"filter"`}},
		{"filter without a value", "GET", u + "?filter=team:", en.key, nil, nil, 400, []string{`"field":"filter"`}},
		{"a dimension filtered twice", "GET", u + "?filter=team:A&filter=team:B", en.key, nil, nil, 400, []string{`"field":"filter"`, "twice"}},
		{"filter value too long", "GET", u + "?" + long, en.key, nil, nil, 400, []string{`"field":"filter"`, "200 characters"}},
		{"unknown interval", "GET", u + "?interval=hour", en.key, nil, nil, 400, []string{`"field":"interval"`}},
		{"too many points", "GET", u + "?from=2024-01-01&to=2026-11-20&interval=day", en.key, nil, nil, 400, []string{`"field":"interval"`, "1000 points"}},
		{"weekly over the same period", "GET", u + "?from=2024-01-01&to=2026-11-20&interval=week", en.key, nil, nil, 200, []string{`"interval":"week"`}},
		{"malformed id", "GET", "/api/v1/surveys/not-an-id/report", en.key, nil, nil, 404, nil},
		{"unknown survey", "GET", "/api/v1/surveys/" + bson.NewObjectID().Hex() + "/report", en.key, nil, nil, 404, nil},
		{"another workspace's survey", "GET", u, rival, nil, nil, 404, nil},
		{"another workspace's export", "GET", u + "/export", rival, nil, nil, 404, nil},
		{"export of bad input", "GET", u + "/export?interval=hour", en.key, nil, nil, 400, []string{`"field":"interval"`}},
		{"no key", "GET", u, "", nil, nil, 401, nil},
	})
}

func TestReportCSV(t *testing.T) {
	en, sv := reportEnv(t)
	seedReport(en, sv)
	_, tok := en.inviteAbout(sv, "e@example.com", `{"agent":"=HYPERLINK(\"http://evil.example\")","channel":"chat"}`)
	en.answer(tok, "3")

	rec := en.do("GET", "/api/v1/surveys/"+sv.ID.Hex()+"/report/export?group_by=agent&from=2026-11-19&to=2026-11-20&interval=day", en.key, nil)
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
		rep := en.report(u, en.key)
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

	en.run(t, []scenario{
		{"exclude late answers only", "PATCH", "/api/v1/workspace", en.key, `{"exclude_flags":["late"]}`, nil, 200, []string{`"exclude_flags":["late"]`}},
	})
	check("late only", []string{"late"}, 1, 2, 50)

	en.run(t, []scenario{
		{"exclude nothing", "PATCH", "/api/v1/workspace", en.key, `{"exclude_flags":[]}`, nil, 200, []string{`"exclude_flags":[]`}},
		{"absent leaves it", "PATCH", "/api/v1/workspace", en.key, `{"reminder_days":2}`, nil, 200, []string{`"exclude_flags":[]`}},
		{"unknown flag", "PATCH", "/api/v1/workspace", en.key, `{"exclude_flags":["repeat"]}`, nil, 422, []string{`"field":"exclude_flags[0]"`}},
		{"flag twice", "PATCH", "/api/v1/workspace", en.key, `{"exclude_flags":["late","late"]}`, nil, 422, []string{`"field":"exclude_flags"`}},
		{"not a list", "PATCH", "/api/v1/workspace", en.key, `{"exclude_flags":"late"}`, nil, 400, []string{`"field":"exclude_flags"`}},
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
	rep := en.report(target, en.key)
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
	for _, coll := range []*mongo.Collection{en.svc.rollups.coll, en.svc.rollups.respondents} {
		if _, err := coll.DeleteMany(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
	}
	en.svc.rollups.forgetMeta(sv.ID)
	// A survey that never invited anyone needs no rebuild, and is not looked at again.
	unused := en.createSurvey(`{"kind":"nps","name":"Unused"}`)
	wantMissing := func(when string) []RollupSurvey {
		t.Helper()
		missing, err := en.svc.SurveysWithoutRollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) != 1 || missing[0].ID != sv.ID {
			t.Fatalf("%s: surveys without rollups: %+v, want %s", when, missing, sv.ID.Hex())
		}
		return missing
	}
	missing := wantMissing("rollups dropped")
	if n := en.count("rollups", bson.D{{Key: "_id", Value: metaKey(unused.ID)}}); n != 1 {
		t.Errorf("the survey without invitations has %d rollup states, want 1", n)
	}

	// A rebuild stopped half-way is marked failed, found again, and taken over at once.
	stopped, stop := context.WithCancel(ctx)
	err := en.svc.RebuildRollups(stopped, missing, RebuildOptions{Alone: true, Progress: func(stage string, _, _ int) {
		if stage == "invitations" {
			stop()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped rebuild: %v, want context.Canceled", err)
	}
	var m rollupMeta
	if err := en.svc.rollups.coll.FindOne(ctx, bson.D{{Key: "_id", Value: metaKey(sv.ID)}}).Decode(&m); err != nil || m.Building == nil || !m.Building.Failed {
		t.Fatalf("after a stopped rebuild the state is %+v (%v), want its building failed", m, err)
	}
	missing = wantMissing("rebuild stopped")
	if err := en.svc.RebuildRollups(ctx, missing, RebuildOptions{Alone: true}); err != nil {
		t.Fatal(err)
	}
	if again := en.report(target, en.key); !reflect.DeepEqual(again.Total, rep.Total) {
		t.Errorf("rebuilt: %+v\nwant %+v", again.Total, rep.Total)
	}
	if missing, err := en.svc.SurveysWithoutRollups(ctx); err != nil || len(missing) != 0 {
		t.Errorf("after the rebuild, surveys without rollups: %+v, %v", missing, err)
	}
}
