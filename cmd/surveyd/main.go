// Command surveyd is the whole service in one binary: serve, demo, migrate, keys, integrations,
// rollups, healthcheck and version.
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
	"slices"
	"strings"
	"syscall"

	"github.com/surveyd/surveyd/internal/config"
)

// command is one of surveyd's commands as help shows it. name is the one loadConfig is given;
// settings are the SURVEYD_* settings its help lists, nil for all of them.
type command struct {
	name, synopsis, does string
	settings             []string
}

var (
	storeSettings       = []string{"SURVEYD_DATA_DIR", "SURVEYD_MONGODB_URI", "SURVEYD_MONGODB_DATABASE"}
	integrationSettings = append(slices.Clip(storeSettings), "SURVEYD_SECRET_KEY")
)

var commands = []command{
	{"serve", "surveyd [serve] [flags]", "run the server (the default command)", nil},
	{"demo", "surveyd demo [flags]", `seed a "Demo" workspace, print a key and live links, and serve`, nil},
	{"migrate", "surveyd migrate [flags]", "apply database migrations and exit", append(slices.Clip(storeSettings), "SURVEYD_LOG_LEVEL")},
	{"keys create", "surveyd keys create --workspace NAME [--scope read|write|admin] [--name LABEL]", "create an API key, and the workspace if it is new", storeSettings},
	{"keys list", "surveyd keys list --workspace NAME", "list a workspace's API keys", storeSettings},
	{"keys revoke", "surveyd keys revoke --workspace NAME ID|PREFIX", "revoke an API key", storeSettings},
	{"integrations create", "surveyd integrations create --workspace NAME [--name LABEL]", "create a CRM integration and print the secret that signs its webhooks", integrationSettings},
	{"integrations list", "surveyd integrations list --workspace NAME", "list a workspace's CRM integrations", integrationSettings},
	{"integrations rotate", "surveyd integrations rotate --workspace NAME [--overlap 24h] ID", "give an integration a new secret; the old one keeps working for the overlap", integrationSettings},
	{"integrations revoke", "surveyd integrations revoke --workspace NAME ID", "revoke a CRM integration", integrationSettings},
	{"rollups rebuild", "surveyd rollups rebuild [--survey ID]", "recount report rollups from responses (safe while serving)", storeSettings},
	{"healthcheck", "surveyd healthcheck", "exit 0 if the server on SURVEYD_ADDR is ready (for container healthchecks)", []string{"SURVEYD_ADDR"}},
	{"version", "surveyd version", "print this build's version, source revision and Go version", []string{}},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	config.TuneRuntime(os.Getenv)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "surveyd:", err)
		os.Exit(1)
	}
}

// helpText is a command's answer to -h or --help. A command returns it as an error because it
// stops there as on one; run prints it on stdout and succeeds.
type helpText string

func (h helpText) Error() string { return string(h) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, getenv, stdout, stderr)
	var help helpText
	if errors.As(err, &help) {
		fmt.Fprint(stdout, help)
		return nil
	}
	return err
}

func runCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		return helpText(overview())
	}
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if len(args) > 0 && isHelp(args[0]) && slices.ContainsFunc(commands, func(c command) bool { return strings.HasPrefix(c.name, cmd+" ") }) {
		return helpText(groupHelp(cmd))
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
		return cmdHealthcheck(ctx, args, getenv, stdout)
	case "version":
		return cmdVersion(args, stdout)
	case "help":
		if len(args) == 0 {
			return helpText(overview())
		}
		return runCommand(ctx, append(slices.Clip(args), "--help"), getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q; `surveyd --help` lists them", cmd)
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

// overview is `surveyd help`: every command, then every setting.
func overview() string {
	var b strings.Builder
	b.WriteString("surveyd — customer-service surveys (CSAT, NPS, CES) with trustworthy scores.\n\nUsage:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %s\n        %s\n", c.synopsis, c.does)
	}
	b.WriteString("\n`surveyd COMMAND --help` shows a command's own flags. Every flag can also be set through its\nenvironment variable:\n")
	for _, s := range config.Settings() {
		fmt.Fprintf(&b, "  %-26s %s (default %q)\n", s.Env, s.Usage, s.Default)
	}
	return b.String()
}

// groupHelp lists the commands of a group such as keys.
func groupHelp(group string) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(&b, "  %s\n        %s\n", c.synopsis, c.does)
		}
	}
	fmt.Fprintf(&b, "\n`surveyd %s COMMAND --help` shows a command's flags.\n", group)
	return b.String()
}

// commandHelp is a command's --help: how to call it, its own flags (named by own, registered
// on fs), and the settings it reads, without the values the environment gives them.
func commandHelp(name string, fs *flag.FlagSet, own []string) string {
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		return groupHelp(strings.Fields(name)[0])
	}
	c := commands[i]
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s.\n", c.synopsis, strings.ToUpper(c.does[:1])+c.does[1:])
	if len(own) > 0 {
		b.WriteString("\nFlags:\n")
		for _, name := range own {
			f := fs.Lookup(name)
			kind, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(&b, "  --%s %s\n        %s%s\n", f.Name, kind, usage, defaultNote(f.DefValue, kind == "string"))
		}
	}
	if c.settings != nil && len(c.settings) == 0 {
		return b.String()
	}
	b.WriteString("\nSettings, each a flag or its environment variable:\n")
	for _, s := range config.Settings() {
		if c.settings == nil || slices.Contains(c.settings, s.Env) {
			fmt.Fprintf(&b, "  --%s string, or %s\n        %s%s\n", s.Flag, s.Env, s.Usage, defaultNote(s.Default, true))
		}
	}
	if c.settings != nil {
		b.WriteString("\nThe other settings of `surveyd serve --help` are accepted, and checked, too.\n")
	}
	return b.String()
}

func defaultNote(def string, quote bool) string {
	switch {
	case def == "":
		return ""
	case quote:
		return fmt.Sprintf(" (default %q)", def)
	}
	return " (default " + def + ")"
}

// loadConfig parses the shared settings plus a command's own flags, registered by extra.
// -h or --help answers with the command's help.
func loadConfig(name string, args []string, getenv func(string) string, extra func(*flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("surveyd "+name, flag.ContinueOnError)
	// Errors are returned, and help is printed by run, so the flag package prints neither.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var own []string
	if extra != nil {
		extra(fs)
		fs.VisitAll(func(f *flag.Flag) { own = append(own, f.Name) })
	}
	cfg, err := config.Load(fs, args, getenv)
	var bad *config.Error
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, nil, helpText(commandHelp(name, fs, own))
	case err != nil && !errors.As(err, &bad):
		return nil, nil, fmt.Errorf("%w; `surveyd %s --help` shows its flags", err, name)
	case err != nil:
		return nil, nil, err
	}
	return cfg, fs, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
