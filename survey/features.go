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
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// What the features built on the core need of it beyond its public API: its clock, the cached
// workspaces and surveys; for survey/intake, the way an invitation decided by a rule is queued
// and stored and the request helpers its handlers share with the core's; for
// survey/respondent, the link's check, the invitation it names and its first visit; for
// survey/report, the rollup engine it reads through, a workspace's exclusion mask, the CSV
// helpers the responses export uses, the dimensions' names and the demo survey its benchmark
// reads.

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

// PathID parses the :id path parameter; a malformed id is a 404, like an unknown one.
func PathID(c *echo.Context) (bson.ObjectID, error) { return pathID(c) }

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

// DimensionNames lists the report dimensions for an error message: "agent, team, ...".
func DimensionNames() string { return dimensionNames() }

// DemoReportSurvey is the name of the demo survey the report benchmark reads: Support CSAT.
func DemoReportSurvey() string { return demoSurveys[0].name }
