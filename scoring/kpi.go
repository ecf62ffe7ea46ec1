package scoring

import "time"

// LowResponseRate is the response rate, in percent, under which a group's score is marked
// as probably unrepresentative.
const LowResponseRate = 5

// ResponseRate is responded/delivered in percent. Unanswered invitations count; undelivered
// ones (bounced, failed) do not. ok is false when nothing was delivered.
func ResponseRate(responded, delivered int64) (rate float64, ok bool) {
	return percent(responded, delivered)
}

// RetentionRate is CRR = (CE − CN)/CS × 100 for CS customers at the start of the period, CE
// at the end and CN new during it. ok is false when CS ≤ 0.
func RetentionRate(start, end, acquired int64) (rate float64, ok bool) {
	return percent(end-acquired, start)
}

// ChurnRate is CCR = (CS − CE)/CS × 100 as SCORING.md defines it. It nets new customers
// against lost ones, so CRR + CCR is 100 only when CN = 0, and it is negative when the base
// grew. ok is false when CS ≤ 0.
func ChurnRate(start, end int64) (rate float64, ok bool) {
	return percent(start-end, start)
}

// FCRRate is the percentage of interactions resolved at first contact.
func FCRRate(resolvedFirstContact, interactions int64) (rate float64, ok bool) {
	return percent(resolvedFirstContact, interactions)
}

// TransferRate is the percentage of interactions transferred to another agent or team.
func TransferRate(transferred, interactions int64) (rate float64, ok bool) {
	return percent(transferred, interactions)
}

// AverageHandleTime is the total handle time divided by the number of interactions.
func AverageHandleTime(total time.Duration, interactions int64) (aht time.Duration, ok bool) {
	if interactions <= 0 {
		return 0, false
	}
	return total / time.Duration(interactions), true
}

func percent(part, whole int64) (float64, bool) {
	if whole <= 0 {
		return 0, false
	}
	return 100 * float64(part) / float64(whole), true
}
