package scoring_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/surveyd/surveyd/scoring"
)

// t0 is when the email of every case was sent.
var t0 = time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time   { return t0.Add(d) }
func atp(d time.Duration) *time.Time { t := at(d); return &t }
func score(s int) *int               { return &s }

// human is an answer with every human signal: an hour after sending, from a phone, with
// touches on the page, and a neutral score and comment.
func human() scoring.Facts {
	return scoring.Facts{
		Metric: scoring.MetricCSAT, Points: 5, Score: 3, Lang: "vi",
		SentAt: atp(0), AnsweredAt: at(time.Hour), OccurredAt: atp(-time.Hour),
		UAClass: "mobile", Interacted: true,
		Visits: []scoring.Visit{{At: at(time.Hour - 20*time.Second), Score: score(3), UAClass: "mobile"}},
	}
}

// evidence is the evidence of the named flag, or "" when it was not raised.
func evidence(flags []scoring.Flag, name string) string {
	for _, f := range flags {
		if f.Name == name {
			return f.Evidence
		}
	}
	return ""
}

// scan is a scanner fetching the score links from, step apart, starting at start.
func scan(start, step time.Duration, ua string, scores ...int) []scoring.Visit {
	var vs []scoring.Visit
	for i, s := range scores {
		vs = append(vs, scoring.Visit{At: at(start + time.Duration(i)*step), Score: score(s), UAClass: ua})
	}
	return vs
}

func TestFlagAutomated(t *testing.T) {
	tests := map[string]struct {
		edit  func(f *scoring.Facts)
		rules func(r *scoring.FlagRules)
		want  string
	}{
		"human": {},

		// too_soon
		"answered 9.9 s after sending": {
			edit: func(f *scoring.Facts) { f.AnsweredAt = at(9900 * time.Millisecond) },
			want: "too_soon: answered 9.9 s after the email was sent (under 10.0 s)",
		},
		"answered exactly 10 s after sending": {
			edit: func(f *scoring.Facts) { f.AnsweredAt = at(10 * time.Second) },
		},
		"answered before the send was recorded": {
			edit: func(f *scoring.Facts) { f.AnsweredAt = at(-2 * time.Second) },
			want: "too_soon: answered -2.0 s after the email was sent (under 10.0 s)",
		},
		"send time unknown": {
			edit: func(f *scoring.Facts) { f.SentAt, f.AnsweredAt = nil, at(time.Second) },
		},
		"threshold configured to 60 s": {
			edit:  func(f *scoring.Facts) { f.AnsweredAt = at(45 * time.Second) },
			rules: func(r *scoring.FlagRules) { r.MinSecondsAfterSend = 60 },
			want:  "too_soon: answered 45.0 s after the email was sent (under 60.0 s)",
		},

		// user_agent
		"bot user agent":      {edit: func(f *scoring.Facts) { f.UAClass = "bot" }, want: "user_agent: answered from a bot user agent"},
		"headless user agent": {edit: func(f *scoring.Facts) { f.UAClass = "headless" }, want: "user_agent: answered from a headless user agent"},
		"desktop user agent":  {edit: func(f *scoring.Facts) { f.UAClass = "desktop" }},
		"unknown user agent":  {edit: func(f *scoring.Facts) { f.UAClass = "unknown" }},

		// link_burst
		"scanner opens every button, its page answers": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, 200*time.Millisecond, "desktop", 5, 4, 3, 2, 1)
				f.AnsweredAt, f.Interacted, f.AutoConfirmed = at(time.Minute+3*time.Second), false, true
			},
			want: "link_burst: 5 different score links (1, 2, 3, 4, 5) fetched within 0.8 s; answered 2.2 s after the last; " +
				"auto_confirm: confirmed by the page with no pointer or key event, after 5 different score links (1, 2, 3, 4, 5) were fetched in the 30.0 s before",
		},
		"burst condemns an answer even with synthetic interaction": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, time.Second, "desktop", 1, 5)
				f.AnsweredAt = at(time.Minute + 4*time.Second)
			},
			want: "link_burst: 2 different score links (1, 5) fetched within 1.0 s; answered 3.0 s after the last",
		},
		"two score links exactly 5 s apart": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, 5*time.Second, "desktop", 1, 5)
				f.AnsweredAt = at(time.Minute + 7*time.Second)
			},
			want: "link_burst: 2 different score links (1, 5) fetched within 5.0 s; answered 2.0 s after the last",
		},
		"two score links just over 5 s apart": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, 5*time.Second+time.Millisecond, "desktop", 1, 5)
				f.AnsweredAt = at(time.Minute + 7*time.Second)
			},
		},
		"answer during the burst": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, time.Second, "desktop", 1, 2, 3)
				f.AnsweredAt = at(time.Minute + 1500*time.Millisecond)
			},
			want: "link_burst: 3 different score links (1, 2, 3) fetched within 2.0 s; answered during them",
		},
		"answer 30 s after the burst": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, time.Second, "desktop", 1, 2)
				f.AnsweredAt = at(time.Minute + 31*time.Second)
			},
			want: "link_burst: 2 different score links (1, 2) fetched within 1.0 s; answered 30.0 s after the last",
		},
		"answer just over 30 s after the burst": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, time.Second, "desktop", 1, 2)
				f.AnsweredAt = at(time.Minute + 31*time.Second + time.Millisecond)
			},
		},
		"same score link fetched twice": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, time.Second, "desktop", 4, 4)
				f.AnsweredAt = at(time.Minute + 3*time.Second)
			},
		},
		"plain link beside one score link": {
			edit: func(f *scoring.Facts) {
				f.Visits = append(scan(time.Minute, 0, "desktop", 4), scoring.Visit{At: at(time.Minute), UAClass: "desktop"})
				f.AnsweredAt = at(time.Minute + 3*time.Second)
			},
		},
		"burst before the person's answer an hour later": {
			edit: func(f *scoring.Facts) {
				f.Visits = append(scan(0, 100*time.Millisecond, "bot", 1, 2, 3, 4, 5), f.Visits...)
			},
		},
		"burst after the answer": {
			edit: func(f *scoring.Facts) {
				f.Visits = append(f.Visits, scan(time.Hour+time.Second, 100*time.Millisecond, "bot", 1, 2, 3, 4, 5)...)
			},
		},
		"three scores required, two fetched": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, time.Second, "desktop", 1, 2)
				f.AnsweredAt = at(time.Minute + 3*time.Second)
			},
			rules: func(r *scoring.FlagRules) { r.BurstScores = 3 },
		},
		"visits in any order": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Minute, -time.Second, "desktop", 1, 2)
				f.AnsweredAt = at(time.Minute + 3*time.Second)
			},
			want: "link_burst: 2 different score links (1, 2) fetched within 1.0 s; answered 3.0 s after the last",
		},

		// auto_confirm
		"person taps one star in the email and waits": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Hour-2500*time.Millisecond, 0, "mobile", 4)
				f.Score, f.Interacted, f.AutoConfirmed = 4, false, true
			},
		},
		"person taps a star an hour after a scanner opened every button": {
			edit: func(f *scoring.Facts) {
				f.Visits = append(scan(0, 100*time.Millisecond, "bot", 1, 2, 3, 4, 5),
					scan(time.Hour-2500*time.Millisecond, 0, "mobile", 4)...)
				f.Score, f.Interacted, f.AutoConfirmed = 4, false, true
			},
		},
		"auto-confirmed after a bot fetched the link": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Hour-3*time.Second, 0, "bot", 5)
				f.Score, f.UAClass, f.Interacted, f.AutoConfirmed = 5, "desktop", false, true
			},
			want: "auto_confirm: confirmed by the page with no pointer or key event, after a bot user agent fetched the link 3.0 s before",
		},
		"auto-confirmed with interaction after a bot fetch": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Hour-3*time.Second, 0, "bot", 5)
				f.Score, f.UAClass, f.AutoConfirmed = 5, "desktop", true
			},
		},
		"auto-confirmed after a bot fetch outside the window": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Hour-31*time.Second, 0, "bot", 5)
				f.Score, f.UAClass, f.Interacted, f.AutoConfirmed = 5, "desktop", false, true
			},
		},
		"auto-confirmed after two score links 12 s apart": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Hour-15*time.Second, 12*time.Second, "desktop", 2, 4)
				f.Score, f.Interacted, f.AutoConfirmed = 4, false, true
			},
			want: "auto_confirm: confirmed by the page with no pointer or key event, after 2 different score links (2, 4) were fetched in the 30.0 s before",
		},
		"two score links 12 s apart with interaction": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Hour-15*time.Second, 12*time.Second, "desktop", 2, 4)
				f.Score, f.AutoConfirmed = 4, true
			},
		},
		"no interaction without auto-confirm": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(time.Hour-15*time.Second, 12*time.Second, "desktop", 2, 4)
				f.Interacted = false
			},
		},

		// several rules and rules turned off
		"several rules at once": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(2*time.Second, 100*time.Millisecond, "bot", 1, 5)
				f.AnsweredAt, f.UAClass = at(4*time.Second), "bot"
			},
			want: "too_soon: answered 4.0 s after the email was sent (under 10.0 s); user_agent: answered from a bot user agent; " +
				"link_burst: 2 different score links (1, 5) fetched within 0.1 s; answered 1.9 s after the last",
		},
		"rules off": {
			edit: func(f *scoring.Facts) {
				f.Visits = scan(2*time.Second, 100*time.Millisecond, "bot", 1, 5)
				f.AnsweredAt, f.Interacted, f.AutoConfirmed = at(4*time.Second), false, true
			},
			rules: func(r *scoring.FlagRules) { *r = scoring.FlagRules{} },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, rules := human(), scoring.DefaultFlagRules()
			if tc.edit != nil {
				tc.edit(&f)
			}
			if tc.rules != nil {
				tc.rules(&rules)
			}
			if got := evidence(scoring.Evaluate(f, rules, nil), scoring.FlagAutomated); got != tc.want {
				t.Errorf("automated evidence\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestContradiction(t *testing.T) {
	tests := map[string]struct {
		metric  scoring.Metric
		points  int
		score   int
		comment string
		lang    string
		want    string
	}{
		"csat 1, vietnamese praise": {metric: scoring.MetricCSAT, points: 5, score: 1, comment: "Rất tốt, cảm ơn",
			want: `CSAT 1 is low on 1–5 but the comment is positive: "tốt", "cảm ơn"`},
		"csat 1, english praise": {metric: scoring.MetricCSAT, points: 5, score: 1, comment: "great help",
			want: `CSAT 1 is low on 1–5 but the comment is positive: "great"`},
		"csat 1, praise without diacritics": {metric: scoring.MetricCSAT, score: 1, comment: "rat tot cam on",
			want: `CSAT 1 is low on 1–5 but the comment is positive: "tot", "cam on"`},
		"csat 5, english complaint": {metric: scoring.MetricCSAT, points: 5, score: 5, comment: "terrible, never again",
			want: `CSAT 5 is high on 1–5 but the comment is negative: "terrible", "never again"`},
		"csat 5, vietnamese complaint on an english page": {metric: scoring.MetricCSAT, points: 5, score: 5, comment: "quá tệ", lang: "en",
			want: `CSAT 5 is high on 1–5 but the comment is negative: "tệ"`},
		"csat 5, negated praise": {metric: scoring.MetricCSAT, points: 5, score: 5, comment: "chưa được giải quyết",
			want: `CSAT 5 is high on 1–5 but the comment is negative: "chưa được giải quyết"`},
		"csat 2 is low":                  {metric: scoring.MetricCSAT, points: 5, score: 2, comment: "nhiệt tình", want: `CSAT 2 is low on 1–5 but the comment is positive: "nhiệt tình"`},
		"csat 3 is neither, praise":      {metric: scoring.MetricCSAT, points: 5, score: 3, comment: "nhiệt tình"},
		"csat 3 is neither, complaint":   {metric: scoring.MetricCSAT, points: 5, score: 3, comment: "thô lỗ"},
		"csat 4 is high":                 {metric: scoring.MetricCSAT, points: 5, score: 4, comment: "thô lỗ", want: `CSAT 4 is high on 1–5 but the comment is negative: "thô lỗ"`},
		"csat 1, complaint agrees":       {metric: scoring.MetricCSAT, points: 5, score: 1, comment: "not helpful"},
		"csat 5, praise agrees":          {metric: scoring.MetricCSAT, points: 5, score: 5, comment: "great help"},
		"csat 1, mixed":                  {metric: scoring.MetricCSAT, points: 5, score: 1, comment: "friendly but slow"},
		"csat 5, mixed":                  {metric: scoring.MetricCSAT, points: 5, score: 5, comment: "nhân viên nhiệt tình nhưng xử lý chậm"},
		"csat 1, faint praise":           {metric: scoring.MetricCSAT, points: 5, score: 1, comment: "không tệ"},
		"csat 5, faint praise":           {metric: scoring.MetricCSAT, points: 5, score: 5, comment: "không tệ"},
		"csat 1, empty comment":          {metric: scoring.MetricCSAT, points: 5, score: 1, comment: ""},
		"csat 1, blank comment":          {metric: scoring.MetricCSAT, points: 5, score: 1, comment: " \n "},
		"csat 1, no sentiment":           {metric: scoring.MetricCSAT, points: 5, score: 1, comment: "đơn hàng 1234"},
		"nps 3 is low":                   {metric: scoring.MetricNPS, points: 11, score: 3, comment: "excellent", want: `NPS 3 is low on 0–10 but the comment is positive: "excellent"`},
		"nps 0 is low":                   {metric: scoring.MetricNPS, score: 0, comment: "excellent", want: `NPS 0 is low on 0–10 but the comment is positive: "excellent"`},
		"nps 4 is neither":               {metric: scoring.MetricNPS, points: 11, score: 4, comment: "excellent"},
		"nps 6 is neither":               {metric: scoring.MetricNPS, points: 11, score: 6, comment: "rude"},
		"nps 7 is high":                  {metric: scoring.MetricNPS, points: 11, score: 7, comment: "rude", want: `NPS 7 is high on 0–10 but the comment is negative: "rude"`},
		"ces 7-point, 3 is low":          {metric: scoring.MetricCES, points: 7, score: 3, comment: "easy", want: `CES 3 is low on 1–7 but the comment is positive: "easy"`},
		"ces 7-point, 4 is neither":      {metric: scoring.MetricCES, points: 7, score: 4, comment: "easy"},
		"ces 7-point, 5 is high":         {metric: scoring.MetricCES, points: 7, score: 5, comment: "phức tạp", want: `CES 5 is high on 1–7 but the comment is negative: "phức tạp"`},
		"ces 5-point, 2 is low":          {metric: scoring.MetricCES, points: 5, score: 2, comment: "dễ dàng", want: `CES 2 is low on 1–5 but the comment is positive: "dễ dàng"`},
		"ces 5-point, 3 is neither":      {metric: scoring.MetricCES, points: 5, score: 3, comment: "dễ dàng"},
		"ces 5-point, 4 is high":         {metric: scoring.MetricCES, points: 5, score: 4, comment: "phức tạp", want: `CES 4 is high on 1–5 but the comment is negative: "phức tạp"`},
		"ces without its scale":          {metric: scoring.MetricCES, score: 1, comment: "easy"},
		"ces with a 6-point scale":       {metric: scoring.MetricCES, points: 6, score: 1, comment: "easy"},
		"csat with an 11-point scale":    {metric: scoring.MetricCSAT, points: 11, score: 1, comment: "easy"},
		"score off the scale":            {metric: scoring.MetricCSAT, points: 5, score: 0, comment: "easy"},
		"unknown metric":                 {metric: "ces2", points: 5, score: 1, comment: "easy"},
		"nps 10, complaint not negation": {metric: scoring.MetricNPS, points: 11, score: 10, comment: "No, nothing to add. Great!"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := human()
			f.Metric, f.Points, f.Score, f.Comment = tc.metric, tc.points, tc.score, tc.comment
			if tc.lang != "" {
				f.Lang = tc.lang
			}
			if got := evidence(scoring.Evaluate(f, scoring.DefaultFlagRules(), nil), scoring.FlagContradiction); got != tc.want {
				t.Errorf("contradiction evidence\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFlagNonAttributable(t *testing.T) {
	tests := map[string]struct {
		about, want string
	}{
		"product":        {about: "product", want: `the chosen reason is about "product", not service`},
		"price":          {about: "price", want: `the chosen reason is about "price", not service`},
		"policy":         {about: "policy", want: `the chosen reason is about "policy", not service`},
		"other":          {about: "other", want: `the chosen reason is about "other", not service`},
		"case and space": {about: " Price ", want: `the chosen reason is about "price", not service`},
		"service":        {about: "service"},
		"service, case":  {about: "Service"},
		"no reason":      {about: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := human()
			f.ReasonAbout = tc.about
			if got := evidence(scoring.Evaluate(f, scoring.DefaultFlagRules(), nil), scoring.FlagNonAttributable); got != tc.want {
				t.Errorf("evidence %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFlagLate(t *testing.T) {
	day := 24 * time.Hour
	tests := map[string]struct {
		occurred *time.Time
		days     int
		want     string
	}{
		"next day":             {occurred: atp(-day), days: 14},
		"exactly 14 days":      {occurred: atp(time.Hour - 14*day), days: 14},
		"a second over":        {occurred: atp(time.Hour - 14*day - time.Second), days: 14, want: "answered 14.0 days after the interaction (more than 14)"},
		"a month":              {occurred: atp(time.Hour - 30*day), days: 14, want: "answered 30.0 days after the interaction (more than 14)"},
		"configured to 7 days": {occurred: atp(time.Hour - 10*day), days: 7, want: "answered 10.0 days after the interaction (more than 7)"},
		"interaction unknown":  {occurred: nil, days: 14},
		"rule off":             {occurred: atp(time.Hour - 300*day), days: 0},
		"a limit of centuries": {occurred: atp(time.Hour - 300*day), days: 1 << 40},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := human()
			f.OccurredAt = tc.occurred
			rules := scoring.DefaultFlagRules()
			rules.LateAfterDays = tc.days
			if got := evidence(scoring.Evaluate(f, rules, nil), scoring.FlagLate); got != tc.want {
				t.Errorf("evidence %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFlagOrderAndNone(t *testing.T) {
	f := human()
	flags := scoring.Evaluate(f, scoring.DefaultFlagRules(), nil)
	if flags == nil || len(flags) != 0 {
		t.Errorf("human answer: flags %v, want an empty non-nil slice", flags)
	}

	f.UAClass, f.Score, f.Comment, f.ReasonAbout, f.OccurredAt = "bot", 1, "great", "price", atp(-60*24*time.Hour)
	var names []string
	for _, fl := range scoring.Evaluate(f, scoring.DefaultFlagRules(), scoring.DefaultLexicon()) {
		names = append(names, fl.Name)
		if fl.Evidence == "" {
			t.Errorf("%s: no evidence", fl.Name)
		}
	}
	want := []string{scoring.FlagAutomated, scoring.FlagContradiction, scoring.FlagNonAttributable, scoring.FlagLate}
	if !slices.Equal(names, want) {
		t.Errorf("flags %v, want %v", names, want)
	}
}

func FuzzFlagsEvaluate(f *testing.F) {
	f.Add("rất tốt, cảm ơn", "csat", 5, 1, int64(3000), "bot", false, true, []byte{0, 1, 1, 2, 2, 3})
	f.Add("", "nps", 0, 10, int64(-5000), "", true, false, []byte{})
	f.Add("\xff", "ces", 6, -3, int64(1<<62), "headless", false, false, []byte{255, 255, 0})
	lex := scoring.DefaultLexicon()
	rules := scoring.DefaultFlagRules()
	order := []string{scoring.FlagAutomated, scoring.FlagContradiction, scoring.FlagNonAttributable, scoring.FlagLate}
	f.Fuzz(func(t *testing.T, comment, metric string, points, sc int, answeredMs int64, ua string, interacted, auto bool, visits []byte) {
		facts := scoring.Facts{
			Metric: scoring.Metric(metric), Points: points, Score: sc, Comment: comment, Lang: ua,
			ReasonAbout: metric, SentAt: atp(0), AnsweredAt: at(time.Duration(answeredMs) * time.Millisecond),
			OccurredAt: atp(-time.Duration(answeredMs) * time.Second), UAClass: ua,
			Interacted: interacted, AutoConfirmed: auto,
		}
		for i := 0; i+1 < len(visits); i += 2 {
			v := scoring.Visit{At: at(time.Duration(int8(visits[i])) * time.Second), UAClass: ua}
			if visits[i+1] < 200 {
				v.Score = score(int(visits[i+1] % 11))
			}
			facts.Visits = append(facts.Visits, v)
		}
		last := -1
		for _, fl := range scoring.Evaluate(facts, rules, lex) {
			i := slices.Index(order, fl.Name)
			if i <= last || strings.TrimSpace(fl.Evidence) == "" {
				t.Fatalf("flag %+v out of order or without evidence", fl)
			}
			last = i
		}
	})
}
