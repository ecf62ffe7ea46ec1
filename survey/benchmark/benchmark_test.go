package benchmark

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/migrations/benchmarks"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestValueComparable(t *testing.T) {
	csat, nps, ces := scoring.MetricCSAT, scoring.MetricNPS, scoring.MetricCES
	for name, c := range map[string]struct {
		v      Value
		metric scoring.Metric
		points int
		want   bool
	}{
		"csat percent, csat survey":        {Value{Metric: csat, Scale: "percent"}, csat, 5, true},
		"acsi index is never a csat":       {Value{Metric: csat, Scale: "index_0_100"}, csat, 5, false},
		"csat mean stars is not a percent": {Value{Metric: csat, Scale: "mean_1_5"}, csat, 5, false},
		"csat percent, nps survey":         {Value{Metric: csat, Scale: "percent"}, nps, 11, false},
		"nps, nps survey":                  {Value{Metric: nps, Scale: "nps"}, nps, 11, true},
		"nps, malformed nps survey":        {Value{Metric: nps, Scale: "nps"}, nps, 10, false},
		"ces 7, ces 7 survey":              {Value{Metric: ces, Scale: "mean_1_7"}, ces, 7, true},
		"ces 7, ces 5 survey":              {Value{Metric: ces, Scale: "mean_1_7"}, ces, 5, false},
		"ces 5, ces 5 survey":              {Value{Metric: ces, Scale: "mean_1_5"}, ces, 5, true},
		"ces percent easy is not the mean": {Value{Metric: ces, Scale: "percent"}, ces, 7, false},
		"ces 6 has no survey":              {Value{Metric: ces, Scale: "mean_1_6"}, ces, 6, false},
	} {
		if got := c.v.Comparable(c.metric, c.points); got != c.want {
			t.Errorf("%s: Comparable(%s, %d) = %v, want %v", name, c.metric, c.points, got, c.want)
		}
	}
}

const goodSet = `{"name":"Peers","description":"From the annual study","values":[
	{"metric":"nps","scale":"nps","statistic":"median","value":36,"source":"SurveyMonkey","year":2024},
	{"metric":"csat","scale":"percent","value":86.5,"segment":{"industry":"Telecom","region":"VN","channel":" Chat "},"source":"Study","year":2025},
	{"metric":"ces","scale":"mean_1_7","value":5.4,"source":"Study","year":2025}]}`

func TestBenchmarkSets(t *testing.T) {
	en := newEnv(t)
	rec := en.Do("POST", "/api/v1/benchmark-sets", en.Key, goodSet)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var set Set
	surveytest.Decode(t, rec, &set)
	if set.Starter || len(set.Values) != 3 || set.Values[1].Segment.Channel != "chat" || set.Values[0].Statistic != "median" {
		t.Fatalf("created %+v", set)
	}
	u := "/api/v1/benchmark-sets/" + set.ID.Hex()
	starter := "/api/v1/benchmark-sets/" + benchmarks.StarterSetID.Hex()
	read := en.KeyFor(en.WS, apikey.ScopeRead)
	_, other := en.Workspace("Rival")
	replaced := `{"name":"Peers 2026","values":[{"metric":"nps","scale":"nps","value":-6.1,"segment":{"industry":"Consumer payments"},"source":"XM Institute","year":2023}]}`
	// Reports read sets through a cache, which this instance's changes clear.
	report := "/api/v1/surveys/" + en.CreateSurvey(`{"kind":"csat","name":"Support"}`).ID.Hex() + "/report?compare=benchmark:" + set.ID.Hex()
	en.Run(t, []scenario{
		{"get", "GET", u, read, nil, nil, 200, []string{`"name":"Peers"`, `"value":86.5`, `"channel":"chat"`, `"starter":false`}},
		{"a report compares with it", "GET", report, read, nil, nil, 200, nil},
		{"list has ours and the starter set, without values", "GET", "/api/v1/benchmark-sets", read, nil, nil, 200,
			[]string{set.ID.Hex(), benchmarks.StarterSetID.Hex(), `"name":"Published benchmarks"`, `"starter":true`}},
		{"list pages", "GET", "/api/v1/benchmark-sets?limit=1", read, nil, nil, 200, []string{set.ID.Hex(), `"next_cursor"`}},
		{"starter set for anyone", "GET", starter, other, nil, nil, 200, []string{`"value":30.1`, `"value":77.8`, `"scale":"index_0_100"`, `"statistic":"upper_quartile"`}},
		{"read key cannot create", "POST", "/api/v1/benchmark-sets", read, goodSet, nil, 403, nil},
		{"starter set is read-only", "PUT", starter, en.Key, replaced, nil, 403, []string{"read-only"}},
		{"starter set cannot be deleted", "DELETE", starter, en.Key, nil, nil, 403, []string{"read-only"}},
		{"another workspace cannot read", "GET", u, other, nil, nil, 404, nil},
		{"another workspace cannot replace", "PUT", u, other, replaced, nil, 404, nil},
		{"another workspace cannot delete", "DELETE", u, other, nil, nil, 404, nil},
		{"another workspace does not list it", "GET", "/api/v1/benchmark-sets", other, nil, nil, 200, []string{benchmarks.StarterSetID.Hex()}},
		{"malformed id", "GET", "/api/v1/benchmark-sets/nope", en.Key, nil, nil, 404, nil},
		{"replace", "PUT", u, en.Key, replaced, nil, 200, []string{`"name":"Peers 2026"`, `"description":""`, `"value":-6.1`}},
		{"replaced", "GET", u, en.Key, nil, nil, 200, []string{`"Consumer payments"`}},
		{"a report compares with it as replaced", "GET", report, read, nil, nil, 200, nil},
		{"delete", "DELETE", u, en.Key, nil, nil, 204, nil},
		{"deleted", "GET", u, en.Key, nil, nil, 404, nil},
		{"a report no longer can", "GET", report, read, nil, nil, 404, []string{`"field":"compare"`}},
	})
	var page httpx.Page[Set]
	surveytest.Decode(t, en.Do("GET", "/api/v1/benchmark-sets", other, nil), &page)
	if len(page.Data) != 1 || page.Data[0].ID != benchmarks.StarterSetID || page.Data[0].Values != nil {
		t.Errorf("another workspace lists %+v, want the starter set alone, without values", page.Data)
	}
	got, err := en.svc.Set(t.Context(), en.WS.ID, benchmarks.StarterSetID)
	if err != nil || got.Name != "Published benchmarks" || len(got.Values) != 5 {
		t.Fatalf("the starter set changed: %+v, %v", got, err)
	}
}

func TestBenchmarkSetRejectsBadInput(t *testing.T) {
	en := newEnv(t)
	k := en.Key
	value := func(v string) string { return `{"name":"x","values":[` + v + `]}` }
	ok := `{"metric":"nps","scale":"nps","value":10,"source":"S","year":2024}`
	var many []string
	for range 30 {
		many = append(many, `{"metric":"nps","scale":"nps","value":500,"source":"S","year":2024}`)
	}
	en.Run(t, []scenario{
		{"malformed json", "POST", "/api/v1/benchmark-sets", k, `{"name":"x",`, nil, 400, []string{"not valid JSON"}},
		{"unknown field", "POST", "/api/v1/benchmark-sets", k, `{"name":"x","colour":"red","values":[` + ok + `]}`, nil, 400, []string{`"field":"colour"`}},
		{"unknown segment field", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"nps","scale":"nps","value":1,"segment":{"country":"VN"},"source":"S","year":2024}`), nil, 400, []string{`"field":"values[0].segment.country"`, "not a known field"}},
		{"value not a number", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"nps","scale":"nps","value":"36","source":"S","year":2024}`), nil, 400, []string{`"field":"values[0].value"`, "must be a number"}},
		{"year not a whole number", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"nps","scale":"nps","value":36,"source":"S","year":2024.5}`), nil, 400, []string{"must be a whole number"}},
		{"values not an array", "POST", "/api/v1/benchmark-sets", k, `{"name":"x","values":{}}`, nil, 400, []string{`"field":"values"`, "must be an array"}},
		{"oversized", "POST", "/api/v1/benchmark-sets", k, `{"name":"` + strings.Repeat("x", 3<<20) + `"}`, nil, 413, nil},
		{"no name, no values", "POST", "/api/v1/benchmark-sets", k, `{"name":" "}`, nil, 422, []string{`"field":"name"`, `"field":"values"`}},
		{"empty values", "POST", "/api/v1/benchmark-sets", k, `{"name":"x","values":[]}`, nil, 422, []string{`"field":"values"`}},
		{"value missing", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"nps","scale":"nps","source":"S","year":2024}`), nil, 422, []string{`"field":"values[0].value"`, "is required"}},
		{"everything wrong", "POST", "/api/v1/benchmark-sets", k, value(ok + `,{"metric":"effort","scale":"x","value":1,"statistic":"mode","segment":{"channel":"` + strings.Repeat("c", 101) + `"},"source":"","year":1989}`), nil, 422,
			[]string{`"field":"values[1].metric"`, `"field":"values[1].statistic"`, `"field":"values[1].segment.channel"`, `"field":"values[1].source"`, `"field":"values[1].year"`, "from 1990 to"}},
		{"scale of another metric", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"nps","scale":"percent","value":30,"source":"S","year":2024}`), nil, 422, []string{`"field":"values[0].scale"`, "must be nps for nps"}},
		{"mean scale too long", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"ces","scale":"mean_1_12","value":3,"source":"S","year":2024}`), nil, 422, []string{`"field":"values[0].scale"`}},
		{"nps out of range", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"nps","scale":"nps","value":-101,"source":"S","year":2024}`), nil, 422, []string{`"field":"values[0].value"`, "from -100 to 100"}},
		{"csat percent out of range", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"csat","scale":"percent","value":100.5,"source":"S","year":2024}`), nil, 422, []string{"from 0 to 100"}},
		{"ces below its scale", "POST", "/api/v1/benchmark-sets", k, value(`{"metric":"ces","scale":"mean_1_5","value":0.5,"source":"S","year":2024}`), nil, 422, []string{"from 1 to 5 on scale mean_1_5"}},
		{"year ahead", "POST", "/api/v1/benchmark-sets", k, value(fmt.Sprintf(`{"metric":"nps","scale":"nps","value":1,"source":"S","year":%d}`, time.Now().Year()+2)), nil, 422, []string{`"field":"values[0].year"`}},
		{"repeated value", "POST", "/api/v1/benchmark-sets", k, value(ok + `,{"metric":"csat","scale":"percent","value":80,"source":"S","year":2024},` + strings.Replace(ok, `"source":"S"`, `"source":" s "`, 1)), nil, 422,
			[]string{`"field":"values[2]"`, "repeats values[0]"}},
		{"problems are capped", "POST", "/api/v1/benchmark-sets", k, value(strings.Join(many, ",")), nil, 422, []string{"30 problem(s); the first 20 are listed", `"field":"values[19].value"`}},
	})
	if n := en.count(bson.D{{Key: "workspace_id", Value: en.WS.ID}}); n != 0 {
		t.Fatalf("bad requests stored %d sets", n)
	}
	rec := en.Do("POST", "/api/v1/benchmark-sets", k, value(strings.Join(many, ",")))
	if strings.Contains(rec.Body.String(), `values[20]`) {
		t.Errorf("more than 20 problems listed: %s", rec.Body)
	}
}

const goodCSV = "\ufeffMetric,Scale,Value,Industry,Region,Channel,Source,Year,Statistic\r\n" +
	"nps,nps,30.1,Grocers,US,,\"XM Institute, 2023\",2023,mean\r\n" +
	"nps,nps,+36,,,,SurveyMonkey,2024,median\r\n" +
	",,,,,,,,\r\n" + // a blank row as Excel writes one
	"ces,mean_1_7,5.2,Telecom,VN,phone,\"Sao Mai \"\"internal\"\" study\",2025,\r\n"

func TestBenchmarkImport(t *testing.T) {
	en := newEnv(t)
	csvHeader := []string{"Content-Type", "text/csv; charset=utf-8"}
	rec := en.Do("POST", "/api/v1/benchmark-sets/import?name=Imported&description=From+Excel", en.Key, goodCSV, csvHeader...)
	if rec.Code != http.StatusCreated {
		t.Fatalf("import: %d %s", rec.Code, rec.Body)
	}
	var set Set
	surveytest.Decode(t, rec, &set)
	want := []Value{
		{Metric: "nps", Scale: "nps", Statistic: "mean", Value: 30.1, Segment: Segment{Industry: "Grocers", Region: "US"}, Source: "XM Institute, 2023", Year: 2023},
		{Metric: "nps", Scale: "nps", Statistic: "median", Value: 36, Source: "SurveyMonkey", Year: 2024},
		{Metric: "ces", Scale: "mean_1_7", Value: 5.2, Segment: Segment{Industry: "Telecom", Region: "VN", Channel: "phone"}, Source: `Sao Mai "internal" study`, Year: 2025},
	}
	if set.Name != "Imported" || set.Description != "From Excel" || fmt.Sprint(set.Values) != fmt.Sprint(want) {
		t.Fatalf("imported %+v\nwant values %+v", set, want)
	}
	stored, err := en.svc.Set(t.Context(), en.WS.ID, set.ID)
	if err != nil || fmt.Sprint(stored.Values) != fmt.Sprint(want) {
		t.Fatalf("stored %+v, %v", stored, err)
	}
}

func TestBenchmarkImportRejectsBadFiles(t *testing.T) {
	en := newEnv(t)
	k := en.Key
	csv := []string{"Content-Type", "text/csv"}
	u := "/api/v1/benchmark-sets/import?name=Bad"
	header := "metric,scale,value,source,year\n"
	var tooMany strings.Builder
	tooMany.WriteString(header)
	for i := range maxValues + 1 {
		fmt.Fprintf(&tooMany, "nps,nps,%d,S%d,2024\n", i%100, i)
	}
	var manyBad strings.Builder
	manyBad.WriteString(header)
	for range 25 {
		manyBad.WriteString("nps,nps,x,S,2024\n")
	}
	en.Run(t, []scenario{
		{"no name", "POST", "/api/v1/benchmark-sets/import", k, goodCSV, csv, 400, []string{`"field":"name"`}},
		{"name too long", "POST", "/api/v1/benchmark-sets/import?name=" + strings.Repeat("n", 201), k, goodCSV, csv, 400, []string{`"field":"name"`}},
		{"not csv", "POST", u, k, `{"values":[]}`, nil, 415, []string{"text/csv"}},
		{"another charset", "POST", u, k, goodCSV, []string{"Content-Type", "text/csv; charset=windows-1258"}, 415, []string{"UTF-8"}},
		{"latin-1 bytes", "POST", u, k, header + "csat,percent,80,Caf\xe9 study,2024\n", csv, 415, []string{"Line 2 is not UTF-8", "CSV UTF-8"}},
		{"utf-16", "POST", u, k, "\xff\xfem\x00e\x00", csv, 415, []string{"UTF-16"}},
		{"empty", "POST", u, k, "", csv, 400, []string{"empty"}},
		{"header only", "POST", u, k, header, csv, 422, []string{"no rows"}},
		{"unknown and missing columns", "POST", u, k, "metric,scale,score,source,colour\nnps,nps,1,S,red\n", csv, 400,
			[]string{`unknown column \"score\"`, `unknown column \"colour\"`, `required column \"value\" is missing`, `required column \"year\" is missing`, `"field":"line 1"`}},
		{"semicolons", "POST", u, k, "metric;scale;value;source;year\n", csv, 400, []string{"not semicolons"}},
		{"column twice", "POST", u, k, "metric,scale,value,source,year,Year\n", csv, 400, []string{`column \"year\" appears twice`}},
		{"bad numbers", "POST", u, k, header + "nps,nps,\"30,1\",S,2024\nnps,nps,NaN,S,2024\nnps,nps,Inf,S,2024\nnps,nps,0x1p4,S,2024\nnps,nps,,S,2024\nnps,nps,1,S,twenty\n", csv, 422,
			[]string{`"field":"line 2: value"`, `"field":"line 3: value"`, `"field":"line 4: value"`, `"field":"line 5: value"`, `"field":"line 6: value"`, `"field":"line 7: year"`, "decimal point", "Nothing was stored"}},
		{"out of range", "POST", u, k, header + "nps,nps,120,S,2024\ncsat,percent,-1,S,2024\nces,mean_1_7,8,S,2024\nnps,nps,1,S,1989\n", csv, 422,
			[]string{`"field":"line 2: value"`, `"field":"line 3: value"`, `"field":"line 4: value"`, `"field":"line 5: year"`}},
		{"duplicate rows", "POST", u, k, header + "nps,nps,30,XM,2023\nnps,nps,31,Other,2023\nNPS,nps,30.5,xm,2023\n", csv, 422,
			[]string{`"field":"line 4"`, "repeats line 2"}},
		{"ragged row", "POST", u, k, header + "nps,nps,30\n", csv, 422, []string{`"field":"line 2"`, "has 3 cells; the header has 5"}},
		{"stray quote", "POST", u, k, header + "nps,nps,30,S \"x\",2024\n", csv, 400, []string{"line 2", "not valid CSV"}},
		{"too many problems", "POST", u, k, manyBad.String(), csv, 422, []string{"25 problem(s); the first 20 are listed", `"field":"line 21: value"`}},
		{"too many rows", "POST", u, k, tooMany.String(), csv, 413, []string{"more than 5000 rows"}},
		{"too large", "POST", u, k, header + strings.Repeat("nps,nps,1,"+strings.Repeat("s", 1000)+",2024\n", 1100), csv, 413, []string{"larger than"}},
		{"read key cannot import", "POST", u, en.KeyFor(en.WS, apikey.ScopeRead), goodCSV, csv, 403, nil},
		{"read key cannot import", "POST", u, en.KeyFor(en.WS, apikey.ScopeRead), goodCSV, csv, 403, nil},
	})
	if n := en.count(bson.D{{Key: "workspace_id", Value: en.WS.ID}}); n != 0 {
		t.Fatalf("failed imports stored %d sets", n)
	}
}

// The starter set's figures pass the import's own checks, cite a source and a year, and only
// those in a report's unit are comparable.
func TestBenchmarkStarterSetIsValid(t *testing.T) {
	en := newEnv(t)
	set, err := en.svc.Set(t.Context(), en.WS.ID, benchmarks.StarterSetID)
	if err != nil {
		t.Fatal(err)
	}
	if !set.Starter || !set.WorkspaceID.IsZero() || set.CreatedAt.IsZero() {
		t.Fatalf("starter set %+v", set)
	}
	check := newBenchmarkChecker(en.svc.now())
	comparable := 0
	for i := range set.Values {
		v := set.Values[i]
		check.add(&v, fmt.Sprintf("values[%d]", i), func(column, msg string) { t.Errorf("values[%d] %+v: %s %s", i, set.Values[i], column, msg) })
		if v != set.Values[i] {
			t.Errorf("values[%d] is not stored as the import would store it: %+v, want %+v", i, set.Values[i], v)
		}
		if !strings.Contains(v.Source, "https://") {
			t.Errorf("values[%d] cites no address: %q", i, v.Source)
		}
		if v.Comparable(scoring.MetricNPS, 11) || v.Comparable(scoring.MetricCSAT, 5) {
			comparable++
		}
	}
	if comparable != 4 {
		t.Errorf("%d starter values comparable with a survey, want the 4 NPS ones (the ACSI is an index)", comparable)
	}
}

func TestSeedDemo(t *testing.T) {
	en := newEnv(t)
	for range 2 { // a second run replaces the first
		if err := en.svc.SeedDemo(t.Context(), en.WS.ID, en.WS.Location()); err != nil {
			t.Fatal(err)
		}
	}
	mine := bson.D{{Key: "workspace_id", Value: en.WS.ID}}
	if sets := en.count(mine); sets != 1 {
		t.Fatalf("%d sets", sets)
	}
	// The demo's CSAT surveys have a published figure in their own unit to be compared with.
	var set Set
	if err := en.svc.sets.FindOne(t.Context(), mine).Decode(&set); err != nil {
		t.Fatal(err)
	}
	csat := 0
	for _, v := range set.Values {
		if v.Metric == scoring.MetricCSAT && v.Scale == ScalePercent && v.Source != "" && v.Year > 0 {
			csat++
		}
	}
	if csat == 0 {
		t.Errorf("the demo's benchmark set has no CSAT percent figure: %+v", set.Values)
	}
}

// Whatever the file, parsing ends in values that pass the checks or in a 4xx problem.
func FuzzParseBenchmarkCSV(f *testing.F) {
	for _, seed := range []string{goodCSV, "metric,scale,value,source,year\nnps,nps,1,S,2024\n", "metric;scale\n", "\xff\xfe", "a,\"b\n",
		"metric,scale,value,source,year\nnps,nps,1e400,S,2024\n", "metric,scale,value,source,year\n,,,,\n\"\",nps,1,S,2024\n"} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := parseBenchmarkCSV(data, now)
		if err != nil {
			var p *httpx.Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status >= 500 || len(p.Errors) > maxListedProblems {
				t.Fatalf("%q: error %v is not a 4xx problem", data, err)
			}
			return
		}
		if len(values) == 0 || len(values) > maxValues {
			t.Fatalf("%q: %d values", data, len(values))
		}
		check := newBenchmarkChecker(now)
		for i := range values {
			v := values[i]
			if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
				t.Fatalf("%q: value %v", data, v.Value)
			}
			check.add(&v, "again", func(column, msg string) {
				t.Fatalf("%q: accepted %+v, which fails %s: %s", data, values[i], column, msg)
			})
		}
	})
}
