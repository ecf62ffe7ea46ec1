package rollup

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/scoring"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The repeat weight needs each customer's answers to a survey in a UTC month (see the
// rollups' comment). They are stored as a log per survey, generation and month in the
// respondents collection: numbered entries, each holding the answers, in their state then,
// that one write added or changed. The writer keeps the months it writes in memory, read from
// their entries once, so recording an answer costs neither a read nor a document of its own:
// a batch of answers is one entry, whatever the number of customers in it.
//
// An entry's number is in its _id, so two writers (instances sharing a MongoDB, or a rebuild
// and the live path) cannot both write entry n of a month: the one whose insert fails reads
// what the other wrote and tries again with n+1. A month in memory is therefore never ahead
// of the store, only behind, and never counts an answer the store does not hold.

// maxHeldAnswers bounds the answers kept in memory across months: a few busy surveys'
// current months. Past it, the months a write did not touch are let go and read again when
// next needed.
const maxHeldAnswers = 1 << 19

// answerMonth is one survey generation's month of answers as this process last read or
// wrote it.
type answerMonth struct {
	key       string // rollupPrefix(survey, gen) + the month, "2006-01"
	next      int    // the number of the entry the next write adds
	customers map[uint64]scoring.Answers
	answers   int
}

func (m *answerMonth) entryKey(n int) string { return m.key + "|" + strconv.Itoa(n) }

// add puts answers into the month, each replacing its earlier state.
func (m *answerMonth) add(answers scoring.Answers) {
	for id, a := range answers {
		c := m.customers[a.Customer]
		if c == nil {
			c = scoring.Answers{}
			m.customers[a.Customer] = c
		}
		if _, ok := c[id]; !ok {
			m.answers++
		}
		c[id] = a
	}
}

// monthAnswers is what one write adds to a month.
type monthAnswers struct {
	key     string
	ws, sv  bson.ObjectID
	g       rollupGen
	answers scoring.Answers
}

// answersByMonth groups answers by the month log they go to, in the order first asked for.
type answersByMonth struct {
	byKey map[string]*monthAnswers
	order []string
}

func (b *answersByMonth) add(ws, sv bson.ObjectID, g rollupGen, a scoring.Answer) {
	key := rollupPrefix(sv, g.n) + time.UnixMilli(a.At).UTC().Format("2006-01")
	if b.byKey == nil {
		b.byKey = map[string]*monthAnswers{}
	}
	m := b.byKey[key]
	if m == nil {
		m = &monthAnswers{key: key, ws: ws, sv: sv, g: g, answers: scoring.Answers{}}
		b.byKey[key] = m
		b.order = append(b.order, key)
	}
	m.answers[a.ID] = a
}

// list is the months' answers, a write each.
func (b *answersByMonth) list() []*monthAnswers {
	out := make([]*monthAnswers, len(b.order))
	for i, key := range b.order {
		out[i] = b.byKey[key]
	}
	return out
}

// chunks are the months' answers in writes of at most n answers each.
func (b *answersByMonth) chunks(n int) []*monthAnswers {
	var out []*monthAnswers
	for _, m := range b.list() {
		ids := slices.SortedFunc(maps.Keys(m.answers), func(x, y [12]byte) int { return bytes.Compare(x[:], y[:]) })
		for len(ids) > 0 {
			part := &monthAnswers{key: m.key, ws: m.ws, sv: m.sv, g: m.g, answers: make(scoring.Answers, min(n, len(ids)))}
			for _, id := range ids[:min(n, len(ids))] {
				part.answers[id] = m.answers[id]
			}
			out = append(out, part)
			ids = ids[min(n, len(ids)):]
		}
	}
	return out
}

// addAnswers writes each month's answers as one entry of its log and adds to docs how they
// move the buckets: each answer counts under the number of its customer's answers in its
// month, so when one arrives every earlier one moves from k to k+1; an edit moves only the
// edited answer. It runs inside a flush (or exclusively), the one place months change.
func (e *Engine) addAnswers(ctx context.Context, writes []*monthAnswers, docs *docUpdates) error {
	for _, w := range writes {
		if err := e.addMonthAnswers(ctx, w, docs); err != nil {
			return err
		}
	}
	e.trimMonths(writes)
	return nil
}

func (e *Engine) addMonthAnswers(ctx context.Context, w *monthAnswers, docs *docUpdates) error {
	data, err := w.answers.MarshalBinary()
	if err != nil {
		return err
	}
	m, err := e.month(ctx, w.key)
	if err != nil {
		return err
	}
	for range 20 {
		_, err := e.respondents.InsertOne(ctx, rollupDoc{ID: m.entryKey(m.next), WorkspaceID: w.ws, SurveyID: w.sv, Gen: w.g.n, V: 1, Data: [][]byte{data}})
		if store.IsDuplicateKey(err) { // another writer got there first: read what it wrote
			if err := e.readEntries(ctx, m); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("rollup: store answers of %s: %w", m.key, err)
		}
		m.next++
		now := map[uint64]scoring.Answers{}
		for id, a := range w.answers {
			c, ok := now[a.Customer]
			if !ok {
				c = maps.Clone(m.customers[a.Customer])
				if c == nil {
					c = scoring.Answers{}
				}
				now[a.Customer] = c
			}
			c[id] = a
		}
		for customer, answers := range now {
			if err := docs.recount(w.ws, w.sv, w.g, m.customers[customer], answers); err != nil {
				return err
			}
		}
		m.add(w.answers)
		return nil
	}
	return fmt.Errorf("rollup: answers of %s: too many concurrent writers", m.key)
}

// month is a month's answers, read from its entries when not in memory.
func (e *Engine) month(ctx context.Context, key string) (*answerMonth, error) {
	e.monthsMu.Lock()
	m := e.months[key]
	e.monthsMu.Unlock()
	if m != nil {
		return m, nil
	}
	m = &answerMonth{key: key, next: 1, customers: map[uint64]scoring.Answers{}}
	if err := e.readEntries(ctx, m); err != nil {
		return nil, err
	}
	e.monthsMu.Lock()
	e.months[key] = m
	e.monthsMu.Unlock()
	return m, nil
}

// readEntries adds to m the entries written since it was last read, by number: the embedded
// store finds a document from an index only by its _id.
func (e *Engine) readEntries(ctx context.Context, m *answerMonth) error {
	for {
		var doc rollupDoc
		err := e.respondents.FindOne(ctx, bson.D{{Key: "_id", Value: m.entryKey(m.next)}}).Decode(&doc)
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("rollup: read answers %s: %w", m.entryKey(m.next), err)
		}
		if len(doc.Data) != 1 {
			return fmt.Errorf("rollup: answers %s: %w", doc.ID, scoring.ErrRollupEncoding)
		}
		entry := scoring.Answers{}
		if err := entry.UnmarshalBinary(doc.Data[0]); err != nil {
			return fmt.Errorf("rollup: answers %s: %w", doc.ID, err)
		}
		m.add(entry)
		m.next++
	}
}

// trimMonths lets go of the months not just written once too many answers are held.
func (e *Engine) trimMonths(keep []*monthAnswers) {
	e.monthsMu.Lock()
	defer e.monthsMu.Unlock()
	held := 0
	for _, m := range e.months {
		held += m.answers
	}
	if held <= maxHeldAnswers {
		return
	}
	kept := map[string]bool{}
	for _, w := range keep {
		kept[w.key] = true
	}
	maps.DeleteFunc(e.months, func(key string, _ *answerMonth) bool { return !kept[key] })
}

// forgetMonths lets go of a survey's months, whose keys start with prefix.
func (e *Engine) forgetMonths(prefix string) {
	e.monthsMu.Lock()
	defer e.monthsMu.Unlock()
	maps.DeleteFunc(e.months, func(key string, _ *answerMonth) bool { return strings.HasPrefix(key, prefix) })
}
