package customercount

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/surveytest"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const countsURL = "/api/v1/customer-counts"

// postCounts posts customer counts and returns what was stored, failing unless the status is want.
func (en *env) postCounts(body string, want int) CustomerCount {
	en.T.Helper()
	rec := en.Do("POST", countsURL, en.Key, body)
	if rec.Code != want {
		en.T.Fatalf("POST %s %s: %d, want %d: %s", countsURL, body, rec.Code, want, rec.Body)
	}
	var cc CustomerCount
	surveytest.Decode(en.T, rec, &cc)
	return cc
}

func TestCustomerCountsAPI(t *testing.T) {
	en := newEnv(t)
	october := `{"from":"2026-10-01","to":"2026-10-31","customers_start":200,"customers_end":180,"customers_new":20}`
	first := en.postCounts(october, http.StatusCreated)
	// October's days in the workspace's Asia/Ho_Chi_Minh.
	if first.From != "2026-10-01" || first.To != "2026-10-31" || first.TimeZone != "Asia/Ho_Chi_Minh" ||
		first.StartsAt.UTC().Format("2006-01-02T15:04Z") != "2026-09-30T17:00Z" || first.EndsAt.UTC().Format("2006-01-02T15:04Z") != "2026-10-31T17:00Z" ||
		first.Dimension != "" || first.Start != 200 || first.End != 180 || first.New != 20 || first.ID.IsZero() {
		t.Fatalf("stored %+v", first)
	}
	// The CRM retries with corrected figures: the period is replaced, not counted twice.
	again := en.postCounts(`{"from":"2026-10-01","to":"2026-10-31","customers_start":200,"customers_end":181,"customers_new":21}`, http.StatusOK)
	if again.ID != first.ID || again.End != 181 || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("retry stored %+v, want %s updated", again, first.ID.Hex())
	}
	billing := en.postCounts(`{"from":"2026-10-01","to":"2026-10-31","dimension":"Team","value":" Billing ","customers_start":50,"customers_end":55,"customers_new":10}`, http.StatusCreated)
	chat := en.postCounts(`{"from":"2026-10-01","to":"2026-10-31","dimension":"channel","value":"Chat","customers_start":0,"customers_end":0,"customers_new":0}`, http.StatusCreated)
	if billing.Dimension != "team" || billing.Value != "Billing" || chat.Value != "chat" || billing.ID == first.ID {
		t.Fatalf("groups stored as %+v and %+v", billing, chat)
	}
	stored := func(ws *survey.Workspace) int {
		t.Helper()
		all, err := en.svc.Read(t.Context(), ws.ID, customerScopes)
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	if n := stored(en.WS); n != 3 {
		t.Fatalf("%d customer counts stored, want 3", n)
	}

	rival, rivalKey := en.Workspace("Rival")
	read := en.KeyFor(en.WS, apikey.ScopeRead)
	u := countsURL + "/"
	en.Run(t, []scenario{
		{"list", "GET", countsURL, read, nil, nil, 200, []string{`"id":"` + chat.ID.Hex() + `"`, `"customers_end":181`, `"dimension":"team","value":"Billing"`}},
		{"list, paged", "GET", countsURL + "?limit=2", read, nil, nil, 200, []string{`"next_cursor":"`}},
		{"another workspace lists its own", "GET", countsURL, rivalKey, nil, nil, 200, []string{`{"data":[]}`}},
		{"another workspace cannot delete", "DELETE", u + chat.ID.Hex(), rivalKey, nil, nil, 404, nil},
		{"a read key cannot post", "POST", countsURL, read, october, nil, 403, nil},
		{"a read key cannot delete", "DELETE", u + chat.ID.Hex(), read, nil, nil, 403, nil},
		{"no key", "GET", countsURL, "", nil, nil, 401, nil},
		{"delete", "DELETE", u + chat.ID.Hex(), en.Key, nil, nil, 204, nil},
		{"delete again", "DELETE", u + chat.ID.Hex(), en.Key, nil, nil, 404, nil},
		{"malformed id", "DELETE", u + "nope", en.Key, nil, nil, 404, nil},
	})
	if n := stored(rival); n != 0 {
		t.Errorf("the rival workspace has %d customer counts", n)
	}
	// The next page starts after the last of the first.
	type page struct {
		Data       []CustomerCount `json:"data"`
		NextCursor string          `json:"next_cursor"`
	}
	var one, two page
	surveytest.Decode(t, en.Do("GET", countsURL+"?limit=1", read, nil), &one)
	if len(one.Data) != 1 || one.Data[0].ID != billing.ID || one.NextCursor == "" {
		t.Fatalf("first page %+v", one)
	}
	surveytest.Decode(t, en.Do("GET", countsURL+"?limit=1&cursor="+one.NextCursor, read, nil), &two)
	if len(two.Data) != 1 || two.Data[0].ID != first.ID || two.NextCursor != "" {
		t.Errorf("second page %+v", two)
	}

	body := func(fields string) string {
		return `{"from":"2026-10-01","to":"2026-10-31","customers_start":200,"customers_end":180,"customers_new":20` + fields + `}`
	}
	en.Run(t, []scenario{
		{"malformed JSON", "POST", countsURL, en.Key, `{"from":"2026-10-01",`, nil, 400, []string{"not valid JSON"}},
		{"empty body", "POST", countsURL, en.Key, ``, nil, 400, []string{"empty"}},
		{"not an object", "POST", countsURL, en.Key, `[1,2]`, nil, 400, nil},
		{"a count as a string", "POST", countsURL, en.Key, strings.Replace(october, `200`, `"200"`, 1), nil, 400, []string{`"field":"customers_start"`, "whole number"}},
		{"a fractional count", "POST", countsURL, en.Key, strings.Replace(october, `180`, `180.5`, 1), nil, 400, []string{`"field":"customers_end"`, "whole number"}},
		{"a date as a number", "POST", countsURL, en.Key, strings.Replace(october, `"2026-10-01"`, `20261001`, 1), nil, 400, []string{`"field":"from"`}},
		{"unknown field", "POST", countsURL, en.Key, body(`,"churned":20`), nil, 400, []string{`"field":"churned"`}},
		{"negative", "POST", countsURL, en.Key, strings.Replace(october, `"customers_new":20`, `"customers_new":-1`, 1), nil, 422, []string{`"field":"customers_new"`, "at least 0"}},
		{"missing counts", "POST", countsURL, en.Key, `{"from":"2026-10-01","to":"2026-10-31","customers_start":200}`, nil, 422,
			[]string{`"field":"customers_end","message":"is required"`, `"field":"customers_new","message":"is required"`}},
		{"more customers at the end than there could be", "POST", countsURL, en.Key, strings.Replace(october, `"customers_end":180`, `"customers_end":221`, 1), nil, 422,
			[]string{`"field":"customers_end"`, "customers_start + customers_new"}},
		{"as many as there could be", "POST", countsURL, en.Key, strings.Replace(body(`,"dimension":"agent","value":"Lan"`), `"customers_end":180`, `"customers_end":220`, 1), nil, 201, nil},
		{"absurdly many", "POST", countsURL, en.Key, strings.Replace(october, `200`, `9000000000000`, 1), nil, 422, []string{`"field":"customers_start"`}},
		{"no period", "POST", countsURL, en.Key, `{"customers_start":200,"customers_end":180,"customers_new":20}`, nil, 422, []string{`"field":"from"`, `"field":"to"`}},
		{"a month that does not exist", "POST", countsURL, en.Key, strings.Replace(october, `2026-10-01`, `2026-13-01`, 1), nil, 422, []string{`"field":"from"`, "2026-10-01"}},
		{"a time instead of a date", "POST", countsURL, en.Key, strings.Replace(october, `2026-10-31`, `2026-10-31T00:00:00Z`, 1), nil, 422, []string{`"field":"to"`}},
		{"from after to", "POST", countsURL, en.Key, strings.Replace(october, `2026-10-01`, `2026-11-01`, 1), nil, 400, []string{`"field":"from"`}},
		{"longer than a report", "POST", countsURL, en.Key, strings.Replace(october, `2026-10-01`, `2020-01-01`, 1), nil, 400, []string{`"field":"from"`, "1096 days"}},
		{"unknown dimension", "POST", countsURL, en.Key, body(`,"dimension":"region","value":"North"`), nil, 422, []string{`"field":"dimension"`, "agent, team, channel, country"}},
		{"a value without its dimension", "POST", countsURL, en.Key, body(`,"value":"Billing"`), nil, 422, []string{`"field":"dimension"`}},
		{"a dimension without its value", "POST", countsURL, en.Key, body(`,"dimension":"team","value":"  "`), nil, 422, []string{`"field":"value"`}},
		{"a value too long", "POST", countsURL, en.Key, body(`,"dimension":"team","value":"` + strings.Repeat("x", 201) + `"`), nil, 422, []string{`"field":"value"`, "200 characters"}},
		{"not JSON", "POST", countsURL, en.Key, `customers=200`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, nil},
	})
}

func sampleCustomerCounts() []CustomerCount {
	at := time.Date(2026, 11, 20, 3, 0, 0, 123e6, time.UTC)
	return []CustomerCount{
		{ID: bson.NewObjectID(), Value: "Nguyễn Thu An", From: "2026-10-01", To: "2026-10-31", TimeZone: "Asia/Ho_Chi_Minh",
			StartsAt: time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 10, 31, 17, 0, 0, 0, time.UTC),
			Start: 1_000_000_000_000, End: 0, New: 7, CreatedAt: at, UpdatedAt: at.Add(36 * time.Hour)},
		{ID: bson.NewObjectID(), From: "2026-10-01", To: "2026-10-31", TimeZone: "America/St_Johns",
			StartsAt: time.Date(2026, 10, 1, 2, 30, 0, 0, time.UTC), EndsAt: time.Date(2026, 11, 1, 2, 30, 0, 0, time.UTC),
			Start: 200, End: 180, New: 20, CreatedAt: at, UpdatedAt: at},
	}
}

func TestCustomerCountsEncoding(t *testing.T) {
	counts := sampleCustomerCounts()
	data := encodeCustomerCounts(counts)
	got, err := decodeCustomerCounts(data)
	if err != nil || !reflect.DeepEqual(got, counts) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, counts)
	}
	if len(data) > 2*60+60 {
		t.Errorf("two counts take %d bytes", len(data))
	}
	for n := range len(data) {
		if _, err := decodeCustomerCounts(data[:n]); !errors.Is(err, errCustomerCountsEncoding) {
			t.Errorf("cut to %d bytes: %v, want errCustomerCountsEncoding", n, err)
		}
	}
	if empty, err := decodeCustomerCounts(encodeCustomerCounts(nil)); err != nil || len(empty) != 0 {
		t.Errorf("no counts: %v, %v", empty, err)
	}
}

// FuzzCustomerCountsDecode: a corrupt document gives an error, never a panic or an
// allocation its size cannot justify, and what decodes re-encodes to the same.
func FuzzCustomerCountsDecode(f *testing.F) {
	f.Add(encodeCustomerCounts(sampleCustomerCounts()))
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{1, 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, data []byte) {
		counts, err := decodeCustomerCounts(data)
		if err != nil {
			return
		}
		again, err := decodeCustomerCounts(encodeCustomerCounts(counts))
		if err != nil || !reflect.DeepEqual(again, counts) {
			t.Fatalf("re-encoded counts decode to %v, %v; want %v", again, err, counts)
		}
	})
}
