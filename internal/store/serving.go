package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrServed says another process serves the embedded store's files.
var ErrServed = errors.New("store: another surveyd process serves this data directory")

// Serve marks the embedded store as served by this process until release is called (or the
// process ends), and fails with ErrServed when another process serves it. Rollups are
// written by read, merge and write, which the embedded store cannot make safe between
// processes, so one process serves it, and admin commands that write rollups ask that one
// to do it. On MongoDB, which any number of instances share, it always succeeds.
func (s *Store) Serve() (release func(), err error) {
	if !s.Embedded {
		return func() {}, nil
	}
	f, err := os.OpenFile(filepath.Join(s.embeddedDir, "serving.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: serving lock: %w", err)
	}
	// An flock is the process's while it lives: a crashed server leaves no stale lock.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrServed
		}
		return nil, fmt.Errorf("store: serving lock: %w", err)
	}
	return func() { f.Close() }, nil
}
