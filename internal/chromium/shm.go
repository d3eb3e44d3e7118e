package chromium

import "github.com/chromedp/chromedp"

// minDevShm is the size of /dev/shm below which Chromium is told not to use
// it: a container's default of 64 MiB can run out under a few browsers, and
// Chromium then crashes its pages.
const minDevShm = 512 << 20

// SharedMemory returns the option that keeps Chromium's shared memory out of
// a /dev/shm smaller than minDevShm (--disable-dev-shm-usage), or none
// where /dev/shm is larger or not found. With the option Chromium makes its
// shared-memory files in TMPDIR, unlinking each at once, and under load it
// can leave one there as it stops (measured with Chromium 148); without it,
// nothing of the kind.
func SharedMemory() []chromedp.ExecAllocatorOption {
	if size, ok := devShmSize(); ok && size < minDevShm {
		return []chromedp.ExecAllocatorOption{chromedp.Flag("disable-dev-shm-usage", true)}
	}
	return nil
}
