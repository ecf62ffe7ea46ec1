// Package templates holds everything a person reads: page templates, locale catalogs (en is
// the base, vi laid over it) and static assets, embedded in the binary and parsed once at start.
package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed pages/*.html static/* locales/*.json
var files embed.FS

// Favicon is the icon browsers ask for at /favicon.ico (16, 32 and 48 px PNGs in an ICO);
// static/favicon.svg is the same drawing, which the pages link for browsers that take SVG.
//
//go:embed static/favicon.ico
var Favicon []byte

// Static is the assets served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded above; it cannot be missing
	}
	return sub
}

// Languages are the locales with a catalog, base language first.
var Languages = []string{"en", "vi"}

// Catalog translates message ids into the supported languages.
type Catalog struct {
	bundle  *i18n.Bundle
	matcher language.Matcher
}

// LoadCatalog parses every locale file. A message present in one language and missing in
// another fails here, at start, instead of showing an id to a customer.
func LoadCatalog() (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	ids := map[string]map[string]bool{}
	for _, lang := range Languages {
		// A language's messages may be split over files: en.json, email.en.json, …
		names, err := fs.Glob(files, "locales/*"+lang+".json")
		if err != nil {
			return nil, err
		}
		ids[lang] = map[string]bool{}
		for _, name := range names {
			if base := path.Base(name); base != lang+".json" && !strings.HasSuffix(base, "."+lang+".json") {
				continue
			}
			buf, err := files.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("templates: %w", err)
			}
			mf, err := b.ParseMessageFileBytes(buf, name)
			if err != nil {
				return nil, fmt.Errorf("templates: %s: %w", name, err)
			}
			for _, m := range mf.Messages {
				if ids[lang][m.ID] {
					return nil, fmt.Errorf("templates: message %q defined twice for %s", m.ID, lang)
				}
				ids[lang][m.ID] = true
			}
		}
	}
	for id := range ids["en"] {
		for _, lang := range Languages[1:] {
			if !ids[lang][id] {
				return nil, fmt.Errorf("templates: message %q has no %s translation", id, lang)
			}
		}
	}
	for _, lang := range Languages[1:] {
		for id := range ids[lang] {
			if !ids["en"][id] {
				return nil, fmt.Errorf("templates: message %q in %s is not in the English base", id, lang)
			}
		}
	}
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = language.Make(l)
	}
	return &Catalog{bundle: b, matcher: language.NewMatcher(tags)}, nil
}

// Match returns the supported language for a BCP 47 tag, or "" when none fits: "vi-VN" → "vi",
// "fr" → "".
func (c *Catalog) Match(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	_, i, conf := c.matcher.Match(t)
	if conf < language.High {
		return ""
	}
	return Languages[i]
}

// MatchAccept returns the best supported language an Accept-Language header asks for, or "".
func (c *Catalog) MatchAccept(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return ""
	}
	for _, t := range tags {
		if l := c.Match(t.String()); l != "" {
			return l
		}
	}
	return ""
}

// Localizer translates into one language; one is made per request.
type Localizer struct {
	Lang string
	l    *i18n.Localizer
}

// Localizer returns a translator into lang, which must be one of Languages.
func (c *Catalog) Localizer(lang string) *Localizer {
	return &Localizer{Lang: lang, l: i18n.NewLocalizer(c.bundle, lang, "en")}
}

// T translates a message id; args are name, value pairs for the message's {{.Name}} fields,
// and a "Count" pair also picks the plural form.
func (l *Localizer) T(id string, args ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			k := fmt.Sprint(args[i])
			data[k] = args[i+1]
			if k == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := l.l.Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Pages are the parsed page templates, each combined with the shared layout.
type Pages struct {
	byName map[string]*template.Template
}

// LoadPages parses every page once; a template error fails start, not a request.
func LoadPages() (*Pages, error) {
	funcs := template.FuncMap{
		"seq": func(from, to int) []int {
			var out []int
			for i := from; i <= to; i++ {
				out = append(out, i)
			}
			return out
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "pages/layout.html")
	if err != nil {
		return nil, fmt.Errorf("templates: layout: %w", err)
	}
	names, err := fs.Glob(files, "pages/*.html")
	if err != nil {
		return nil, err
	}
	p := &Pages{byName: map[string]*template.Template{}}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(files, name)
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

// Render returns the named page. It renders whole before anything is sent, so a template
// error becomes an error response rather than half a page.
func (p *Pages) Render(name string, data any) ([]byte, error) {
	t, ok := p.byName[name]
	if !ok {
		return nil, fmt.Errorf("templates: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("templates: render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
