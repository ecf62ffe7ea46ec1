package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
)

// TestMain doubles as a real surveyd instance when a test starts this binary as a child
// process (the crash tests need instances they can kill).
func TestMain(m *testing.M) {
	if os.Getenv("SURVEYD_TEST_CHILD") == "serve" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, []string{"serve"}, os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	storetest.Main(m)
}
