package scoring

import (
	"errors"
	"time"
)

// Granularity is the length of a rollup bucket.
type Granularity byte

// Rollup buckets: calendar months and days in the rollups' time zone, and UTC hours kept as
// four quarter-hours, so any period of whole quarter-hours in any time zone is a handful of
// months and days and, at its ends, hours and quarter-hours.
const (
	Month   Granularity = 'M'
	Day     Granularity = 'D'
	Hour    Granularity = 'H'
	Quarter Granularity = 'Q'
)

// Piece is one rollup bucket of a period's cover: Start is the bucket's first instant.
type Piece struct {
	Gran  Granularity
	Start time.Time
}

// ErrUnaligned reports a period boundary that is not on a quarter-hour, which no rollup
// bucket can serve (a time zone's historic local mean time, for example).
var ErrUnaligned = errors.New("scoring: period boundary is not on a quarter-hour")

// Cover splits [from, to) into rollup buckets, largest first: a month of loc when the whole
// month is inside and it ended by sealed, else a day of loc, else a UTC hour, else a
// quarter-hour. A day or month is taken by its instants, so a report time zone whose midnight
// falls on loc's gets the days of loc whatever its name.
func Cover(from, to time.Time, loc *time.Location, sealed time.Time) ([]Piece, error) {
	var out []Piece
	t := from
	for t.Before(to) {
		local := t.In(loc)
		midnight := t.Equal(DayStart(local.Year(), local.Month(), local.Day(), loc))
		if midnight && local.Day() == 1 {
			end := DayStart(local.Year(), local.Month()+1, 1, loc)
			if !end.After(to) && !end.After(sealed) {
				out = append(out, Piece{Month, t})
				t = end
				continue
			}
		}
		if midnight {
			if end := DayStart(local.Year(), local.Month(), local.Day()+1, loc); !end.After(to) {
				out = append(out, Piece{Day, t})
				t = end
				continue
			}
		}
		if t.Equal(t.Truncate(time.Hour)) && !t.Add(time.Hour).After(to) && !dayStartsWithin(t, t.Add(time.Hour), loc) {
			out = append(out, Piece{Hour, t})
			t = t.Add(time.Hour)
			continue
		}
		if t.Equal(t.Truncate(15*time.Minute)) && !t.Add(15*time.Minute).After(to) {
			out = append(out, Piece{Quarter, t})
			t = t.Add(15 * time.Minute)
			continue
		}
		return nil, ErrUnaligned
	}
	return out, nil
}

// dayStartsWithin says whether a day of loc starts strictly inside (a, b): an hour that holds
// one is covered by quarter-hours, so the cover reaches the day and takes it whole.
func dayStartsWithin(a, b time.Time, loc *time.Location) bool {
	l := b.In(loc)
	m := DayStart(l.Year(), l.Month(), l.Day(), loc)
	return m.After(a) && m.Before(b)
}

// DayStart is the first instant of the date y-m-d (normalised as time.Date does) in loc: its
// midnight or, where the clocks skip midnight (DST beginning at 00:00, as in Santiago), the
// instant they jump. time.Date alone may put a skipped midnight in the previous day.
func DayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if ly, lm, ld := t.Date(); ly != y || lm != m || ld != d {
		_, t = t.ZoneBounds()
	}
	return t
}
