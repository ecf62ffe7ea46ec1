package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildStamp is what the build recorded of where the binary came from.
type buildStamp struct {
	version  string // the module version, "(devel)" for a build in a checkout
	revision string // the VCS revision, "" when the build recorded none
	time     string // the revision's commit time
	modified bool   // built from a tree with uncommitted changes
}

func readBuildStamp() buildStamp {
	b := buildStamp{version: "(unknown)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.version = info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.revision = s.Value
		case "vcs.time":
			b.time = s.Value
		case "vcs.modified":
			b.modified = s.Value == "true"
		}
	}
	return b
}

// cmdVersion prints the module version, the source revision the binary was built from (with
// its time, and "modified" for a dirty tree) and the Go version, as far as the build recorded
// them.
func cmdVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		if isHelp(args[0]) {
			return helpText(commandHelp("version", nil, nil))
		}
		return errors.New("version takes no arguments")
	}
	b := readBuildStamp()
	var parts []string
	if b.revision != "" {
		parts = append(parts, "revision "+b.revision)
	}
	if b.time != "" {
		parts = append(parts, b.time)
	}
	if b.modified {
		parts = append(parts, "modified")
	}
	parts = append(parts, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	fmt.Fprintf(stdout, "surveyd %s (%s)\n", b.version, strings.Join(parts, ", "))
	return nil
}
