package respondent

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/survey"
)

// show is GET /s/{token}: the survey, with ?score= preselected. It never records an answer,
// since mail scanners fetch every link; it logs the visit for the bias filters.
func (p *Pages) show(c *echo.Context) error {
	l, err := p.load(c)
	if err != nil {
		return p.failed(c, err)
	}
	ctx := c.Request().Context()
	prev, err := p.svc.ResponseFor(ctx, l.inv.ID)
	switch {
	case errors.Is(err, survey.ErrNotFound):
		prev = nil
	case err != nil:
		return err
	case !p.editable(l.sv, prev):
		return p.message(c, http.StatusOK, l.L, l.ws.CompanyName, "msg.closed",
			"Date", formatDate(l.L, prev.CreatedAt, l.ws.Location()))
	}
	if err := p.svc.MarkOpened(ctx, l.inv); err != nil {
		c.Logger().Warn("mark opened", "err", err)
	}
	f := answerForm{Reason: ""}
	if prev != nil {
		f = answerForm{Score: prev.Score, HasScore: true, Comment: prev.Comment, Reason: prev.Reason}
	}
	preselected := false
	var linkScore *int
	if n, err := strconv.Atoi(c.QueryParam("score")); err == nil && n >= l.sv.MinScore() && n <= l.sv.MaxScore() {
		f.Score, f.HasScore, preselected = n, true, prev == nil
		linkScore = &n
	}
	if err := p.svc.LogVisit(ctx, l.inv, linkScore, c.Request().UserAgent(), c.RealIP()); err != nil {
		c.Logger().Warn("log visit", "err", err)
	}
	pg := p.surveyPage(c, l, f, prev)
	pg.Preselected = preselected
	return p.render(c, http.StatusOK, "survey", pg)
}
