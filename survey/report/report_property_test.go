package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/customercount"
	"github.com/surveyd/surveyd/survey/rollup"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestReportPropertyRollupsMatchRaw checks, on random response sets, that the report served
// from rollups equals a straightforward computation over the raw invitations and responses,
// for every number in the report.
//
// Two years of events are played on the fake clock across three surveys (CSAT, NPS, CES):
// invitations with every decision, sends, failures and their retries, bounces, reminders,
// link visits, answers with random flags, comments, customers from a small pool (so customers
// answer repeatedly), dimensions from small sets with empty values, double taps, edits inside
// and past the edit window, and flag overrides. The rollups' time zone and the reports' are
// drawn from zones with :30 and :45 offsets and DST on both hemispheres; periods are local
// days or any quarter-hours, often next to an event. Reports are checked against the
// reference part-way (months sealed then are updated later by edits and overrides), at the
// end, and after a rebuild into another time zone during which events keep arriving; reports
// over periods before the rebuild must come out identical to the live ones.
//
// Everything, the clock included, comes from the seed (propTimeline), so a seed replays the
// same events on any day. SURVEYD_PROPERTY_SEED=<n> replays another random set; under CI
// the seeds of propCISeeds play too, whose rebuilds fall next to a month's end, a year's end
// and a change of the clocks.
func TestReportPropertyRollupsMatchRaw(t *testing.T) {
	if testing.Short() {
		t.Skip("plays two years of events and waits for a rollup rebuild")
	}
	seeds := []uint64{20250101}
	if s := os.Getenv("SURVEYD_PROPERTY_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SURVEYD_PROPERTY_SEED=%q: %v", s, err)
		}
		seeds = []uint64{n}
	} else if os.Getenv("CI") != "" {
		for _, c := range propCISeeds {
			seeds = append(seeds, c.seed)
		}
	}
	for _, seed := range seeds {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			// Most of a seed's time is spent waiting for the rebuild's cutoff to settle.
			if len(seeds) > 1 {
				t.Parallel()
			}
			playProperty(t, seed)
		})
	}
}

// propCISeeds are seeds CI plays beside the default one (whose rebuild falls next to the end
// of October 2025), each for the boundary its rebuild falls next to (TestPropertyCISeeds
// keeps that true).
var propCISeeds = []struct {
	seed     uint64
	boundary string
}{
	{7, propNearYearEnd},    // Europe/London, 31 December 2024
	{21, propNearDSTChange}, // America/St_Johns, the clocks go forward on 9 March 2025
	{38, propNearDSTChange}, // America/New_York, the clocks go back on 2 November 2031
	{44, propNearDSTChange}, // Australia/Adelaide, the clocks go back on 2 April 2028
}

func playProperty(t *testing.T, seed uint64) {
	t.Logf("seed %d (replay with SURVEYD_PROPERTY_SEED=%d)", seed, seed)

	en := newEnv(t)
	ctx := context.Background()
	p := &prop{t: t, ctx: ctx, en: en, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), ws: en.WS,
		key: &apikey.Key{ID: bson.NewObjectID(), WorkspaceID: en.WS.ID, Name: "property test"}}

	// The rollups take the workspace's zone when their survey's first event is recorded.
	p.ws.TimeZone = propZones[p.rng.IntN(len(propZones))]
	if err := en.Core.UpdateWorkspace(ctx, p.ws); err != nil {
		t.Fatal(err)
	}
	tl := propTimeline(seed, p.ws.TimeZone)
	t.Logf("rollup time zone %s; events from %s, the rebuild from %s, %s", p.ws.TimeZone,
		tl.start.Format(time.RFC3339), tl.rebuild.Format(time.RFC3339), tl.boundary)
	p.surveys = []*survey.Survey{
		en.CreateSurvey(`{"kind":"csat","name":"CSAT","edit_window_hours":504}`),
		en.CreateSurvey(`{"kind":"nps","name":"NPS","edit_window_hours":504}`),
		en.CreateSurvey(fmt.Sprintf(`{"kind":"ces","name":"CES","points":%d,"edit_window_hours":504}`, []int{5, 7}[p.rng.IntN(2)])),
	}

	p.w = survey.NewRecorder(en.Core, slog.New(slog.DiscardHandler))
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); p.w.Run(wctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// Time only moves forward from the timeline's start.
	en.Clock.Advance(tl.start.Sub(en.Clock.Now()))
	p.start = en.Clock.Now()

	const steps = 900
	began := time.Now()
	mean := 2 * 365 * 24 * time.Hour / steps
	step := func(i int) {
		p.step(time.Time{})
		// Only here: reports kept from before the rebuild must not change under later counts.
		if p.rng.IntN(12) == 0 {
			p.postCustomerCounts()
		}
		if i == steps/3 || i == 2*steps/3 {
			p.check(fmt.Sprintf("after %d steps", i+1), 5)
		}
	}
	for i := range steps {
		p.advance(mean)
		step(i)
	}
	// The steps end a season before the rebuild's time: the last days before it are played
	// densely, so the rebuild and the reports kept before it meet the boundary with events on
	// both sides.
	if lead := tl.rebuild.Add(-3 * 24 * time.Hour); p.now().Before(lead) {
		en.Clock.Advance(lead.Sub(p.now()))
	}
	for i := steps; p.now().Before(tl.rebuild); i++ {
		p.advance(time.Hour)
		step(i)
	}
	t.Logf("%d invitations, %d responses, %d edits, %d overrides, %d double taps, %d refused edits in %s",
		len(p.invs), p.count.responses, p.count.edits, p.count.overrides, p.count.doubleTaps, p.count.refused, time.Since(began).Round(time.Millisecond))
	if t.Failed() {
		return
	}
	kept := p.check("at the end", 20)
	if t.Failed() {
		return
	}

	// Rebuild into another time zone while events keep arriving.
	rebuildAt := en.Clock.Now()
	from := p.ws.TimeZone
	for p.ws.TimeZone == from {
		p.ws.TimeZone = propZones[p.rng.IntN(len(propZones))]
	}
	if err := en.Core.UpdateWorkspace(ctx, p.ws); err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuild into time zone %s", p.ws.TimeZone)
	p.rebuildDuringEvents()
	if t.Failed() {
		return
	}
	// A customer's answers of a UTC month weigh 1/k, k counted over the whole month, so an
	// answer since the rebuild began moves the weights of that customer's earlier answers of
	// the month, in reports over periods before it too: those reports are left out here, and
	// checked against the reference below like all others.
	moved := p.repeatMonthsSince(rebuildAt)
	same, skipped := 0, 0
	for _, k := range kept {
		if k.q.To.After(rebuildAt) {
			continue
		}
		if p.repeatMoved(k.sv, k.q, moved) {
			skipped++
			continue
		}
		p.setExclusion(k.exclude)
		rep, err := en.reports.Report(ctx, p.ws.ID, k.sv.ID, k.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := propJSON(t, rep); string(got) != string(k.json) {
			t.Errorf("%s survey, %s: the report after the rebuild differs from the live one:\n%s",
				k.sv.Kind, propDescribe(k.q, k.exclude), strings.Join(propJSONDiffs(k.json, got, 0), "\n"))
		}
		same++
	}
	t.Logf("%d reports over periods before the rebuild came out identical; %d left out, their customers having answered again that month", same, skipped)
	p.check("after the rebuild", 10)

	// Past answers edited and overridden into the rebuilt generation's sealed months.
	for range 100 {
		p.advance(time.Hour)
		p.step(time.Time{})
	}
	p.check("after more events", 8)
}

// repeatMonth is a customer's answers to a survey in a UTC month, which count together in
// the repeat weight.
type repeatMonth struct {
	survey   bson.ObjectID
	customer uint64
	month    string
}

func repeatMonthOf(sv bson.ObjectID, c survey.Customer, at time.Time) repeatMonth {
	return repeatMonth{sv, rollup.CustomerHash(survey.CustomerKey(c)), at.UTC().Format("2006-01")}
}

// repeatMonthsSince are the months of the answers first recorded at or after since.
func (p *prop) repeatMonthsSince(since time.Time) map[repeatMonth]bool {
	out := map[repeatMonth]bool{}
	for _, inv := range p.invs {
		if inv.responded && !inv.answeredAt.Before(since) {
			out[repeatMonthOf(inv.sv.ID, inv.customer, inv.answeredAt)] = true
		}
	}
	return out
}

// repeatMoved says whether an answer in q's period shares its customer's month with one of
// moved.
func (p *prop) repeatMoved(sv *survey.Survey, q ReportQuery, moved map[repeatMonth]bool) bool {
	for _, inv := range p.invs {
		if inv.sv == sv && inv.responded && !inv.answeredAt.Before(q.From) && inv.answeredAt.Before(q.To) &&
			moved[repeatMonthOf(sv.ID, inv.customer, inv.answeredAt)] {
			return true
		}
	}
	return false
}

// The boundaries a seed's rebuild may fall next to.
const (
	propNearMonthEnd  = "next to a UTC month's end"
	propNearYearEnd   = "next to the year's end in the rollup time zone"
	propNearDSTChange = "next to a change of the clocks in the rollup time zone"
	propAnyTime       = "at a time of no particular boundary"
)

// propPlan is when a seed's events happen.
type propPlan struct {
	start, rebuild time.Time
	boundary       string
}

// propTimeline places a seed's events from its own random source, apart from the events'
// one: the rebuild begins up to two hours before a boundary drawn for the seed in the years
// 2023–2031, and the events start two years before it.
func propTimeline(seed uint64, zone string) propPlan {
	rng := rand.New(rand.NewPCG(seed^0x5bd1e995, seed))
	loc := (&survey.Workspace{TimeZone: zone}).Location()
	year := 2023 + rng.IntN(9)
	month := time.Month(1 + rng.IntN(12))
	var at time.Time
	boundary := []string{propNearMonthEnd, propNearYearEnd, propNearDSTChange, propAnyTime}[rng.IntN(4)]
	switch boundary {
	case propNearMonthEnd:
		at = time.Date(year, month+1, 1, 0, 0, 0, 0, time.UTC)
	case propNearYearEnd:
		at = time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)
	case propNearDSTChange:
		changes := propClockChanges(year, loc)
		if len(changes) == 0 {
			boundary, at = propNearMonthEnd, time.Date(year, month+1, 1, 0, 0, 0, 0, time.UTC)
			break
		}
		at = changes[rng.IntN(len(changes))]
	default:
		at = time.Date(year, month, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(28 * 24 * time.Hour))))
	}
	rebuild := at.Add(-time.Duration(rng.Int64N(int64(2 * time.Hour)))).UTC().Truncate(time.Millisecond)
	return propPlan{start: rebuild.AddDate(-2, 0, 0), rebuild: rebuild, boundary: boundary}
}

// propClockChanges are the instants of a year at which loc's offset from UTC changes.
func propClockChanges(year int, loc *time.Location) []time.Time {
	var out []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	_, off := t.In(loc).Zone()
	for end := t.AddDate(1, 0, 0); t.Before(end); t = t.Add(15 * time.Minute) {
		if _, o := t.In(loc).Zone(); o != off {
			out, off = append(out, t), o
		}
	}
	return out
}

// TestPropertyCISeeds checks that the seeds CI plays fall next to the boundaries they are
// there for.
func TestPropertyCISeeds(t *testing.T) {
	for _, c := range propCISeeds {
		rng := rand.New(rand.NewPCG(c.seed, c.seed^0x9e3779b97f4a7c15))
		zone := propZones[rng.IntN(len(propZones))]
		if tl := propTimeline(c.seed, zone); tl.boundary != c.boundary {
			t.Errorf("seed %d (rollups in %s): its rebuild falls %s, want %s", c.seed, zone, tl.boundary, c.boundary)
		}
	}
}

// propZones are the time zones of rollups and reports: whole, :30 and :45 offsets, DST on
// both hemispheres, and clocks that skip midnight when DST starts (Santiago, Cairo).
var propZones = []string{"UTC", "Asia/Ho_Chi_Minh", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York",
	"Europe/London", "Australia/Adelaide", "America/St_Johns", "Pacific/Chatham", "America/Santiago", "Africa/Cairo"}

var (
	propAgents    = []string{"", "Lan", "Minh", "Hoa", "Tuan", "Vy"}
	propTeams     = []string{"", "Billing", "Support", "Sales"}
	propChannels  = []string{"", "email", "chat", "phone"}
	propCountries = []string{"", "VN", "US", "IN"}
	propComments  = []string{"great help", "rất tốt, cảm ơn", "too slow", "ok", "không hài lòng"}
	// propFlags are the write-path flags (SCORING.md, "Bias filters"), in report order.
	propFlags = []string{"automated", "contradiction", "non_attributable", "late"}
	// propDefaultExclude is SCORING.md's default: automated, contradiction, non_attributable.
	propDefaultExclude = []string{"automated", "contradiction", "non_attributable"}
)

// propCustomers are few, so customers answer more than once; some are the same person
// written differently, and CRM ids win over addresses.
var propCustomers = func() []survey.Customer {
	var out []survey.Customer
	for i := range 16 {
		out = append(out, survey.Customer{Email: fmt.Sprintf("c%d@example.com", i)})
	}
	return append(out, survey.Customer{Email: " C1@Example.com "}, survey.Customer{Email: "C2@EXAMPLE.COM"},
		survey.Customer{ID: "crm-1", Email: "c3@example.com"}, survey.Customer{ID: "crm-1", Email: "other@example.com"},
		survey.Customer{ID: "crm-2", Email: "c4@example.com"})
}()

type prop struct {
	t       *testing.T
	ctx     context.Context
	en      *env
	rng     *rand.Rand
	w       *survey.Recorder
	key     *apikey.Key
	ws      *survey.Workspace
	surveys []*survey.Survey
	invs    []*propInv
	start   time.Time
	times   []time.Time // when events happened, to put period boundaries next to
	count   struct{ responses, edits, overrides, doubleTaps, refused int }
}

// propInv is what the test remembers of an invitation to pick the next event.
type propInv struct {
	id          bson.ObjectID
	sv          *survey.Survey
	customer    survey.Customer
	interaction survey.Interaction
	decision    string
	sent        bool
	failed      bool
	bounced     bool
	opened      bool
	responded   bool
	answeredAt  time.Time
}

func propPick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

func (p *prop) now() time.Time { return p.en.Clock.Now() }

// advance moves the clock on by a random time of mean `mean`, sometimes by seconds only so
// that events share their quarter-hour.
func (p *prop) advance(mean time.Duration) {
	d := time.Duration(p.rng.ExpFloat64() * float64(mean))
	if p.rng.IntN(8) == 0 {
		d = time.Duration(p.rng.Int64N(int64(20 * time.Minute)))
	}
	p.en.Clock.Advance(d + time.Microsecond)
}

func (p *prop) find(ok func(*propInv) bool) *propInv {
	var c []*propInv
	for _, inv := range p.invs {
		if ok(inv) {
			c = append(c, inv)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return propPick(p.rng, c)
}

// step plays one random event. Answers first recorded before answeredSince are neither edited
// nor overridden (zero: any answer may be).
func (p *prop) step(answeredSince time.Time) {
	t, ctx, svc := p.t, p.ctx, p.en.Core
	t.Helper()
	p.times = append(p.times, p.now())
	x := p.rng.IntN(100)
	switch {
	case x < 26 || len(p.invs) == 0:
		p.invite()
	case x < 39: // the email went out (first send, or a retry after a failure)
		if inv := p.find(func(i *propInv) bool { return i.decision == survey.StatusScheduled && !i.sent }); inv != nil {
			propNoErr(t, svc.MarkSent(ctx, inv.id, p.now(), false))
			inv.sent = true
		}
	case x < 44:
		if inv := p.find(func(i *propInv) bool { return i.decision == survey.StatusScheduled && !i.sent && !i.failed }); inv != nil {
			propNoErr(t, svc.MarkFailed(ctx, inv.id, p.now(), "550 no such user"))
			inv.failed = true
		}
	case x < 49:
		if inv := p.find(func(i *propInv) bool { return i.sent && !i.bounced }); inv != nil {
			propNoErr(t, svc.MarkBounced(ctx, inv.id, p.now(), "bounced: hard"))
			inv.bounced = true
		}
	case x < 52: // reminders are not counted; a failed one is the invitation's failure
		if inv := p.find(func(i *propInv) bool { return i.sent }); inv != nil {
			if !inv.failed && p.rng.IntN(4) == 0 {
				propNoErr(t, svc.MarkFailed(ctx, inv.id, p.now(), "reminder: 550 mailbox full"))
				inv.failed = true
			} else {
				propNoErr(t, svc.MarkSent(ctx, inv.id, p.now(), true))
			}
		}
	case x < 54: // bookkeeping done twice, a webhook delivered twice
		inv := p.find(func(i *propInv) bool { return i.sent || i.failed || i.bounced })
		switch {
		case inv == nil:
		case inv.bounced:
			propNoErr(t, svc.MarkBounced(ctx, inv.id, p.now(), "complained"))
		case inv.sent:
			propNoErr(t, svc.MarkSent(ctx, inv.id, p.now(), false))
		default:
			propNoErr(t, svc.MarkFailed(ctx, inv.id, p.now(), "retries ran out"))
		}
	case x < 62: // a link visit; visits after the first change nothing
		if inv := p.find(func(i *propInv) bool { return i.reachable() && (!i.opened || p.rng.IntN(5) == 0) }); inv != nil {
			stored, err := svc.LinkInvitation(ctx, inv.id)
			propNoErr(t, err)
			propNoErr(t, svc.MarkOpened(ctx, stored))
			inv.opened = true
		}
	case x < 85:
		p.respond()
	case x < 94:
		p.edit(answeredSince)
	default:
		if inv := p.find(func(i *propInv) bool { return i.responded && !i.answeredAt.Before(answeredSince) }); inv != nil {
			var add, remove []string
			for _, f := range propFlags {
				switch p.rng.IntN(4) {
				case 0:
					add = append(add, f)
				case 1:
					remove = append(remove, f)
				}
			}
			if len(add)+len(remove) == 0 {
				add = []string{propPick(p.rng, propFlags)}
			}
			_, err := svc.OverrideFlags(ctx, p.key, inv.id, add, remove, "property test")
			propNoErr(t, err)
			p.count.overrides++
		}
	}
}

func propNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// reachable says whether the customer has the link: a link-only invitation, or a sent email.
func (i *propInv) reachable() bool { return i.decision == survey.StatusCreated || i.sent }

func (p *prop) invite() {
	sv := propPick(p.rng, p.surveys)
	invs := make([]*survey.Invitation, 1+p.rng.IntN(4))
	for i := range invs {
		var decision string
		switch x := p.rng.IntN(100); {
		case x < 40:
			decision = survey.StatusCreated
		case x < 76:
			decision = survey.StatusScheduled
		case x < 84:
			decision = survey.StatusThrottled
		case x < 92:
			decision = survey.StatusSuppressed
		default:
			decision = survey.StatusSampledOut
		}
		c := propPick(p.rng, propCustomers)
		if p.rng.IntN(2) == 0 {
			c = propCustomers[p.rng.IntN(6)]
		}
		in := survey.Interaction{ID: bson.NewObjectID().Hex(), Agent: propPick(p.rng, propAgents), Team: propPick(p.rng, propTeams),
			Channel: propPick(p.rng, propChannels), Country: propPick(p.rng, propCountries)}
		// What the CRM said of how it went, each part known two times in three.
		if p.rng.IntN(3) > 0 {
			resolved := p.rng.IntN(4) > 0
			in.FirstContactResolved = &resolved
		}
		if p.rng.IntN(3) > 0 {
			seconds := p.rng.IntN(3600)
			in.HandleSeconds = &seconds
		}
		if p.rng.IntN(3) > 0 {
			transfers := max(p.rng.IntN(6)-3, 0)
			in.Transfers = &transfers
		}
		inv := p.en.Core.NewInvitation(sv, c, in, decision == survey.StatusScheduled)
		inv.Status = decision
		invs[i] = inv
	}
	propNoErr(p.t, p.en.Core.CreateInvitations(p.ctx, invs))
	for _, inv := range invs {
		p.invs = append(p.invs, &propInv{id: inv.ID, sv: sv, customer: inv.Customer, interaction: inv.Interaction, decision: inv.Decision})
	}
}

// answer is a new answer to inv at the clock's time, with random score, flags and comment.
func (p *prop) answer(inv *propInv) *survey.Response {
	now := p.now()
	var flags []scoring.Flag
	for _, f := range propFlags {
		if p.rng.IntN(100) < 17 {
			flags = append(flags, scoring.Flag{Name: f, Evidence: "property test"})
		}
	}
	switch p.rng.IntN(30) {
	case 0: // repeat is counted by the rollups, never from a stored flag
		flags = append(flags, scoring.Flag{Name: scoring.FlagRepeat})
	case 1:
		if len(flags) > 0 {
			flags = append(flags, flags[0])
		}
	}
	comment := ""
	if p.rng.IntN(5) < 2 {
		comment = propPick(p.rng, propComments)
	}
	sv := inv.sv
	return &survey.Response{ID: inv.id, WorkspaceID: p.ws.ID, SurveyID: sv.ID, InvitationID: inv.id, Kind: sv.Kind, Points: sv.Points,
		Score: sv.MinScore() + p.rng.IntN(sv.Points), Comment: comment, Locale: "en", Customer: inv.customer,
		Interaction: inv.interaction, Flags: flags, Revision: 1, CreatedAt: now, UpdatedAt: now}
}

func (p *prop) respond() {
	inv := p.find(func(i *propInv) bool { return i.reachable() && !i.responded })
	if inv == nil {
		return
	}
	if p.rng.IntN(10) == 0 { // a double tap: one answer and one edit, in one batch or two
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k := range errs {
			r := p.answer(inv)
			wg.Go(func() { errs[k] = p.w.Submit(p.ctx, r, inv.sv.EditWindow()) })
		}
		wg.Wait()
		propNoErr(p.t, errors.Join(errs...))
		p.count.doubleTaps++
	} else {
		propNoErr(p.t, p.w.Submit(p.ctx, p.answer(inv), inv.sv.EditWindow()))
	}
	inv.responded, inv.answeredAt = true, p.now()
	p.count.responses++
}

func (p *prop) edit(answeredSince time.Time) {
	now := p.now()
	// Mostly answers still open to edits, sometimes any answer.
	open := p.rng.IntN(4) > 0
	inv := p.find(func(i *propInv) bool {
		return i.responded && !i.answeredAt.Before(answeredSince) && (!open || now.Before(i.answeredAt.Add(i.sv.EditWindow())))
	})
	if inv == nil {
		return
	}
	err := p.w.Submit(p.ctx, p.answer(inv), inv.sv.EditWindow())
	if now.Before(inv.answeredAt.Add(inv.sv.EditWindow())) {
		propNoErr(p.t, err)
		p.count.edits++
		return
	}
	if !errors.Is(err, survey.ErrEditWindowClosed) {
		p.t.Fatalf("edit %s after its window: %v, want ErrEditWindowClosed", now.Sub(inv.answeredAt), err)
	}
	p.count.refused++
}

// rebuildDuringEvents rebuilds every survey's rollups while events keep arriving. Answers
// from before the cutoff are not edited meanwhile: the rebuild counts them as it read them.
func (p *prop) rebuildDuringEvents() {
	t, ctx, svc := p.t, p.ctx, p.en.Core
	begun, started := p.now(), time.Now()
	all := make([]survey.RollupSurvey, len(p.surveys))
	for i, sv := range p.surveys {
		all[i] = survey.RollupSurvey{ID: sv.ID, WorkspaceID: sv.WorkspaceID, Name: sv.Name}
	}
	var wg sync.WaitGroup
	var rebuildErr error
	wg.Go(func() { rebuildErr = svc.RebuildRollups(ctx, all, rollup.RebuildOptions{}) })
	deadline := time.Now().Add(10 * time.Second)
	for _, sv := range p.surveys {
		for {
			m, err := svc.Rollups().State(ctx, sv.ID)
			propNoErr(t, err)
			if m.Building != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the rebuild did not start")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Past every cutoff (a few seconds ahead of the clock when the rebuild started).
	p.en.Clock.Advance(time.Minute)
	// A fixed number of events, so a seed replays the same data, spread over the seconds the
	// rebuild takes: before its cutoff settles, while it counts and writes, after it switches.
	const events = 150
	for range events {
		time.Sleep(40 * time.Millisecond)
		p.advance(10 * time.Minute)
		p.step(begun.Add(time.Minute))
	}
	wg.Wait()
	propNoErr(t, rebuildErr)
	t.Logf("%d events during the rebuild, which took %s", events, time.Since(started).Round(time.Millisecond))
}

// propKept is a report served before the rebuild.
type propKept struct {
	sv      *survey.Survey
	q       ReportQuery
	exclude []string
	json    []byte
}

// check compares n random reports per survey with the reference and returns them.
func (p *prop) check(label string, n int) []propKept {
	t := p.t
	t.Helper()
	began := time.Now()
	var retained, combined int // rows with customer counts, and those of several periods
	defer func() {
		t.Logf("%s: %d reports checked in %s; %d rows had customer counts, %d of several periods",
			label, n*len(p.surveys), time.Since(began).Round(time.Millisecond), retained, combined)
	}()
	var kept []propKept
	failures := 0
	for _, sv := range p.surveys {
		ref := p.loadRef(sv)
		for range n {
			q, exclude := p.randomQuery()
			if !propSeriesAdvance(t, q) {
				continue
			}
			p.setExclusion(exclude)
			rep, err := p.en.reports.Report(p.ctx, p.ws.ID, sv.ID, q)
			if err != nil {
				t.Fatalf("%s: %s survey, %s: %v", label, sv.Kind, propDescribe(q, exclude), err)
			}
			got := propJSON(t, rep)
			want := propJSON(t, ref.report(sv, q, exclude))
			rows := append([]scoring.Row{rep.Total}, rep.Groups...)
			for _, pt := range rep.Series {
				rows = append(append(rows, pt.Total), pt.Groups...)
			}
			for _, r := range rows {
				if c := r.KPI.Customers; c != nil {
					retained++
					if c.Periods > 1 {
						combined++
					}
				}
			}
			if diffs := propJSONDiffs(want, got, 1e-9); len(diffs) > 0 {
				t.Errorf("%s: %s survey, %s: report (got) differs from the reference (want):\n%s",
					label, sv.Kind, propDescribe(q, exclude), strings.Join(diffs, "\n"))
				if failures++; failures >= 3 {
					t.FailNow()
				}
			}
			kept = append(kept, propKept{sv: sv, q: q, exclude: exclude, json: got})
		}
	}
	return kept
}

// propSeriesAdvance checks that the report's series boundaries move forward, so a report
// that would never return fails instead.
func propSeriesAdvance(t *testing.T, q ReportQuery) bool {
	t.Helper()
	if q.Interval == "" {
		return true
	}
	for a := q.From; a.Before(q.To); {
		b := nextBoundary(a, q.Location, q.Interval)
		if !b.After(a) {
			t.Errorf("%s: the %s after %s is %s: the series never ends", propDescribe(q, nil), q.Interval, a.In(q.Location), b.In(q.Location))
			return false
		}
		a = b
	}
	return true
}

// setExclusion stores the workspace's excluding flags; nil is a workspace stored before the
// setting existed.
func (p *prop) setExclusion(flags []string) {
	p.ws.ExcludeFlags = flags
	propNoErr(p.t, p.en.Core.UpdateWorkspace(p.ctx, p.ws))
}

func (p *prop) randomQuery() (ReportQuery, []string) {
	rng := p.rng
	loc, err := time.LoadLocation(propPick(rng, propZones))
	if err != nil {
		p.t.Fatal(err)
	}
	q := ReportQuery{Location: loc}
	// Half the periods start or end next to an event, where a bucket off by a quarter-hour
	// shows.
	lo, hi := p.start.Add(-5*24*time.Hour), p.now().Add(3*24*time.Hour)
	anchor := func() time.Time {
		if len(p.times) > 0 && rng.IntN(2) == 0 {
			return propPick(rng, p.times)
		}
		return lo.Add(time.Duration(rng.Int64N(int64(hi.Sub(lo)))))
	}
	at := anchor()
	var days int
	if rng.IntN(10) < 6 { // local midnights
		switch x := rng.IntN(10); {
		case x < 3:
			days = 1 + rng.IntN(3)
		case x < 6:
			days = 4 + rng.IntN(40)
		default:
			days = 45 + rng.IntN(760)
		}
		l := at.In(loc)
		q.From = propDayStart(l.Year(), l.Month(), l.Day(), loc)
		q.To = propDayStart(l.Year(), l.Month(), l.Day()+days, loc)
	} else { // any quarter-hours
		quarters := func(n int) time.Duration { return time.Duration(n) * 15 * time.Minute }
		q.From = at.Truncate(15 * time.Minute).Add(-quarters(rng.IntN(3)))
		q.To = q.From.Add(quarters(1 + rng.IntN(4*24*8)))
		if end := anchor().Truncate(15 * time.Minute).Add(quarters(rng.IntN(3))); end.After(q.From) && rng.IntN(2) == 0 {
			q.To = end
		}
		days = int(q.To.Sub(q.From).Hours()/24) + 1
	}
	intervals := []string{IntervalMonth}
	if days <= 250 {
		intervals = append(intervals, IntervalWeek)
	}
	if days <= 20 {
		intervals = append(intervals, IntervalDay)
	}
	if rng.IntN(100) < 55 {
		q.Interval = propPick(rng, intervals)
	}
	q.GroupBy = propPick(rng, []scoring.Dimension{"", scoring.DimAgent, scoring.DimTeam, scoring.DimChannel, scoring.DimCountry})
	if rng.IntN(2) == 0 {
		q.Filter = map[scoring.Dimension]string{}
		for range 1 + rng.IntN(2) {
			switch d := propPick(rng, scoring.Dimensions()); d {
			case scoring.DimAgent:
				q.Filter[d] = propPick(rng, append(propAgents[1:], "Nobody"))
			case scoring.DimTeam:
				q.Filter[d] = propPick(rng, propTeams[1:])
			case scoring.DimChannel:
				q.Filter[d] = propPick(rng, propChannels[1:])
			case scoring.DimCountry:
				q.Filter[d] = propPick(rng, propCountries[1:])
			}
		}
	}
	var exclude []string
	switch x := rng.IntN(10); {
	case x == 0: // nil: the defaults
	case x == 1:
		exclude = []string{}
	default:
		exclude = []string{}
		for _, f := range propFlags {
			if rng.IntN(2) == 0 {
				exclude = append(exclude, f)
			}
		}
	}
	return q, exclude
}

func propDescribe(q ReportQuery, exclude []string) string {
	return fmt.Sprintf("[%s, %s) in %s (UTC [%s, %s)), group_by %q, filter %v, interval %q, exclude %q",
		q.From.In(q.Location).Format(time.DateTime), q.To.In(q.Location).Format(time.DateTime), q.Location,
		q.From.UTC().Format(time.DateTime), q.To.UTC().Format(time.DateTime), q.GroupBy, q.Filter, q.Interval, exclude)
}

// The reference: every number of a report computed from its definition (SCORING.md) over the
// stored invitations and responses, answer by answer.

type propRefEvent struct {
	at    time.Time
	t     scoring.Tuple
	stage scoring.Stage
	in    *survey.Interaction // an invited event's, for the service KPIs
}

type propRefAnswer struct {
	at       time.Time
	t        scoring.Tuple
	flags    map[string]bool
	score    int
	comment  bool
	customer string
	k        int64 // the customer's answers to the survey in the answer's UTC month
}

type propRefData struct {
	events    []propRefEvent
	answers   []propRefAnswer
	customers []customercount.CustomerCount
}

var propRefDecisions = map[string]scoring.Stage{survey.StatusCreated: scoring.StageCreated, survey.StatusScheduled: scoring.StageScheduled,
	survey.StatusThrottled: scoring.StageThrottled, survey.StatusSuppressed: scoring.StageSuppressed, survey.StatusSampledOut: scoring.StageSampledOut}

func propRefTuple(in survey.Interaction) scoring.Tuple {
	return scoring.Tuple{Agent: in.Agent, Team: in.Team, Channel: in.Channel, Country: in.Country}
}

// loadRef reads every invitation and response of sv straight from the store.
func (p *prop) loadRef(sv *survey.Survey) *propRefData {
	t, ctx := p.t, p.ctx
	filter := bson.D{{Key: "survey_id", Value: sv.ID}}
	var invs []survey.Invitation
	cur, err := p.en.DB.Collection("invitations").Find(ctx, filter)
	propNoErr(t, err)
	propNoErr(t, cur.All(ctx, &invs))
	var resps []survey.Response
	cur, err = p.en.DB.Collection("responses").Find(ctx, filter)
	propNoErr(t, err)
	propNoErr(t, cur.All(ctx, &resps))

	d := &propRefData{}
	// As the API lists them, not as the report reads them.
	counts, err := p.en.counts.ListCustomerCounts(ctx, p.ws.ID, httpx.PageParams{Limit: 1_000_000})
	propNoErr(t, err)
	if counts.NextCursor != "" {
		t.Fatal("more customer counts than one page")
	}
	d.customers = counts.Data
	for _, inv := range invs {
		tu := propRefTuple(inv.Interaction)
		d.events = append(d.events, propRefEvent{inv.CreatedAt, tu, scoring.StageInvited, &inv.Interaction})
		st, ok := propRefDecisions[inv.Decision]
		if !ok {
			t.Fatalf("invitation %s stored with decision %q", inv.ID.Hex(), inv.Decision)
		}
		d.events = append(d.events, propRefEvent{inv.CreatedAt, tu, st, nil})
		for _, e := range []struct {
			at    *time.Time
			stage scoring.Stage
		}{{inv.SentAt, scoring.StageSent}, {inv.FailedAt, scoring.StageFailed}, {inv.BouncedAt, scoring.StageBounced}, {inv.OpenedAt, scoring.StageOpened}} {
			if e.at != nil {
				d.events = append(d.events, propRefEvent{*e.at, tu, e.stage, nil})
			}
		}
	}
	for _, r := range resps {
		a := propRefAnswer{at: r.CreatedAt, t: propRefTuple(r.Interaction), flags: map[string]bool{}, score: r.Score,
			comment: r.Comment != "", customer: survey.CustomerKey(r.Customer)}
		for _, f := range r.Flags {
			a.flags[f.Name] = true
		}
		d.answers = append(d.answers, a)
	}
	// The repeat weight's k: a customer's answers in one UTC month, whatever their flags.
	perMonth := map[string]int64{}
	month := func(a propRefAnswer) string { return a.customer + "|" + a.at.UTC().Format("2006-01") }
	for _, a := range d.answers {
		perMonth[month(a)]++
	}
	for i := range d.answers {
		d.answers[i].k = perMonth[month(d.answers[i])]
	}
	return d
}

func propRefValue(t scoring.Tuple, d scoring.Dimension) string {
	switch d {
	case scoring.DimAgent:
		return t.Agent
	case scoring.DimTeam:
		return t.Team
	case scoring.DimChannel:
		return t.Channel
	case scoring.DimCountry:
		return t.Country
	}
	panic("dimension " + string(d))
}

func propRefMatches(t scoring.Tuple, filter map[scoring.Dimension]string) bool {
	for d, v := range filter {
		if propRefValue(t, d) != v {
			return false
		}
	}
	return true
}

func propRefIn(at, from, to time.Time) bool { return !at.Before(from) && at.Before(to) }

// report is the reference report of sv for q with the workspace excluding `exclude`.
func (d *propRefData) report(sv *survey.Survey, q ReportQuery, exclude []string) *Report {
	if exclude == nil {
		exclude = propDefaultExclude
	}
	excl := map[string]bool{}
	names := []string{}
	for _, f := range propFlags {
		if slices.Contains(exclude, f) {
			excl[f] = true
			names = append(names, f)
		}
	}
	// non_attributable leaves agent and team scores only: rows of an agent or team group, and
	// every row of a report filtered to an agent or a team.
	attributed := q.Filter[scoring.DimAgent] != "" || q.Filter[scoring.DimTeam] != ""
	totalExcl, groupExcl := excl, excl
	if !attributed {
		totalExcl = map[string]bool{}
		for f := range excl {
			if f != "non_attributable" {
				totalExcl[f] = true
			}
		}
		groupExcl = totalExcl
		if q.GroupBy == scoring.DimAgent || q.GroupBy == scoring.DimTeam {
			groupExcl = excl
		}
	}

	rep := &Report{SurveyID: sv.ID, Metric: scoring.Metric(sv.Kind), Points: sv.Points, From: q.From.UTC(), To: q.To.UTC(),
		TimeZone: q.Location.String(), GroupBy: q.GroupBy, Filter: map[string]string{}, ExcludeFlags: names, Interval: q.Interval}
	for k, v := range q.Filter {
		rep.Filter[string(k)] = v
	}
	section := func(from, to time.Time) (scoring.Row, []scoring.Row) {
		var evs []propRefEvent
		var ans []propRefAnswer
		groups := map[string]bool{}
		for _, e := range d.events {
			if propRefIn(e.at, from, to) && propRefMatches(e.t, q.Filter) {
				evs = append(evs, e)
			}
		}
		for _, a := range d.answers {
			if propRefIn(a.at, from, to) && propRefMatches(a.t, q.Filter) {
				ans = append(ans, a)
			}
		}
		total := propRefRow(sv, "", evs, ans, totalExcl)
		d.retention(&total, q.Filter, from, to)
		rows := []scoring.Row{}
		if q.GroupBy == "" {
			return total, rows
		}
		for _, e := range evs {
			groups[propRefValue(e.t, q.GroupBy)] = true
		}
		for _, a := range ans {
			groups[propRefValue(a.t, q.GroupBy)] = true
		}
		keys := make([]string, 0, len(groups))
		for g := range groups {
			keys = append(keys, g)
		}
		slices.Sort(keys)
		for _, g := range keys {
			var gevs []propRefEvent
			var gans []propRefAnswer
			for _, e := range evs {
				if propRefValue(e.t, q.GroupBy) == g {
					gevs = append(gevs, e)
				}
			}
			for _, a := range ans {
				if propRefValue(a.t, q.GroupBy) == g {
					gans = append(gans, a)
				}
			}
			row := propRefRow(sv, g, gevs, gans, groupExcl)
			scope := maps.Clone(q.Filter)
			if scope == nil {
				scope = map[scoring.Dimension]string{}
			}
			scope[q.GroupBy] = g
			d.retention(&row, scope, from, to)
			rows = append(rows, row)
		}
		return total, rows
	}
	rep.Total, rep.Groups = section(q.From, q.To)
	if q.Interval != "" {
		for a := q.From; a.Before(q.To); {
			b := propRefNext(a, q.Location, q.Interval)
			if b.After(q.To) {
				b = q.To
			}
			total, groups := section(a, b)
			rep.Series = append(rep.Series, ReportPoint{From: a.UTC(), To: b.UTC(), Total: total, Groups: groups})
			a = b
		}
	}
	return rep
}

// propRefNext is the start of the day, ISO week (Monday) or month after the one holding t.
func propRefNext(t time.Time, loc *time.Location, interval string) time.Time {
	y, m, d := t.In(loc).Date()
	switch interval {
	case IntervalDay:
		return propDayStart(y, m, d+1, loc)
	case IntervalWeek:
		days := int(time.Monday-t.In(loc).Weekday()+7) % 7
		if days == 0 {
			days = 7
		}
		return propDayStart(y, m, d+days, loc)
	case IntervalMonth:
		return propDayStart(y, m+1, 1, loc)
	}
	panic("interval " + interval)
}

// propDayStart is the first instant of a date in loc: its midnight, or the instant the clocks
// jump to when they skip midnight.
func propDayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if ly, lm, ld := t.Date(); ly != y || lm != m || ld != d {
		_, t = t.ZoneBounds()
	}
	return t
}

// propRefRow computes one row from the events and answers in it.
func propRefRow(sv *survey.Survey, group string, evs []propRefEvent, ans []propRefAnswer, excl map[string]bool) scoring.Row {
	row := scoring.Row{Group: group}
	var f [scoring.NumStages]int64
	type stratum struct{ delivered, responded int64 }
	strata := map[string]*stratum{}
	at := func(t scoring.Tuple) *stratum {
		k := t.Channel + "|" + t.Team
		if strata[k] == nil {
			strata[k] = &stratum{}
		}
		return strata[k]
	}
	for _, e := range evs {
		f[e.stage]++
		s := at(e.t)
		// A stratum's population is the invitations that reached customers, as the
		// response rate's denominator.
		switch e.stage {
		case scoring.StageSent, scoring.StageCreated:
			s.delivered++
		case scoring.StageBounced:
			s.delivered--
		}
	}
	var raw, filtered scoring.Histogram
	var commented int64
	var counted []propRefAnswer
	for _, a := range ans {
		raw[a.score]++
		if a.comment {
			commented++
		}
		s := at(a.t)
		excluded := false
		for name := range a.flags {
			excluded = excluded || excl[name]
		}
		if excluded {
			row.Excluded++
			continue
		}
		filtered[a.score]++
		s.responded++
		counted = append(counted, a)
	}
	row.Funnel = scoring.Funnel{Invited: f[scoring.StageInvited], Created: f[scoring.StageCreated],
		Scheduled: f[scoring.StageScheduled], Throttled: f[scoring.StageThrottled], Suppressed: f[scoring.StageSuppressed],
		SampledOut: f[scoring.StageSampledOut], Sent: f[scoring.StageSent], Failed: f[scoring.StageFailed],
		Bounced: f[scoring.StageBounced], Delivered: f[scoring.StageSent] - f[scoring.StageBounced],
		Opened: f[scoring.StageOpened], Responded: int64(len(ans)), Commented: commented,
		// Reached: delivered emails and links handed out without email (send false).
		Reached: f[scoring.StageSent] - f[scoring.StageBounced] + f[scoring.StageCreated]}
	row.KPI = propRefKPI(evs)
	if row.Funnel.Reached > 0 {
		rate := 100 * float64(row.Funnel.Responded) / float64(row.Funnel.Reached)
		row.ResponseRate, row.LowResponseRate = &rate, rate < 5
	}
	for _, name := range propFlags {
		fc := scoring.FlagCount{Flag: name, Excluded: excl[name]}
		for _, a := range ans {
			if a.flags[name] {
				fc.Count++
			}
		}
		row.Flags = append(row.Flags, fc)
	}
	estimate := func(h scoring.Histogram) scoring.Estimate {
		switch sv.Kind {
		case survey.NPS:
			return scoring.NPS(h)
		case survey.CES:
			return scoring.CES(h, sv.Points)
		}
		return scoring.CSAT(h)
	}
	row.Raw, row.Filtered = estimate(raw), estimate(filtered)

	keys := make([]string, 0, len(strata))
	for k := range strata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	in := make([]scoring.Stratum, 0, len(keys))
	for _, k := range keys {
		in = append(in, scoring.Stratum{Key: k, Delivered: max(strata[k].delivered, 0), Responded: strata[k].responded})
	}
	weights, err := scoring.PostStratify(in)
	if err != nil {
		panic(err)
	}
	row.Weights = weights
	weightOf := map[string]float64{}
	for _, w := range weights {
		weightOf[w.Key] = w.Weight
	}
	var wh scoring.WeightedHistogram
	for _, a := range counted {
		// Post-stratification weight times the repeat weight 1/k.
		if err := wh.Add(a.score, weightOf[a.t.Channel+"|"+a.t.Team]/float64(a.k)); err != nil {
			panic(err)
		}
		if a.k > 1 {
			row.Repeat.Answers++
			row.Repeat.CountedAs += 1 / float64(a.k)
		}
	}
	switch sv.Kind {
	case survey.NPS:
		row.Weighted = scoring.NPSWeighted(wh)
	case survey.CES:
		row.Weighted = scoring.CESWeighted(wh, sv.Points)
	default:
		row.Weighted = scoring.CSATWeighted(wh)
	}
	return row
}

// propRefKPI counts a row's service KPIs interaction by interaction: each rate over the
// interactions that said what it needs, absent when none did.
func propRefKPI(evs []propRefEvent) scoring.KPI {
	var k scoring.KPI
	var resolved, handled, transferred int64
	for _, e := range evs {
		if e.stage != scoring.StageInvited {
			continue
		}
		k.Volume++
		if r := e.in.FirstContactResolved; r != nil {
			k.FCRN++
			if *r {
				resolved++
			}
		}
		if h := e.in.HandleSeconds; h != nil {
			k.AHTN++
			handled += int64(*h)
		}
		if n := e.in.Transfers; n != nil {
			k.TransferN++
			if *n > 0 {
				transferred++
			}
		}
	}
	ratio := func(part, whole int64, scale float64) *float64 {
		if whole == 0 {
			return nil
		}
		v := scale * float64(part) / float64(whole)
		return &v
	}
	k.FCRRate, k.AHTSeconds, k.TransferRate = ratio(resolved, k.FCRN, 100), ratio(handled, k.AHTN, 1), ratio(transferred, k.TransferN, 100)
	return k
}

// retention sets a row's CRR and CCR from the customer counts posted for its scope (no
// dimension: the workspace; one: that group; more: none) over periods inside [from, to):
// every run of periods, each starting where the one before ended, is tried, and the one
// spanning the most time wins, then the one of fewer periods, then the latest.
func (d *propRefData) retention(row *scoring.Row, scope map[scoring.Dimension]string, from, to time.Time) {
	if len(scope) > 1 {
		return
	}
	var dim scoring.Dimension
	var value string
	for k, v := range scope {
		dim, value = k, v
	}
	var mine []customercount.CustomerCount
	for _, c := range d.customers {
		if c.Dimension == dim && c.Value == value && !c.StartsAt.Before(from) && !c.EndsAt.After(to) {
			mine = append(mine, c)
		}
	}
	var best *scoring.Customers
	var walk func(run scoring.Customers)
	walk = func(run scoring.Customers) {
		if best == nil {
			best = &run
		}
		span, bestSpan := run.To.Sub(run.From), best.To.Sub(best.From)
		if span > bestSpan || span == bestSpan && (run.Periods < best.Periods || run.Periods == best.Periods && run.To.After(best.To)) {
			best = &run
		}
		for _, c := range mine {
			if c.StartsAt.Equal(run.To) {
				walk(scoring.Customers{From: run.From, To: c.EndsAt, Start: run.Start, End: c.End, New: run.New + c.New, Periods: run.Periods + 1})
			}
		}
	}
	for _, c := range mine {
		walk(scoring.Customers{From: c.StartsAt, To: c.EndsAt, Start: c.Start, End: c.End, New: c.New, Periods: 1})
	}
	if best == nil {
		return
	}
	row.KPI.Customers = best
	if best.Start > 0 {
		crr := 100 * float64(best.End-best.New) / float64(best.Start)
		ccr := 100 * float64(best.Start-best.End) / float64(best.Start)
		row.KPI.CRR, row.KPI.CCR = &crr, &ccr
	}
}

// postCustomerCounts posts random customer counts through the API: the workspace's or a
// group's, for a calendar month or a few weeks of the last two months, so that reports meet
// runs of consecutive periods, gaps, overlaps and periods posted again.
func (p *prop) postCustomerCounts() {
	rng := p.rng
	at := p.now().Add(-time.Duration(rng.Int64N(int64(60 * 24 * time.Hour)))).In(p.ws.Location())
	first := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 0, rng.IntN(45))
	if rng.IntN(3) > 0 {
		first = first.AddDate(0, 0, 1-first.Day())
		last = first.AddDate(0, 1, -1)
	}
	group := ""
	switch d := propPick(rng, []scoring.Dimension{"", "", "", scoring.DimAgent, scoring.DimTeam, scoring.DimChannel, scoring.DimCountry}); d {
	case scoring.DimAgent:
		group = `,"dimension":"agent","value":"` + propPick(rng, propAgents[1:]) + `"`
	case scoring.DimTeam:
		group = `,"dimension":"team","value":"` + propPick(rng, propTeams[1:]) + `"`
	case scoring.DimChannel:
		group = `,"dimension":"channel","value":"` + propPick(rng, propChannels[1:]) + `"`
	case scoring.DimCountry:
		group = `,"dimension":"country","value":"` + propPick(rng, propCountries[1:]) + `"`
	}
	start, gained := rng.Int64N(500), rng.Int64N(100)
	body := fmt.Sprintf(`{"from":%q,"to":%q,"customers_start":%d,"customers_end":%d,"customers_new":%d%s}`,
		first.Format(time.DateOnly), last.Format(time.DateOnly), start, rng.Int64N(start+gained+1), gained, group)
	if rec := p.en.Do("POST", "/api/v1/customer-counts", p.en.Key, body); rec.Code != 200 && rec.Code != 201 {
		p.t.Fatalf("post customer counts %s: %d %s", body, rec.Code, rec.Body)
	}
}

func propJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// propJSONDiffs lists where two JSON documents differ, numbers within a relative tolerance, at
// most 20 places.
func propJSONDiffs(want, got []byte, tol float64) []string {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return []string{err.Error()}
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return []string{err.Error()}
	}
	var out []string
	propDiffJSON("", w, g, tol, &out)
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("… and %d more", len(out)-20))
	}
	return out
}

func propDiffJSON(path string, want, got any, tol float64, out *[]string) {
	mismatch := func() {
		*out = append(*out, fmt.Sprintf("  %s: got %v, want %v", path, propShort(got), propShort(want)))
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			mismatch()
			return
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			propDiffJSON(path+"."+k, w[k], g[k], tol, out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			mismatch()
			return
		}
		for i := range w {
			propDiffJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], tol, out)
		}
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(w-g) > tol*max(1, math.Abs(w), math.Abs(g)) {
			mismatch()
		}
	default:
		if !reflect.DeepEqual(want, got) {
			mismatch()
		}
	}
}

func propShort(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
