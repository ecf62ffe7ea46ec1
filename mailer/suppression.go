package mailer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Reasons an address is suppressed.
const (
	ReasonUnsubscribed = "unsubscribed"
	ReasonBounced      = "bounced"
	ReasonComplained   = "complained"
	ReasonManual       = "manual"
)

// Suppression is an address the workspace must not email. Its _id is workspace:address, so
// the check before every send is one lookup by _id.
type Suppression struct {
	ID          string        `bson:"_id" json:"-"`
	WorkspaceID bson.ObjectID `bson:"workspace_id" json:"-"`
	Email       string        `bson:"email" json:"email"`
	Reason      string        `bson:"reason" json:"reason"`
	CreatedAt   time.Time     `bson:"created_at" json:"created_at"`
}

// SuppressionsCollection holds the suppression lists of every workspace.
const SuppressionsCollection = "suppressions"

// Suppressions is the workspace's do-not-email list.
type Suppressions struct {
	coll *mongo.Collection
	now  func() time.Time
}

// NewSuppressions opens the list in db.
func NewSuppressions(db *mongo.Database) *Suppressions {
	return &Suppressions{coll: db.Collection(SuppressionsCollection), now: func() time.Time { return time.Now().UTC() }}
}

func suppressionID(ws bson.ObjectID, email string) string {
	return ws.Hex() + ":" + survey.NormalizeEmail(email)
}

// Suppressed reports whether the workspace must not email the address.
func (s *Suppressions) Suppressed(ctx context.Context, ws bson.ObjectID, email string) (bool, error) {
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: suppressionID(ws, email)}}).Err()
	if store.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mailer: suppression check: %w", err)
	}
	return true, nil
}

// Add suppresses an address; adding it again keeps the first reason and time.
func (s *Suppressions) Add(ctx context.Context, ws bson.ObjectID, email, reason string) (*Suppression, error) {
	sp := &Suppression{ID: suppressionID(ws, email), WorkspaceID: ws, Email: survey.NormalizeEmail(email), Reason: reason, CreatedAt: s.now()}
	_, err := s.coll.InsertOne(ctx, sp)
	if store.IsDuplicateKey(err) {
		err = s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: sp.ID}}).Decode(sp)
	}
	if err != nil {
		return nil, fmt.Errorf("mailer: suppress: %w", err)
	}
	return sp, nil
}

// ErrNotFound is a suppression that does not exist in the workspace.
var ErrNotFound = errors.New("not found")

// Remove lets the workspace email an address again.
func (s *Suppressions) Remove(ctx context.Context, ws bson.ObjectID, email string) error {
	res, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: suppressionID(ws, email)}})
	if err != nil {
		return fmt.Errorf("mailer: unsuppress: %w", err)
	}
	if res.DeletedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// List returns up to limit suppressions of the workspace in address order, after the address
// after.
func (s *Suppressions) List(ctx context.Context, ws bson.ObjectID, after string, limit int) ([]Suppression, error) {
	filter := bson.D{{Key: "workspace_id", Value: ws}}
	if after != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: suppressionID(ws, after)}}})
	}
	cur, err := s.coll.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("mailer: list suppressions: %w", err)
	}
	out := []Suppression{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("mailer: list suppressions: %w", err)
	}
	return out, nil
}

// RegisterAPI adds the suppression list API to the authenticated /api/v1 group.
func (s *Suppressions) RegisterAPI(g *echo.Group) {
	g.GET("/suppressions", s.list, apikey.RequireScope(apikey.ScopeRead))
	g.POST("/suppressions", s.add, apikey.RequireScope(apikey.ScopeWrite))
	g.DELETE("/suppressions/:email", s.remove, apikey.RequireScope(apikey.ScopeWrite))
}

func (s *Suppressions) list(c *echo.Context) error {
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return httpx.BadField("limit", "must be a whole number from 1 to 1000")
		}
		limit = n
	}
	var after string
	if v := c.QueryParam("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			return httpx.BadField("cursor", "is not a cursor this API returned")
		}
		after = string(b)
	}
	rows, err := s.List(c.Request().Context(), apikey.WorkspaceOf(c), after, limit+1)
	if err != nil {
		return err
	}
	page := httpx.Page[Suppression]{Data: rows}
	if len(rows) > limit {
		page.Data = rows[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(rows[limit-1].Email))
	}
	return c.JSON(http.StatusOK, page)
}

type suppressionRequest struct {
	Email  string `json:"email" validate:"required,email,max=254"`
	Reason string `json:"reason" validate:"omitempty,oneof=unsubscribed bounced complained manual"`
}

func (s *Suppressions) add(c *echo.Context) error {
	var req suppressionRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	if req.Reason == "" {
		req.Reason = ReasonManual
	}
	sp, err := s.Add(c.Request().Context(), apikey.WorkspaceOf(c), req.Email, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sp)
}

func (s *Suppressions) remove(c *echo.Context) error {
	email, err := url.PathUnescape(c.Param("email"))
	if err != nil {
		return ErrNotFound
	}
	email = strings.TrimSpace(email)
	if err := s.Remove(c.Request().Context(), apikey.WorkspaceOf(c), email); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
