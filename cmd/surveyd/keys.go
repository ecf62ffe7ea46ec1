package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
)

// cmdKeys manages API keys: create (making the workspace if it is new), list and revoke.
func cmdKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("keys: say create, list or revoke")
	}
	sub, args := args[0], args[1:]
	var workspace, scope, name string
	cfg, fs, err := loadConfig("keys "+sub, args, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&workspace, "workspace", "", "workspace name (required)")
		fs.StringVar(&scope, "scope", "admin", "key scope for create: read, write or admin")
		fs.StringVar(&name, "name", "cli", "a label for the key, for create")
	})
	if err != nil {
		return err
	}
	if workspace == "" {
		return errors.New("keys: --workspace is required")
	}
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	// Workspaces are not links: the service needs no signer or salt to find or make one.
	svc := survey.NewService(st.DB, survey.Options{BaseURL: cfg.BaseURL})
	keys := apikey.NewStore(st.DB)

	switch sub {
	case "create":
		sc, err := apikey.ParseScope(scope)
		if err != nil {
			return fmt.Errorf("keys: --scope: %w", err)
		}
		ws, err := svc.WorkspaceByName(ctx, workspace)
		if errors.Is(err, survey.ErrNotFound) {
			ws = survey.NewWorkspace(workspace)
			if err = svc.CreateWorkspace(ctx, ws); err == nil {
				fmt.Fprintf(stderr, "created workspace %q (time zone %s, default locale %s)\n", ws.Name, ws.TimeZone, ws.DefaultLocale)
			}
		}
		if err != nil {
			return err
		}
		k, secret, err := keys.Create(ctx, ws.ID, name, sc)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "API key %s (%s scope) for workspace %q — shown this once, store it now:\n", k.ID.Hex(), k.Scope, ws.Name)
		fmt.Fprintln(stdout, secret)
		return nil
	case "list", "revoke":
		ws, err := svc.WorkspaceByName(ctx, workspace)
		if err != nil {
			return fmt.Errorf("keys: workspace %q: %w", workspace, err)
		}
		if sub == "revoke" {
			if fs.NArg() != 1 {
				return errors.New("keys revoke: name the key by its id or prefix")
			}
			if err := keys.Revoke(ctx, ws.ID, fs.Arg(0)); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
			return nil
		}
		list, err := keys.List(ctx, ws.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tSCOPE\tCREATED\tREVOKED")
		for _, k := range list {
			revoked := "-"
			if k.RevokedAt != nil {
				revoked = k.RevokedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID.Hex(), k.Prefix, k.Name, k.Scope, k.CreatedAt.Format("2006-01-02 15:04"), revoked)
		}
		return tw.Flush()
	}
	return fmt.Errorf("keys: unknown subcommand %q (create, list or revoke)", sub)
}
