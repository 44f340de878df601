//go:build !unix

package main

import "time"

// processCPU is not measured here: the demo reports 0 % CPU.
func processCPU() time.Duration { return 0 }
