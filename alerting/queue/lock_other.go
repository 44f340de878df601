//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package queue

import "os"

// lockDir does nothing where flock is unavailable: the sensor runs on Linux,
// and elsewhere the queue is only used by tests.
func lockDir(dir string) (*os.File, error) { return nil, nil }
