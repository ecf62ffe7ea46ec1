package scoring

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
)

// Answer is one response as rollups count it. A customer's answers to a survey in one
// calendar month are kept together, so that when one more arrives, each is counted again
// under its new repeat count (ScoreKey.K).
type Answer struct {
	ID        [12]byte // the response's id, which makes storing an answer twice harmless
	Customer  uint64   // a hash of the customer's key
	At        int64    // when it was first answered, in Unix milliseconds
	Tuple     Tuple
	Mask      FlagMask
	Score     int
	Commented bool
}

// Count adds n of a (−1 to take it back) to b, as one of k answers of its customer in its
// month.
func (a Answer) Count(b Bucket, k int, n int64) error {
	if k < 1 || k > math.MaxUint32 {
		return fmt.Errorf("scoring: an answer's repeat count is at least 1, not %d", k)
	}
	if a.Commented {
		b.AddStage(a.Tuple, StageCommented, n)
	}
	return b.AddAnswer(a.Tuple, ScoreKey{Mask: a.Mask, K: uint32(k)}, a.Score, n)
}

// Answers is a set of answers by response id.
type Answers map[[12]byte]Answer

// answersFormat versions the binary form of Answers. Format 1 did not say whether an answer
// had a comment; migration 5 drops its documents.
const answersFormat = 2

// MarshalBinary encodes the answers in id order behind a string table, as Bucket does.
func (a Answers) MarshalBinary() ([]byte, error) {
	ids := slices.SortedFunc(maps.Keys(a), func(x, y [12]byte) int { return cmp.Compare(string(x[:]), string(y[:])) })
	var table stringTable
	for _, id := range ids {
		table.add(a[id].Tuple)
	}
	out := table.appendTo([]byte{answersFormat})
	out = binary.AppendUvarint(out, uint64(len(ids)))
	for _, id := range ids {
		ans := a[id]
		out = append(out, id[:]...)
		out = binary.BigEndian.AppendUint64(out, ans.Customer)
		out = binary.AppendVarint(out, ans.At)
		out = table.appendTuple(out, ans.Tuple)
		commented := byte(0)
		if ans.Commented {
			commented = 1
		}
		out = append(out, byte(ans.Mask), byte(ans.Score), commented)
	}
	return out, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote into a, which must be empty.
func (a Answers) UnmarshalBinary(data []byte) error {
	d := decoder{data: data}
	if d.byte() != answersFormat {
		return fmt.Errorf("%w: unknown answers format", ErrRollupEncoding)
	}
	table := d.table()
	n := d.length()
	for range n {
		if len(d.data) < 20 {
			d.fail()
			break
		}
		var ans Answer
		copy(ans.ID[:], d.data)
		ans.Customer = binary.BigEndian.Uint64(d.data[12:])
		d.data = d.data[20:]
		ans.At = d.varint()
		ans.Tuple = d.tuple(table)
		ans.Mask = FlagMask(d.byte())
		ans.Score = int(d.byte())
		commented := d.byte()
		ans.Commented = commented == 1
		if d.err != nil {
			break
		}
		if ans.Score > MaxScore || commented > 1 {
			d.fail()
			break
		}
		a[ans.ID] = ans
	}
	if d.err == nil && len(d.data) != 0 {
		d.fail()
	}
	return d.err
}
