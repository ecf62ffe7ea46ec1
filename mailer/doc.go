// Package mailer sends surveyd's survey emails: it renders them from templates/ (the preview
// API renders through the same path), sends them over SMTP (or to .eml files when no SMTP
// server is configured), keeps the unsubscribe pages and the suppression list, and takes the
// sending provider's bounce notices, an inbound webhook. Emails wait in the durable outbox
// (mailer/outbox), which Mailer delivers for; the outgoing CRM webhooks are mailer/webhook's.
// It imports survey (through the small interfaces in surveys.go, which *survey.Service
// implements), mailer/outbox and templates; cmd/surveyd wires it.
package mailer
