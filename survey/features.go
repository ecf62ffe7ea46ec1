package survey

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// What the features built on the core need of it beyond its public API: its clock, the cached
// workspaces and surveys; for survey/intake, the way an invitation decided by a rule is queued
// and stored and the request helpers its handlers share with the core's; for
// survey/respondent, the link's check, the invitation it names and its first visit; for
// survey/report, the rollup engine it reads through, a workspace's exclusion mask and the CSV
// helpers the responses export uses; for survey/demo, a survey with the defaults, the bias
// flags, and the way a made-up history is written and cleared.

// Now is the service's clock, which features built on the core keep time by.
func (s *Service) Now() time.Time { return s.now() }

// CachedWorkspace is WorkspaceByID through the respondent pages' cache.
func (s *Service) CachedWorkspace(ctx context.Context, id bson.ObjectID) (*Workspace, error) {
	return s.cachedWorkspace(ctx, id)
}

// CachedSurvey is Survey through the respondent pages' cache.
func (s *Service) CachedSurvey(ctx context.Context, ws, id bson.ObjectID) (*Survey, error) {
	return s.cachedSurvey(ctx, ws, id)
}

// Suppressed reports whether the workspace must not email the address; without a distributor
// nothing is.
func (s *Service) Suppressed(ctx context.Context, ws bson.ObjectID, email string) (bool, error) {
	if s.distributor == nil {
		return false, nil
	}
	return s.distributor.Suppressed(ctx, ws, email)
}

// ScheduleEmail queues the email of an invitation a rule scheduled, for due. Call it before
// the invitation is stored, as CreateInvitations does; without a distributor nothing is sent.
func (s *Service) ScheduleEmail(ctx context.Context, inv *Invitation, due time.Time) error {
	if s.distributor == nil {
		return nil
	}
	if err := s.distributor.Schedule(ctx, []*Invitation{inv}, []time.Time{due}); err != nil {
		return fmt.Errorf("survey: schedule email: %w", err)
	}
	return nil
}

// CreateDecidedInvitation stores an invitation whose status a rule decided, counts it in the
// rollups and fills in its link. Its id is the caller's: storing the same invitation again,
// as a retried webhook does, changes nothing.
func (s *Service) CreateDecidedInvitation(ctx context.Context, inv *Invitation) error {
	if _, err := s.invitations.InsertOne(ctx, inv); err == nil {
		if err := s.rollups.Record(ctx, invitationChanges([]*Invitation{inv})...); err != nil {
			return err
		}
	} else if !store.IsDuplicateKey(err) {
		return fmt.Errorf("survey: create invitation: %w", err)
	}
	s.setLink(inv)
	return nil
}

// CustomerKey identifies a customer across interactions: the CRM's id, else the address.
func CustomerKey(c Customer) string {
	if c.ID != "" {
		return "id:" + c.ID
	}
	return "email:" + NormalizeEmail(c.Email)
}

// NormalizeInput tidies a customer and an interaction as POST /invitations does.
func NormalizeInput(c *Customer, in *InteractionInput) {
	(&invitationRequest{Customer: c, Interaction: in}).normalize()
}

// FindPage reads up to p.Limit+1 of coll's documents matching filter, newest first after the
// cursor, so the caller can tell whether another page follows.
func FindPage[T any](ctx context.Context, coll *mongo.Collection, filter bson.D, p httpx.PageParams) ([]T, error) {
	return findPage[T](ctx, coll, filter, p)
}

// VerifyLink checks a survey link's token (signature, key, expiry) without a database read.
func (s *Service) VerifyLink(token string) (Claims, error) { return s.signer.Verify(token, s.now()) }

// LinkInvitation reads the invitation a verified link names, in whatever workspace it is.
func (s *Service) LinkInvitation(ctx context.Context, id bson.ObjectID) (*Invitation, error) {
	return s.invitationByID(ctx, id)
}

// MarkOpened records the first visit of an invitation's link.
func (s *Service) MarkOpened(ctx context.Context, inv *Invitation) error {
	return s.markOpened(ctx, inv)
}

// WithoutRollups makes w record answers without counting them in the rollups: the submission
// benchmark's baseline, the write path without them.
func (w *Recorder) WithoutRollups() { w.rollups = discardChanges{} }

// discardChanges is a rollup engine that counts nothing.
type discardChanges struct{}

func (discardChanges) Record(context.Context, ...rollup.Change) error { return nil }

// Rollups is the core's rollup engine, which reports read through (rollup.Engine.Reader).
func (s *Service) Rollups() *rollup.Engine { return s.rollups }

// Excluded is the mask of the workspace's excluding flags; a workspace stored before the
// setting existed has the defaults.
func (w *Workspace) Excluded() scoring.FlagMask { return w.excluded() }

// NewCSV starts a CSV file on w with its header row, after a UTF-8 byte order mark (newCSV).
func NewCSV(w io.Writer, columns []string) (*csv.Writer, error) { return newCSV(w, columns) }

// Defuse keeps a spreadsheet from running a cell from outside as a formula (defuse).
func Defuse(cell string) string { return defuse(cell) }

// CSVAttachment sends the status and headers of a CSV download named filename; what is
// written to the returned writer is the file.
func CSVAttachment(c *echo.Context, filename string) http.ResponseWriter {
	return csvAttachment(c, filename)
}

// DefaultSurvey is a survey of kind in the workspace ws with the link validity, edit window
// and texts POST /surveys gives one left without them; survey/demo names and scales it.
func DefaultSurvey(catalog *templates.Catalog, ws bson.ObjectID, kind Kind) *Survey {
	return &Survey{
		WorkspaceID: ws, Kind: kind,
		LinkValidDays: defaultLinkValidDays, EditWindowHours: defaultEditWindowHours, Reasons: []Reason{},
		Question:      defaultText(catalog, "survey.default.question."+string(kind)),
		CommentPrompt: defaultText(catalog, "survey.default.comment_prompt"),
		ThankYou:      defaultText(catalog, "survey.default.thank_you"),
	}
}

// Flags are the bias flags the recorder gives r, sv's answer to inv (flags).
func Flags(sv *Survey, inv *Invitation, r *Response) []scoring.Flag { return flags(sv, inv, r) }

// InsertHistory stores invitations and responses as they are, without counting them in the
// rollups or queueing an email: survey/demo's made-up history, whose rollups RebuildRollups
// counts afterwards.
func (s *Service) InsertHistory(ctx context.Context, invs []*Invitation, resps []*Response) error {
	if len(invs) > 0 {
		if _, err := s.invitations.InsertMany(ctx, invs); err != nil {
			return fmt.Errorf("survey: seed invitations: %w", err)
		}
	}
	if len(resps) > 0 {
		if _, err := s.responses.InsertMany(ctx, resps); err != nil {
			return fmt.Errorf("survey: seed responses: %w", err)
		}
	}
	return nil
}

// ClearWorkspace deletes the workspace's surveys, invitations and responses, not their
// rollups: survey/demo redoes an interrupted seed after it, and rebuilds them.
func (s *Service) ClearWorkspace(ctx context.Context, ws bson.ObjectID) error {
	for _, coll := range []*mongo.Collection{s.surveys, s.invitations, s.responses} {
		if err := store.DeleteMany(ctx, coll, bson.D{{Key: "workspace_id", Value: ws}}); err != nil {
			return err
		}
	}
	return nil
}

// InteractionInvitations lists the workspace's invitations for the interaction whose CRM id
// is interaction; survey/demo finds its live links so.
func (s *Service) InteractionInvitations(ctx context.Context, ws bson.ObjectID, interaction string) ([]Invitation, error) {
	cur, err := s.invitations.Find(ctx, bson.D{{Key: "workspace_id", Value: ws}, {Key: "interaction.id", Value: interaction}})
	if err != nil {
		return nil, fmt.Errorf("survey: invitations of interaction %s: %w", interaction, err)
	}
	var invs []Invitation
	if err := cur.All(ctx, &invs); err != nil {
		return nil, fmt.Errorf("survey: invitations of interaction %s: %w", interaction, err)
	}
	return invs, nil
}

// Settings holds the install's settings documents by _id: the IP salt's, survey/demo's marker.
func (s *Service) Settings() *mongo.Collection { return s.db.Collection("settings") }
