package target

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestTargetComparable(t *testing.T) {
	csat, nps, ces := scoring.MetricCSAT, scoring.MetricNPS, scoring.MetricCES
	for name, c := range map[string]struct {
		t      Target
		metric scoring.Metric
		points int
		want   bool
	}{
		"csat":                   {Target{Metric: csat, Points: 5}, csat, 5, true},
		"csat target, nps":       {Target{Metric: csat, Points: 5}, nps, 11, false},
		"nps":                    {Target{Metric: nps, Points: 11}, nps, 11, true},
		"ces 7, 7-point survey":  {Target{Metric: ces, Points: 7}, ces, 7, true},
		"ces 7, 5-point survey":  {Target{Metric: ces, Points: 7}, ces, 5, false},
		"ces 5, 5-point survey":  {Target{Metric: ces, Points: 5}, ces, 5, true},
		"no such survey":         {Target{Metric: ces, Points: 6}, ces, 6, false},
		"csat on a wrong survey": {Target{Metric: csat, Points: 7}, csat, 7, false},
	} {
		if got := c.t.Comparable(c.metric, c.points); got != c.want {
			t.Errorf("%s: Comparable(%s, %d) = %v, want %v", name, c.metric, c.points, got, c.want)
		}
	}
}

func TestTargets(t *testing.T) {
	en := newEnv(t) // the workspace is in Asia/Ho_Chi_Minh, UTC+7
	create := func(body string) *Target {
		t.Helper()
		rec := en.Do("POST", "/api/v1/targets", en.Key, body)
		if rec.Code != http.StatusCreated {
			t.Fatalf("create %s: %d %s", body, rec.Code, rec.Body)
		}
		var tg Target
		surveytest.Decode(t, rec, &tg)
		return &tg
	}
	ws := create(`{"metric":"csat","dimension":"workspace","value":85,"from":"2026-10-01","to":"2026-12-31","note":"Q4"}`)
	if ws.Points != 5 || ws.Group != "" || ws.From != time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC) || ws.To != time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC) {
		t.Fatalf("workspace target %+v", ws)
	}
	team := create(`{"metric":"csat","dimension":"Team","group":"Billing","value":80,"from":"2026-10-01T00:00:00Z","to":"2027-01-01T00:00:00Z"}`)
	chat := create(`{"metric":"nps","dimension":"channel","group":" Chat ","value":-20.5,"from":"2026-10-01","to":"2026-10-31"}`)
	ces := create(`{"metric":"ces","points":7,"dimension":"country","group":"vn","value":5.5,"from":"2026-10-01","to":"2026-10-31"}`)
	if team.Dimension != "team" || team.To != time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) || chat.Group != "chat" || ces.Group != "VN" || ces.Points != 7 {
		t.Fatalf("targets %+v %+v %+v", team, chat, ces)
	}
	u := "/api/v1/targets/" + team.ID.Hex()
	read := en.KeyFor(en.WS, apikey.ScopeRead)
	_, other := en.Workspace("Rival")
	en.Run(t, []scenario{
		{"get", "GET", u, read, nil, nil, 200, []string{`"dimension":"team"`, `"group":"Billing"`, `"points":5`, `"from":"2026-10-01T00:00:00Z"`}},
		{"list", "GET", "/api/v1/targets", read, nil, nil, 200, []string{ws.ID.Hex(), team.ID.Hex(), chat.ID.Hex(), ces.ID.Hex()}},
		{"list by metric", "GET", "/api/v1/targets?metric=nps", read, nil, nil, 200, []string{chat.ID.Hex()}},
		{"list by group", "GET", "/api/v1/targets?dimension=channel&group=CHAT", read, nil, nil, 200, []string{chat.ID.Hex()}},
		{"list pages", "GET", "/api/v1/targets?limit=2", read, nil, nil, 200, []string{ces.ID.Hex(), chat.ID.Hex(), `"next_cursor"`}},
		{"read key cannot create", "POST", "/api/v1/targets", read, `{"metric":"nps","dimension":"workspace","value":1,"from":"2026-10-01","to":"2026-10-31"}`, nil, 403, nil},
		{"another workspace cannot read", "GET", u, other, nil, nil, 404, nil},
		{"another workspace cannot replace", "PUT", u, other, `{"metric":"csat","dimension":"workspace","value":1,"from":"2026-10-01","to":"2026-10-31"}`, nil, 404, nil},
		{"another workspace cannot delete", "DELETE", u, other, nil, nil, 404, nil},
		{"another workspace lists none", "GET", "/api/v1/targets", other, nil, nil, 200, []string{`"data":[]`}},
		{"replace", "PUT", u, en.Key, `{"metric":"csat","dimension":"team","group":"Technical","value":75,"from":"2026-11-01","to":"2026-11-30","note":"stretch"}`, nil, 200,
			[]string{`"group":"Technical"`, `"value":75`, `"from":"2026-10-31T17:00:00Z"`, `"to":"2026-11-30T17:00:00Z"`, `"note":"stretch"`}},
		{"time zone given", "PUT", u + "?tz=UTC", en.Key, `{"metric":"csat","dimension":"team","group":"Technical","value":75,"from":"2026-11-01","to":"2026-11-30"}`, nil, 200,
			[]string{`"from":"2026-11-01T00:00:00Z"`}},
		{"delete", "DELETE", u, en.Key, nil, nil, 204, nil},
		{"deleted", "GET", u, en.Key, nil, nil, 404, nil},
	})
	list := en.Do("GET", "/api/v1/targets?metric=csat", read, nil).Body.String()
	if want, gone := ws.ID.Hex(), chat.ID.Hex(); !strings.Contains(list, want) || strings.Contains(list, gone) {
		t.Errorf("csat list %s", list)
	}
}

func TestTargetRejectsBadInput(t *testing.T) {
	en := newEnv(t)
	k := en.Key
	period := `"from":"2026-10-01","to":"2026-10-31"`
	en.Run(t, []scenario{
		{"malformed json", "POST", "/api/v1/targets", k, `{"metric":`, nil, 400, []string{"not valid JSON"}},
		{"unknown field", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"workspace","value":80,"goal":1,` + period + `}`, nil, 400, []string{`"field":"goal"`}},
		{"value as text", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"workspace","value":"80",` + period + `}`, nil, 400, []string{`"field":"value"`, "must be a number"}},
		{"date as a number", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"workspace","value":80,"from":20261001,"to":"2026-10-31"}`, nil, 400, []string{`"field":"from"`, "must be a string"}},
		{"oversized", "POST", "/api/v1/targets", k, `{"note":"` + strings.Repeat("x", 3<<20) + `"}`, nil, 413, nil},
		{"missing everything", "POST", "/api/v1/targets", k, `{}`, nil, 422, []string{`"field":"metric"`, `"field":"dimension"`, `"field":"value"`, `"field":"from"`, `"field":"to"`}},
		{"unknown metric", "POST", "/api/v1/targets", k, `{"metric":"ces2","dimension":"workspace","value":1,` + period + `}`, nil, 422, []string{`"field":"metric"`}},
		{"unknown dimension", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"region","group":"North","value":80,` + period + `}`, nil, 422,
			[]string{`"field":"dimension"`, "workspace, agent, team, channel, country"}},
		{"team without group", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"team","value":80,` + period + `}`, nil, 422, []string{`"field":"group"`, "is required"}},
		{"workspace with a group", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"workspace","group":"Billing","value":80,` + period + `}`, nil, 422, []string{`"field":"group"`, "must be empty"}},
		{"csat over 100", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"workspace","value":101,` + period + `}`, nil, 422, []string{`"field":"value"`, "from 0 to 100"}},
		{"nps under -100", "POST", "/api/v1/targets", k, `{"metric":"nps","dimension":"workspace","value":-101,` + period + `}`, nil, 422, []string{`"field":"value"`, "from -100 to 100"}},
		{"ces past its scale", "POST", "/api/v1/targets", k, `{"metric":"ces","points":5,"dimension":"workspace","value":5.5,` + period + `}`, nil, 422, []string{`"field":"value"`, "from 1 to 5"}},
		{"ces without points", "POST", "/api/v1/targets", k, `{"metric":"ces","dimension":"workspace","value":5,` + period + `}`, nil, 422, []string{`"field":"points"`, "5 or 7"}},
		{"ces of 6 points", "POST", "/api/v1/targets", k, `{"metric":"ces","points":6,"dimension":"workspace","value":5,` + period + `}`, nil, 422, []string{`"field":"points"`}},
		{"csat of 7 points", "POST", "/api/v1/targets", k, `{"metric":"csat","points":7,"dimension":"workspace","value":80,` + period + `}`, nil, 422, []string{`"field":"points"`, "must be 5"}},
		{"from after to", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"workspace","value":80,"from":"2026-11-01","to":"2026-10-01"}`, nil, 422, []string{`"field":"from"`, "before the end"}},
		{"bad date", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"workspace","value":80,"from":"1/10/2026","to":"2026-10-31"}`, nil, 422, []string{`"field":"from"`, "2026-11-01"}},
		{"time off the quarter-hour", "POST", "/api/v1/targets", k, `{"metric":"csat","dimension":"workspace","value":80,"from":"2026-10-01T00:07:00Z","to":"2026-10-31"}`, nil, 422, []string{"quarter-hour"}},
		{"several problems at once", "POST", "/api/v1/targets", k, `{"metric":"nps","dimension":"agent","value":300,"from":"2026-11-01","to":"2026-10-01"}`, nil, 422,
			[]string{`"field":"group"`, `"field":"value"`, `"field":"from"`}},
		{"bad tz", "POST", "/api/v1/targets?tz=Mars/Base", k, `{"metric":"csat","dimension":"workspace","value":80,` + period + `}`, nil, 400, []string{`"field":"tz"`}},
		{"list by bad metric", "GET", "/api/v1/targets?metric=effort", k, nil, nil, 400, []string{`"field":"metric"`}},
		{"list by bad dimension", "GET", "/api/v1/targets?dimension=region", k, nil, nil, 400, []string{`"field":"dimension"`}},
		{"list by group alone", "GET", "/api/v1/targets?group=Billing", k, nil, nil, 400, []string{`"field":"group"`}},
		{"list with a bad cursor", "GET", "/api/v1/targets?cursor=zzz", k, nil, nil, 400, []string{`"field":"cursor"`}},
	})
	if n := en.count(nil); n != 0 {
		t.Fatalf("bad requests stored %d targets", n)
	}
}

// TargetsFor returns the targets of one metric whose period overlaps the report's, its end
// excluded.
func TestTargetsFor(t *testing.T) {
	en := newEnv(t)
	ctx := t.Context()
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	add := func(metric scoring.Metric, dim, group string, from, to time.Time) *Target {
		tg := &Target{WorkspaceID: en.WS.ID, Metric: metric, Points: 5, Dimension: dim, Group: group, Value: 80, From: from, To: to}
		if err := en.svc.Create(ctx, tg); err != nil {
			t.Fatal(err)
		}
		return tg
	}
	q3 := add(scoring.MetricCSAT, Workspace, "", day(7, 1), day(10, 1))
	q4 := add(scoring.MetricCSAT, Workspace, "", day(10, 1), day(13, 1))
	billing := add(scoring.MetricCSAT, "team", "Billing", day(11, 1), day(12, 1))
	add(scoring.MetricNPS, Workspace, "", day(10, 1), day(13, 1))
	other, _ := en.Workspace("Rival")
	if err := en.svc.Create(ctx, &Target{WorkspaceID: other.ID, Metric: scoring.MetricCSAT, Points: 5, Dimension: Workspace,
		From: day(10, 1), To: day(13, 1)}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		from, to time.Time
		want     []*Target
	}{
		"october":                  {day(10, 1), day(11, 1), []*Target{q4}},
		"november":                 {day(11, 1), day(12, 1), []*Target{billing, q4}},
		"across the quarters":      {day(9, 15), day(10, 15), []*Target{q3, q4}},
		"ending as q4 begins":      {day(9, 1), day(10, 1), []*Target{q3}},
		"before any":               {day(1, 1), day(2, 1), nil},
		"starting as billing ends": {day(12, 1), day(12, 31), []*Target{q4}},
	} {
		got, err := en.svc.TargetsFor(ctx, en.WS.ID, scoring.MetricCSAT, c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %d targets %+v, want %d", name, len(got), got, len(c.want))
			continue
		}
		for i := range got {
			if got[i].ID != c.want[i].ID {
				t.Errorf("%s: targets[%d] = %s %s %v, want %s", name, i, got[i].Dimension, got[i].Group, got[i].From, c.want[i].ID.Hex())
			}
		}
	}

	// Reports read the targets through a cache: this instance's changes show at once, another
	// instance's within cacheTTL.
	november := func(when string, want ...float64) {
		t.Helper()
		got, err := en.svc.TargetsFor(ctx, en.WS.ID, scoring.MetricCSAT, day(11, 1), day(12, 1))
		if err != nil {
			t.Fatal(err)
		}
		var values []float64
		for _, tg := range got {
			values = append(values, tg.Value)
		}
		if !slices.Equal(values, want) {
			t.Errorf("%s: november's targets %v, want %v", when, values, want)
		}
	}
	q4.Value = 85
	if err := en.svc.Save(ctx, q4); err != nil {
		t.Fatal(err)
	}
	november("q4 changed", 80, 85)
	if err := en.svc.Delete(ctx, en.WS.ID, billing.ID); err != nil {
		t.Fatal(err)
	}
	november("billing deleted", 85)
	elsewhere := Target{ID: bson.NewObjectID(), WorkspaceID: en.WS.ID, Metric: scoring.MetricCSAT, Points: 5,
		Dimension: "team", Group: "Sales", Value: 70, From: day(11, 1), To: day(12, 1)}
	if _, err := en.svc.targets.InsertOne(ctx, elsewhere); err != nil {
		t.Fatal(err)
	}
	november("created by another instance, just now", 85)
	en.Clock.Advance(cacheTTL + time.Second)
	november("created by another instance, cacheTTL ago", 70, 85)
}

func TestSeedDemo(t *testing.T) {
	en := newEnv(t)
	for range 2 { // a second run replaces the first
		if err := en.svc.SeedDemo(t.Context(), en.WS.ID, en.WS.Location()); err != nil {
			t.Fatal(err)
		}
	}
	mine := bson.D{{Key: "workspace_id", Value: en.WS.ID}}
	if targets := en.count(mine); targets != 2*int64(len(demoTargets)) {
		t.Fatalf("%d targets", targets)
	}
	now := en.svc.now()
	for _, m := range []scoring.Metric{scoring.MetricCSAT, scoring.MetricNPS, scoring.MetricCES} {
		got, err := en.svc.TargetsFor(t.Context(), en.WS.ID, m, now.AddDate(0, 0, -30), now)
		if err != nil || len(got) == 0 {
			t.Errorf("no %s target for the last 30 days: %v", m, err)
		}
	}
}
