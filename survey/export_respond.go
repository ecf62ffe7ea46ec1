package survey

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// What the respondent pages (survey/respondent) need of the core beyond its public API.

// Now is the time by the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// SetClock replaces the service's clock; tests start theirs at a fixed time.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// VerifyLink checks a survey link's token (signature, key, expiry) without a database read.
func (s *Service) VerifyLink(token string) (Claims, error) { return s.signer.Verify(token, s.now()) }

// LinkInvitation reads the invitation a verified link names, in whatever workspace it is.
func (s *Service) LinkInvitation(ctx context.Context, id bson.ObjectID) (*Invitation, error) {
	return s.invitationByID(ctx, id)
}

// CachedWorkspace is WorkspaceByID through the respondent pages' cache.
func (s *Service) CachedWorkspace(ctx context.Context, id bson.ObjectID) (*Workspace, error) {
	return s.cachedWorkspace(ctx, id)
}

// CachedSurvey is Survey through the respondent pages' cache.
func (s *Service) CachedSurvey(ctx context.Context, ws, id bson.ObjectID) (*Survey, error) {
	return s.cachedSurvey(ctx, ws, id)
}

// MarkOpened records the first visit of an invitation's link.
func (s *Service) MarkOpened(ctx context.Context, inv *Invitation) error {
	return s.markOpened(ctx, inv)
}

// WithoutRollups makes w skip the rollups: the submission benchmark's baseline, the write path
// without them.
func (w *Recorder) WithoutRollups() { w.noRollups = true }
