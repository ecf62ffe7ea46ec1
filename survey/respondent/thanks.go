package respondent

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/survey"
)

// thanks is GET /s/{token}/thanks: the answer as recorded, and, while it can still change, a
// reason and a comment it lacks and a way back to change it.
func (p *Pages) thanks(c *echo.Context) error {
	l, err := p.load(c)
	if err != nil {
		return p.failed(c, err)
	}
	r, err := p.svc.ResponseFor(c.Request().Context(), l.inv.ID)
	if errors.Is(err, survey.ErrNotFound) {
		return c.Redirect(http.StatusSeeOther, "/s/"+l.token+"?lang="+l.L.Lang)
	}
	if err != nil {
		return err
	}
	editable := p.editable(l.sv, r)
	pg := p.basePage(c, l)
	pg.ThankYou = l.sv.ThankYou.In(l.L.Lang)
	pg.Answer = answerLabel(l.L, l.sv, r.Score)
	pg.Score, pg.Reason, pg.Comment = r.Score, r.Reason, r.Comment
	pg.CommentPrompt = p.commentPrompt(l)
	pg.CommentMax = MaxComment
	pg.AskComment = editable && r.Comment == ""
	if editable && r.Reason == "" {
		pg.Reasons, pg.NoReason = reasonChoices(l.L, l.sv, ""), true
	}
	pg.MoreSaved = c.QueryParam("saved") == "more"
	if editable {
		pg.ChangeURL = "/s/" + l.token + "?lang=" + l.L.Lang
	}
	return p.render(c, http.StatusOK, "thanks", pg)
}
