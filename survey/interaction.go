package survey

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// interactionEvent is the body of POST /api/v1/webhooks/interactions.
type interactionEvent struct {
	EventID     string            `json:"event_id" validate:"required,max=200"`
	Interaction *interactionInput `json:"interaction" validate:"required"`
	Customer    *Customer         `json:"customer" validate:"required"`
}

// StoredInteraction is an interaction as the CRM reported it.
type StoredInteraction struct {
	ID            bson.ObjectID  `bson:"_id" json:"id"`
	WorkspaceID   bson.ObjectID  `bson:"workspace_id" json:"-"`
	IntegrationID bson.ObjectID  `bson:"integration_id" json:"integration_id"`
	EventID       string         `bson:"event_id" json:"event_id"`
	Interaction   Interaction    `bson:"interaction" json:"interaction"`
	Properties    map[string]any `bson:"properties,omitempty" json:"properties,omitempty"`
	Customer      Customer       `bson:"customer" json:"customer"`
	ReceivedAt    time.Time      `bson:"received_at" json:"received_at"`
}

// WebhookResult is the answer to an interaction webhook, stored so a retry gets the same.
type WebhookResult struct {
	InteractionID string `json:"interaction_id"`
	InvitationID  string `json:"invitation_id,omitempty"`
	Decision      string `json:"decision"` // an invitation status, or no_rule
	DueAt         string `json:"due_at,omitempty"`
	Link          string `json:"link,omitempty"`
}

// webhookEvent remembers an event id per workspace (its _id is workspace:event), with the
// ids chosen for what it creates, so a retry — even one racing the first delivery, or
// following a crash half-way — creates nothing new.
type webhookEvent struct {
	ID            string         `bson:"_id"`
	InteractionID bson.ObjectID  `bson:"interaction_id"`
	InvitationID  bson.ObjectID  `bson:"invitation_id"`
	Result        *WebhookResult `bson:"result,omitempty"`
	ReceivedAt    time.Time      `bson:"received_at"`
}

// receiveInteraction handles the CRM's signed interaction webhook.
func (h *Handler) receiveInteraction(c *echo.Context) error {
	ctx := c.Request().Context()
	in, body, err := h.svc.ReadSignedWebhook(c)
	if err != nil {
		return err
	}
	var ev interactionEvent
	if err := httpx.DecodeJSON(bytes.NewReader(body), &ev); err != nil {
		return err
	}
	if ev.Interaction != nil && ev.Customer != nil {
		ev.EventID = strings.TrimSpace(ev.EventID)
		(&invitationRequest{Customer: ev.Customer, Interaction: ev.Interaction}).normalize()
	}
	if err := httpx.Validate(&ev); err != nil {
		return err
	}
	res, replay, err := h.svc.receive(ctx, in, &ev)
	if err != nil {
		return err
	}
	if replay {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return c.JSON(http.StatusOK, res)
	}
	return c.JSON(http.StatusAccepted, res)
}

// receive stores the interaction, lets the rules decide and creates the invitation, once per
// event id.
func (s *Service) receive(ctx context.Context, in *Integration, ev *interactionEvent) (*WebhookResult, bool, error) {
	events := s.db.Collection("webhook_events")
	key := in.WorkspaceID.Hex() + ":" + ev.EventID
	rec := webhookEvent{ID: key, InteractionID: bson.NewObjectID(), InvitationID: bson.NewObjectID(), ReceivedAt: s.now()}
	if _, err := events.InsertOne(ctx, rec); store.IsDuplicateKey(err) {
		if err := events.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&rec); err != nil {
			return nil, false, fmt.Errorf("survey: webhook event: %w", err)
		}
		if rec.Result != nil {
			return rec.Result, true, nil
		}
		// The first delivery stopped half-way (or is still running): finish it with the
		// same ids, which makes every write below idempotent.
	} else if err != nil {
		return nil, false, fmt.Errorf("survey: webhook event: %w", err)
	}

	now := s.now()
	si := &StoredInteraction{
		ID: rec.InteractionID, WorkspaceID: in.WorkspaceID, IntegrationID: in.ID, EventID: ev.EventID,
		Interaction: ev.Interaction.interaction(), Properties: ev.Interaction.Properties, Customer: *ev.Customer, ReceivedAt: now,
	}
	if si.Interaction.OccurredAt == nil {
		si.Interaction.OccurredAt = &now
	}
	if _, err := s.db.Collection("interactions").InsertOne(ctx, si); err != nil && !store.IsDuplicateKey(err) {
		return nil, false, fmt.Errorf("survey: store interaction: %w", err)
	}
	res, err := s.decide(ctx, si, rec.InvitationID)
	if err != nil {
		return nil, false, err
	}
	s.metrics.decided(res.Decision)
	if _, err := events.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}}, bson.D{{Key: "$set", Value: bson.D{{Key: "result", Value: res}}}}); err != nil {
		return nil, false, fmt.Errorf("survey: webhook event: %w", err)
	}
	return res, false, nil
}

// decide runs the workspace's rules on an interaction and creates its invitation.
func (s *Service) decide(ctx context.Context, si *StoredInteraction, invID bson.ObjectID) (*WebhookResult, error) {
	res := &WebhookResult{InteractionID: si.ID.Hex(), Decision: "no_rule"}
	rules, err := s.rules(ctx, si.WorkspaceID)
	if err != nil {
		return nil, err
	}
	var rule *Rule
	for i := range rules {
		if rules[i].matches(si.Interaction.Channel, si.Interaction.Type) {
			rule = &rules[i]
			break
		}
	}
	if rule == nil {
		return res, nil
	}
	ws, err := s.cachedWorkspace(ctx, si.WorkspaceID)
	if err != nil {
		return nil, err
	}
	sv, err := s.cachedSurvey(ctx, si.WorkspaceID, rule.SurveyID)
	if err != nil {
		return nil, err
	}
	if sv.Archived {
		return res, nil
	}
	suppressed := false
	if s.distributor != nil {
		if suppressed, err = s.distributor.Suppressed(ctx, si.WorkspaceID, si.Customer.Email); err != nil {
			return nil, err
		}
	}
	contact := s.db.Collection("contacts")
	contactKey := si.WorkspaceID.Hex() + ":" + customerKey(si.Customer)
	var last struct {
		At       time.Time     `bson:"last_surveyed_at"`
		Decision bson.ObjectID `bson:"invitation_id"`
	}
	var lastAt *time.Time
	if err := contact.FindOne(ctx, bson.D{{Key: "_id", Value: contactKey}}).Decode(&last); err == nil && last.Decision != invID {
		lastAt = &last.At
	} else if err != nil && !store.IsNotFound(err) {
		return nil, fmt.Errorf("survey: contact history: %w", err)
	}
	now := s.now()
	dec := rule.Decide(ws.Location(), si.EventID, *si.Interaction.OccurredAt, now, lastAt, suppressed)

	inv := s.NewInvitation(sv, si.Customer, si.Interaction, dec.Status == StatusScheduled)
	inv.ID, inv.Status, inv.Decision = invID, dec.Status, dec.Status
	if dec.Status == StatusScheduled {
		// Suppression was part of the decision; queue the email before the invitation is
		// stored, as schedule does.
		if s.distributor != nil {
			if err := s.distributor.Schedule(ctx, []*Invitation{inv}, []time.Time{dec.Due}); err != nil {
				return nil, fmt.Errorf("survey: schedule email: %w", err)
			}
		}
		// Two interactions of one customer at once may both insert; the loser's upsert then
		// finds the document and updates it on the second try.
		for try := 0; ; try++ {
			_, err := contact.UpdateOne(ctx, bson.D{{Key: "_id", Value: contactKey}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "last_surveyed_at", Value: now}, {Key: "invitation_id", Value: invID}}}},
				options.UpdateOne().SetUpsert(true))
			if err == nil {
				break
			}
			if !store.IsDuplicateKey(err) || try > 0 {
				return nil, fmt.Errorf("survey: contact history: %w", err)
			}
		}
	}
	if _, err := s.invitations.InsertOne(ctx, inv); err == nil {
		if err := s.rollups.Record(ctx, invitationChanges([]*Invitation{inv})...); err != nil {
			return nil, err
		}
	} else if !store.IsDuplicateKey(err) {
		return nil, fmt.Errorf("survey: create invitation: %w", err)
	}
	s.setLink(inv)
	res.InvitationID, res.Decision, res.Link = inv.ID.Hex(), inv.Status, inv.Link
	if inv.Status == StatusScheduled {
		res.DueAt = dec.Due.UTC().Format(time.RFC3339)
	}
	return res, nil
}

// customerKey identifies a customer across interactions: the CRM's id, else the address.
func customerKey(c Customer) string {
	if c.ID != "" {
		return "id:" + c.ID
	}
	return "email:" + NormalizeEmail(c.Email)
}
