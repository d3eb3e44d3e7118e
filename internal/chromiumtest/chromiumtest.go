// Package chromiumtest finds the Chromium that clickguard's browser tests
// drive, and applies the project's rule for tests that need it: skip with a
// clear message where it is missing, fail instead under
// CLICKGUARD_REQUIRE_ALL=1, as CI runs them.
package chromiumtest

import (
	"os"
	"testing"
)

// Path is where the tests expect Chromium: Debian's chromium package, which
// .ci/run installs.
const Path = "/usr/bin/chromium"

// Require returns Path when Chromium is installed there. Otherwise it skips
// t, or fails it when CLICKGUARD_REQUIRE_ALL=1 says nothing may be skipped.
func Require(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		if os.Getenv("CLICKGUARD_REQUIRE_ALL") == "1" {
			t.Fatalf("Chromium is required (CLICKGUARD_REQUIRE_ALL=1) but not found at %s: %v", Path, err)
		}
		t.Skipf("Chromium not found at %s (apt-get install chromium): %v", Path, err)
	}
	return Path
}
