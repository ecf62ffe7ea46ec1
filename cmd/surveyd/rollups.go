package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/surveyd/surveyd/internal/store"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/rollup"
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
	cfg, _, err := loadConfig("rollups rebuild", args[1:], getenv, func(fs *flag.FlagSet) {
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
	svc := survey.NewService(st.DB, survey.Options{BaseURL: cfg.BaseURL})
	release, err := st.Serve()
	if errors.Is(err, store.ErrServed) {
		fmt.Fprintln(stderr, "surveyd serves this data directory; asking it to rebuild")
		return followRebuild(ctx, svc, id, stdout, stderr)
	}
	if err != nil {
		return err
	}
	defer release()
	surveys, err := svc.RollupSurveys(ctx, id)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, sv := range surveys {
		fmt.Fprintf(stderr, "rebuilding %s %q\n", sv.ID.Hex(), sv.Name)
	}
	if err := svc.RebuildRollups(ctx, surveys, rollup.RebuildOptions{Progress: progressBar(stderr)}); err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	fmt.Fprintf(stdout, "rebuilt the rollups of %d surveys in %s\n", len(surveys), time.Since(start).Round(time.Millisecond))
	return nil
}

// rebuildPoll is how often followRebuild reads its request; rebuildLost is how long a
// running request's progress may stand still before the server doing it is taken to have
// stopped.
const (
	rebuildPoll = 500 * time.Millisecond
	rebuildLost = 2 * time.Minute
)

// followRebuild files a rebuild request with the server that serves the embedded store and
// shows its progress until it ends. Stopping the command does not stop the rebuild.
func followRebuild(ctx context.Context, svc *survey.Service, id bson.ObjectID, stdout, stderr io.Writer) error {
	reqID, err := svc.RequestRebuild(ctx, id)
	if err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	start := time.Now()
	bar := progressBar(stderr)
	var stage string
	var done int
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("rollups: stopped following; the server goes on with request %s: %w", reqID.Hex(), ctx.Err())
		case <-time.After(rebuildPoll):
		}
		req, err := svc.RebuildRequestByID(ctx, reqID)
		if err != nil {
			return fmt.Errorf("rollups: %w", err)
		}
		switch req.State {
		case rollup.RebuildDone:
			fmt.Fprintf(stdout, "rebuilt in %s by the serving process\n", time.Since(start).Round(time.Millisecond))
			return nil
		case rollup.RebuildFailed:
			return fmt.Errorf("rollups: the serving process failed to rebuild: %s", req.Error)
		case rollup.RebuildRunning:
			if time.Since(req.UpdatedAt) > rebuildLost {
				return fmt.Errorf("rollups: request %s has not moved for %s; did the server stop? It is retried when serve starts again", reqID.Hex(), rebuildLost)
			}
		}
		if req.Stage != "" && (req.Stage != stage || req.Done != done) {
			stage, done = req.Stage, req.Done
			bar(req.Stage, req.Done, req.Total)
		}
	}
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
