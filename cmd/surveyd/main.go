// Command surveyd is the whole service in one binary: serve, demo, migrate and keys.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/surveyd/surveyd/internal/config"
)

const usage = `surveyd — customer-service surveys (CSAT, NPS, CES) with trustworthy scores.

Usage:
  surveyd [serve] [flags]          run the server (default)
  surveyd demo [flags]             seed a "Demo" workspace, print a key and live links, and serve
  surveyd migrate [flags]          apply database migrations and exit
  surveyd keys create --workspace NAME [--scope read|write|admin] [--name LABEL]
  surveyd keys list --workspace NAME
  surveyd keys revoke --workspace NAME ID|PREFIX
  surveyd integrations create --workspace NAME [--name LABEL]   a CRM's webhook signing secret
  surveyd integrations list|rotate|revoke --workspace NAME [ID] [--overlap 24h]
  surveyd rollups rebuild [--survey ID]   recount report rollups from responses (safe while serving)

Every flag can also be set through its environment variable:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	config.TuneRuntime(os.Getenv)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "surveyd:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, args, getenv, stderr)
	case "demo":
		return cmdDemo(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, args, getenv, stdout, stderr)
	case "keys":
		return cmdKeys(ctx, args, getenv, stdout, stderr)
	case "integrations":
		return cmdIntegrations(ctx, args, getenv, stdout, stderr)
	case "rollups":
		return cmdRollups(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		printUsage(stdout)
		return nil
	}
	printUsage(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	for _, s := range config.Settings() {
		fmt.Fprintf(w, "  %-26s %s (default %q)\n", s[0], s[2], s[1])
	}
}

// loadConfig parses the shared settings plus a command's own flags, registered by extra.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("surveyd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if extra != nil {
		extra(fs)
	}
	cfg, err := config.Load(fs, args, getenv)
	if err != nil {
		return nil, nil, err
	}
	return cfg, fs, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
