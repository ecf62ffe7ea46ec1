// Package browsertest starts Debian's headless Chromium for tests that look at pages and
// emails the way a customer's browser shows them.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// ShotsEnv names a directory where Screenshot keeps what the tests saw; unset, it keeps nothing.
const ShotsEnv = "SURVEYD_TEST_SCREENSHOTS"

// Start launches one browser for the test and returns its context; each tab is
// chromedp.NewContext of it. The browser ends with the test.
func Start(t *testing.T) context.Context {
	t.Helper()
	execPath := chromiumPath()
	if execPath == "" {
		// A developer machine without Chromium may skip; CI installs it, so there a
		// missing browser is a broken setup, not a reason to pass silently.
		if os.Getenv("CI") == "" {
			t.Skip("chromium not found in PATH (set CI to make this a failure)")
		}
		t.Fatal("chromium not found in PATH; CI must install it (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // containers and CI runners rarely allow the setuid sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	)
	// Cleanups run last-registered first: the browser exits before the temp profile
	// directory is removed, and before anything the test registered earlier.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// Start the browser with a context that has no timeout: the first Run binds the
	// browser's life to its context, and a subtest's deadline must only end its own tab.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start chromium %s: %v", execPath, err)
	}
	return browserCtx
}

// chromiumPath finds Debian's Chromium (or the name other distributions give it).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Viewport makes the tab a screen width CSS pixels wide: a touch phone below 600, else a
// desktop window; dark asks pages for their dark colour scheme.
func Viewport(width int64, dark bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		height := int64(900)
		if width < 600 {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
			height = 844
		}
		if _, err := chromedp.EmulateViewport(width, height, opts...)(ctx, tab); err != nil {
			return err
		}
		scheme := "light"
		if dark {
			scheme = "dark"
		}
		_, err := cdp.Call(ctx, tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

// Screenshot keeps a full-page PNG of the tab as name.png in the ShotsEnv directory, when
// that is set, so a person can look at what the test measured.
func Screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv(ShotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
