package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

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
	version, build := "(unknown)", []string{}
	if info, ok := debug.ReadBuildInfo(); ok {
		version = info.Main.Version
		vcs := map[string]string{}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
		if rev := vcs["vcs.revision"]; rev != "" {
			build = append(build, "revision "+rev)
		}
		if t := vcs["vcs.time"]; t != "" {
			build = append(build, t)
		}
		if vcs["vcs.modified"] == "true" {
			build = append(build, "modified")
		}
	}
	build = append(build, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	fmt.Fprintf(stdout, "surveyd %s (%s)\n", version, strings.Join(build, ", "))
	return nil
}
