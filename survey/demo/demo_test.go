package demo

import (
	"strings"
	"testing"

	"github.com/surveyd/surveyd/internal/surveytest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestSeedDemoIsIdempotent(t *testing.T) {
	en := newEnv(t)
	svc, opts := Services{Core: en.Core}, Options{Responses: 300, Catalog: surveytest.Catalog(t)}
	first, err := Seed(t.Context(), svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	ws := bson.D{{Key: "workspace_id", Value: first.Workspace.ID}}
	counts := func() [3]int64 {
		return [3]int64{en.Count("surveys", ws), en.Count("invitations", ws), en.Count("responses", ws)}
	}
	seeded := counts()
	if !first.Seeded || seeded[0] != 4 || seeded[2] != 300 || seeded[1] < 450 || len(first.Links) != 4 {
		t.Fatalf("first seed: %+v, counts %v", first, seeded)
	}
	for _, l := range first.Links {
		if !strings.HasPrefix(l.Link, "http://surveyd.test/s/") {
			t.Fatalf("link %q", l.Link)
		}
	}
	again, err := Seed(t.Context(), svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Seeded || counts() != seeded || len(again.Links) != 4 {
		t.Fatalf("second run added data: %v → %v", seeded, counts())
	}
	// Distributions differ by group, so the demo has something to show.
	for _, team := range []string{"Billing", "Technical", "Onboarding"} {
		if en.Count("responses", append(ws, bson.E{Key: "interaction.team", Value: team})) == 0 {
			t.Errorf("no responses for team %s", team)
		}
	}
	if en.Count("responses", append(ws, bson.E{Key: "locale", Value: "vi"})) == 0 || en.Count("responses", append(ws, bson.E{Key: "locale", Value: "en"})) == 0 {
		t.Error("demo responses should be in both languages")
	}
	// Every bias filter has something to show.
	for _, flag := range []string{"automated", "contradiction", "non_attributable", "late"} {
		if en.Count("responses", append(ws, bson.E{Key: "flags.name", Value: flag})) == 0 {
			t.Errorf("no demo response is flagged %s", flag)
		}
	}
}
