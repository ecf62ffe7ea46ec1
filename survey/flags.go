package survey

import (
	"strings"

	"github.com/surveyd/surveyd/scoring"
)

// flags evaluates the bias filters on an answer as it is written (SCORING.md, "Bias
// filters"). Every response keeps its flags with their evidence; reports decide which exclude.
func flags(sv *Survey, inv *Invitation, r *Response) []scoring.Flag {
	f := scoring.Facts{
		Metric: scoring.Metric(sv.Kind), Points: sv.Points, Score: r.Score, Comment: r.Comment, Lang: r.Locale,
		SentAt: inv.SentAt, AnsweredAt: r.UpdatedAt, OccurredAt: inv.Interaction.OccurredAt,
		UAClass: r.Signals.UAClass, Interacted: r.Signals.Interacted, AutoConfirmed: r.Signals.AutoConfirmed,
	}
	for _, reason := range sv.Reasons {
		if reason.Code == r.Reason {
			f.ReasonAbout = strings.ToLower(reason.About)
		}
	}
	for _, v := range inv.Visits {
		f.Visits = append(f.Visits, scoring.Visit{At: v.At, Score: v.Score, UAClass: v.UAClass})
	}
	return scoring.Evaluate(f, scoring.DefaultFlagRules(), scoring.DefaultLexicon())
}
