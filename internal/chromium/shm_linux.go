package chromium

import "syscall"

// devShmSize returns the size of the file system mounted on /dev/shm.
func devShmSize() (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil {
		return 0, false
	}
	return st.Blocks * uint64(st.Bsize), true
}
