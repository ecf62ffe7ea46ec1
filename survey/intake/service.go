package intake

import (
	"time"

	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Collections the intake owns.
const (
	collIntegrations  = "integrations"
	collInteractions  = "interactions"
	collWebhookEvents = "webhook_events"
	collContacts      = "contacts"
	collRules         = "rules"
)

// Service is the CRM intake over the database: integrations, the interactions they report,
// and the rules that turn them into invitations through the survey core.
type Service struct {
	core      *survey.Service
	db        *mongo.Database
	rules     *RuleStore
	secretKey []byte
	metrics   *Metrics // nil: nothing counted
}

// NewService binds the intake to db beside core, which creates its invitations and keeps its
// time; secretKey derives the integrations' webhook secrets.
func NewService(db *mongo.Database, core *survey.Service, secretKey []byte) *Service {
	return &Service{core: core, db: db, rules: NewRuleStore(db), secretKey: secretKey}
}

// SetMetrics makes the service count its events into m. Call it before serving.
func (s *Service) SetMetrics(m *Metrics) { s.metrics = m }

func (s *Service) now() time.Time { return s.core.Now() }
