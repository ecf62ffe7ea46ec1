package mailer

import "github.com/surveyd/surveyd/survey"

var (
	_ Deliveries    = (*survey.Service)(nil)
	_ Previews      = (*survey.Service)(nil)
	_ BounceNotices = (*survey.Service)(nil)
	_ Unsubscribes  = (*survey.Service)(nil)
)
