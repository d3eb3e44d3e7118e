package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromium"
)

// chromiumPath is Debian's Chromium, the browser the proof is made in.
const chromiumPath = "/usr/bin/chromium"

// suite is what every test of the binary shares: one browser (tabs are cheap,
// browsers are not), started by the first test that needs it, and the
// artifacts recorder. The browser fields are written once under start; the
// recorder locks itself.
var suite struct {
	start     sync.Once
	browser   context.Context // a chromedp context whose browser is running; nil when unavailable
	stop      context.CancelFunc
	unusable  string // why there is no browser
	artifacts *recorder
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := artifactsDir()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	suite.artifacts = newRecorder(dir)

	code := m.Run()
	if suite.stop != nil {
		suite.stop()
	}
	if err := suite.artifacts.writeIndex(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: write artifacts index: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// startBrowser launches one headless Chromium with a fresh profile. The
// returned context owns the browser; cancel stops it and removes the profile.
func startBrowser(parent context.Context) (context.Context, context.CancelFunc, error) {
	profile, err := os.MkdirTemp("", "clickguard-e2e-profile-")
	if err != nil {
		return nil, nil, fmt.Errorf("profile dir: %w", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the suite runs as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// A tab's error page stays as it committed (Chromium would reload it).
		chromedp.Flag("disable-auto-reload", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(profile),
	}
	opts = append(opts, chromium.SharedMemory()...)
	actx, acancel := chromedp.NewExecAllocator(parent, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	cancel := func() {
		chromium.Close(bctx)
		bcancel()
		acancel()
		if err := chromium.RemoveProfile(profile); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: remove Chromium's profile: %v\n", err)
		}
	}
	// The first Do on the context starts the browser and binds its life to
	// the context passed to it, so it gets bctx itself, with no deadline.
	if err := chromedp.Do(bctx); err != nil {
		cancel()
		return nil, nil, err
	}
	return bctx, cancel, nil
}

// needBrowser returns the shared browser context, or skips the test with the
// reason, or fails it when CLICKGUARD_REQUIRE_ALL=1 says nothing may be skipped.
func needBrowser(t *testing.T) context.Context {
	t.Helper()
	suite.start.Do(func() {
		if _, err := os.Stat(chromiumPath); err != nil {
			suite.unusable = fmt.Sprintf("Chromium not found at %s (apt-get install chromium): %v", chromiumPath, err)
			return
		}
		// The browser outlives every test, so its context is the
		// binary's root, not a test's; runMain stops it.
		ctx, cancel, err := startBrowser(context.WithoutCancel(t.Context()))
		if err != nil {
			suite.unusable = fmt.Sprintf("Chromium at %s did not start: %v", chromiumPath, err)
			return
		}
		suite.browser, suite.stop = ctx, cancel
	})
	if suite.browser != nil {
		return suite.browser
	}
	if os.Getenv("CLICKGUARD_REQUIRE_ALL") == "1" {
		t.Fatalf("browser proof required (CLICKGUARD_REQUIRE_ALL=1) but unavailable: %s", suite.unusable)
	}
	t.Skipf("skipping the browser proof: %s", suite.unusable)
	return nil
}

// newTab opens a tab in the shared browser, in the default browser context
// (the one the victim is signed in to), closed when the test ends. Every
// action in it is bounded so that a hung page fails the test instead of the
// whole binary; verdicts never depend on this deadline.
func newTab(t *testing.T, browser context.Context, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, opts...)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	ctx, tcancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(tcancel)
	return ctx
}

// artifactsDir returns CLICKGUARD_E2E_ARTIFACTS or e2e-artifacts at the
// module root, created empty of old screenshots.
func artifactsDir() (string, error) {
	dir := os.Getenv("CLICKGUARD_E2E_ARTIFACTS")
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return "", fmt.Errorf("cannot locate the module root")
		}
		dir = filepath.Join(filepath.Dir(filepath.Dir(file)), "e2e-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("artifacts dir: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	old = append(old, filepath.Join(dir, "index.html"))
	for _, f := range old {
		os.Remove(f)
	}
	return dir, nil
}
