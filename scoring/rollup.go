package scoring

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Stage is a step of the response funnel (SCORING.md, "Response funnel") that rollups count
// per event. Responded is not a stage: it is the number of answers in a cell's histograms.
type Stage uint8

// The funnel stages a rollup counts. Created, Scheduled, Throttled, Suppressed and SampledOut
// are the decision taken when the invitation was made (created: a link only, no email asked
// for); Sent, Failed, Bounced and Opened are counted when they happen; Commented with the
// answer that carries the comment.
const (
	StageInvited Stage = iota
	StageCreated
	StageScheduled
	StageThrottled
	StageSuppressed
	StageSampledOut
	StageSent
	StageFailed
	StageBounced
	StageOpened
	StageCommented
	NumStages
)

var stageNames = [NumStages]string{"invited", "created", "scheduled", "throttled", "suppressed",
	"sampled_out", "sent", "failed", "bounced", "opened", "commented"}

func (s Stage) String() string {
	if s < NumStages {
		return stageNames[s]
	}
	return fmt.Sprintf("stage(%d)", s)
}

// DecisionStage is the stage counting an invitation's initial status; ok is false for a
// status that is not a decision.
func DecisionStage(status string) (Stage, bool) {
	i := slices.Index(stageNames[StageCreated:StageSampledOut+1], status)
	if i < 0 {
		return 0, false
	}
	return StageCreated + Stage(i), true
}

// FlagMask is a set of write-path flags, one bit each, so a rollup keeps one histogram per
// combination of flags and any workspace's choice of excluding flags is a sum over masks.
type FlagMask uint8

// The flag bits, in Evaluate's order.
const (
	MaskAutomated FlagMask = 1 << iota
	MaskContradiction
	MaskNonAttributable
	MaskLate
)

// maskFlags names the bits of a FlagMask.
var maskFlags = []string{FlagAutomated, FlagContradiction, FlagNonAttributable, FlagLate}

// MaskOf is the mask of the named flags; names that are not write-path flags are ignored.
func MaskOf(names ...string) FlagMask {
	var m FlagMask
	for _, n := range names {
		if i := slices.Index(maskFlags, n); i >= 0 {
			m |= 1 << i
		}
	}
	return m
}

// MaskOfFlags is the mask of a response's flags.
func MaskOfFlags(flags []Flag) FlagMask {
	var m FlagMask
	for _, f := range flags {
		m |= MaskOf(f.Name)
	}
	return m
}

// Names lists the flags in m, in Evaluate's order; never nil.
func (m FlagMask) Names() []string {
	out := []string{}
	for i, n := range maskFlags {
		if m&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// WriteFlags are the flags a response can carry from the write path, in Evaluate's order.
func WriteFlags() []string { return slices.Clone(maskFlags) }

// Tuple is the dimensions of an interaction that reports group and filter by. A rollup keeps
// one Cell per tuple, so any group_by and filter combination is a sum over its cells.
type Tuple struct {
	Agent, Team, Channel, Country string
}

// Dimension is what a report groups or filters by.
type Dimension string

// The report dimensions.
const (
	DimAgent   Dimension = "agent"
	DimTeam    Dimension = "team"
	DimChannel Dimension = "channel"
	DimCountry Dimension = "country"
)

// Dimensions lists the report dimensions.
func Dimensions() []Dimension { return []Dimension{DimAgent, DimTeam, DimChannel, DimCountry} }

// DimensionNames lists the report dimensions for a message: "agent, team, channel, country".
func DimensionNames() string {
	names := make([]string, 0, 4)
	for _, d := range Dimensions() {
		names = append(names, string(d))
	}
	return strings.Join(names, ", ")
}

// Value is the tuple's value of dimension d.
func (t Tuple) Value(d Dimension) string {
	switch d {
	case DimAgent:
		return t.Agent
	case DimTeam:
		return t.Team
	case DimChannel:
		return t.Channel
	case DimCountry:
		return t.Country
	}
	return ""
}

// Stratum is the non-response weighting cell the tuple belongs to: channel × team.
func (t Tuple) Stratum() string { return t.Channel + "|" + t.Team }

func compareTuples(a, b Tuple) int {
	return cmp.Or(strings.Compare(a.Agent, b.Agent), strings.Compare(a.Team, b.Team),
		strings.Compare(a.Channel, b.Channel), strings.Compare(a.Country, b.Country))
}

// ScoreKey says which histogram of a cell counts an answer: its flags, and K, how many
// answers its customer gave the survey in the answer's calendar month (UTC). K is what the
// repeat weight 1/K needs (SCORING.md, "repeat"); keeping it in the key lets any report
// weigh repeat customers from histograms alone, at a cost that does not grow with the
// number of responses.
type ScoreKey struct {
	Mask FlagMask
	K    uint32 // at least 1
}

func compareScoreKeys(a, b ScoreKey) int {
	return cmp.Or(cmp.Compare(a.Mask, b.Mask), cmp.Compare(a.K, b.K))
}

// KPICounter is a count a rollup keeps for the service KPIs (SCORING.md, "Service KPIs from
// interactions"). Volume is StageInvited: every interaction a survey considers becomes one
// invitation, whatever the rules decide. Each rate counts only the interactions whose CRM
// said what it needs, so an interaction without a handle time does not pull the AHT to 0.
type KPICounter uint8

// The service KPI counts of a cell.
const (
	KPIResolutionKnown KPICounter = iota // first-contact resolution known
	KPIResolved                          // of those, resolved at first contact
	KPIHandleKnown                       // handle time known
	KPIHandleSeconds                     // the sum of those handle times, in seconds
	KPITransfersKnown                    // number of transfers known
	KPITransferred                       // of those, transferred at least once
	NumKPICounters
)

// ServiceFacts is what the CRM said of how an interaction went; nil is not known.
type ServiceFacts struct {
	FirstContactResolved *bool
	HandleSeconds        *int
	Transfers            *int
}

// Cell is what a rollup bucket knows of one tuple: funnel counts, service KPI counts and,
// per score key, the histogram of answers. Counts of a delta may be negative (an edited
// answer leaves its old score).
type Cell struct {
	Funnel [NumStages]int64
	KPI    [NumKPICounters]int64
	Scores map[ScoreKey]*Histogram
}

func (c *Cell) empty() bool {
	if c.Funnel != [NumStages]int64{} || c.KPI != [NumKPICounters]int64{} {
		return false
	}
	for _, h := range c.Scores {
		if *h != (Histogram{}) {
			return false
		}
	}
	return true
}

// Bucket is a rollup: the cells of one survey over one period bucket, or a delta to add to
// one. The zero value is not usable; make one with make(Bucket).
type Bucket map[Tuple]*Cell

func (b Bucket) cell(t Tuple) *Cell {
	c := b[t]
	if c == nil {
		c = &Cell{}
		b[t] = c
	}
	return c
}

// AddStage counts n events of stage s for tuple t.
func (b Bucket) AddStage(t Tuple, s Stage, n int64) { b.cell(t).Funnel[s] += n }

// AddService counts what the CRM said of one interaction of tuple t.
func (b Bucket) AddService(t Tuple, f ServiceFacts) {
	c := b.cell(t)
	if f.FirstContactResolved != nil {
		c.KPI[KPIResolutionKnown]++
		if *f.FirstContactResolved {
			c.KPI[KPIResolved]++
		}
	}
	if f.HandleSeconds != nil {
		c.KPI[KPIHandleKnown]++
		c.KPI[KPIHandleSeconds] += int64(*f.HandleSeconds)
	}
	if f.Transfers != nil {
		c.KPI[KPITransfersKnown]++
		if *f.Transfers > 0 {
			c.KPI[KPITransferred]++
		}
	}
}

// AddAnswer counts n answers (−1 to take one back) of score under key k for tuple t.
func (b Bucket) AddAnswer(t Tuple, k ScoreKey, score int, n int64) error {
	if score < 0 || score > MaxScore {
		return fmt.Errorf("%w: %d", ErrScore, score)
	}
	if k.K < 1 {
		return fmt.Errorf("scoring: an answer's repeat count is at least 1, not %d", k.K)
	}
	b.cell(t).histogram(k)[score] += n
	return nil
}

func (c *Cell) histogram(k ScoreKey) *Histogram {
	if c.Scores == nil {
		c.Scores = map[ScoreKey]*Histogram{}
	}
	h := c.Scores[k]
	if h == nil {
		h = &Histogram{}
		c.Scores[k] = h
	}
	return h
}

// Merge adds o into b and drops cells that cancel out. Only what o touches can cancel, so
// only that is looked at: a report summing a year of buckets does not rescan its cells.
func (b Bucket) Merge(o Bucket) {
	for t, oc := range o {
		c := b.cell(t)
		for s, n := range oc.Funnel {
			c.Funnel[s] += n
		}
		for k, n := range oc.KPI {
			c.KPI[k] += n
		}
		for k, oh := range oc.Scores {
			h := c.histogram(k)
			h.Merge(*oh)
			if *h == (Histogram{}) {
				delete(c.Scores, k)
			}
		}
		if c.empty() {
			delete(b, t)
		}
	}
}

// ErrRollupEncoding reports stored rollup bytes that do not decode.
var ErrRollupEncoding = errors.New("scoring: malformed rollup")

// bucketFormat versions the binary form of a Bucket. Format 1 had no repeat counts and
// format 2 no service KPI counts; their documents are dropped by migrations 5 and 7 and
// rebuilt, so only the current format decodes.
const bucketFormat = 3

// MarshalBinary encodes b compactly and deterministically: a string table, then each cell's
// tuple as string indexes and its non-zero counts as zig-zag varints behind presence bits.
// A bucket is stored as one binary field because the embedded store parses every field of a
// document on each read and write, which for a month of cells costs more than the report.
func (b Bucket) MarshalBinary() ([]byte, error) {
	tuples := slices.SortedFunc(maps.Keys(b), compareTuples)
	var table stringTable
	for _, t := range tuples {
		table.add(t)
	}
	out := table.appendTo([]byte{bucketFormat})
	out = binary.AppendUvarint(out, uint64(len(tuples)))
	for _, t := range tuples {
		c := b[t]
		out = table.appendTuple(out, t)
		out = appendCounts(out, c.Funnel[:])
		out = appendCounts(out, c.KPI[:])
		keys := slices.SortedFunc(maps.Keys(c.Scores), compareScoreKeys)
		out = binary.AppendUvarint(out, uint64(len(keys)))
		for _, k := range keys {
			out = append(out, byte(k.Mask))
			out = binary.AppendUvarint(out, uint64(k.K))
			out = appendCounts(out, c.Scores[k][:])
		}
	}
	return out, nil
}

func appendCounts(out []byte, counts []int64) []byte {
	var present uint64
	for i, n := range counts {
		if n != 0 {
			present |= 1 << i
		}
	}
	out = binary.AppendUvarint(out, present)
	for _, n := range counts {
		if n != 0 {
			out = binary.AppendVarint(out, n)
		}
	}
	return out
}

// UnmarshalBinary decodes what MarshalBinary wrote into b, which must be empty.
func (b Bucket) UnmarshalBinary(data []byte) error {
	d := decoder{data: data}
	if d.byte() != bucketFormat {
		return fmt.Errorf("%w: unknown format", ErrRollupEncoding)
	}
	table := d.table()
	cells := d.length()
	for range cells {
		t := d.tuple(table)
		c := &Cell{}
		d.counts(c.Funnel[:])
		d.counts(c.KPI[:])
		if keys := d.length(); keys > 0 {
			c.Scores = make(map[ScoreKey]*Histogram, keys)
			for range keys {
				k := ScoreKey{Mask: FlagMask(d.byte())}
				if n := d.uvarint(); n >= 1 && n <= math.MaxUint32 {
					k.K = uint32(n)
				} else {
					d.fail()
				}
				h := &Histogram{}
				d.counts(h[:])
				c.Scores[k] = h
			}
		}
		if d.err != nil {
			break
		}
		b[t] = c
	}
	if d.err == nil && len(d.data) != 0 {
		d.fail()
	}
	return d.err
}

// stringTable interns the strings of tuples, which the binary forms write once, up front,
// and then refer to by index.
type stringTable struct {
	index map[string]uint64
	strs  []string
}

func (st *stringTable) add(t Tuple) {
	if st.index == nil {
		st.index = map[string]uint64{}
	}
	for _, s := range []string{t.Agent, t.Team, t.Channel, t.Country} {
		if _, ok := st.index[s]; !ok {
			st.index[s] = uint64(len(st.strs))
			st.strs = append(st.strs, s)
		}
	}
}

func (st *stringTable) appendTo(out []byte) []byte {
	out = binary.AppendUvarint(out, uint64(len(st.strs)))
	for _, s := range st.strs {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return out
}

func (st *stringTable) appendTuple(out []byte, t Tuple) []byte {
	for _, s := range []string{t.Agent, t.Team, t.Channel, t.Country} {
		out = binary.AppendUvarint(out, st.index[s])
	}
	return out
}

// decoder reads varint-encoded rollups; the first error sticks and later reads return zero.
type decoder struct {
	data []byte
	err  error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or corrupt", ErrRollupEncoding)
	}
	d.data = nil
}

func (d *decoder) byte() byte {
	if len(d.data) == 0 {
		d.fail()
		return 0
	}
	c := d.data[0]
	d.data = d.data[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.data)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.data = d.data[n:]
	return v
}

// length reads a count of items that each take at least one byte, so a corrupt count cannot
// make the decoder allocate more than the input could hold.
func (d *decoder) length() int {
	n := d.uvarint()
	if n > uint64(len(d.data)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.length()
	s := string(d.data[:n])
	d.data = d.data[n:]
	return s
}

// table reads what stringTable.appendTo wrote.
func (d *decoder) table() []string {
	table := make([]string, d.length())
	for i := range table {
		table[i] = d.string()
	}
	return table
}

// tuple reads what stringTable.appendTuple wrote.
func (d *decoder) tuple(table []string) Tuple {
	str := func() string {
		i := d.uvarint()
		if i >= uint64(len(table)) {
			d.fail()
			return ""
		}
		return table[i]
	}
	return Tuple{Agent: str(), Team: str(), Channel: str(), Country: str()}
}

func (d *decoder) counts(into []int64) {
	present := d.uvarint()
	if present>>len(into) != 0 {
		d.fail()
		return
	}
	for i := range into {
		if present&(1<<i) != 0 {
			into[i] = d.varint()
		}
	}
}
