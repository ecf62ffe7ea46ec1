package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/config"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// `surveyd rollups rebuild` on an embedded store that a server serves asks that server to
// rebuild, follows its progress, and leaves the reports as they were; a second server on
// the same data directory does not start.
func TestRollupsRebuildWhileServing(t *testing.T) {
	dir := t.TempDir()
	r := serveApp(t, map[string]string{"SURVEYD_DATA_DIR": dir})
	ctx := context.Background()
	ws := survey.NewWorkspace("Acme")
	if err := r.svc.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	_, key, err := r.keys.Create(ctx, ws.ID, "rebuild", apikey.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var sv survey.Survey
	if code := r.api(t, "POST", "/api/v1/surveys", key, map[string]any{"kind": "csat", "name": "Support"}, &sv); code != 201 {
		t.Fatalf("create survey: %d", code)
	}
	for _, email := range []string{"lan@example.com", "minh@example.com"} {
		body := map[string]any{"survey_id": sv.ID.Hex(), "customer": map[string]any{"email": email}, "interaction": map[string]any{"agent": "Hoa", "channel": "chat"}}
		if code := r.api(t, "POST", "/api/v1/invitations", key, body, nil); code != 201 {
			t.Fatalf("create invitation: %d", code)
		}
	}
	report := func() string {
		var rep json.RawMessage
		if code := r.api(t, "GET", "/api/v1/surveys/"+sv.ID.Hex()+"/report?group_by=agent", key, nil, &rep); code != 200 {
			t.Fatalf("report: %d %s", code, rep)
		}
		return string(rep)
	}
	// Once both emails are out (to .eml files), nothing changes the report but the rebuild.
	var before string
	waitFor(t, "both invitations sent", func() bool {
		before = report()
		return strings.Contains(before, `"invited":2`) && strings.Contains(before, `"sent":2`)
	})

	getenv := func(k string) string {
		if k == "SURVEYD_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"rollups", "rebuild"}, getenv, &out, &errOut); err != nil {
		t.Fatalf("rollups rebuild: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "asking it to rebuild") || !strings.Contains(out.String(), "by the serving process") {
		t.Errorf("rollups rebuild printed %q / %q, want the serving process to have done it", out.String(), errOut.String())
	}
	if n, err := r.store.DB.Collection("rollup_rebuilds").CountDocuments(ctx, bson.D{{Key: "state", Value: rollup.RebuildDone}}); err != nil || n != 1 {
		t.Errorf("%d rebuild requests done (%v), want 1", n, err)
	}
	if after := report(); after != before {
		t.Errorf("report after the rebuild:\n%s\nwant\n%s", after, before)
	}

	cfg, err := config.Load(flag.NewFlagSet("test", flag.ContinueOnError), nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := initApp(ctx, cfg, slog.New(slog.DiscardHandler)); err == nil {
		a.close()
		t.Fatal("a second server started on a data directory that one serves")
	} else if !strings.Contains(err.Error(), "serves this data directory") {
		t.Errorf("second server: %v", err)
	}
}
