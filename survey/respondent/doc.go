// Package respondent serves the customer's side of a survey: GET /s/{token} shows the survey
// (show.go), POST /s/{token} records the answer (answer.go), /s/{token}/thanks thanks the
// customer and offers a reason and a comment (thanks.go), in the customer's language.
//
// It imports the survey core — links, invitations, the answer Recorder — and templates; the
// core never imports it. cmd/surveyd registers its routes with the public rate and body limits.
package respondent
