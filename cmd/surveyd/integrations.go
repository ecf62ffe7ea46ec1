package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/intake"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// cmdIntegrations manages the CRM integrations whose secrets sign interaction webhooks:
// create, list, rotate (with an overlap) and revoke.
func cmdIntegrations(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("integrations: say create, list, rotate or revoke")
	}
	sub, args := args[0], args[1:]
	var workspace, name string
	var overlap time.Duration
	cfg, fs, err := loadConfig("integrations "+sub, args, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&workspace, "workspace", "", "workspace name (required)")
		fs.StringVar(&name, "name", "CRM", "a label for the integration, for create")
		fs.DurationVar(&overlap, "overlap", 24*time.Hour, "for rotate: how long the old secret keeps working")
	})
	if err != nil {
		return err
	}
	if workspace == "" {
		return errors.New("integrations: --workspace is required")
	}
	if err := cfg.EnsureKeys(); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	core := survey.NewService(st.DB, survey.Options{BaseURL: cfg.BaseURL})
	svc := intake.NewService(st.DB, core, cfg.SecretKey)
	ws, err := core.WorkspaceByName(ctx, workspace)
	if err != nil {
		return fmt.Errorf("integrations: workspace %q: %w", workspace, err)
	}
	id := func() (bson.ObjectID, error) {
		if fs.NArg() != 1 {
			return bson.ObjectID{}, fmt.Errorf("integrations %s: name the integration by its id", sub)
		}
		return bson.ObjectIDFromHex(fs.Arg(0))
	}
	switch sub {
	case "create", "rotate":
		var in *intake.Integration
		if sub == "create" {
			in, err = svc.CreateIntegration(ctx, ws.ID, name)
		} else {
			var iid bson.ObjectID
			if iid, err = id(); err == nil {
				in, err = svc.RotateIntegration(ctx, ws.ID, iid, overlap)
			}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "integration %s (%q) — send its id as %s and sign with the secret, shown this once:\n", in.ID.Hex(), in.Name, intake.HeaderIntegration)
		fmt.Fprintln(stdout, in.Secret)
		return nil
	case "revoke":
		iid, err := id()
		if err != nil {
			return err
		}
		if err := svc.RevokeIntegration(ctx, ws.ID, iid); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", iid.Hex())
		return nil
	case "list":
		rows, err := svc.ListIntegrations(ctx, ws.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tVERSION\tCREATED\tREVOKED")
		for _, in := range rows {
			revoked := "-"
			if in.RevokedAt != nil {
				revoked = in.RevokedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", in.ID.Hex(), in.Name, in.Version, in.CreatedAt.Format("2006-01-02 15:04"), revoked)
		}
		return tw.Flush()
	}
	return fmt.Errorf("integrations: unknown subcommand %q (create, list, rotate or revoke)", sub)
}
