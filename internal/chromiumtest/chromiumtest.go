// Package chromiumtest finds the Chromium that clickguard's browser tests
// drive, and applies the project's rule for tests that need it: skip with a
// clear message where it is missing, fail instead under
// CLICKGUARD_REQUIRE_ALL=1, as CI runs them.
package chromiumtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/animation"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromium"
)

// Path is where the tests expect Chromium: Debian's chromium package, which
// .ci/run installs.
const Path = "/usr/bin/chromium"

// Require returns Path when Chromium is installed there. Otherwise it skips
// t, or fails it when CLICKGUARD_REQUIRE_ALL=1 says nothing may be skipped.
func Require(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		unavailable(t, "Chromium not found at %s (apt-get install chromium): %v", Path, err)
	}
	return Path
}

// Start starts a headless Chromium for t, with a fresh profile and the
// options given after the common ones (headless, no sandbox, as root in CI
// containers, no GPU, no first-run or background traffic), and returns the
// context of its first tab; when t ends, it is closed and its profile
// removed (see package chromium). Downloads are refused. When Chromium is
// missing or does not start, t is skipped, or fails under
// CLICKGUARD_REQUIRE_ALL=1.
func Start(t testing.TB, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := Require(t)
	profile, err := os.MkdirTemp("", "clickguard-chromium-")
	if err != nil {
		t.Fatalf("Chromium's profile: %v", err)
	}
	flags := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		// A tab's error page stays as it committed: Chromium would reload
		// it after a second, under a test that is still reading it.
		chromedp.Flag("disable-auto-reload", true),
	}, chromium.SharedMemory()...)
	flags = append(flags, opts...)
	// Not t.Context(), which ends before the cleanup runs and would kill
	// the browser instead of letting chromium.Close close it.
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), flags...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		chromium.Close(ctx)
		cancel()
		cancelAlloc()
		if err := chromium.RemoveProfile(profile); err != nil {
			t.Errorf("remove Chromium's profile: %v", err)
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		unavailable(t, "Chromium at %s did not start: %v", path, err)
	}
	// A page the tests load may be a download (Content-Disposition:
	// attachment, a type Chromium does not render): refused, and what
	// Chromium writes while it refuses one stays in the profile, so that no
	// test leaves a file in the user's Downloads directory.
	downloads := filepath.Join(profile, "Downloads")
	if err := os.Mkdir(downloads, 0o700); err != nil {
		t.Fatalf("Chromium's downloads directory: %v", err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorDeny, DownloadPath: downloads,
	}); err != nil {
		t.Fatalf("deny Chromium's downloads: %v", err)
	}
	return ctx
}

// IsolateFiles points the home, configuration and temporary directories
// of the browsers t starts next at fresh directories of t, with an empty
// Downloads directory where Chromium looks for it, and returns the home,
// the Downloads and the temporary directory, so that a test can check what
// a browser left there (see RequireEmpty). It uses t.Setenv: t and its
// parents must not be parallel.
func IsolateFiles(t *testing.T) (home, downloads, tmp string) {
	t.Helper()
	home, tmp = t.TempDir(), t.TempDir()
	// Chromium finds the Downloads directory from these when it starts.
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("TMPDIR", tmp) // where Start makes the profile
	downloads = filepath.Join(home, "Downloads")
	if err := os.Mkdir(downloads, 0o700); err != nil {
		t.Fatal(err)
	}
	return home, downloads, tmp
}

// RequireEmpty fails t for every entry left in each of dirs.
func RequireEmpty(t testing.TB, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		left, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range left {
			t.Errorf("left behind in %s: %s", dir, e.Name())
		}
	}
}

// HoldAnimations stops the clock of the document timeline in tab, for the
// pages it loads from then on, so that their animations wait at their start
// however long a loaded machine takes between a page's load and a test's
// next look (a one-second animation would otherwise be over, and gone from
// document.getAnimations(), before the test could see it).
func HoldAnimations(tab context.Context) error {
	if _, err := chromedp.Call(tab, animation.Enable, cdp.Empty{}); err != nil {
		return fmt.Errorf("enable the Animation domain: %w", err)
	}
	if _, err := chromedp.Call(tab, animation.SetPlaybackRate, animation.SetPlaybackRateParams{PlaybackRate: 0}); err != nil {
		return fmt.Errorf("stop the animations' clock: %w", err)
	}
	return nil
}

// unavailable skips t, or fails it under CLICKGUARD_REQUIRE_ALL=1.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CLICKGUARD_REQUIRE_ALL") == "1" {
		t.Fatalf("Chromium is required (CLICKGUARD_REQUIRE_ALL=1): "+format, args...)
	}
	t.Skipf(format, args...)
}
