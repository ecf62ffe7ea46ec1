package demo

import (
	"testing"

	"github.com/surveyd/surveyd/internal/surveytest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The demo seeds its rule and CRM integration through the intake, and a second run finds
// them: the same secret, no second rule.
func TestSeedDemoIntake(t *testing.T) {
	en := newEnv(t)
	svc, opts := Services{Core: en.Core, Intake: en.intake}, Options{Responses: 300, Catalog: surveytest.Catalog(t)}
	first, err := Seed(t.Context(), svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	ws := bson.D{{Key: "workspace_id", Value: first.Workspace.ID}}
	if !first.Seeded || first.Integration == nil || first.Integration.Secret == "" || en.Count("rules", ws) != 1 {
		t.Fatalf("first seed: %+v, %d rules", first, en.Count("rules", ws))
	}
	again, err := Seed(t.Context(), svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Seeded || again.Integration.Secret != first.Integration.Secret || again.Integration.ID != first.Integration.ID || en.Count("rules", ws) != 1 {
		t.Fatalf("second run: %+v, %d rules", again, en.Count("rules", ws))
	}
}
