// Package intake is the CRM intake: the integrations whose derived secrets sign a CRM's
// webhooks (rotation, revocation and the Surveyd-Signature check), the signed interaction
// webhook with its idempotency on event_id, and the rules (with their store) that decide which
// survey an interaction gets and when: delay, sampling, quiet hours, contact frequency and
// suppression.
//
// It imports survey, the core, whose Service creates the invitations the rules decide and
// keeps the rollups of them; survey never imports intake. cmd/surveyd wires it, the mailer
// checks its bounce notices' signatures with it, and survey/demo seeds through Demo.
package intake
