// Package demo seeds the demo workspace `surveyd demo` serves: surveys, a made-up history of
// invitations and responses with their rollups, and the demo's part of each feature on top of
// the core (the intake's rule and CRM integration, a benchmark set, targets, customer counts),
// each seeded by its own package.
//
// It imports survey, the core, and the feature packages it seeds through; none of them imports
// it. cmd/surveyd builds the services and calls Seed; the report benchmark seeds through it too.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/benchmark"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/intake"
	"github.com/surveyd/surveyd/survey/rollup"
	"github.com/surveyd/surveyd/survey/target"
	"github.com/surveyd/surveyd/templates"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// WorkspaceName is the name of the workspace `surveyd demo` seeds.
const WorkspaceName = "Demo"

// Services are what the demo seeds through: the core, and the features on top of it, each of
// which may be nil to leave its part out.
type Services struct {
	Core       *survey.Service
	Intake     *intake.Service        // the demo's rule and CRM integration
	Benchmarks *benchmark.Service     // the demo company's benchmark set
	Targets    *target.Service        // the quarterly targets
	Counts     *customercount.Service // the demo CRM's customer counts
}

// Options size the demo data.
type Options struct {
	Responses int                                 // about this many answered invitations
	Days      int                                 // spread over this many days back; 0: 90
	Progress  func(stage string, done, total int) // called as seeding advances; may be nil
	Catalog   *templates.Catalog                  // supplies the surveys' default texts
}

// Demo is the seeded workspace with one live, unanswered link per survey.
type Demo struct {
	Workspace   *survey.Workspace
	Links       []Link
	Integration *intake.Integration // the demo CRM's, with its Secret; nil without Services.Intake
	Seeded      bool                // false when the data was already there
}

// Link is a survey's live link for trying the respondent pages.
type Link struct {
	Survey string
	Kind   survey.Kind
	Link   string
}

// ReportSurvey is the name of the demo survey the report benchmark reads: Support CSAT.
func ReportSurvey() string { return demoSurveys[0].name }

// demoSurveys are the demo's surveys, with the share of responses each gets.
var demoSurveys = []struct {
	name  string
	kind  survey.Kind
	scale string
	share float64
}{
	{"Support CSAT", survey.CSAT, "stars", 0.40},
	{"Chat CSAT", survey.CSAT, "faces", 0.15},
	{"Relationship NPS", survey.NPS, "", 0.25},
	{"Customer effort", survey.CES, "", 0.20},
}

var demoReasons = []survey.Reason{
	{Code: "resolution", Label: survey.Text{En: "Getting my issue resolved", Vi: "Việc giải quyết vấn đề của tôi"}, About: "service"},
	{Code: "attitude", Label: survey.Text{En: "The agent's attitude", Vi: "Thái độ của nhân viên"}, About: "service"},
	{Code: "wait", Label: survey.Text{En: "Waiting time", Vi: "Thời gian chờ"}, About: "service"},
	{Code: "product", Label: survey.Text{En: "The product itself", Vi: "Bản thân sản phẩm"}, About: "product"},
	{Code: "price", Label: survey.Text{En: "Price or fees", Vi: "Giá hoặc phí"}, About: "price"},
	{Code: "policy", Label: survey.Text{En: "Company policy", Vi: "Chính sách của công ty"}, About: "policy"},
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

// Seed creates the demo workspace with surveys, invitations and responses spread over the
// last opts.Days days, with their rollups, unless it is already complete. An interrupted seed is cleared and redone.
func Seed(ctx context.Context, svc Services, opts Options) (*Demo, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	core := svc.Core
	ws, err := core.WorkspaceByName(ctx, WorkspaceName)
	switch {
	case errors.Is(err, survey.ErrNotFound):
		ws = survey.NewWorkspace(WorkspaceName)
		ws.CompanyName = "Sao Mai Telecom"
		if err := core.CreateWorkspace(ctx, ws); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	marker := bson.D{{Key: "_id", Value: "demo_seeded:" + ws.ID.Hex()}}
	settings := core.Settings()
	if n, err := settings.CountDocuments(ctx, marker); err != nil {
		return nil, fmt.Errorf("demo: marker: %w", err)
	} else if n > 0 {
		return gather(ctx, svc, ws, false)
	}
	if err := core.ClearWorkspace(ctx, ws.ID); err != nil {
		return nil, fmt.Errorf("demo: clear partial demo: %w", err)
	}
	if svc.Intake != nil {
		if err := svc.Intake.Demo().ClearRules(ctx, ws.ID); err != nil {
			return nil, fmt.Errorf("demo: clear partial demo: %w", err)
		}
	}
	days := opts.Days
	if days <= 0 {
		days = 90
	}
	if err := seed(ctx, svc, ws, opts.Catalog, max(opts.Responses, 1), days, progress); err != nil {
		return nil, err
	}
	if svc.Benchmarks != nil {
		if err := svc.Benchmarks.SeedDemo(ctx, ws.ID, ws.Location()); err != nil {
			return nil, err
		}
	}
	if svc.Targets != nil {
		if err := svc.Targets.SeedDemo(ctx, ws.ID, ws.Location()); err != nil {
			return nil, err
		}
	}
	if svc.Counts != nil {
		effects := map[string]float64{}
		for _, t := range demoTeams {
			effects[t.name] = t.effect
		}
		if err := svc.Counts.SeedDemo(ctx, ws.ID, ws.Location(), days, effects); err != nil {
			return nil, err
		}
	}
	if _, err := settings.InsertOne(ctx, append(marker, bson.E{Key: "at", Value: core.Now()})); err != nil {
		return nil, fmt.Errorf("demo: marker: %w", err)
	}
	return gather(ctx, svc, ws, true)
}

// gather collects what `surveyd demo` prints.
func gather(ctx context.Context, svc Services, ws *survey.Workspace, seeded bool) (*Demo, error) {
	links, err := liveLinks(ctx, svc.Core, ws)
	if err != nil {
		return nil, err
	}
	d := &Demo{Workspace: ws, Links: links, Seeded: seeded}
	if svc.Intake != nil {
		d.Integration, err = svc.Intake.Demo().Integration(ctx, ws.ID)
	}
	return d, err
}

func seed(ctx context.Context, svc Services, ws *survey.Workspace, catalog *templates.Catalog, responses, days int, progress func(string, int, int)) error {
	core := svc.Core
	rng := rand.New(rand.NewPCG(20261123, uint64(responses)))
	now := core.Now()
	var surveys []*survey.Survey
	for _, d := range demoSurveys {
		sv := survey.DefaultSurvey(catalog, ws.ID, d.kind)
		sv.Name, sv.Scale = d.name, d.scale
		switch d.kind {
		case survey.CSAT:
			sv.Points = 5
			sv.Reasons = demoReasons
		case survey.NPS:
			sv.Points = 11
		case survey.CES:
			sv.Points = 7
		}
		if err := core.CreateSurvey(ctx, sv); err != nil {
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
	customers := make([]survey.Customer, max(responses*3/5, 50))
	customerCountry := make([]string, len(customers))
	for i := range customers {
		country := demoCountries[pick(rng, len(demoCountries), func(j int) float64 { return demoCountries[j].weight })].code
		locale := "en"
		if country == "VN" && rng.Float64() < 0.9 {
			locale = "vi"
		}
		customers[i] = survey.Customer{
			ID:     fmt.Sprintf("C%05d", i+1),
			Email:  fmt.Sprintf("customer%05d@example.com", i+1),
			Name:   demoFamily[rng.IntN(len(demoFamily))] + " " + demoGiven[rng.IntN(len(demoGiven))],
			Locale: locale,
		}
		customerCountry[i] = country
	}

	var invs []*survey.Invitation
	var resps []*survey.Response
	answered := 0
	flush := func(force bool) error {
		if len(invs) >= 1000 || (force && len(invs) > 0) {
			if err := core.InsertHistory(ctx, invs, nil); err != nil {
				return err
			}
			invs = invs[:0]
		}
		if len(resps) >= 1000 || (force && len(resps) > 0) {
			if err := core.InsertHistory(ctx, nil, resps); err != nil {
				return err
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
		inv := &survey.Invitation{
			ID: bson.NewObjectIDFromTimestamp(created), WorkspaceID: ws.ID, SurveyID: sv.ID, Customer: customers[ci],
			Interaction: survey.Interaction{
				ID: fmt.Sprintf("T%07d", rng.IntN(9_999_999)), Agent: agent, Team: team.name, Channel: ch.name,
				Country: customerCountry[ci], OccurredAt: &occurred,
			},
			Send: true, Status: survey.StatusCreated, Decision: survey.StatusScheduled, ExpiresAt: created.AddDate(0, 0, sv.LinkValidDays), CreatedAt: created,
		}
		serviceFacts(&inv.Interaction)
		sent := created.Add(time.Minute)
		inv.Status, inv.SentAt = survey.StatusSent, &sent
		// A few go nowhere: throttled or sampled out by a rule, refused by the mail server, or
		// bounced later; the funnel shows each.
		switch x := rng.Float64(); {
		case x < 0.03:
			inv.Status, inv.Decision, inv.SentAt = survey.StatusThrottled, survey.StatusThrottled, nil
		case x < 0.05:
			inv.Status, inv.Decision, inv.SentAt = survey.StatusSampledOut, survey.StatusSampledOut, nil
		case x < 0.06:
			inv.Status, inv.SentAt, inv.FailedAt, inv.Failure = survey.StatusFailed, nil, &sent, "550 mailbox unavailable"
		case x < 0.08:
			bounced := sent.Add(2 * time.Minute)
			inv.Status, inv.BouncedAt, inv.Failure = survey.StatusBounced, &bounced, "550 5.1.1 user unknown"
		}
		if inv.Status != survey.StatusSent {
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
			inv.Status, inv.OpenedAt = survey.StatusOpened, &at
			resps = append(resps, r)
			answered++
			if answered%250 == 0 || answered == responses {
				progress("responses", answered, responses)
			}
		} else if rng.Float64() < 0.3 {
			opened := created.Add(time.Duration(rng.ExpFloat64() * float64(4*time.Hour)))
			if opened.Before(now) {
				inv.Status, inv.OpenedAt = survey.StatusOpened, &opened
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

	if svc.Intake != nil {
		if err := svc.Intake.Demo().SeedRule(ctx, ws.ID, surveys[0].ID); err != nil {
			return err
		}
	}

	// One fresh, unanswered invitation per survey, for trying the pages.
	var live []*survey.Invitation
	for _, sv := range surveys {
		inv := core.NewInvitation(sv, survey.Customer{ID: "demo", Email: "demo@example.com", Name: "Demo"},
			survey.Interaction{ID: "demo-live", Agent: "Nguyễn Thu An", Team: "Billing", Channel: "email", Country: "VN"}, false)
		inv.ExpiresAt = core.Now().AddDate(1, 0, 0)
		live = append(live, inv)
	}
	if err := core.CreateInvitations(ctx, live); err != nil {
		return err
	}
	// The history above went straight into the collections; its rollups are counted from them.
	rebuild := make([]survey.RollupSurvey, len(surveys))
	for i, sv := range surveys {
		rebuild[i] = survey.RollupSurvey{ID: sv.ID, WorkspaceID: sv.WorkspaceID, Name: sv.Name}
	}
	if err := core.RebuildRollups(ctx, rebuild, rollup.RebuildOptions{Alone: true, Progress: func(stage string, done, total int) {
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
func demoResponse(rng *rand.Rand, sv *survey.Survey, inv *survey.Invitation, latent float64, at time.Time) *survey.Response {
	var score int
	switch sv.Kind {
	case survey.CSAT:
		score = 1 + count(latent, -1.6, -0.9, -0.2, 1.3)
	case survey.NPS:
		score = clamp(int(math.Round(8.0+1.5*(latent-0.8))), 0, 10)
	case survey.CES:
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
			inv.Visits = append(inv.Visits, survey.Visit{At: inv.SentAt.Add(time.Duration(n*40) * time.Millisecond), Score: &s, UAClass: survey.UADesktop})
		}
		score = sv.MinScore() + rng.IntN(sv.Points)
	}
	r := &survey.Response{
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
	uaClass := survey.UADesktop
	if rng.Float64() < 0.62 {
		uaClass = survey.UAMobile
	}
	r.Signals = survey.Signals{
		SinceInviteSeconds: at.Sub(inv.CreatedAt).Seconds(), OnPageSeconds: &onPage, UAClass: uaClass,
		IPHash: fmt.Sprintf("%024x", rng.Uint64()), Interacted: !scanner, AutoConfirmed: scanner,
	}
	if scanner {
		r.Signals.OnPageSeconds = nil
	}
	r.Flags = survey.Flags(sv, inv, r)
	return r
}

// liveLinks are the links of the workspace's live invitations, one per survey.
func liveLinks(ctx context.Context, core *survey.Service, ws *survey.Workspace) ([]Link, error) {
	invs, err := core.InteractionInvitations(ctx, ws.ID, "demo-live")
	if err != nil {
		return nil, err
	}
	var links []Link
	for _, inv := range invs {
		sv, err := core.Survey(ctx, ws.ID, inv.SurveyID)
		if err != nil {
			return nil, err
		}
		links = append(links, Link{Survey: sv.Name, Kind: sv.Kind, Link: core.LinkFor(&inv)})
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
