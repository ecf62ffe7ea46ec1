package main

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
)

// --help answers with the command's own usage on stdout and succeeds, without opening the
// store: an admin command lists its own flags and the store's settings, not every server flag.
func TestHelp(t *testing.T) {
	tests := map[string]struct {
		args         []string
		want, absent []string
	}{
		"surveyd --help":            {[]string{"--help"}, []string{"Usage:", "surveyd keys create", "surveyd version", "SURVEYD_ADDR"}, nil},
		"surveyd -h":                {[]string{"-h"}, []string{"Usage:", "surveyd rollups rebuild"}, nil},
		"surveyd help":              {[]string{"help"}, []string{"Usage:", "surveyd migrate"}, nil},
		"surveyd serve --help":      {[]string{"serve", "--help"}, []string{"surveyd [serve]", "--addr", "SURVEYD_SMTP_URL"}, []string{"--workspace"}},
		"surveyd demo -h":           {[]string{"demo", "-h"}, []string{"surveyd demo", "--responses", "--addr"}, []string{"--workspace"}},
		"surveyd migrate --help":    {[]string{"migrate", "--help"}, []string{"surveyd migrate", "--mongodb-uri"}, []string{"--workspace"}},
		"surveyd keys --help":       {[]string{"keys", "--help"}, []string{"surveyd keys create", "surveyd keys list", "surveyd keys revoke"}, []string{"surveyd integrations", "--addr"}},
		"surveyd keys create -h":    {[]string{"keys", "create", "-h"}, []string{"surveyd keys create", "--workspace", "--scope", "--data-dir", "SURVEYD_MONGODB_URI"}, []string{"--addr", "--smtp-url", "--responses"}},
		"surveyd keys list --help":  {[]string{"keys", "list", "--workspace", "Acme", "--help"}, []string{"surveyd keys list", "--workspace"}, []string{"--addr"}},
		"surveyd integrations -h":   {[]string{"integrations", "-h"}, []string{"surveyd integrations create", "surveyd integrations rotate"}, []string{"surveyd keys"}},
		"integrations rotate -h":    {[]string{"integrations", "rotate", "-h"}, []string{"surveyd integrations rotate", "--overlap", "SURVEYD_SECRET_KEY"}, []string{"--addr"}},
		"surveyd rollups --help":    {[]string{"rollups", "--help"}, []string{"surveyd rollups rebuild"}, nil},
		"rollups rebuild --help":    {[]string{"rollups", "rebuild", "--help"}, []string{"surveyd rollups rebuild", "--survey"}, []string{"--addr"}},
		"surveyd help keys create":  {[]string{"help", "keys", "create"}, []string{"surveyd keys create", "--workspace"}, []string{"--addr"}},
		"surveyd version --help":    {[]string{"version", "--help"}, []string{"surveyd version"}, []string{"--addr"}},
		"surveyd help rollups":      {[]string{"help", "rollups"}, []string{"surveyd rollups rebuild"}, []string{"surveyd keys"}},
		"help with a flag set once": {[]string{"serve", "--addr", ":9999", "-help"}, []string{"surveyd [serve]"}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, func(k string) string {
				if k == "SURVEYD_DATA_DIR" {
					return dir
				}
				return ""
			}, &out, &errOut)
			if err != nil {
				t.Fatalf("run %v = %v, want success; stderr: %s", tc.args, err, errOut.String())
			}
			if errOut.Len() > 0 {
				t.Errorf("stderr: %s", errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("help lacks %q:\n%s", w, out.String())
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out.String(), a) {
					t.Errorf("help has %q:\n%s", a, out.String())
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("help touched the data dir: %v", entries)
			}
		})
	}
}

// A mistyped command or flag still fails, and says how to get help.
func TestHelpOnMistakes(t *testing.T) {
	for _, args := range [][]string{{"serve", "--nope"}, {"keys", "create", "--nope"}, {"frobnicate"}, {"help", "frobnicate"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
		if err == nil {
			t.Errorf("run %v succeeded", args)
			continue
		}
		if !strings.Contains(errOut.String()+err.Error(), "--help") {
			t.Errorf("run %v: %v, stderr %q: no hint of --help", args, err, errOut.String())
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.HasPrefix(s, "surveyd ") || !strings.Contains(s, runtime.Version()) {
		t.Errorf("version printed %q", s)
	}
}
