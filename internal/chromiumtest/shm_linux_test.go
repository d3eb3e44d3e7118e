package chromiumtest_test

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/clickguard/clickguard/internal/chromiumtest"
)

// TestStart_sharedMemory: a test's Chromium is told to keep its shared
// memory out of /dev/shm only when that is smaller than 512 MiB (see
// chromium.SharedMemory). Told so, Chromium makes its shared-memory files
// in TMPDIR, and under load can leave one there as it stops
// (TestStart_leavesNothing failed so, once in 25 runs beside the
// application's tests, until a large /dev/shm went without the flag).
func TestStart_sharedMemory(t *testing.T) {
	ctx := chromiumtest.Start(t)
	pid := chromedp.FromContext(ctx).Browser.Process().Pid
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatalf("the browser's command line: %v", err)
	}
	var st syscall.Statfs_t
	small := syscall.Statfs("/dev/shm", &st) == nil && st.Blocks*uint64(st.Bsize) < 512<<20
	if told := bytes.Contains(cmdline, []byte("--disable-dev-shm-usage")); told != small {
		t.Errorf("--disable-dev-shm-usage given: %v, want %v (/dev/shm of %d bytes)", told, small, st.Blocks*uint64(st.Bsize))
	}
}
