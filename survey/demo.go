package survey

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/survey/rollup"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// DemoWorkspace is the name of the workspace `surveyd demo` seeds.
const DemoWorkspace = "Demo"

// DemoOptions size the demo data.
type DemoOptions struct {
	Responses int                                 // about this many answered invitations
	Days      int                                 // spread over this many days back; 0: 90
	Progress  func(stage string, done, total int) // called as seeding advances; may be nil
	Catalog   *templates.Catalog                  // supplies the surveys' default texts
	// Seeders add the demo data of features outside the core: benchmark sets and targets.
	Seeders []DemoSeeder
	Intake  DemoIntake // seeds the demo's rule and CRM integration; nil: neither
	Counts  DemoCounts // seeds the demo CRM's customer counts; nil: none
}

// DemoSeeder seeds one feature's part of the demo workspace ws, whose time zone is loc,
// replacing what an interrupted seed left; benchmark.Service and target.Service are ones.
type DemoSeeder interface {
	SeedDemo(ctx context.Context, ws bson.ObjectID, loc *time.Location) error
}

// DemoCounts seeds the demo CRM's customer counts for the months of the demo's days of
// history that have ended in the workspace ws's time zone loc; customercount.Service is one.
type DemoCounts interface {
	SeedDemo(ctx context.Context, ws bson.ObjectID, loc *time.Location, days int) error
}

// DemoIntake seeds the demo's part of the CRM intake. survey/intake provides it and
// cmd/surveyd passes it in: intake imports survey, so the demo cannot call it directly.
type DemoIntake interface {
	// ClearRules deletes the workspace's rules, when an interrupted seed is redone.
	ClearRules(ctx context.Context, ws bson.ObjectID) error
	// SeedRule makes the demo's rule, which sends sv after chats and emails.
	SeedRule(ctx context.Context, ws, sv bson.ObjectID) error
	// Integration is the demo CRM's integration with its secret, made on first use.
	Integration(ctx context.Context, ws bson.ObjectID) (*DemoIntegration, error)
}

// DemoIntegration is what `surveyd demo` prints of the demo CRM's integration.
type DemoIntegration struct {
	ID     bson.ObjectID
	Secret string
}

// Demo is the seeded workspace with one live, unanswered link per survey.
type Demo struct {
	Workspace   *Workspace
	Links       []DemoLink
	Integration *DemoIntegration // the demo CRM's, with its Secret; nil without DemoOptions.Intake
	Seeded      bool             // false when the data was already there
}

// DemoLink is a survey's live link for trying the respondent pages.
type DemoLink struct {
	Survey string
	Kind   Kind
	Link   string
}

// demoSurveys are the demo's surveys, with the share of responses each gets.
var demoSurveys = []struct {
	name  string
	kind  Kind
	scale string
	share float64
}{
	{"Support CSAT", CSAT, "stars", 0.40},
	{"Chat CSAT", CSAT, "faces", 0.15},
	{"Relationship NPS", NPS, "", 0.25},
	{"Customer effort", CES, "", 0.20},
}

var demoReasons = []Reason{
	{"resolution", Text{"Getting my issue resolved", "Việc giải quyết vấn đề của tôi"}, "service"},
	{"attitude", Text{"The agent's attitude", "Thái độ của nhân viên"}, "service"},
	{"wait", Text{"Waiting time", "Thời gian chờ"}, "service"},
	{"product", Text{"The product itself", "Bản thân sản phẩm"}, "product"},
	{"price", Text{"Price or fees", "Giá hoặc phí"}, "price"},
	{"policy", Text{"Company policy", "Chính sách của công ty"}, "policy"},
}

// demoTeams carry a quality effect each; agents get their own on top.
var demoTeams = []struct {
	name   string
	effect float64
	agents []string
}{
	{"Billing", 0.2, []string{"Nguyễn Thu An", "Trần Minh Bình", "Lê Hải Châu", "Phạm Quốc Dũng"}},
	{"Technical", -0.35, []string{"Hoàng Gia Huy", "Vũ Thanh Giang", "Đặng Thu Hà", "Bùi Quang Khánh"}},
	{"Onboarding", 0.45, []string{"Đỗ Phương Lan", "Hồ Đức Minh", "Ngô Bảo Nam", "Dương Kim Oanh"}},
}

// demoChannels: the response rate differs by channel, as it does in practice.
var demoChannels = []struct {
	name     string
	weight   float64
	respRate float64
	effect   float64
}{
	{"email", 0.45, 0.22, 0},
	{"chat", 0.35, 0.48, 0.3},
	{"phone", 0.20, 0.31, -0.2},
}

var demoCountries = []struct {
	code   string
	weight float64
}{{"VN", 0.70}, {"US", 0.10}, {"SG", 0.10}, {"JP", 0.05}, {"AU", 0.05}}

var (
	demoGood = map[string][]string{
		"vi": {"Nhân viên hỗ trợ rất nhiệt tình, cảm ơn!", "Giải quyết nhanh gọn.", "Rất hài lòng với dịch vụ.", "Bạn tư vấn dễ hiểu."},
		"en": {"Great help, thank you!", "Quick and friendly.", "Solved on the first call.", "Very clear explanation."},
	}
	demoBad = map[string][]string{
		"vi": {"Chờ quá lâu mới được hỗ trợ.", "Vấn đề vẫn chưa được giải quyết.", "Phí quá cao.", "Phải giải thích lại nhiều lần."},
		"en": {"Waited far too long.", "My problem is still not fixed.", "The fees are too high.", "I had to repeat myself several times."},
	}
	demoFamily = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"}
	demoGiven  = []string{"Anh", "Bảo", "Cường", "Dung", "Hạnh", "Hiếu", "Linh", "Long", "Mai", "Phúc", "Quân", "Trang", "Tuấn", "Vy"}
)

// SeedDemo creates the demo workspace with surveys, invitations and responses spread over the
// last opts.Days days, with their rollups, unless it is already complete. An interrupted seed is cleared and redone.
func (s *Service) SeedDemo(ctx context.Context, opts DemoOptions) (*Demo, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	ws, err := s.WorkspaceByName(ctx, DemoWorkspace)
	switch {
	case errors.Is(err, ErrNotFound):
		ws = NewWorkspace(DemoWorkspace)
		ws.CompanyName = "Sao Mai Telecom"
		if err := s.CreateWorkspace(ctx, ws); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	marker := bson.D{{Key: "_id", Value: "demo_seeded:" + ws.ID.Hex()}}
	settings := s.db.Collection("settings")
	if n, err := settings.CountDocuments(ctx, marker); err != nil {
		return nil, fmt.Errorf("survey: demo marker: %w", err)
	} else if n > 0 {
		return s.demo(ctx, ws, opts.Intake, false)
	}
	for _, coll := range []string{"surveys", "invitations", "responses"} {
		if err := store.DeleteMany(ctx, s.db.Collection(coll), bson.D{{Key: "workspace_id", Value: ws.ID}}); err != nil {
			return nil, fmt.Errorf("survey: clear partial demo: %w", err)
		}
	}
	if opts.Intake != nil {
		if err := opts.Intake.ClearRules(ctx, ws.ID); err != nil {
			return nil, fmt.Errorf("survey: clear partial demo: %w", err)
		}
	}
	days := opts.Days
	if days <= 0 {
		days = 90
	}
	if err := s.seedDemo(ctx, ws, opts.Catalog, opts.Intake, max(opts.Responses, 1), days, progress); err != nil {
		return nil, err
	}
	for _, seeder := range opts.Seeders {
		if err := seeder.SeedDemo(ctx, ws.ID, ws.Location()); err != nil {
			return nil, err
		}
	}
	if opts.Counts != nil {
		if err := opts.Counts.SeedDemo(ctx, ws.ID, ws.Location(), days); err != nil {
			return nil, err
		}
	}
	if _, err := settings.InsertOne(ctx, append(marker, bson.E{Key: "at", Value: s.now()})); err != nil {
		return nil, fmt.Errorf("survey: demo marker: %w", err)
	}
	return s.demo(ctx, ws, opts.Intake, true)
}

// demo gathers what `surveyd demo` prints.
func (s *Service) demo(ctx context.Context, ws *Workspace, intake DemoIntake, seeded bool) (*Demo, error) {
	links, err := s.demoLinks(ctx, ws)
	if err != nil {
		return nil, err
	}
	d := &Demo{Workspace: ws, Links: links, Seeded: seeded}
	if intake != nil {
		d.Integration, err = intake.Integration(ctx, ws.ID)
	}
	return d, err
}

func (s *Service) seedDemo(ctx context.Context, ws *Workspace, catalog *templates.Catalog, intake DemoIntake, responses, days int, progress func(string, int, int)) error {
	rng := rand.New(rand.NewPCG(20261123, uint64(responses)))
	now := s.now()
	var surveys []*Survey
	for _, d := range demoSurveys {
		sv := &Survey{
			WorkspaceID: ws.ID, Kind: d.kind, Name: d.name, Scale: d.scale,
			LinkValidDays: defaultLinkValidDays, EditWindowHours: defaultEditWindowHours, Reasons: []Reason{},
			Question:      defaultText(catalog, "survey.default.question."+string(d.kind)),
			CommentPrompt: defaultText(catalog, "survey.default.comment_prompt"),
			ThankYou:      defaultText(catalog, "survey.default.thank_you"),
		}
		switch d.kind {
		case CSAT:
			sv.Points = 5
			sv.Reasons = demoReasons
		case NPS:
			sv.Points = 11
		case CES:
			sv.Points = 7
		}
		if err := s.CreateSurvey(ctx, sv); err != nil {
			return err
		}
		surveys = append(surveys, sv)
	}

	agentEffect := map[string]float64{}
	for _, t := range demoTeams {
		for _, a := range t.agents {
			agentEffect[a] = rng.NormFloat64() * 0.45
		}
	}
	customers := make([]Customer, max(responses*3/5, 50))
	customerCountry := make([]string, len(customers))
	for i := range customers {
		country := demoCountries[pick(rng, len(demoCountries), func(j int) float64 { return demoCountries[j].weight })].code
		locale := "en"
		if country == "VN" && rng.Float64() < 0.9 {
			locale = "vi"
		}
		customers[i] = Customer{
			ID:     fmt.Sprintf("C%05d", i+1),
			Email:  fmt.Sprintf("customer%05d@example.com", i+1),
			Name:   demoFamily[rng.IntN(len(demoFamily))] + " " + demoGiven[rng.IntN(len(demoGiven))],
			Locale: locale,
		}
		customerCountry[i] = country
	}

	var invs, resps []any
	answered := 0
	flush := func(force bool) error {
		if len(invs) >= 1000 || (force && len(invs) > 0) {
			if _, err := s.invitations.InsertMany(ctx, invs); err != nil {
				return fmt.Errorf("survey: seed invitations: %w", err)
			}
			invs = invs[:0]
		}
		if len(resps) >= 1000 || (force && len(resps) > 0) {
			if _, err := s.responses.InsertMany(ctx, resps); err != nil {
				return fmt.Errorf("survey: seed responses: %w", err)
			}
			resps = resps[:0]
		}
		return nil
	}
	for answered < responses {
		si := pick(rng, len(surveys), func(j int) float64 { return demoSurveys[j].share })
		sv := surveys[si]
		team := demoTeams[rng.IntN(len(demoTeams))]
		agent := team.agents[rng.IntN(len(team.agents))]
		ch := demoChannels[pick(rng, len(demoChannels), func(j int) float64 { return demoChannels[j].weight })]
		if sv.Scale == "faces" {
			ch = demoChannels[1] // the faces survey follows chats
		}
		ci := rng.IntN(len(customers))
		occurred := now.Add(-time.Duration(rng.Float64() * float64(days) * 24 * float64(time.Hour))).Truncate(time.Second)
		created := occurred.Add(30 * time.Minute)
		if created.After(now) {
			created = now
		}
		inv := &Invitation{
			ID: bson.NewObjectIDFromTimestamp(created), WorkspaceID: ws.ID, SurveyID: sv.ID, Customer: customers[ci],
			Interaction: Interaction{
				ID: fmt.Sprintf("T%07d", rng.IntN(9_999_999)), Agent: agent, Team: team.name, Channel: ch.name,
				Country: customerCountry[ci], OccurredAt: &occurred,
			},
			Send: true, Status: StatusCreated, Decision: StatusScheduled, ExpiresAt: created.AddDate(0, 0, sv.LinkValidDays), CreatedAt: created,
		}
		demoServiceFacts(&inv.Interaction)
		sent := created.Add(time.Minute)
		inv.Status, inv.SentAt = StatusSent, &sent
		// A few go nowhere: throttled or sampled out by a rule, refused by the mail server, or
		// bounced later; the funnel shows each.
		switch x := rng.Float64(); {
		case x < 0.03:
			inv.Status, inv.Decision, inv.SentAt = StatusThrottled, StatusThrottled, nil
		case x < 0.05:
			inv.Status, inv.Decision, inv.SentAt = StatusSampledOut, StatusSampledOut, nil
		case x < 0.06:
			inv.Status, inv.SentAt, inv.FailedAt, inv.Failure = StatusFailed, nil, &sent, "550 mailbox unavailable"
		case x < 0.08:
			bounced := sent.Add(2 * time.Minute)
			inv.Status, inv.BouncedAt, inv.Failure = StatusBounced, &bounced, "550 5.1.1 user unknown"
		}
		if inv.Status != StatusSent {
			invs = append(invs, inv)
			if err := flush(false); err != nil {
				return err
			}
			continue
		}
		if rng.Float64() < ch.respRate {
			delay := time.Duration(math.Min(rng.ExpFloat64()*6, 72) * float64(time.Hour))
			if rng.Float64() < 0.03 { // some answer weeks later: late
				delay = time.Duration(15+rng.IntN(10)) * 24 * time.Hour
			}
			at := sent.Add(delay)
			if at.After(now) {
				at = now
			}
			latent := 0.8 + team.effect + agentEffect[agent] + ch.effect + rng.NormFloat64()
			r := demoResponse(rng, sv, inv, latent, at)
			inv.Status, inv.OpenedAt = StatusOpened, &at
			resps = append(resps, r)
			answered++
			if answered%250 == 0 || answered == responses {
				progress("responses", answered, responses)
			}
		} else if rng.Float64() < 0.3 {
			opened := created.Add(time.Duration(rng.ExpFloat64() * float64(4*time.Hour)))
			if opened.Before(now) {
				inv.Status, inv.OpenedAt = StatusOpened, &opened
			}
		}
		invs = append(invs, inv)
		if err := flush(false); err != nil {
			return err
		}
	}
	if err := flush(true); err != nil {
		return err
	}

	if intake != nil {
		if err := intake.SeedRule(ctx, ws.ID, surveys[0].ID); err != nil {
			return err
		}
	}

	// One fresh, unanswered invitation per survey, for trying the pages.
	var live []*Invitation
	for _, sv := range surveys {
		inv := s.NewInvitation(sv, Customer{ID: "demo", Email: "demo@example.com", Name: "Demo"},
			Interaction{ID: "demo-live", Agent: "Nguyễn Thu An", Team: "Billing", Channel: "email", Country: "VN"}, false)
		inv.ExpiresAt = s.now().AddDate(1, 0, 0)
		live = append(live, inv)
	}
	if err := s.CreateInvitations(ctx, live); err != nil {
		return err
	}
	// The history above went straight into the collections; its rollups are counted from them.
	rebuild := make([]RollupSurvey, len(surveys))
	for i, sv := range surveys {
		rebuild[i] = RollupSurvey{ID: sv.ID, WorkspaceID: sv.WorkspaceID, Name: sv.Name}
	}
	if err := s.RebuildRollups(ctx, rebuild, rollup.RebuildOptions{Alone: true, Progress: func(stage string, done, total int) {
		progress("rollups, "+stage, done, total)
	}}); err != nil {
		return err
	}
	return nil
}

// demoResponse turns a latent satisfaction into an answer on sv's scale, with a comment and
// a reason some of the time, in the customer's language.
// demoResponse also plays the people the bias filters exist for: a mail scanner that opens
// every button and confirms within seconds, customers who read the scale backwards, and
// complaints about price rather than service.
func demoResponse(rng *rand.Rand, sv *Survey, inv *Invitation, latent float64, at time.Time) *Response {
	var score int
	switch sv.Kind {
	case CSAT:
		score = 1 + count(latent, -1.6, -0.9, -0.2, 1.3)
	case NPS:
		score = clamp(int(math.Round(8.0+1.5*(latent-0.8))), 0, 10)
	case CES:
		score = clamp(int(math.Round(5.3+1.1*(latent-0.8))), 1, 7)
	}
	lang := inv.Customer.Locale
	good := float64(score-sv.MinScore())/float64(sv.Points-1) >= 0.6
	reversed := good && rng.Float64() < 0.05 // meant the best, tapped the worst
	if reversed {
		score = sv.MinScore() + sv.MaxScore() - score
	}
	scanner := inv.SentAt != nil && rng.Float64() < 0.04
	if scanner {
		at = inv.SentAt.Add(time.Duration(1+rng.IntN(3)) * time.Second)
		for n := sv.MinScore(); n <= sv.MaxScore(); n++ {
			s := n
			inv.Visits = append(inv.Visits, Visit{At: inv.SentAt.Add(time.Duration(n*40) * time.Millisecond), Score: &s, UAClass: UADesktop})
		}
		score = sv.MinScore() + rng.IntN(sv.Points)
	}
	r := &Response{
		ID: inv.ID, WorkspaceID: inv.WorkspaceID, SurveyID: sv.ID, InvitationID: inv.ID,
		Kind: sv.Kind, Points: sv.Points, Score: score, Locale: lang,
		Customer: inv.Customer, Interaction: inv.Interaction, Revision: 1, CreatedAt: at, UpdatedAt: at,
	}
	if !scanner && (reversed || rng.Float64() < 0.35) {
		list := demoBad[lang]
		if good {
			list = demoGood[lang]
		}
		r.Comment = list[rng.IntN(len(list))]
	}
	if len(sv.Reasons) > 0 && !scanner && rng.Float64() < 0.5 {
		r.Reason = sv.Reasons[rng.IntN(len(sv.Reasons))].Code
		if !good && rng.Float64() < 0.4 { // unhappy about the price, not the agent
			r.Reason = "price"
		}
	}
	onPage := 8 + rng.ExpFloat64()*25
	uaClass := UADesktop
	if rng.Float64() < 0.62 {
		uaClass = UAMobile
	}
	r.Signals = Signals{
		SinceInviteSeconds: at.Sub(inv.CreatedAt).Seconds(), OnPageSeconds: &onPage, UAClass: uaClass,
		IPHash: fmt.Sprintf("%024x", rng.Uint64()), Interacted: !scanner, AutoConfirmed: scanner,
	}
	if scanner {
		r.Signals.OnPageSeconds = nil
	}
	r.Flags = flags(sv, inv, r)
	return r
}

func (s *Service) demoLinks(ctx context.Context, ws *Workspace) ([]DemoLink, error) {
	cur, err := s.invitations.Find(ctx, bson.D{{Key: "workspace_id", Value: ws.ID}, {Key: "interaction.id", Value: "demo-live"}})
	if err != nil {
		return nil, fmt.Errorf("survey: demo links: %w", err)
	}
	var invs []Invitation
	if err := cur.All(ctx, &invs); err != nil {
		return nil, fmt.Errorf("survey: demo links: %w", err)
	}
	var links []DemoLink
	for _, inv := range invs {
		sv, err := s.Survey(ctx, ws.ID, inv.SurveyID)
		if err != nil {
			return nil, err
		}
		links = append(links, DemoLink{Survey: sv.Name, Kind: sv.Kind, Link: s.LinkFor(&inv)})
	}
	return links, nil
}

// pick draws an index with probability proportional to weight(i).
func pick(rng *rand.Rand, n int, weight func(int) float64) int {
	total := 0.0
	for i := 0; i < n; i++ {
		total += weight(i)
	}
	x := rng.Float64() * total
	for i := 0; i < n; i++ {
		if x -= weight(i); x < 0 {
			return i
		}
	}
	return n - 1
}

// count is how many thresholds x reaches.
func count(x float64, thresholds ...float64) int {
	n := 0
	for _, t := range thresholds {
		if x >= t {
			n++
		}
	}
	return n
}

func clamp(x, lo, hi int) int { return min(max(x, lo), hi) }
