package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"
)

//go:embed email/*
var emailFiles embed.FS

// Emails are the parsed email templates: each name has an HTML part (html/template, so
// everything a customer or a workspace typed is escaped) and a plain-text part
// (text/template), email/NAME.html and email/NAME.txt.
type Emails struct {
	html map[string]*htmltemplate.Template
	text map[string]*texttemplate.Template
}

// emailFuncs are shared by both parts.
var emailFuncs = map[string]any{
	// mso passes markup meant only for Outlook's Word engine through a conditional comment,
	// which html/template would otherwise strip as a plain comment.
	"mso": func(markup string) htmltemplate.HTML {
		return htmltemplate.HTML("<!--[if mso]>" + markup + "<![endif]-->")
	},
}

// LoadEmails parses every email template once. A template that does not parse, or an HTML
// part without its text part (or the reverse), fails start instead of a send.
func LoadEmails() (*Emails, error) {
	e := &Emails{html: map[string]*htmltemplate.Template{}, text: map[string]*texttemplate.Template{}}
	htmlNames, err := fs.Glob(emailFiles, "email/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range htmlNames {
		base := strings.TrimSuffix(path.Base(name), ".html")
		t, err := htmltemplate.New(path.Base(name)).Funcs(emailFuncs).Option("missingkey=error").ParseFS(emailFiles, name)
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
		e.html[base] = t
	}
	textNames, err := fs.Glob(emailFiles, "email/*.txt")
	if err != nil {
		return nil, err
	}
	for _, name := range textNames {
		base := strings.TrimSuffix(path.Base(name), ".txt")
		if e.html[base] == nil {
			return nil, fmt.Errorf("templates: %s has no HTML part", name)
		}
		t, err := texttemplate.New(path.Base(name)).Option("missingkey=error").ParseFS(emailFiles, name)
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
		e.text[base] = t
	}
	for base := range e.html {
		if e.text[base] == nil {
			return nil, fmt.Errorf("templates: email/%s.html has no text part", base)
		}
	}
	if len(e.html) == 0 {
		return nil, errors.New("templates: no email templates")
	}
	return e, nil
}

// Render executes both parts of the named email with the same data. Both are rendered whole
// before either is returned, so a failing template sends nothing.
func (e *Emails) Render(name string, data any) (html, text []byte, err error) {
	ht, ok := e.html[name]
	if !ok {
		return nil, nil, fmt.Errorf("templates: no email %q", name)
	}
	var hb, tb bytes.Buffer
	if err := ht.Execute(&hb, data); err != nil {
		return nil, nil, fmt.Errorf("templates: render email %s (html): %w", name, err)
	}
	if err := e.text[name].Execute(&tb, data); err != nil {
		return nil, nil, fmt.Errorf("templates: render email %s (text): %w", name, err)
	}
	return hb.Bytes(), tb.Bytes(), nil
}
