package survey

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// flagNames are the flags kept on responses; repeat is counted by the rollups (scoring.ScoreKey).
var flagNames = []string{scoring.FlagAutomated, scoring.FlagContradiction, scoring.FlagNonAttributable, scoring.FlagLate}

// FlagOverrides are a manager's decisions on one response's flags. They outlive the customer's
// later edits, which re-evaluate the filters.
type FlagOverrides struct {
	Added   []string `bson:"added,omitempty" json:"added,omitempty"`
	Removed []string `bson:"removed,omitempty" json:"removed,omitempty"`
}

// apply puts the overrides on freshly evaluated flags.
func (o *FlagOverrides) apply(flags []scoring.Flag) []scoring.Flag {
	if o == nil {
		return flags
	}
	out := slices.DeleteFunc(slices.Clone(flags), func(f scoring.Flag) bool { return slices.Contains(o.Removed, f.Name) })
	for _, name := range o.Added {
		if !slices.ContainsFunc(out, func(f scoring.Flag) bool { return f.Name == name }) {
			out = append(out, scoring.Flag{Name: name, Evidence: "set by a manager"})
		}
	}
	return out
}

// FlagAudit records one override: who, when, why, and the flags before and after.
type FlagAudit struct {
	ID          bson.ObjectID  `bson:"_id" json:"id"`
	WorkspaceID bson.ObjectID  `bson:"workspace_id" json:"-"`
	ResponseID  bson.ObjectID  `bson:"response_id" json:"response_id"`
	KeyID       bson.ObjectID  `bson:"key_id" json:"key_id"`
	KeyName     string         `bson:"key_name" json:"key_name"`
	At          time.Time      `bson:"at" json:"at"`
	Reason      string         `bson:"reason" json:"reason"`
	Add         []string       `bson:"add" json:"add"`
	Remove      []string       `bson:"remove" json:"remove"`
	Before      []scoring.Flag `bson:"before" json:"before"`
	After       []scoring.Flag `bson:"after" json:"after"`
}

type overrideRequest struct {
	Add    []string `json:"add" validate:"max=4,unique,dive,oneof=automated contradiction non_attributable late"`
	Remove []string `json:"remove" validate:"max=4,unique,dive,oneof=automated contradiction non_attributable late"`
	Reason string   `json:"reason" validate:"required,max=1000"`
}

// OverrideFlags changes one response's flags for a manager and records why. The audit record
// is written first: an override without its audit must not exist.
func (s *Service) OverrideFlags(ctx context.Context, key *apikey.Key, id bson.ObjectID, add, remove []string, reason string) (*Response, error) {
	r, err := s.ResponseFor(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.WorkspaceID != key.WorkspaceID {
		return nil, fmt.Errorf("survey: response %s: %w", id.Hex(), ErrNotFound)
	}
	o := r.FlagOverrides
	if o == nil {
		o = &FlagOverrides{}
	}
	for _, name := range add {
		o.Removed = slices.DeleteFunc(o.Removed, func(n string) bool { return n == name })
		if !slices.Contains(o.Added, name) {
			o.Added = append(o.Added, name)
		}
	}
	for _, name := range remove {
		o.Added = slices.DeleteFunc(o.Added, func(n string) bool { return n == name })
		if !slices.Contains(o.Removed, name) {
			o.Removed = append(o.Removed, name)
		}
	}
	after := o.apply(r.Flags)
	audit := &FlagAudit{ID: bson.NewObjectID(), WorkspaceID: r.WorkspaceID, ResponseID: r.ID, KeyID: key.ID, KeyName: key.Name,
		At: s.now(), Reason: reason, Add: add, Remove: remove, Before: r.Flags, After: after}
	if _, err := s.db.Collection("flag_audit").InsertOne(ctx, audit); err != nil {
		return nil, fmt.Errorf("survey: audit flag override: %w", err)
	}
	_, err = s.responses.UpdateOne(ctx, byID(r.ID), bson.D{{Key: "$set", Value: bson.D{{Key: "flags", Value: after}, {Key: "flag_overrides", Value: o}}}})
	if err != nil {
		return nil, fmt.Errorf("survey: override flags of %s: %w", id.Hex(), err)
	}
	r.Flags, r.FlagOverrides = after, o
	c, err := answerChange(r)
	if err != nil {
		return nil, err
	}
	if err := s.rollups.Record(ctx, c); err != nil {
		return nil, err
	}
	return r, nil
}

// FlagAudits lists the overrides of a response, oldest first.
func (s *Service) FlagAudits(ctx context.Context, ws, id bson.ObjectID) ([]FlagAudit, error) {
	r, err := s.ResponseFor(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.WorkspaceID != ws {
		return nil, fmt.Errorf("survey: response %s: %w", id.Hex(), ErrNotFound)
	}
	cur, err := s.db.Collection("flag_audit").Find(ctx, bson.D{{Key: "response_id", Value: id}})
	if err != nil {
		return nil, fmt.Errorf("survey: flag audit of %s: %w", id.Hex(), err)
	}
	out := []FlagAudit{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("survey: flag audit of %s: %w", id.Hex(), err)
	}
	slices.SortFunc(out, func(a, b FlagAudit) int { return a.At.Compare(b.At) })
	return out, nil
}

func (h *Handler) overrideFlags(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	var req overrideRequest
	if err := httpx.BindJSON(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return httpx.Invalid(httpx.FieldError{Field: "reason", Message: "is required"})
	}
	for _, name := range req.Add {
		if slices.Contains(req.Remove, name) {
			return httpx.Invalid(httpx.FieldError{Field: "remove", Message: "must not name a flag that add names: " + name})
		}
	}
	if len(req.Add)+len(req.Remove) == 0 {
		return httpx.Invalid(httpx.FieldError{Field: "add", Message: "add or remove must name a flag"})
	}
	r, err := h.svc.OverrideFlags(c.Request().Context(), apikey.KeyOf(c), id, req.Add, req.Remove, strings.TrimSpace(req.Reason))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *Handler) listFlagAudits(c *echo.Context) error {
	id, err := httpx.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	rows, err := h.svc.FlagAudits(c.Request().Context(), apikey.WorkspaceOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpx.Page[FlagAudit]{Data: rows})
}
