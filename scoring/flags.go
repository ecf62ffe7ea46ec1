package scoring

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The bias flags of SCORING.md. Evaluate returns them in this order.
const (
	// FlagAutomated marks an answer with no human signal; it is excluded, and a later human
	// answer to the same invitation replaces it.
	FlagAutomated = "automated"
	// FlagContradiction marks a score its own comment contradicts; it is excluded from the
	// filtered score and listed for review.
	FlagContradiction = "contradiction"
	// FlagNonAttributable marks an answer whose reason is not about the service; it is
	// excluded from agent and team scores only.
	FlagNonAttributable = "non_attributable"
	// FlagLate marks an answer given long after the interaction; it is shown, and excluded
	// only if the workspace says so.
	FlagLate = "late"
	// FlagRepeat marks a customer who answered k > 1 times in a calendar month (UTC). It
	// changes as the customer's later answers arrive, so it is not stored on a response:
	// rollups count each answer under its k (ScoreKey) and reports weigh it with
	// RepeatWeight(k). Evaluate never returns it.
	FlagRepeat = "repeat"
)

// User-agent classes the automated flag treats as machines; the values are those of the
// survey package's ClassifyUserAgent.
const (
	uaBot      = "bot"
	uaHeadless = "headless"
)

// Visit is one fetch of an invitation's link.
type Visit struct {
	At time.Time
	// Score is the ?score= the link carried (the button tapped in the email), nil for the
	// plain link.
	Score *int
	// UAClass is bot, headless, mobile, desktop or unknown.
	UAClass string
}

// Facts are what the write path knows of one answer.
type Facts struct {
	// Metric and Points give the scale: CSAT 1–5, NPS 0–10, CES 1–5 or 1–7. Points may be 0
	// for CSAT and NPS, which have one scale each.
	Metric Metric
	Points int
	Score  int
	// Comment is the free text, in any language; Lang is the page's ("en", "vi"), which
	// only breaks ties between the lexicons.
	Comment string
	Lang    string
	// ReasonAbout is the subject of the chosen reason: service, product, price, policy or
	// other; empty when no reason was chosen.
	ReasonAbout string
	// SentAt is when the email was sent, nil when unknown (a link shared by other means).
	SentAt     *time.Time
	AnsweredAt time.Time
	// OccurredAt is when the interaction happened, nil when unknown.
	OccurredAt *time.Time
	// UAClass is the user-agent class of the answer's request.
	UAClass string
	// Interacted is set when a pointer or key event happened on the page before submit.
	Interacted bool
	// AutoConfirmed is set when the page's script confirmed a choice tapped in the email.
	AutoConfirmed bool
	// Visits are the fetches of the invitation's link, in any order.
	Visits []Visit
}

// FlagRules are a workspace's thresholds. A zero or negative MinSecondsAfterSend,
// VisitBurst or LateAfterDays turns its rule off; a zero AnswerWindow turns auto_confirm off
// and lets a burst condemn only answers given while it lasts.
type FlagRules struct {
	// MinSecondsAfterSend: an answer sooner than this after sending is automated.
	MinSecondsAfterSend float64
	// VisitBurst and BurstScores: BurstScores different score links fetched within
	// VisitBurst of each other are a scanner opening every button. BurstScores below 2
	// counts as 2.
	VisitBurst  time.Duration
	BurstScores int
	// AnswerWindow is how long after a fetch an answer is taken to come from it: a burst
	// only condemns answers up to this long after its last fetch, and an auto-confirmed
	// answer is judged by the fetches in this long before it.
	AnswerWindow time.Duration
	// LateAfterDays: an answer more than this many days after the interaction is late.
	LateAfterDays int
}

// DefaultFlagRules are SCORING.md's defaults: 10 s after sending, 2 different score links
// within 5 s, answers within 30 s of the fetches (the page confirms a tapped choice after
// 2 s visible, and a sandboxed browser is slow), late after 14 days.
func DefaultFlagRules() FlagRules {
	return FlagRules{
		MinSecondsAfterSend: 10,
		VisitBurst:          5 * time.Second,
		BurstScores:         2,
		AnswerWindow:        30 * time.Second,
		LateAfterDays:       14,
	}
}

// Flag is one bias flag raised on a response, with the evidence a reviewer reads.
type Flag struct {
	Name     string `json:"name"`
	Evidence string `json:"evidence"`
}

// Evaluate computes the write-path flags of one answer, in the order automated,
// contradiction, non_attributable, late; it returns an empty, non-nil slice when none
// applies. A nil lex means DefaultLexicon.
//
// automated fires on any of these rules, each named in the evidence with its numbers:
//   - too_soon: answered less than MinSecondsAfterSend after SentAt, including before it,
//     which an inline mail scanner does while the send is still in flight;
//   - user_agent: the answer came from a bot or headless user agent;
//   - link_burst: at least BurstScores different score links were fetched within
//     VisitBurst of each other, and the answer arrived between the first of those fetches
//     and AnswerWindow after the last. A scan that happened long before a person answered
//     does not condemn the person's answer;
//   - auto_confirm: the page confirmed a choice from the email with no pointer or key event,
//     and in the AnswerWindow before the answer the link was fetched by a bot or headless
//     user agent, or with BurstScores different scores however far apart. A person who taps
//     one star and waits fetches one score link from their own browser, so auto-confirm
//     alone never fires.
//
// contradiction fires when the score is low and the comment clearly positive, or high and
// clearly negative. Low is the bottom 40% of the scale and high the top 40%, by position
// (score − min)/(max − min) below 0.4 or above 0.6: CSAT 1–2 and 4–5, NPS 0–3 and 7–10,
// CES-7 1–3 and 5–7, CES-5 1–2 and 4–5. A comment is clearly positive when Polarity finds
// at least one positive term and no negative one, and clearly negative the other way round;
// mixed comments ("friendly but slow") and comments with no term never fire. An unknown
// metric or a score off its scale is not judged.
//
// non_attributable fires when ReasonAbout is anything but empty or "service" (compared
// without case or surrounding space).
//
// late fires when the answer came more than LateAfterDays × 24 h after OccurredAt.
func Evaluate(f Facts, rules FlagRules, lex *Lexicon) []Flag {
	if lex == nil {
		lex = DefaultLexicon()
	}
	flags := []Flag{}
	if ev := automated(f, rules); ev != "" {
		flags = append(flags, Flag{Name: FlagAutomated, Evidence: ev})
	}
	if ev := contradiction(f, lex); ev != "" {
		flags = append(flags, Flag{Name: FlagContradiction, Evidence: ev})
	}
	if about := strings.ToLower(strings.TrimSpace(f.ReasonAbout)); about != "" && about != "service" {
		flags = append(flags, Flag{Name: FlagNonAttributable,
			Evidence: fmt.Sprintf("the chosen reason is about %s, not service", strconv.Quote(about))})
	}
	if ev := late(f, rules); ev != "" {
		flags = append(flags, Flag{Name: FlagLate, Evidence: ev})
	}
	return flags
}

func automated(f Facts, rules FlagRules) string {
	var ev []string
	if f.SentAt != nil && rules.MinSecondsAfterSend > 0 {
		if d := f.AnsweredAt.Sub(*f.SentAt).Seconds(); d < rules.MinSecondsAfterSend {
			ev = append(ev, fmt.Sprintf("too_soon: answered %s s after the email was sent (under %s s)",
				seconds(d), seconds(rules.MinSecondsAfterSend)))
		}
	}
	if f.UAClass == uaBot || f.UAClass == uaHeadless {
		ev = append(ev, "user_agent: answered from a "+f.UAClass+" user agent")
	}
	k := max(rules.BurstScores, 2)
	visits := slices.Clone(f.Visits)
	slices.SortStableFunc(visits, func(a, b Visit) int { return a.At.Compare(b.At) })
	if rules.VisitBurst > 0 {
		if b, ok := findBurst(visits, rules.VisitBurst, k, f.AnsweredAt, rules.AnswerWindow); ok {
			when := "during them"
			if after := f.AnsweredAt.Sub(b.last); after > 0 {
				when = seconds(after.Seconds()) + " s after the last"
			}
			ev = append(ev, fmt.Sprintf("link_burst: %d different score links (%s) fetched within %s s; answered %s",
				len(b.scores), joinInts(b.scores), seconds(b.last.Sub(b.first).Seconds()), when))
		}
	}
	if f.AutoConfirmed && !f.Interacted && rules.AnswerWindow > 0 {
		if sign := machineNear(visits, f.AnsweredAt, rules.AnswerWindow, k); sign != "" {
			ev = append(ev, "auto_confirm: confirmed by the page with no pointer or key event, "+sign)
		}
	}
	return strings.Join(ev, "; ")
}

type burst struct {
	first, last time.Time
	scores      []int
}

// findBurst finds the earliest window of at most span holding k different scores whose
// answer tie holds: answered from its first fetch to within tie after its last fetch. The
// burst reported runs from that window's first fetch to the last fetch within span of it.
// visits are sorted by time.
func findBurst(visits []Visit, span time.Duration, k int, answered time.Time, tie time.Duration) (burst, bool) {
	counts := map[int]int{}
	l := 0
	for r, v := range visits {
		if v.Score != nil {
			counts[*v.Score]++
		}
		for visits[r].At.Sub(visits[l].At) > span {
			if s := visits[l].Score; s != nil {
				if counts[*s]--; counts[*s] == 0 {
					delete(counts, *s)
				}
			}
			l++
		}
		if len(counts) < k {
			continue
		}
		first, last := visits[l].At, v.At
		if answered.Before(first) || answered.Sub(last) > tie {
			continue
		}
		// Report the whole scan: every later fetch still within span of the first.
		for _, w := range visits[r+1:] {
			if w.At.Sub(first) > span {
				break
			}
			if w.Score != nil {
				counts[*w.Score]++
			}
			last = w.At
		}
		return burst{first: first, last: last, scores: slices.Sorted(maps.Keys(counts))}, true
	}
	return burst{}, false
}

// machineNear describes the automated sign among the fetches in the window before the
// answer, or returns "".
func machineNear(visits []Visit, answered time.Time, window time.Duration, k int) string {
	scores := map[int]bool{}
	for _, v := range visits {
		if v.At.After(answered) || answered.Sub(v.At) > window {
			continue
		}
		if v.UAClass == uaBot || v.UAClass == uaHeadless {
			return fmt.Sprintf("after a %s user agent fetched the link %s s before", v.UAClass,
				seconds(answered.Sub(v.At).Seconds()))
		}
		if v.Score != nil {
			scores[*v.Score] = true
		}
	}
	if len(scores) >= k {
		return fmt.Sprintf("after %d different score links (%s) were fetched in the %s s before",
			len(scores), joinInts(slices.Sorted(maps.Keys(scores))), seconds(window.Seconds()))
	}
	return ""
}

func contradiction(f Facts, lex *Lexicon) string {
	lo, hi, ok := scale(f.Metric, f.Points)
	if !ok || f.Score < lo || f.Score > hi || strings.TrimSpace(f.Comment) == "" {
		return ""
	}
	_, pos, neg := lex.Polarity(f.Comment, f.Lang)
	var side, tone string
	var terms []string
	switch {
	case 5*(f.Score-lo) < 2*(hi-lo) && len(pos) > 0 && len(neg) == 0:
		side, tone, terms = "low", "positive", pos
	case 5*(f.Score-lo) > 3*(hi-lo) && len(neg) > 0 && len(pos) == 0:
		side, tone, terms = "high", "negative", neg
	default:
		return ""
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = strconv.Quote(t)
	}
	return fmt.Sprintf("%s %d is %s on %d–%d but the comment is %s: %s",
		strings.ToUpper(string(f.Metric)), f.Score, side, lo, hi, tone, strings.Join(quoted, ", "))
}

// scale is the range of answers of a metric with the given number of points.
func scale(m Metric, points int) (lo, hi int, ok bool) {
	switch {
	case m == MetricCSAT && (points == 0 || points == 5):
		return 1, 5, true
	case m == MetricNPS && (points == 0 || points == 11):
		return 0, 10, true
	case m == MetricCES && (points == 5 || points == 7):
		return 1, points, true
	}
	return 0, 0, false
}

func late(f Facts, rules FlagRules) string {
	if f.OccurredAt == nil || rules.LateAfterDays <= 0 {
		return ""
	}
	// In float days, so a limit of many years cannot overflow a Duration.
	days := f.AnsweredAt.Sub(*f.OccurredAt).Hours() / 24
	if days <= float64(rules.LateAfterDays) {
		return ""
	}
	return fmt.Sprintf("answered %s days after the interaction (more than %d)",
		strconv.FormatFloat(days, 'f', 1, 64), rules.LateAfterDays)
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 1, 64) }

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}
