package scoring

import (
	"bufio"
	"strings"
	"testing"
)

// The embedded files are the shipped lexicon: they must parse (which rules out duplicate
// entries and ambiguous bare forms), and each language needs enough vocabulary to read
// customer-service talk.
func TestLexiconEmbeddedFiles(t *testing.T) {
	l, err := lexiconFromFS(lexiconFiles, "lexicon")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "vi"} {
		c := l.entries[lang]
		if total := c[lexPositive] + c[lexNegative] + c[lexNeutral] + c[lexNegator]; total < 60 {
			t.Errorf("%s: %d entries, want at least 60", lang, total)
		}
		for _, k := range []lexKind{lexPositive, lexNegative, lexNegator} {
			if c[k] < 5 {
				t.Errorf("%s: %d entries of kind %q", lang, c[k], k)
			}
		}
	}
	if DefaultLexicon() == nil {
		t.Fatal("no default lexicon")
	}
}

// Duplicates are also checked on the raw lines, so the test does not depend on the parser
// alone: no line may repeat another after trimming and lowercasing.
func TestLexiconEmbeddedNoDuplicateLines(t *testing.T) {
	for _, name := range []string{"lexicon/en.txt", "lexicon/vi.txt"} {
		b, err := lexiconFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			phrase := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "+-~!=")))
			if prev, ok := seen[phrase]; ok {
				t.Errorf("%s:%d: %q repeats line %d", name, n, phrase, prev)
			}
			seen[phrase] = n
		}
	}
}
