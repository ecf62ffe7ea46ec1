package mailer

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Bounces receives the sending provider's bounce and complaint notices: an inbound webhook,
// signed like the CRM's inbound interaction webhook with an integration's secret (the
// outgoing CRM webhooks are mailer/webhook's). Hard bounces and complaints suppress the
// address; soft bounces are left to the outbox's retries.
type Bounces struct {
	// Metrics, if set, counts the bounces and complaints among the emails' outcomes.
	Metrics *Metrics

	svc          BounceNotices
	signatures   SignedNotices // checks the notices' signatures
	suppressions *Suppressions
}

// NewBounces builds the bounce endpoint.
func NewBounces(svc BounceNotices, sig SignedNotices, s *Suppressions) *Bounces {
	return &Bounces{svc: svc, signatures: sig, suppressions: s}
}

// Register adds POST /api/v1/webhooks/bounces, where the provider posts its notices.
func (b *Bounces) Register(e *echo.Echo) {
	e.POST("/api/v1/webhooks/bounces", b.receive)
}

type bounceNotice struct {
	Type         string `json:"type" validate:"required,oneof=bounce complaint"`
	BounceType   string `json:"bounce_type" validate:"required_if=Type bounce,omitempty,oneof=hard soft"`
	Email        string `json:"email" validate:"required,email,max=254"`
	InvitationID string `json:"invitation_id" validate:"omitempty,mongodb"`
	MessageID    string `json:"message_id" validate:"max=500"` // the Message-ID surveyd gave the email
	Detail       string `json:"detail" validate:"max=1000"`
}

// BounceResult says what a notice did.
type BounceResult struct {
	Suppressed   bool   `json:"suppressed"`
	InvitationID string `json:"invitation_id,omitempty"`
}

func (b *Bounces) receive(c *echo.Context) error {
	ctx := c.Request().Context()
	integ, body, err := b.signatures.ReadSignedWebhook(c.Response(), c.Request())
	if err != nil {
		return err
	}
	var n bounceNotice
	if err := httpx.DecodeJSON(bytes.NewReader(body), &n); err != nil {
		return err
	}
	if err := httpx.Validate(&n); err != nil {
		return err
	}
	res := BounceResult{}
	if n.Type == "bounce" && n.BounceType == "soft" {
		return c.JSON(http.StatusOK, res)
	}
	reason, outcome := ReasonBounced, OutcomeBounced
	if n.Type == "complaint" {
		reason, outcome = ReasonComplained, OutcomeComplained
	}
	if _, err := b.suppressions.Add(ctx, integ.WorkspaceID, n.Email, reason); err != nil {
		return err
	}
	b.Metrics.email(outcome)
	res.Suppressed = true
	if id, ok := invitationOf(n); ok {
		inv, err := b.svc.Invitation(ctx, integ.WorkspaceID, id)
		if err == nil && survey.NormalizeEmail(inv.Customer.Email) == survey.NormalizeEmail(n.Email) {
			if err := b.svc.MarkBounced(ctx, id, time.Now().UTC(), reason+": "+n.Detail); err != nil {
				return err
			}
			res.InvitationID = id.Hex()
		}
	}
	return c.JSON(http.StatusOK, res)
}

// invitationOf finds the invitation a notice is about: named outright, or read off the
// Message-ID surveyd set, <outbox id>.<invitation id>@host.
func invitationOf(n bounceNotice) (bson.ObjectID, bool) {
	if id, err := bson.ObjectIDFromHex(n.InvitationID); err == nil {
		return id, true
	}
	local, _, _ := strings.Cut(strings.Trim(n.MessageID, "<> "), "@")
	if _, inv, ok := strings.Cut(local, "."); ok {
		if id, err := bson.ObjectIDFromHex(inv); err == nil {
			return id, true
		}
	}
	return bson.ObjectID{}, false
}
