package scoring

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
)

// Answer is one response as the repeat weighting needs it. Rollup histograms cannot tell
// whose answers they count, so the answers of customers who answered a survey more than
// once are kept as well, and a report counts each customer's answers in its period.
type Answer struct {
	ID       [12]byte // the response's id, which makes storing an answer twice harmless
	Customer uint64   // a hash of the customer's key
	At       int64    // when it was first answered, in Unix milliseconds
	Tuple    Tuple
	Mask     FlagMask
	Score    int
}

// Answers is a set of answers by response id.
type Answers map[[12]byte]Answer

// answersFormat versions the binary form of Answers.
const answersFormat = 1

// MarshalBinary encodes the answers in id order behind a string table, as Bucket does.
func (a Answers) MarshalBinary() ([]byte, error) {
	ids := slices.SortedFunc(maps.Keys(a), func(x, y [12]byte) int { return cmp.Compare(string(x[:]), string(y[:])) })
	index := map[string]uint64{}
	var table []string
	for _, id := range ids {
		t := a[id].Tuple
		for _, s := range []string{t.Agent, t.Team, t.Channel, t.Country} {
			if _, ok := index[s]; !ok {
				index[s] = uint64(len(table))
				table = append(table, s)
			}
		}
	}
	out := []byte{answersFormat}
	out = binary.AppendUvarint(out, uint64(len(table)))
	for _, s := range table {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	out = binary.AppendUvarint(out, uint64(len(ids)))
	for _, id := range ids {
		ans := a[id]
		out = append(out, id[:]...)
		out = binary.BigEndian.AppendUint64(out, ans.Customer)
		out = binary.AppendVarint(out, ans.At)
		for _, s := range []string{ans.Tuple.Agent, ans.Tuple.Team, ans.Tuple.Channel, ans.Tuple.Country} {
			out = binary.AppendUvarint(out, index[s])
		}
		out = append(out, byte(ans.Mask), byte(ans.Score))
	}
	return out, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote into a, which must be empty.
func (a Answers) UnmarshalBinary(data []byte) error {
	d := decoder{data: data}
	if d.byte() != answersFormat {
		return fmt.Errorf("%w: unknown answers format", ErrRollupEncoding)
	}
	table := make([]string, d.length())
	for i := range table {
		table[i] = d.string()
	}
	str := func() string {
		i := d.uvarint()
		if i >= uint64(len(table)) {
			d.fail()
			return ""
		}
		return table[i]
	}
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
		ans.Tuple = Tuple{Agent: str(), Team: str(), Channel: str(), Country: str()}
		ans.Mask = FlagMask(d.byte())
		ans.Score = int(d.byte())
		if d.err != nil {
			break
		}
		if ans.Score > MaxScore {
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
