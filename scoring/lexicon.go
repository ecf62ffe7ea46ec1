package scoring

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NegationWindow is how far a negator reaches: it flips the first sentiment term that
// starts within this many words after it, in the same clause. Three words cover
// "chưa được giải quyết", "not really very helpful" and "không hề chậm" but not
// "never had anyone so helpful", which is praise.
const NegationWindow = 3

// ErrLexicon reports a malformed lexicon file.
var ErrLexicon = errors.New("scoring: malformed lexicon")

//go:embed lexicon/*.txt
var lexiconFiles embed.FS

// Lexicon is the sentiment vocabulary the contradiction flag reads comments with: positive,
// negative and neutral phrases and negators, one data file per language (lexicon/en.txt,
// lexicon/vi.txt), so it is reviewed and extended without touching code.
//
// File format, one entry per line:
//
//	# comment; blank lines are ignored too
//	+ phrase   positive ("nhiệt tình", "great")
//	- phrase   negative ("thô lỗ", "never again")
//	~ phrase   neutral: words that look like sentiment but carry none here ("chăm sóc",
//	           "kind of", "best regards"); matched like the others, they hide their words
//	! phrase   negator ("không", "chưa", "not", "didn't")
//
// A sign written with "=" ("-= tồi") makes the entry match only as written, with its
// diacritics; without it an entry also matches text typed without diacritics ("rat tot cam
// on"). The marker is for words whose bare form is another common word: "tồi" (bad) and
// "tôi" (I) are both "toi", "chờ" (wait) and "cho" (for) both "cho".
//
// Phrases are lowercased and split into words like comments are (see Polarity), and a
// file may not list the same words twice, nor two entries of different kinds that read the
// same without diacritics unless one of them carries "=". A Lexicon is immutable and safe
// for concurrent use.
type Lexicon struct {
	// byFirst indexes entries by the bare form of their first word.
	byFirst map[string][]*lexEntry
	// entries counts entries per language and kind.
	entries map[string]map[lexKind]int
}

type lexKind byte

const (
	lexPositive lexKind = '+'
	lexNegative lexKind = '-'
	lexNeutral  lexKind = '~'
	lexNegator  lexKind = '!'
)

type lexEntry struct {
	kind   lexKind
	lang   string
	exact  []string // lowercased, NFC, apostrophes removed
	bare   []string // exact without diacritics, đ → d
	strict bool     // match exact only
	order  int      // position across all files, for a stable choice among equals
}

var defaultLexicon = sync.OnceValue(func() *Lexicon {
	l, err := lexiconFromFS(lexiconFiles, "lexicon")
	if err != nil {
		panic(err)
	}
	return l
})

// DefaultLexicon is the lexicon shipped in scoring/lexicon/*.txt, parsed once on first use.
// It panics only if those embedded files are malformed, which a test rules out.
func DefaultLexicon() *Lexicon { return defaultLexicon() }

// lexiconFromFS parses every *.txt file of dir; the file name is the language.
func lexiconFromFS(fsys fs.FS, dir string) (*Lexicon, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.txt"))
	if err != nil {
		return nil, fmt.Errorf("scoring: lexicon files: %w", err)
	}
	files := make(map[string]string, len(names))
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("scoring: lexicon file %s: %w", name, err)
		}
		files[strings.TrimSuffix(path.Base(name), ".txt")] = string(b)
	}
	return NewLexicon(files)
}

// NewLexicon parses lexicon files keyed by language code ("en", "vi"); see Lexicon for the
// format. Errors wrap ErrLexicon and name the language and line.
func NewLexicon(files map[string]string) (*Lexicon, error) {
	l := &Lexicon{byFirst: map[string][]*lexEntry{}, entries: map[string]map[lexKind]int{}}
	langs := make([]string, 0, len(files))
	for lang := range files {
		langs = append(langs, lang)
	}
	slices.Sort(langs)
	order := 0
	for _, lang := range langs {
		if err := l.parse(lang, files[lang], &order); err != nil {
			return nil, err
		}
	}
	for _, es := range l.byFirst {
		// Longest first, so "không thể tốt hơn" wins over the negator "không".
		slices.SortStableFunc(es, func(a, b *lexEntry) int {
			if len(a.exact) != len(b.exact) {
				return len(b.exact) - len(a.exact)
			}
			return a.order - b.order
		})
	}
	return l, nil
}

func (l *Lexicon) parse(lang, text string, order *int) error {
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: %s line %d: %s", ErrLexicon, lang, line, fmt.Sprintf(format, args...))
	}
	seen := map[string]int{}           // exact words → line
	bareSeen := map[string]*lexEntry{} // bare words → first non-strict entry
	counts := map[lexKind]int{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind := lexKind(line[0])
		switch kind {
		case lexPositive, lexNegative, lexNeutral, lexNegator:
		default:
			return fail(n, "entry %q does not start with +, -, ~ or !", line)
		}
		rest := line[1:]
		strict := strings.HasPrefix(rest, "=")
		if strict {
			rest = rest[1:]
		}
		if rest == "" || !unicode.IsSpace(rune(rest[0])) {
			return fail(n, "entry %q: the sign must be followed by a space", line)
		}
		toks := tokenize(norm.NFC.String(rest))
		if len(toks) == 0 {
			return fail(n, "entry %q has no words", line)
		}
		e := &lexEntry{kind: kind, lang: lang, strict: strict, order: *order}
		*order++
		for _, t := range toks {
			if t.clause != toks[0].clause {
				return fail(n, "entry %q has punctuation between its words", line)
			}
			e.exact = append(e.exact, t.exact)
			e.bare = append(e.bare, t.bare)
		}
		key := strings.Join(e.exact, " ")
		if prev, ok := seen[key]; ok {
			return fail(n, "%q is already listed on line %d", key, prev)
		}
		seen[key] = n
		bareKey := strings.Join(e.bare, " ")
		if strict && bareKey == key {
			return fail(n, "entry %q has no diacritics to match strictly", line)
		}
		if !strict {
			if prev, ok := bareSeen[bareKey]; ok && prev.kind != kind {
				return fail(n, "%q and %q read the same without diacritics but differ in kind; mark one with =",
					key, strings.Join(prev.exact, " "))
			} else if !ok {
				bareSeen[bareKey] = e
			}
		}
		l.byFirst[e.bare[0]] = append(l.byFirst[e.bare[0]], e)
		counts[kind]++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrLexicon, lang, err)
	}
	l.entries[lang] = counts
	return nil
}

// Polarity reads a comment: it returns the positive and negative terms found, each as
// written in the comment, and net = len(positive) − len(negative).
//
// The comment is NFC-normalized, lowercased and split into words at every character that is
// not a letter, digit or combining mark, so "50k" stays one word; an apostrophe inside a
// word is dropped ("don't" is "dont"). Clauses end at . , ; : ! ? … — ( ) [ ] and line
// breaks. From left to right the longest entry of any language that starts at a word wins;
// its words must match as written or, unless the entry is strict, the comment's word was
// typed without diacritics and equals the entry's word without them (marks removed after
// canonical decomposition, đ read as d). Among equally long matches an entry of lang, the
// page's language, wins over the other language's.
//
// A negator flips the first positive or negative term that starts within NegationWindow
// words after it in the same clause: a negated positive counts as negative and is listed
// with its negator ("not helpful", "chưa được giải quyết"); a negated negative ("không
// tệ", "not bad") counts as neither, since faint praise is no evidence of satisfaction.
// Neutral entries count as nothing and hide their words ("không chỉ … mà còn").
func (l *Lexicon) Polarity(text, lang string) (net int, positive, negative []string) {
	s := norm.NFC.String(text)
	toks := tokenize(s)
	negAt, negStart := -1, 0 // index of the last word of the pending negator, byte offset of its first
	for i := 0; i < len(toks); {
		e := l.match(toks, i, lang)
		if e == nil {
			i++
			continue
		}
		last := i + len(e.exact) - 1
		switch e.kind {
		case lexNegator:
			negAt, negStart = last, toks[i].start
		case lexPositive, lexNegative:
			negated := negAt >= 0 && toks[negAt].clause == toks[i].clause && i-negAt <= NegationWindow
			start := toks[i].start
			if negated {
				start = negStart
				negAt = -1
			}
			term := s[start:toks[last].end]
			switch {
			case e.kind == lexPositive && !negated:
				positive = append(positive, term)
			case e.kind == lexPositive && negated:
				negative = append(negative, term)
			case !negated:
				negative = append(negative, term)
			}
		}
		i = last + 1
	}
	return len(positive) - len(negative), positive, negative
}

// match returns the entry that reads toks from i, or nil.
func (l *Lexicon) match(toks []token, i int, lang string) *lexEntry {
	var best *lexEntry
	for _, e := range l.byFirst[toks[i].bare] {
		if best != nil && len(e.exact) < len(best.exact) {
			break
		}
		if !e.matches(toks[i:]) {
			continue
		}
		if best == nil || (best.lang != lang && e.lang == lang) {
			best = e
		}
	}
	return best
}

func (e *lexEntry) matches(toks []token) bool {
	if len(toks) < len(e.exact) {
		return false
	}
	for j, w := range e.exact {
		t := toks[j]
		if t.clause != toks[0].clause {
			return false
		}
		if t.exact == w {
			continue
		}
		if e.strict || t.exact != t.bare || t.bare != e.bare[j] {
			return false
		}
	}
	return true
}

// token is one word of a comment.
type token struct {
	exact      string // lowercased, apostrophes removed
	bare       string // exact without diacritics, đ → d
	clause     int
	start, end int // byte offsets in the text tokenized
}

// tokenize splits NFC text into lowercased words, numbering clauses.
func tokenize(s string) []token {
	var (
		toks   []token
		b      strings.Builder
		clause int
		start  = -1
	)
	flush := func(end int) {
		if start >= 0 {
			exact := b.String()
			toks = append(toks, token{exact: exact, bare: stripMarks(exact), clause: clause, start: start, end: end})
		}
		b.Reset()
		start = -1
	}
	for off, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (start >= 0 && unicode.IsMark(r)):
			if start < 0 {
				start = off
			}
			b.WriteRune(unicode.ToLower(r))
		case isApostrophe(r) && start >= 0 && letterAt(s, off+utf8.RuneLen(r)):
			// inside a word: "don't" is "dont"
		default:
			flush(off)
			if strings.ContainsRune(clauseBreaks, r) {
				clause++
			}
		}
	}
	flush(len(s))
	return toks
}

func letterAt(s string, off int) bool {
	r, _ := utf8.DecodeRuneInString(s[off:])
	return unicode.IsLetter(r)
}

// clauseBreaks end a clause: negation and phrases do not cross them.
const clauseBreaks = ".,;:!?…—–()[]{}\n\r。，！？；："

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

// stripMarks removes diacritics: the combining marks of the canonical decomposition, and the
// stroke of đ, which has none.
func stripMarks(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		default:
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}
