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
		midnight := local.Hour() == 0 && local.Minute() == 0 && local.Second() == 0 && local.Nanosecond() == 0
		if midnight && local.Day() == 1 {
			end := local.AddDate(0, 1, 0)
			if !end.After(to) && !end.After(sealed) {
				out = append(out, Piece{Month, t})
				t = end
				continue
			}
		}
		if midnight {
			if end := local.AddDate(0, 0, 1); !end.After(to) {
				out = append(out, Piece{Day, t})
				t = end
				continue
			}
		}
		if t.Equal(t.Truncate(time.Hour)) && !t.Add(time.Hour).After(to) {
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
