package mailer

import (
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/intake"
)

var (
	_ Deliveries    = (*survey.Service)(nil)
	_ Previews      = (*survey.Service)(nil)
	_ BounceNotices = (*survey.Service)(nil)
	_ SignedNotices = (*intake.Service)(nil)
	_ Unsubscribes  = (*survey.Service)(nil)
)
