package hardware

import (
	"fmt"
	"syscall"
)

// DiskSpace reports the free space of the filesystem holding dir, as
// statfs(2) gives it: Free counts the blocks an unprivileged process may
// still use (f_bavail), not the ones reserved for root.
func DiskSpace(dir string) (Disk, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return Disk{}, fmt.Errorf("disk: statfs %s: %w", dir, err)
	}
	bs := uint64(st.Bsize)
	return Disk{Dir: dir, Free: uint64(st.Bavail) * bs, Total: uint64(st.Blocks) * bs}, nil
}
