//go:build !linux

package hardware

import "fmt"

// DiskSpace is not implemented off Linux: the sensor runs on Linux only.
func DiskSpace(dir string) (Disk, error) {
	return Disk{}, fmt.Errorf("disk: %s: %w", dir, ErrUnavailable)
}
