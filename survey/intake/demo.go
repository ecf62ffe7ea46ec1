package intake

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Demo is the intake's part of `surveyd demo`: the rule and the CRM integration it seeds.
type Demo struct {
	svc *Service
}

// Demo returns the intake's part of the demo, which survey/demo seeds through.
func (s *Service) Demo() Demo { return Demo{svc: s} }

const demoIntegration = "Demo CRM"

// ClearRules deletes the workspace's rules.
func (d Demo) ClearRules(ctx context.Context, ws bson.ObjectID) error {
	return d.svc.rules.DeleteAll(ctx, ws)
}

// SeedRule makes the demo's rule: chats and emails get sv as soon as they close, outside
// quiet hours.
func (d Demo) SeedRule(ctx context.Context, ws, sv bson.ObjectID) error {
	now := d.svc.now()
	rule := &Rule{ID: bson.NewObjectID(), WorkspaceID: ws, Name: "Support CSAT after chat and email", Enabled: true,
		Channels: []string{"chat", "email"}, Types: []string{}, SurveyID: sv, SamplePercent: 100,
		FrequencyDays: 30, QuietHours: &QuietHours{Start: "21:00", End: "08:00"}, CreatedAt: now, UpdatedAt: now}
	return d.svc.rules.Create(ctx, rule)
}

// Integration returns the demo CRM's integration with its Secret. It is made once; its secret
// is derived, so every run prints the same one.
func (d Demo) Integration(ctx context.Context, ws bson.ObjectID) (*Integration, error) {
	integrations, err := d.svc.ListIntegrations(ctx, ws)
	if err != nil {
		return nil, err
	}
	for i := range integrations {
		if in := &integrations[i]; in.Name == demoIntegration && in.RevokedAt == nil {
			in.Secret = d.svc.IntegrationSecret(in, in.Version)
			return in, nil
		}
	}
	return d.svc.CreateIntegration(ctx, ws, demoIntegration)
}
