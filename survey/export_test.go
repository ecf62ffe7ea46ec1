package survey

import (
	"encoding/csv"
	"strings"
	"testing"
)

func TestExportResponsesCSV(t *testing.T) {
	en := newEnv(t)
	sv := en.createSurvey(`{"kind":"csat","name":"a"}`)
	_, tokA := en.invite(sv, `{"email":"a@example.com","name":"Nguyễn Thị Lan","locale":"vi"}`)
	_, tokB := en.invite(sv, `{"email":"b@example.com","locale":"en"}`)
	en.respond(tokA, formAnswer("5", "comment", "Nhân viên rất nhiệt tình, cảm ơn!", "interacted", "1"))
	en.respond(tokB, formAnswer("2", "comment", `=HYPERLINK("http://evil.example","click")`, "interacted", "1"))

	rec := en.do("GET", "/api/v1/responses/export?survey_id="+sv.ID.Hex(), en.key, nil)
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), `attachment; filename="responses-`) {
		t.Fatalf("export: %d %v", rec.Code, rec.Header())
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("no UTF-8 byte order mark: Excel would garble Vietnamese")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(exportColumns, ",") {
		t.Fatalf("rows: %q", rows)
	}
	col := func(row []string, name string) string {
		for i, c := range exportColumns {
			if c == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	byScore := map[string][]string{col(rows[1], "score"): rows[1], col(rows[2], "score"): rows[2]}
	if got := col(byScore["5"], "comment"); got != "Nhân viên rất nhiệt tình, cảm ơn!" || col(byScore["5"], "customer_name") != "Nguyễn Thị Lan" {
		t.Errorf("Vietnamese text did not survive: %q", got)
	}
	if got := col(byScore["2"], "comment"); !strings.HasPrefix(got, "'=") {
		t.Errorf("a formula went out as a formula: %q", got)
	}

	en.run(t, []scenario{
		{"filtered", "GET", "/api/v1/responses/export?score=5", en.key, nil, nil, 200, []string{"Nhân viên"}},
		{"bad filter", "GET", "/api/v1/responses/export?flag=spam", en.key, nil, nil, 400, []string{`"field":"flag"`}},
		{"no key", "GET", "/api/v1/responses/export", "", nil, nil, 401, nil},
	})
	_, rival := en.workspace("Rival")
	if body := en.do("GET", "/api/v1/responses/export", rival, nil).Body.String(); strings.Count(body, "\n") != 1 {
		t.Fatalf("another workspace's export holds rows: %q", body)
	}
}
