package respondent

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/survey"
)

// answerForm is a submitted (or prefilled) answer.
type answerForm struct {
	Score         int
	HasScore      bool
	Comment       string
	Reason        string
	Interacted    bool
	AutoConfirmed bool // the page's script confirmed a choice made in the email
	RenderedAt    int64
	FromThanks    bool
}

// answer is POST /s/{token}: it records the answer (or changes it inside the edit window)
// and sends the customer to the thank-you page.
func (p *Pages) answer(c *echo.Context) error {
	form, err := httpx.Form(c)
	if err != nil {
		return err
	}
	l, err := p.load(c)
	if err != nil {
		return p.failed(c, err)
	}
	f, errs := p.parseAnswer(form, l)
	if len(errs) > 0 {
		pg := p.surveyPage(c, l, f, nil)
		pg.Errors = errs
		pg.ScoreError = !f.HasScore
		return p.render(c, http.StatusUnprocessableEntity, "survey", pg)
	}
	r := p.svc.NewResponse(l.sv, l.inv, survey.Answer{
		Score: f.Score, Comment: f.Comment, Reason: f.Reason, Locale: l.L.Lang,
		UserAgent: c.Request().UserAgent(), IP: c.RealIP(),
		Interacted: f.Interacted, AutoConfirmed: f.AutoConfirmed, RenderedAt: f.RenderedAt,
	})
	err = p.recorder.Submit(c.Request().Context(), r, l.sv.EditWindow())
	switch {
	case errors.Is(err, survey.ErrEditWindowClosed):
		prev, perr := p.svc.ResponseFor(c.Request().Context(), l.inv.ID)
		if perr != nil {
			return perr
		}
		return p.message(c, http.StatusConflict, l.L, l.ws.CompanyName, "msg.closed",
			"Date", formatDate(l.L, prev.CreatedAt, l.ws.Location()))
	case errors.Is(err, survey.ErrRecorderClosed), errors.Is(err, context.DeadlineExceeded):
		return p.message(c, http.StatusServiceUnavailable, l.L, l.ws.CompanyName, "msg.busy")
	case err != nil:
		return err
	}
	q := url.Values{"lang": {l.L.Lang}}
	if f.FromThanks && (f.Comment != "" || f.Reason != "") {
		q.Set("saved", "more")
	}
	return c.Redirect(http.StatusSeeOther, "/s/"+l.token+"/thanks?"+q.Encode())
}

// parseAnswer reads and checks the form, returning the customer-facing problems.
func (p *Pages) parseAnswer(form map[string]string, l *link) (answerForm, []string) {
	var f answerForm
	var errs []string
	if n, err := strconv.Atoi(form["score"]); err == nil && n >= l.sv.MinScore() && n <= l.sv.MaxScore() {
		f.Score, f.HasScore = n, true
	} else {
		errs = append(errs, l.L.T("survey.error.score"))
	}
	f.Comment = strings.TrimSpace(form["comment"])
	if utf8.RuneCountInString(f.Comment) > MaxComment {
		errs = append(errs, l.L.T("survey.error.comment", "Max", MaxComment))
	}
	f.Reason = form["reason"]
	if f.Reason != "" && !hasReason(l.sv, f.Reason) {
		errs = append(errs, l.L.T("survey.error.reason"))
		f.Reason = ""
	}
	f.Interacted = form["interacted"] == "1"
	f.AutoConfirmed = form["confirm"] == "auto"
	f.RenderedAt, _ = strconv.ParseInt(form["rendered_at"], 10, 64)
	f.FromThanks = form["from"] == "thanks"
	return f, errs
}
