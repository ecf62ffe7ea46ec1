package survey

import "time"

// Answer is one submission of a survey link's form as the respondent pages read it: what the
// customer answered, and how the answer arrived.
type Answer struct {
	Score         int
	Comment       string
	Reason        string
	Locale        string
	UserAgent     string
	IP            string
	Interacted    bool
	AutoConfirmed bool  // the page's script confirmed a choice made in the email
	RenderedAt    int64 // when the page was rendered, in Unix milliseconds, as the client sent it back
}

// NewResponse is the response an answer to inv makes now, for the Recorder: a first revision,
// with the signals the bias filters read and the flags they raise.
func (s *Service) NewResponse(sv *Survey, inv *Invitation, a Answer) *Response {
	now := s.now()
	r := &Response{
		ID: inv.ID, WorkspaceID: inv.WorkspaceID, SurveyID: sv.ID, InvitationID: inv.ID,
		Kind: sv.Kind, Points: sv.Points, Score: a.Score, Comment: a.Comment, Reason: a.Reason,
		Locale: a.Locale, Customer: inv.Customer, Interaction: inv.Interaction,
		Signals:  s.signals(inv, a, now),
		Revision: 1, CreatedAt: now, UpdatedAt: now,
	}
	r.Flags = flags(sv, inv, r)
	return r
}

// signals records how the answer arrived, for the bias filters.
func (s *Service) signals(inv *Invitation, a Answer, now time.Time) Signals {
	sig := Signals{
		SinceInviteSeconds: now.Sub(inv.CreatedAt).Seconds(),
		UAClass:            ClassifyUserAgent(a.UserAgent),
		IPHash:             s.hashIP(a.IP),
		Interacted:         a.Interacted,
		AutoConfirmed:      a.AutoConfirmed,
	}
	if a.RenderedAt > 0 {
		// The render time comes back from the client, so only a plausible value is kept.
		if d := now.Sub(time.UnixMilli(a.RenderedAt)).Seconds(); d >= 0 && d <= 7*24*3600 {
			sig.OnPageSeconds = &d
		}
	}
	return sig
}
