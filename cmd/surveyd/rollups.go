package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/surveyd/surveyd/survey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// cmdRollups rebuilds report rollups from the stored invitations and responses: all surveys,
// or one. Reports keep being served from the current rollups until each survey's new ones
// are complete.
func cmdRollups(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rebuild" {
		return errors.New("rollups: say rebuild")
	}
	var only string
	cfg, _, err := loadConfig("rollups rebuild", args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&only, "survey", "", "rebuild only this survey (its id)")
	})
	if err != nil {
		return err
	}
	var id bson.ObjectID
	if only != "" {
		if id, err = bson.ObjectIDFromHex(only); err != nil {
			return fmt.Errorf("rollups: --survey %q is not a survey id", only)
		}
	}
	st, err := openStore(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	svc := survey.NewService(st.DB, nil, cfg.BaseURL, nil, nil)
	surveys, err := svc.RollupSurveys(ctx, id)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, sv := range surveys {
		fmt.Fprintf(stderr, "rebuilding %s %q\n", sv.ID.Hex(), sv.Name)
	}
	if err := svc.RebuildRollups(ctx, surveys, survey.RebuildOptions{Progress: progressBar(stderr)}); err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	fmt.Fprintf(stdout, "rebuilt the rollups of %d surveys in %s\n", len(surveys), time.Since(start).Round(time.Millisecond))
	return nil
}

// progressBar draws one line per stage, redrawn in place as it advances.
func progressBar(w io.Writer) func(stage string, done, total int) {
	return func(stage string, done, total int) {
		const width = 30
		filled := width
		if total > 0 {
			filled = width * done / total
		}
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = '.'
			if i < filled {
				bar[i] = '#'
			}
		}
		fmt.Fprintf(w, "\r  %-12s [%s] %d/%d", stage, bar, done, total)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}
