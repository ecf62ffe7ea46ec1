package customercount

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// customerCountsFormat versions the binary form of a dimension's customer counts.
const customerCountsFormat = 1

var errCustomerCountsEncoding = errors.New("customercount: malformed customer counts")

// encodeCustomerCounts writes counts compactly, for the reason customerCountsDoc gives: a
// table of the strings they share (values, dates, time zones), then per count its id, its
// strings as indexes, its period in seconds, its three counts, and its times in milliseconds,
// as varints; about 40 bytes a count.
func encodeCustomerCounts(counts []CustomerCount) []byte {
	index := map[string]uint64{}
	var table []string
	ref := func(s string) uint64 {
		i, ok := index[s]
		if !ok {
			i = uint64(len(table))
			index[s] = i
			table = append(table, s)
		}
		return i
	}
	body := binary.AppendUvarint(nil, uint64(len(counts)))
	for _, c := range counts {
		body = append(body, c.ID[:]...)
		for _, s := range []string{c.Value, c.From, c.To, c.TimeZone} {
			body = binary.AppendUvarint(body, ref(s))
		}
		for _, n := range []int64{c.StartsAt.Unix(), c.EndsAt.Unix() - c.StartsAt.Unix(), c.Start, c.End, c.New,
			c.CreatedAt.UnixMilli(), c.UpdatedAt.UnixMilli() - c.CreatedAt.UnixMilli()} {
			body = binary.AppendVarint(body, n)
		}
	}
	out := binary.AppendUvarint([]byte{customerCountsFormat}, uint64(len(table)))
	for _, s := range table {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, body...)
}

// decodeCustomerCounts reads what encodeCustomerCounts wrote.
func decodeCustomerCounts(data []byte) ([]CustomerCount, error) {
	r := bytes.NewReader(data)
	var err error
	fail := func(e error) {
		if err == nil {
			err = fmt.Errorf("%w: %v", errCustomerCountsEncoding, e)
		}
	}
	uvarint := func() uint64 {
		v, e := binary.ReadUvarint(r)
		if e != nil {
			fail(e)
		}
		return v
	}
	varint := func() int64 {
		v, e := binary.ReadVarint(r)
		if e != nil {
			fail(e)
		}
		return v
	}
	// A length is of items of at least a byte each, so a corrupt one cannot allocate more
	// than the data could hold.
	length := func() int {
		n := uvarint()
		if n > uint64(r.Len()) {
			fail(io.ErrUnexpectedEOF)
			return 0
		}
		return int(n)
	}
	if format, e := r.ReadByte(); e != nil || format != customerCountsFormat {
		return nil, fmt.Errorf("%w: unknown format", errCustomerCountsEncoding)
	}
	table := make([]string, length())
	for i := range table {
		b := make([]byte, length())
		if _, e := io.ReadFull(r, b); e != nil {
			fail(e)
		}
		table[i] = string(b)
	}
	str := func() string {
		i := uvarint()
		if i >= uint64(len(table)) {
			fail(errors.New("string index out of range"))
			return ""
		}
		return table[i]
	}
	counts := make([]CustomerCount, length())
	for i := range counts {
		c := &counts[i]
		if _, e := io.ReadFull(r, c.ID[:]); e != nil {
			fail(e)
		}
		c.Value, c.From, c.To, c.TimeZone = str(), str(), str(), str()
		start := varint()
		c.StartsAt, c.EndsAt = time.Unix(start, 0).UTC(), time.Unix(start+varint(), 0).UTC()
		c.Start, c.End, c.New = varint(), varint(), varint()
		created := varint()
		c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(created+varint()).UTC()
		if err != nil {
			return nil, err
		}
	}
	if err == nil && r.Len() != 0 {
		fail(errors.New("trailing bytes"))
	}
	return counts, err
}
