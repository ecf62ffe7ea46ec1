package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/surveyd/surveyd/survey/apikey"
	"github.com/surveyd/surveyd/survey/demo"
	"github.com/surveyd/surveyd/survey/intake"
)

// cmdDemo seeds the demo workspace (once), prints a fresh API key and a live link per
// survey, and serves.
func cmdDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var responses, days int
	cfg, _, err := loadConfig("demo", args, getenv, func(fs *flag.FlagSet) {
		fs.IntVar(&responses, "responses", 2500, "about how many responses to seed on the first run")
		fs.IntVar(&days, "days", 90, "spread the seeded history over this many days")
	})
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	a, err := initApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()

	fmt.Fprintln(stderr, "seeding the demo workspace…")
	seeded, err := demo.Seed(ctx, demo.Services{Core: a.svc, Intake: a.intake, Benchmarks: a.benchmarks, Targets: a.targets, Counts: a.counts},
		demo.Options{Responses: responses, Days: days, Catalog: a.catalog, Progress: progressBar(stderr)})
	if err != nil {
		return err
	}
	if !seeded.Seeded {
		fmt.Fprintln(stderr, "  already seeded; nothing added")
	}
	// The key is shown once, so each run makes a new one and retires the previous demo keys.
	if err := a.keys.RevokeNamed(ctx, seeded.Workspace.ID, "demo"); err != nil {
		return err
	}
	_, secret, err := a.keys.Create(ctx, seeded.Workspace.ID, "demo", apikey.ScopeAdmin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nDemo workspace %q is ready.\n\nAPI key (admin):\n  %s\n\nTry it:\n", seeded.Workspace.Name, secret)
	fmt.Fprintf(stdout, "  curl -H 'Authorization: Bearer %s' %s/api/v1/surveys\n\nLive survey links:\n", secret, cfg.BaseURL)
	for _, l := range seeded.Links {
		fmt.Fprintf(stdout, "  %-18s %s\n", l.Survey, l.Link)
	}
	fmt.Fprintln(stdout, "\nAdd ?lang=vi or ?lang=en to a link to pick the language.")
	in := seeded.Integration
	fmt.Fprintf(stdout, `
A CRM webhook (a rule sends chats and emails the Support CSAT; quiet hours 21:00-08:00 %s):
  BODY='{"event_id":"demo-'"$RANDOM"'","interaction":{"channel":"chat","agent":"Nguyễn Thu An","team":"Billing","country":"VN"},"customer":{"email":"you@example.com","name":"You","locale":"vi"}}'
  TS=$(date +%%s); SIG=$(printf '%%s.%%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac '%s' | sed 's/^.* //')
  curl -s -H 'Content-Type: application/json' -H '%s: %s' -H "%s: t=$TS,v1=$SIG" -d "$BODY" %s/api/v1/webhooks/interactions
`, seeded.Workspace.TimeZone, in.Secret, intake.HeaderIntegration, in.ID.Hex(), intake.HeaderSignature, cfg.BaseURL)
	if cfg.SMTPURL == "" {
		fmt.Fprintf(stdout, "Emails go to %s/mail/*.eml (no SURVEYD_SMTP_URL set); each survey link is also logged.\n", cfg.DataDir)
	}
	fmt.Fprintln(stdout, "\nCtrl-C stops the server.")
	return a.serve(ctx, nil)
}
