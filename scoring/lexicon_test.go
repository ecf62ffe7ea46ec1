package scoring_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/surveyd/surveyd/scoring"
	"golang.org/x/text/unicode/norm"
)

func TestLexiconPolarity(t *testing.T) {
	tests := map[string]struct {
		text, lang string
		net        int
		pos, neg   []string
	}{
		"vietnamese praise":                 {text: "Rất tốt, cảm ơn!", lang: "vi", net: 2, pos: []string{"tốt", "cảm ơn"}},
		"vietnamese typed without marks":    {text: "rat tot cam on", lang: "vi", net: 2, pos: []string{"tot", "cam on"}},
		"vietnamese typed partly bare":      {text: "nhan vien nhiệt tình, tot", lang: "vi", net: 2, pos: []string{"nhiệt tình", "tot"}},
		"vietnamese decomposed (NFD) input": {text: norm.NFD.String("Cảm ơn em"), lang: "vi", net: 1, pos: []string{"Cảm ơn"}},
		"english praise":                    {text: "Great help, thanks!", lang: "en", net: 2, pos: []string{"Great", "thanks"}},
		"english complaint":                 {text: "terrible, never again", lang: "en", net: -2, neg: []string{"terrible", "never again"}},
		"vietnamese complaint":              {text: "quá tệ", lang: "vi", net: -1, neg: []string{"tệ"}},
		"vietnamese on an english page":     {text: "Nhân viên thô lỗ", lang: "en", net: -1, neg: []string{"thô lỗ"}},
		"english on a vietnamese page":      {text: "very friendly", lang: "vi", net: 1, pos: []string{"friendly"}},
		"empty":                             {text: "", lang: "vi"},
		"no sentiment":                      {text: "Tôi gọi lúc 9 giờ về đơn hàng 1234", lang: "vi"},

		// Negation.
		"negated positive":                   {text: "not helpful", lang: "en", net: -1, neg: []string{"not helpful"}},
		"negated positive, contraction":      {text: "It wasn’t helpful at all", lang: "en", net: -1, neg: []string{"wasn’t helpful"}},
		"khong hai long":                     {text: "Không hài lòng", lang: "vi", net: -1, neg: []string{"Không hài lòng"}},
		"khong hai long, bare":               {text: "khong hai long", lang: "vi", net: -1, neg: []string{"khong hai long"}},
		"chua duoc giai quyet":               {text: "vấn đề chưa được giải quyết", lang: "vi", net: -1, neg: []string{"chưa được giải quyết"}},
		"texting negator ko":                 {text: "ko dc giai quyet", lang: "vi", net: -1, neg: []string{"ko dc giai quyet"}},
		"negated negative is neutral, vi":    {text: "không tệ", lang: "vi"},
		"negated negative is neutral, en":    {text: "not bad", lang: "en"},
		"negated wait is neutral":            {text: "I didn't have to wait", lang: "en"},
		"negator three words before":         {text: "not really very helpful", lang: "en", net: -1, neg: []string{"not really very helpful"}},
		"negator four words before":          {text: "never had anyone so helpful", lang: "en", net: 1, pos: []string{"helpful"}},
		"negation stops at a comma":          {text: "No, it was great", lang: "en", net: 1, pos: []string{"great"}},
		"negation flips one term only":       {text: "not fast but friendly", lang: "en", net: 0, pos: []string{"friendly"}, neg: []string{"not fast"}},
		"phrase beats negator":               {text: "không thể tốt hơn", lang: "vi", net: 1, pos: []string{"không thể tốt hơn"}},
		"no problem is praise":               {text: "no problem at all, solved", lang: "en", net: 2, pos: []string{"no problem", "solved"}},
		"neutral phrase hides the negator":   {text: "không chỉ nhanh mà còn nhiệt tình", lang: "vi", net: 2, pos: []string{"nhanh", "nhiệt tình"}},
		"would not recommend":                {text: "Would not recommend", lang: "en", net: -1, neg: []string{"not recommend"}},
		"question particle does not negate":  {text: "tốt không?", lang: "vi", net: 1, pos: []string{"tốt"}},
		"price with k is not a negator":      {text: "giá 50k rất tốt", lang: "vi", net: 1, pos: []string{"tốt"}},
		"mixed sentiment":                    {text: "nhân viên nhiệt tình nhưng xử lý chậm", lang: "vi", net: 0, pos: []string{"nhiệt tình"}, neg: []string{"chậm"}},
		"explicit negative phrase, vi":       {text: "yêu cầu chưa được xử lý", lang: "vi", net: -1, neg: []string{"chưa được xử lý"}},
		"sign-off is not praise":             {text: "Kind regards", lang: "en"},
		"care is not slow":                   {text: "chăm sóc khách hàng", lang: "vi"},
		"care is not slow, bare":             {text: "cham soc khach hang cham", lang: "vi", net: -1, neg: []string{"cham"}},
		"toi is I, not bad":                  {text: "toi rat hai long", lang: "vi", net: 1, pos: []string{"hai long"}},
		"strict entry matches with its mark": {text: "nhân viên tồi", lang: "vi", net: -1, neg: []string{"tồi"}},
		"on is not on":                       {text: "came on Monday", lang: "en"},
		"on is on with its mark":             {text: "mọi thứ ổn", lang: "vi", net: 1, pos: []string{"ổn"}},
		"request is not love":                {text: "yeu cau cua toi", lang: "vi"},
	}
	lex := scoring.DefaultLexicon()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			net, pos, neg := lex.Polarity(tc.text, tc.lang)
			if net != tc.net || !slices.Equal(pos, tc.pos) || !slices.Equal(neg, tc.neg) {
				t.Errorf("Polarity(%q) = %d, %q, %q; want %d, %q, %q", tc.text, net, pos, neg, tc.net, tc.pos, tc.neg)
			}
		})
	}
}

func TestLexiconPageLanguageBreaksTies(t *testing.T) {
	lex, err := scoring.NewLexicon(map[string]string{"en": "+ ok\n", "vi": "- ok\n"})
	if err != nil {
		t.Fatal(err)
	}
	if net, _, _ := lex.Polarity("ok", "en"); net != 1 {
		t.Errorf("en page: net %d, want 1", net)
	}
	if net, _, _ := lex.Polarity("ok", "vi"); net != -1 {
		t.Errorf("vi page: net %d, want -1", net)
	}
}

func TestLexiconParseErrors(t *testing.T) {
	tests := map[string]struct {
		file string
		want string // part of the error; "" for none
	}{
		"valid":                         {file: "# c\n\n+ tốt\n- chậm\n~ chăm sóc\n! không\n"},
		"same bare form, same kind":     {file: "+ cảm ơn\n+ cám ơn\n"},
		"strict entry avoids collision": {file: "~ tôi\n-= tồi\n"},
		"unknown sign":                  {file: "* tốt\n", want: "line 1"},
		"no space after the sign":       {file: "+tốt\n", want: "followed by a space"},
		"no words":                      {file: "# x\n+ ...\n", want: "line 2: entry \"+ ...\" has no words"},
		"sign alone":                    {file: "+\n", want: "followed by a space"},
		"duplicate":                     {file: "+ tốt\n- Tốt\n", want: "already listed on line 1"},
		"duplicate after apostrophes":   {file: "! didn't\n! didnt\n", want: "already listed"},
		"bare forms collide":            {file: "- chậm\n+ chăm\n", want: "read the same without diacritics"},
		"strict without diacritics":     {file: "+= ok\n", want: "no diacritics"},
		"punctuation inside a phrase":   {file: "+ good, fast\n", want: "punctuation"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := scoring.NewLexicon(map[string]string{"vi": tc.file})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.want != "" && (err == nil || !errors.Is(err, scoring.ErrLexicon) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want ErrLexicon containing %q", err, tc.want)
			}
		})
	}
}

func FuzzLexiconPolarity(f *testing.F) {
	for _, s := range []string{"rất tốt, cảm ơn", "rat tot cam on", "not helpful", "không", "don't'", "'", "’a",
		"\xff\xfe tốt", "a\u0301\u0301", "\u0301tốt", "chưa được giải quyết!!!", strings.Repeat("không ", 50) + "tốt"} {
		f.Add(s, "vi")
	}
	lex := scoring.DefaultLexicon()
	f.Fuzz(func(t *testing.T, text, lang string) {
		net, pos, neg := lex.Polarity(text, lang)
		if net != len(pos)-len(neg) {
			t.Fatalf("net %d, %d positive, %d negative", net, len(pos), len(neg))
		}
		nfc := norm.NFC.String(text)
		for _, term := range slices.Concat(pos, neg) {
			if term == "" || !strings.Contains(nfc, term) {
				t.Fatalf("term %q is not part of the comment %q", term, text)
			}
		}
	})
}
