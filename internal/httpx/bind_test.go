package httpx

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
)

// fuzzTarget has a member of each shape request types use.
type fuzzTarget struct {
	Name   string         `json:"name"`
	Count  *int           `json:"count"`
	Ratio  float64        `json:"ratio"`
	On     *bool          `json:"on"`
	Tags   []string       `json:"tags"`
	Inner  *fuzzInner     `json:"inner"`
	List   []fuzzInner    `json:"list"`
	Props  map[string]any `json:"props"`
	Labels map[string]string
	When   *Timestamp `json:"when"`
}

type fuzzInner struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

func TestDecodeJSON(t *testing.T) {
	for name, tc := range map[string]struct {
		body   string
		status int
		field  string
	}{
		"clean":                  {`{"name":"Lan","inner":{"text":"ok"},"list":[{"n":1}],"props":{"k":["v",1]}}`, 0, ""},
		"empty":                  {``, 400, ""},
		"null":                   {`null`, 400, "body"},
		"array":                  {`[]`, 400, "body"},
		"true":                   {`true`, 400, "body"},
		"two objects":            {`{}{}`, 400, ""},
		"truncated":              {`{"name":`, 400, ""},
		"unknown at the top":     {`{"zzz":1}`, 400, "zzz"},
		"unknown nested":         {`{"inner":{"text":"a","zzz":1}}`, 400, "inner.zzz"},
		"unknown in a list":      {`{"list":[{},{"zzz":1}]}`, 400, "list[1].zzz"},
		"case is significant":    {`{"Name":"x"}`, 400, "Name"},
		"wrong nested type":      {`{"list":[{"n":"1"}]}`, 400, "list[0].n"},
		"bad timestamp":          {`{"when":"yesterday"}`, 400, "when"},
		"invalid UTF-8":          {`{"name":"` + "\xc3\x28" + `"}`, 400, "name"},
		"lone high surrogate":    {`{"tags":["\ud83d"]}`, 400, "tags[0]"},
		"surrogate pair":         {`{"name":"\ud83d\ude00"}`, 0, ""},
		"NUL in a value":         {`{"inner":{"text":"a\u0000"}}`, 400, "inner.text"},
		"NUL in a free property": {`{"props":{"k":{"deep":["\u0000"]}}}`, 400, "props.k.deep[0]"},
		"NUL in a member name":   {`{"props":{"a\u0000b":1}}`, 400, "props.a\x00b"},
		"repeated member":        {`{"name":"a","name":"b"}`, 400, "name"},
		"repeated nested member": {`{"props":{"k":1,"k":2}}`, 400, "props.k"},
	} {
		t.Run(name, func(t *testing.T) {
			var v fuzzTarget
			err := DecodeJSON(strings.NewReader(tc.body), &v)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var p *Problem
			if !errors.As(err, &p) || p.Status != tc.status {
				t.Fatalf("got %v, want a %d problem", err, tc.status)
			}
			if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
				t.Fatalf("problem %+v names %v, want %q", p, p.Errors, tc.field)
			}
		})
	}
}

// FuzzBindJSON: any body is either refused with a 4xx problem or decoded into values whose
// every string is valid UTF-8 without NUL.
func FuzzBindJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"Lan","count":3,"tags":["a"],"inner":{"text":"x"},"list":[{"n":1}],"props":{"k":{"n":[1,"s",null]}},"Labels":{"a":"b"},"when":"2026-11-23T09:30:00Z"}`,
		`{"name":"\u00e9\ud83d\ude00"}`, `{"name":"\ud800"}`, `{"name":"a\u0000"}`, `{"props":{"\u0000":1}}`,
		`null`, `[]`, `{"inner":{"zzz":1}}`, "{\"name\":\"\xff\"}", `{"name":"a","name":"b"}`, `{}{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v fuzzTarget
		err := DecodeJSON(strings.NewReader(string(body)), &v)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status >= 500 {
				t.Fatalf("%q: %v is not a 4xx problem", body, err)
			}
			return
		}
		walkStrings(reflect.ValueOf(v), func(s string) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("%q: accepted the string %q", body, s)
			}
		})
	})
}

// FuzzForm: any URL-encoded body is either refused with a 4xx problem or read into fields
// that each came once and are valid UTF-8 without NUL.
func FuzzForm(f *testing.F) {
	for _, s := range []string{"score=3&comment=Nhanh+l%E1%BA%AFm", "score=2&score=5", "comment=%00", "comment=%FF", "a=%zz", "a;b=1", "=1&&x", ""} {
		f.Add(s)
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/s/x?score=1", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		form, err := Form(e.NewContext(req, httptest.NewRecorder()))
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Status != 400 {
				t.Fatalf("%q: %v is not a 400 problem", body, err)
			}
			return
		}
		raw, _ := url.ParseQuery(body)
		for name, value := range form {
			if len(raw[name]) != 1 || raw[name][0] != value {
				t.Fatalf("%q: field %q read as %q from %q", body, name, value, raw[name])
			}
			for _, s := range []string{name, value} {
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
					t.Fatalf("%q: accepted %q", body, s)
				}
			}
		}
		if len(form) != len(raw) {
			t.Fatalf("%q: read %d fields of %d", body, len(form), len(raw))
		}
	})
}

func walkStrings(v reflect.Value, visit func(string)) {
	switch v.Kind() {
	case reflect.String:
		visit(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), visit)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), visit)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), visit)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkStrings(it.Key(), visit)
			walkStrings(it.Value(), visit)
		}
	}
}
