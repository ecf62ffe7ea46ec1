package intake

import (
	"strconv"
	"testing"
	"time"

	"github.com/surveyd/surveyd/survey"
)

// hcm is the default workspace zone, UTC+7 all year: no daylight saving to blur a boundary.
func hcm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// localAt is a wall-clock time in loc, handed over in UTC as the service does.
func localAt(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestRuleDecide(t *testing.T) {
	loc := hcm(t)
	now := localAt(t, loc, "2026-03-10 10:00:00")
	ago := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	day := 24 * time.Hour
	sched := func(due time.Time) Decision { return Decision{Status: survey.StatusScheduled, Due: due} }

	tests := map[string]struct {
		rule       Rule
		occurred   time.Time
		now        time.Time
		last       *time.Time
		suppressed bool
		want       Decision
	}{
		"suppressed": {
			rule: Rule{SamplePercent: 100}, occurred: now, now: now, suppressed: true,
			want: Decision{Status: survey.StatusSuppressed},
		},
		"suppression beats throttle and sample": {
			rule: Rule{FrequencyDays: 30, SamplePercent: 0}, occurred: now, now: now, last: ago(time.Hour), suppressed: true,
			want: Decision{Status: survey.StatusSuppressed},
		},
		"throttled within frequency days": {
			rule: Rule{FrequencyDays: 30, SamplePercent: 100}, occurred: now, now: now, last: ago(29 * day),
			want: Decision{Status: survey.StatusThrottled},
		},
		"throttled a second before the limit": {
			rule: Rule{FrequencyDays: 30, SamplePercent: 100}, occurred: now, now: now, last: ago(30*day - time.Second),
			want: Decision{Status: survey.StatusThrottled},
		},
		"not throttled at exactly frequency days": {
			rule: Rule{FrequencyDays: 30, SamplePercent: 100}, occurred: now, now: now, last: ago(30 * day),
			want: sched(now),
		},
		"not throttled after frequency days": {
			rule: Rule{FrequencyDays: 30, SamplePercent: 100}, occurred: now, now: now, last: ago(31 * day),
			want: sched(now),
		},
		"frequency 0 is no limit": {
			rule: Rule{FrequencyDays: 0, SamplePercent: 100}, occurred: now, now: now, last: ago(time.Minute),
			want: sched(now),
		},
		"never surveyed": {
			rule: Rule{FrequencyDays: 30, SamplePercent: 100}, occurred: now, now: now,
			want: sched(now),
		},
		"throttle beats sample": {
			rule: Rule{FrequencyDays: 30, SamplePercent: 0}, occurred: now, now: now, last: ago(day),
			want: Decision{Status: survey.StatusThrottled},
		},
		"sample 0 samples out": {
			rule: Rule{SamplePercent: 0}, occurred: now, now: now,
			want: Decision{Status: survey.StatusSampledOut},
		},
		"sample 100 keeps": {
			rule: Rule{SamplePercent: 100}, occurred: now, now: now,
			want: sched(now),
		},
		"delay counts from the interaction": {
			rule: Rule{SamplePercent: 100, DelayMinutes: 60}, occurred: now.Add(-10 * time.Minute), now: now,
			want: sched(now.Add(50 * time.Minute)),
		},
		"delay already passed is due now": {
			rule: Rule{SamplePercent: 100, DelayMinutes: 60}, occurred: now.Add(-2 * time.Hour), now: now,
			want: sched(now),
		},
		"no delay is due now": {
			rule: Rule{SamplePercent: 100}, occurred: now.Add(-time.Minute), now: now,
			want: sched(now),
		},
		"delay into quiet hours moves to their end": {
			rule:     Rule{SamplePercent: 100, DelayMinutes: 60, QuietHours: &QuietHours{Start: "21:00", End: "08:00"}},
			occurred: localAt(t, loc, "2026-03-10 20:30:00"), now: localAt(t, loc, "2026-03-10 20:30:00"),
			want: sched(localAt(t, loc, "2026-03-11 08:00:00")),
		},
		"interaction in quiet hours waits for their end in the workspace zone": {
			rule:     Rule{SamplePercent: 100, QuietHours: &QuietHours{Start: "21:00", End: "08:00"}},
			occurred: localAt(t, loc, "2026-03-10 22:30:00"), now: localAt(t, loc, "2026-03-10 22:30:00"),
			want: sched(time.Date(2026, 3, 11, 1, 0, 0, 0, time.UTC)), // 08:00 in Ho Chi Minh City
		},
		"delay out of quiet hours is kept": {
			rule:     Rule{SamplePercent: 100, DelayMinutes: 120, QuietHours: &QuietHours{Start: "12:00", End: "13:00"}},
			occurred: localAt(t, loc, "2026-03-10 11:30:00"), now: localAt(t, loc, "2026-03-10 11:30:00"),
			want: sched(localAt(t, loc, "2026-03-10 13:30:00")),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.rule.Decide(loc, "evt-"+name, tc.occurred, tc.now, tc.last, tc.suppressed)
			if got.Status != tc.want.Status || !got.Due.Equal(tc.want.Due) {
				t.Fatalf("Decide = %s due %s, want %s due %s", got.Status, got.Due, tc.want.Status, tc.want.Due)
			}
		})
	}
}

func TestRuleSampling(t *testing.T) {
	const n = 10000
	tests := map[string]struct {
		percent  float64
		min, max int // events kept out of n
	}{
		"0% keeps none":      {0, 0, 0},
		"100% keeps all":     {100, n, n},
		"30% within 2%":      {30, 2800, 3200},
		"50% within 2%":      {50, 4800, 5200},
		"12.5% within 2%":    {12.5, 1050, 1450},
		"over 100 keeps all": {150, n, n},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := Rule{SamplePercent: tc.percent}
			now := time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC)
			kept := 0
			for i := range n {
				id := "evt-" + strconv.Itoa(i)
				first := r.Decide(time.UTC, id, now, now, nil, false).Status
				// A retried webhook, later and with other timestamps, lands on the same side.
				again := r.Decide(time.UTC, id, now.Add(-time.Hour), now.Add(time.Hour), nil, false).Status
				if first != again {
					t.Fatalf("event %s: %s then %s", id, first, again)
				}
				if first == survey.StatusScheduled {
					kept++
				} else if first != survey.StatusSampledOut {
					t.Fatalf("event %s: %s", id, first)
				}
			}
			if kept < tc.min || kept > tc.max {
				t.Fatalf("kept %d of %d, want %d–%d", kept, n, tc.min, tc.max)
			}
		})
	}
}

// Raising a rule's percentage only adds events: the ones already in stay in.
func TestRuleSamplingIsNested(t *testing.T) {
	for i := range 10000 {
		id := "evt-" + strconv.Itoa(i)
		if inSample(id, 30) && !inSample(id, 50) {
			t.Fatalf("%s is in the 30%% sample but not the 50%% one", id)
		}
	}
}

func TestQuietHours(t *testing.T) {
	loc := hcm(t)
	night := &QuietHours{Start: "21:00", End: "08:00"}
	lunch := &QuietHours{Start: "12:00", End: "13:00"}
	tests := map[string]struct {
		quiet *QuietHours
		loc   *time.Location
		at    time.Time
		want  time.Time
	}{
		"night: before the span":                     {night, loc, localAt(t, loc, "2026-03-10 20:59:59"), localAt(t, loc, "2026-03-10 20:59:59")},
		"night: the start is quiet":                  {night, loc, localAt(t, loc, "2026-03-10 21:00:00"), localAt(t, loc, "2026-03-11 08:00:00")},
		"night: before midnight, ends the day after": {night, loc, localAt(t, loc, "2026-03-10 23:59:59"), localAt(t, loc, "2026-03-11 08:00:00")},
		"night: midnight":                            {night, loc, localAt(t, loc, "2026-03-11 00:00:00"), localAt(t, loc, "2026-03-11 08:00:00")},
		"night: after midnight, ends that day":       {night, loc, localAt(t, loc, "2026-03-11 07:59:59"), localAt(t, loc, "2026-03-11 08:00:00")},
		"night: the end is not quiet":                {night, loc, localAt(t, loc, "2026-03-11 08:00:00"), localAt(t, loc, "2026-03-11 08:00:00")},
		"night: midday":                              {night, loc, localAt(t, loc, "2026-03-11 12:00:00"), localAt(t, loc, "2026-03-11 12:00:00")},
		"night: new year's eve":                      {night, loc, localAt(t, loc, "2026-12-31 22:00:00"), localAt(t, loc, "2027-01-01 08:00:00")},
		"night: end of February":                     {night, loc, localAt(t, loc, "2026-02-28 23:00:00"), localAt(t, loc, "2026-03-01 08:00:00")},
		"lunch: before the span":                     {lunch, loc, localAt(t, loc, "2026-03-10 11:59:59"), localAt(t, loc, "2026-03-10 11:59:59")},
		"lunch: the start is quiet":                  {lunch, loc, localAt(t, loc, "2026-03-10 12:00:00"), localAt(t, loc, "2026-03-10 13:00:00")},
		"lunch: inside":                              {lunch, loc, localAt(t, loc, "2026-03-10 12:59:59"), localAt(t, loc, "2026-03-10 13:00:00")},
		"lunch: the end is not quiet":                {lunch, loc, localAt(t, loc, "2026-03-10 13:00:00"), localAt(t, loc, "2026-03-10 13:00:00")},
		"lunch: night is not quiet":                  {lunch, loc, localAt(t, loc, "2026-03-10 23:00:00"), localAt(t, loc, "2026-03-10 23:00:00")},
		// 15:00 UTC is 22:00 in Ho Chi Minh City: quiet there, not in a UTC workspace.
		"zone: quiet in the workspace zone":  {night, loc, time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 1, 0, 0, 0, time.UTC)},
		"zone: not quiet in UTC":             {night, time.UTC, time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)},
		"zone: quiet in UTC, ends at 08 UTC": {night, time.UTC, time.Date(2026, 3, 10, 22, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 8, 0, 0, 0, time.UTC)},
		"none":                               {nil, loc, localAt(t, loc, "2026-03-10 23:00:00"), localAt(t, loc, "2026-03-10 23:00:00")},
		"start equals end is no span":        {&QuietHours{Start: "21:00", End: "21:00"}, loc, localAt(t, loc, "2026-03-10 21:00:00"), localAt(t, loc, "2026-03-10 21:00:00")},
		"malformed is ignored":               {&QuietHours{Start: "25:00", End: "08:00"}, loc, localAt(t, loc, "2026-03-10 23:00:00"), localAt(t, loc, "2026-03-10 23:00:00")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := tc.quiet.after(tc.at, tc.loc)
			if !got.Equal(tc.want) {
				t.Fatalf("after(%s local) = %s local, want %s local", tc.at.In(tc.loc), got.In(tc.loc), tc.want.In(tc.loc))
			}
			if !got.Equal(tc.at) && got.Location() != time.UTC {
				t.Errorf("a moved due time is in %s, want UTC", got.Location())
			}
		})
	}
}

func TestRuleMatches(t *testing.T) {
	tests := map[string]struct {
		rule    Rule
		channel string
		typ     string
		want    bool
	}{
		"any channel, any type":          {Rule{Enabled: true}, "chat", "ticket", true},
		"any channel matches none given": {Rule{Enabled: true}, "", "", true},
		"listed channel":                 {Rule{Enabled: true, Channels: []string{"chat", "email"}}, "email", "", true},
		"unlisted channel":               {Rule{Enabled: true, Channels: []string{"chat", "email"}}, "phone", "", false},
		"no channel against a list":      {Rule{Enabled: true, Channels: []string{"chat"}}, "", "ticket", false},
		"listed type":                    {Rule{Enabled: true, Types: []string{"ticket"}}, "chat", "ticket", true},
		"unlisted type":                  {Rule{Enabled: true, Types: []string{"ticket"}}, "chat", "call", false},
		"both match":                     {Rule{Enabled: true, Channels: []string{"chat"}, Types: []string{"ticket"}}, "chat", "ticket", true},
		"channel matches, type does not": {Rule{Enabled: true, Channels: []string{"chat"}, Types: []string{"ticket"}}, "chat", "call", false},
		"type matches, channel does not": {Rule{Enabled: true, Channels: []string{"chat"}, Types: []string{"ticket"}}, "phone", "ticket", false},
		"disabled rule with no filters":  {Rule{}, "chat", "ticket", false},
		"disabled rule that would match": {Rule{Channels: []string{"chat"}, Types: []string{"ticket"}}, "chat", "ticket", false},
		// Both sides are lower-cased where they come in; matching itself is exact.
		"exact comparison": {Rule{Enabled: true, Channels: []string{"chat"}}, "Chat", "", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.rule.matches(tc.channel, tc.typ); got != tc.want {
				t.Fatalf("matches(%q, %q) = %v, want %v", tc.channel, tc.typ, got, tc.want)
			}
		})
	}
}
