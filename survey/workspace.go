package survey

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/internal/ttlcache"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Workspace is one customer-service organisation: its surveys, keys and data are its own.
type Workspace struct {
	ID            bson.ObjectID `bson:"_id" json:"id"`
	Name          string        `bson:"name" json:"name"`
	TimeZone      string        `bson:"time_zone" json:"time_zone"`
	DefaultLocale string        `bson:"default_locale" json:"default_locale"`
	CompanyName   string        `bson:"company_name" json:"company_name"`
	// How the workspace's emails look and who they come from; empty means surveyd's defaults.
	SenderName  string `bson:"sender_name,omitempty" json:"sender_name,omitempty"`
	SenderEmail string `bson:"sender_email,omitempty" json:"sender_email,omitempty"`
	LogoURL     string `bson:"logo_url,omitempty" json:"logo_url,omitempty"`
	BrandColor  string `bson:"brand_color,omitempty" json:"brand_color,omitempty"` // #rrggbb
	// ReminderDays is when the one reminder goes to a customer who has not answered; 0: none.
	ReminderDays int `bson:"reminder_days" json:"reminder_days"`
	// ExcludeFlags are the bias flags that leave an answer out of the filtered and weighted
	// scores (SCORING.md, "Bias filters"); non_attributable only ever applies to agent and
	// team scores. Rollups keep every flag combination apart, so a change applies to every
	// report at once, past periods included.
	ExcludeFlags []string  `bson:"exclude_flags" json:"exclude_flags"`
	CreatedAt    time.Time `bson:"created_at" json:"created_at"`
}

// DefaultExcludeFlags are SCORING.md's defaults: automated answers, contradictions and, for
// agents and teams, non-attributable reasons are excluded; late answers are shown.
func DefaultExcludeFlags() []string {
	return []string{scoring.FlagAutomated, scoring.FlagContradiction, scoring.FlagNonAttributable}
}

// excluded is the mask of the workspace's excluding flags; a workspace stored before the
// setting existed has the defaults.
func (w *Workspace) excluded() scoring.FlagMask {
	if w.ExcludeFlags == nil {
		return scoring.MaskOf(DefaultExcludeFlags()...)
	}
	return scoring.MaskOf(w.ExcludeFlags...)
}

// Location is the workspace's time zone; a stored zone is validated on write, so UTC is only
// a fallback for a zone database that lost an entry.
func (w *Workspace) Location() *time.Location {
	if loc, err := time.LoadLocation(w.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// NewWorkspace fills a workspace's defaults: Vietnamese customers, Vietnam's time zone.
func NewWorkspace(name string) *Workspace {
	return &Workspace{
		ID: bson.NewObjectID(), Name: name, TimeZone: "Asia/Ho_Chi_Minh", DefaultLocale: "vi",
		CompanyName: name, ReminderDays: 3, ExcludeFlags: DefaultExcludeFlags(), CreatedAt: time.Now().UTC(),
	}
}

// CreateWorkspace stores w; a taken name is ErrWorkspaceExists.
func (s *Service) CreateWorkspace(ctx context.Context, w *Workspace) error {
	if _, err := s.workspaces.InsertOne(ctx, w); err != nil {
		if store.IsDuplicateKey(err) {
			return fmt.Errorf("survey: workspace %q: %w", w.Name, ErrWorkspaceExists)
		}
		return fmt.Errorf("survey: create workspace: %w", err)
	}
	return nil
}

// WorkspaceByName finds a workspace by its unique name.
func (s *Service) WorkspaceByName(ctx context.Context, name string) (*Workspace, error) {
	return s.findWorkspace(ctx, bson.D{{Key: "name", Value: name}})
}

// WorkspaceByID finds a workspace by id.
func (s *Service) WorkspaceByID(ctx context.Context, id bson.ObjectID) (*Workspace, error) {
	return s.findWorkspace(ctx, byID(id))
}

func (s *Service) findWorkspace(ctx context.Context, filter bson.D) (*Workspace, error) {
	var w Workspace
	if err := s.workspaces.FindOne(ctx, filter).Decode(&w); err != nil {
		if store.IsNotFound(err) {
			return nil, fmt.Errorf("survey: workspace: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("survey: find workspace: %w", err)
	}
	return &w, nil
}

// UpdateWorkspace saves a workspace's settings.
func (s *Service) UpdateWorkspace(ctx context.Context, w *Workspace) error {
	_, err := s.workspaces.ReplaceOne(ctx, byID(w.ID), w)
	if err != nil {
		return fmt.Errorf("survey: update workspace: %w", err)
	}
	s.workspaceCache.Forget(w.ID)
	return nil
}

// Service is the survey domain over the database: workspaces, surveys, invitations
// and responses.
type Service struct {
	db          *mongo.Database
	workspaces  *mongo.Collection
	surveys     *mongo.Collection
	invitations *mongo.Collection
	responses   *mongo.Collection

	signer  *Signer
	baseURL string
	ipSalt  []byte
	now     func() time.Time

	distributor Distributor
	rollups     *rollup.Engine
	metrics     *Metrics // nil: nothing counted

	// surveyCache and workspaceCache keep recently read surveys and workspaces for the
	// respondent pages, the hot path, so an answer costs one invitation read instead of three.
	surveyCache    *ttlcache.Cache[bson.ObjectID, Survey]
	workspaceCache *ttlcache.Cache[bson.ObjectID, Workspace]

	benchmarks Benchmarks // what reports compare with (CompareWith)
	targets    Targets

	customerCounts CustomerCounts // what reports' retention and churn come from (CountCustomersWith)
}

// cacheTTL bounds how long another instance's change to a survey or workspace takes to show
// on the respondent pages and in reports.
const cacheTTL = 5 * time.Second

// Options are what a Service needs besides its database. The admin commands that neither
// sign links nor hash addresses leave those fields empty.
type Options struct {
	// Signer signs the survey links; nil where no link is made.
	Signer *Signer
	// BaseURL is where the links point.
	BaseURL string
	// IPSalt keys the hash that stands in for respondents' IP addresses (LoadIPSalt).
	IPSalt []byte
	// Now is the service's clock; nil: the real one, in UTC.
	Now func() time.Time
	// SoleRollupWriter says this process is the only one that writes the rollups: it serves
	// the embedded store (store.Serve). It changes how they are written (see
	// rollup.Options.SoleWriter); never set it against a shared MongoDB.
	SoleRollupWriter bool
}

// NewService binds the survey domain to db.
func NewService(db *mongo.Database, opts Options) *Service {
	s := &Service{
		db:          db,
		workspaces:  db.Collection("workspaces"),
		surveys:     db.Collection("surveys"),
		invitations: db.Collection("invitations"),
		responses:   db.Collection("responses"),
		signer:      opts.Signer,
		baseURL:     opts.BaseURL,
		ipSalt:      opts.IPSalt,
		now:         opts.Now,

		surveyCache:    ttlcache.New[bson.ObjectID, Survey](cacheTTL),
		workspaceCache: ttlcache.New[bson.ObjectID, Workspace](cacheTTL),
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	s.rollups = newRollupEngine(s, opts.SoleRollupWriter)
	return s
}

// cachedWorkspace is WorkspaceByID through the respondent pages' cache.
func (s *Service) cachedWorkspace(ctx context.Context, id bson.ObjectID) (*Workspace, error) {
	return s.workspaceCache.Through(id, s.now(), ttlcache.Always, func() (*Workspace, error) { return s.WorkspaceByID(ctx, id) })
}

// LoadIPSalt returns the install's salt for hashing respondents' IP addresses, creating it on
// first use. It lives in the database so every instance hashes alike and key rotation leaves
// the hashes comparable.
func LoadIPSalt(ctx context.Context, db *mongo.Database) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	coll := db.Collection("settings")
	filter := bson.D{{Key: "_id", Value: "ip_salt"}}
	var doc struct {
		Value []byte `bson:"value"`
	}
	err := coll.FindOneAndUpdate(ctx, filter,
		bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "value", Value: fresh}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if store.IsDuplicateKey(err) { // another instance created it in the same instant
		err = coll.FindOne(ctx, filter).Decode(&doc)
	}
	if err != nil {
		return nil, fmt.Errorf("survey: ip salt: %w", err)
	}
	return doc.Value, nil
}
