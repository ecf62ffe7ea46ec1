package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthcheckTimeout is how long `surveyd healthcheck` waits for an answer: well inside the
// compose file's healthcheck timeout, so a hung server reads as unhealthy, not as a timeout.
const healthcheckTimeout = 3 * time.Second

// cmdHealthcheck asks the server listening on SURVEYD_ADDR in this container whether it is
// ready, for Docker's healthcheck: the image has no shell or curl. It succeeds on a 200 from
// /readyz, and otherwise returns one line saying what it got.
func cmdHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, _, err := loadConfig("healthcheck", args, getenv, nil)
	if err != nil {
		return err
	}
	target, err := readyURL(cfg.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s: %s: %s", target, res.Status, strings.Join(strings.Fields(string(body)), " "))
	}
	fmt.Fprintln(stdout, "ready")
	return nil
}

// readyURL is the readiness endpoint of a server listening on addr, reached over loopback
// when it listens on every interface.
func readyURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: SURVEYD_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}
