//go:build !linux

package chromium

// devShmSize reports no /dev/shm: Chromium uses one on Linux only.
func devShmSize() (uint64, bool) { return 0, false }
