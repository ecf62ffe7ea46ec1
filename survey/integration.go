package survey

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Integration is a CRM's right to send signed interaction webhooks into a workspace. Its
// secret is never stored: it is derived from the install's secret key, the integration id and
// a version, so a leaked database leaks no secret and rotation is a version bump.
type Integration struct {
	ID          bson.ObjectID `bson:"_id" json:"id"`
	WorkspaceID bson.ObjectID `bson:"workspace_id" json:"-"`
	Name        string        `bson:"name" json:"name"`
	Version     int           `bson:"version" json:"version"`
	// During a rotation the previous version's secret is accepted until PreviousUntil.
	PreviousUntil *time.Time `bson:"previous_until,omitempty" json:"previous_until,omitempty"`
	CreatedAt     time.Time  `bson:"created_at" json:"created_at"`
	RevokedAt     *time.Time `bson:"revoked_at,omitempty" json:"revoked_at,omitempty"`

	Secret string `bson:"-" json:"secret,omitempty"` // only in the answer that creates or rotates
}

// Webhook signing: Surveyd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>,
// with several v1 entries allowed while a CRM signs with both secrets of a rotation.
const (
	HeaderIntegration = "Surveyd-Integration"
	HeaderSignature   = "Surveyd-Signature"
	replayWindow      = 5 * time.Minute
	secretPrefix      = "sdwh_"
)

// IntegrationSecret is the secret of an integration's version.
func (s *Service) IntegrationSecret(in *Integration, version int) string {
	m := hmac.New(sha256.New, s.secretKey)
	m.Write([]byte("integration:" + in.ID.Hex() + ":" + strconv.Itoa(version)))
	return secretPrefix + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignWebhook computes the Surveyd-Signature value for a body at t; CRMs do the same.
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// CreateIntegration makes an integration and returns it with its secret.
func (s *Service) CreateIntegration(ctx context.Context, ws bson.ObjectID, name string) (*Integration, error) {
	in := &Integration{ID: bson.NewObjectID(), WorkspaceID: ws, Name: name, Version: 1, CreatedAt: s.now()}
	if _, err := s.db.Collection("integrations").InsertOne(ctx, in); err != nil {
		return nil, fmt.Errorf("survey: create integration: %w", err)
	}
	in.Secret = s.IntegrationSecret(in, in.Version)
	return in, nil
}

// Integration finds one of the workspace's integrations.
func (s *Service) Integration(ctx context.Context, ws, id bson.ObjectID) (*Integration, error) {
	var in Integration
	err := s.db.Collection("integrations").FindOne(ctx, byID(id)).Decode(&in)
	if store.IsNotFound(err) || (err == nil && in.WorkspaceID != ws) {
		return nil, fmt.Errorf("survey: integration %s: %w", id.Hex(), ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("survey: integration %s: %w", id.Hex(), err)
	}
	return &in, nil
}

// ListIntegrations lists the workspace's integrations, newest first.
func (s *Service) ListIntegrations(ctx context.Context, ws bson.ObjectID) ([]Integration, error) {
	rows, err := findPage[Integration](ctx, s.db.Collection("integrations"), bson.D{{Key: "workspace_id", Value: ws}}, httpx.PageParams{Limit: 999})
	if rows == nil {
		rows = []Integration{}
	}
	return rows, err
}

// RotateIntegration makes a new secret; the old one keeps working for overlap.
func (s *Service) RotateIntegration(ctx context.Context, ws, id bson.ObjectID, overlap time.Duration) (*Integration, error) {
	in, err := s.Integration(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if in.RevokedAt != nil {
		return nil, fmt.Errorf("survey: integration %s is revoked: %w", id.Hex(), ErrNotFound)
	}
	until := s.now().Add(overlap)
	in.Version++
	in.PreviousUntil = &until
	if _, err := s.db.Collection("integrations").ReplaceOne(ctx, byID(id), in); err != nil {
		return nil, fmt.Errorf("survey: rotate integration: %w", err)
	}
	in.Secret = s.IntegrationSecret(in, in.Version)
	return in, nil
}

// RevokeIntegration stops an integration's secrets working at once.
func (s *Service) RevokeIntegration(ctx context.Context, ws, id bson.ObjectID) error {
	in, err := s.Integration(ctx, ws, id)
	if err != nil {
		return err
	}
	now := s.now()
	in.RevokedAt = &now
	if _, err := s.db.Collection("integrations").ReplaceOne(ctx, byID(id), in); err != nil {
		return fmt.Errorf("survey: revoke integration: %w", err)
	}
	return nil
}

// maxWebhookBody bounds a signed webhook's body.
const maxWebhookBody = 64 << 10

// ReadSignedWebhook reads a signed webhook's body (at most 64 KiB) and verifies it; the body
// is returned for the caller to decode.
func (s *Service) ReadSignedWebhook(c *echo.Context) (*Integration, []byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxWebhookBody))
	if err != nil {
		return nil, nil, httpx.NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", maxWebhookBody))
	}
	in, err := s.VerifyWebhook(c.Request().Context(), c.Request().Header, body)
	return in, body, err
}

// VerifyWebhook checks a signed request: the integration is live, the timestamp is within the
// replay window, and one of the signatures is right for one of the integration's live secrets,
// compared in constant time. Every failure says what was wrong but not which secret was tried.
func (s *Service) VerifyWebhook(ctx context.Context, header http.Header, body []byte) (*Integration, error) {
	id, err := bson.ObjectIDFromHex(strings.TrimSpace(header.Get(HeaderIntegration)))
	if err != nil {
		return nil, s.rejectSignature("unknown_integration", HeaderIntegration+" must name an integration id")
	}
	var in Integration
	if err := s.db.Collection("integrations").FindOne(ctx, byID(id)).Decode(&in); err != nil {
		if store.IsNotFound(err) {
			return nil, s.rejectSignature("unknown_integration", "unknown integration")
		}
		return nil, fmt.Errorf("survey: integration: %w", err)
	}
	if in.RevokedAt != nil {
		return nil, s.rejectSignature("revoked", "the integration is revoked")
	}
	ts, sigs, ok := parseSignature(header.Get(HeaderSignature))
	if !ok {
		return nil, s.rejectSignature("malformed", HeaderSignature+" must be t=<unix seconds>,v1=<hex HMAC-SHA256>")
	}
	now := s.now()
	if d := now.Sub(time.Unix(ts, 0)); d > replayWindow || d < -replayWindow {
		return nil, s.rejectSignature("expired", "the signature timestamp is outside the 5-minute window; sign each delivery afresh")
	}
	versions := []int{in.Version}
	if in.PreviousUntil != nil && now.Before(*in.PreviousUntil) {
		versions = append(versions, in.Version-1)
	}
	for _, v := range versions {
		m := hmac.New(sha256.New, []byte(s.IntegrationSecret(&in, v)))
		m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
		m.Write(body)
		want := m.Sum(nil)
		for _, got := range sigs {
			if hmac.Equal(got, want) {
				return &in, nil
			}
		}
	}
	return nil, s.rejectSignature("mismatch", "no signature matches")
}

// parseSignature reads "t=<unix seconds>,v1=<hex>[,v1=<hex>…]". Unknown parts are skipped, so
// a later scheme (v2=) can be sent beside v1 during an upgrade; at most 8 signatures are kept.
func parseSignature(h string) (ts int64, sigs [][]byte, ok bool) {
	if len(h) > 1024 {
		return 0, nil, false
	}
	ts = -1
	for part := range strings.SplitSeq(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return 0, nil, false
			}
			ts = n
		case "v1":
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size && len(sigs) < 8 {
				sigs = append(sigs, b)
			}
		}
	}
	return ts, sigs, ts >= 0 && len(sigs) > 0
}

// rejectSignature counts a signed webhook refused for reason, and tells the sender detail.
func (s *Service) rejectSignature(reason, detail string) error {
	s.metrics.signatureRejected(reason)
	return httpx.NewProblem(http.StatusUnauthorized, "Webhook signature check failed: "+detail+".")
}

type integrationRequest struct {
	Name string `json:"name" validate:"required,max=200"`
}

type rotateRequest struct {
	OverlapHours *int `json:"overlap_hours" validate:"omitempty,min=0,max=720"`
}

func (h *Handler) createIntegration(c *echo.Context) error {
	var req integrationRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	in, err := h.svc.CreateIntegration(c.Request().Context(), apikey.WorkspaceOf(c), strings.TrimSpace(req.Name))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, in)
}

func (h *Handler) listIntegrations(c *echo.Context) error {
	rows, err := h.svc.ListIntegrations(c.Request().Context(), apikey.WorkspaceOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.Page[Integration]{Data: rows})
}

func (h *Handler) rotateIntegration(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req rotateRequest
	if c.Request().ContentLength != 0 {
		if err := httpx.BindJSON(c, &req); err != nil {
			return err
		}
	}
	overlap := 24 * time.Hour
	if req.OverlapHours != nil {
		overlap = time.Duration(*req.OverlapHours) * time.Hour
	}
	in, err := h.svc.RotateIntegration(c.Request().Context(), apikey.WorkspaceOf(c), id, overlap)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, in)
}

func (h *Handler) revokeIntegration(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := h.svc.RevokeIntegration(c.Request().Context(), apikey.WorkspaceOf(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
