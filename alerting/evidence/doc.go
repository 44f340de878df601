// Package evidence keeps the IQ heard around an alert's first bursts, so
// that a technician can replay exactly what the sensor heard.
//
// A Recorder is fed every block the pipeline sees (Write) and keeps the last
// few seconds in a ring. Capture asks for the IQ over [from, to): the part
// before the newest block comes from the ring (pre-trigger), the rest is
// collected from the blocks that follow (post-trigger). Once complete, the
// capture is written as a SigMF recording NAME.sigmf-meta/NAME.sigmf-data in
// the evidence directory, one SigMF capture segment per contiguous run of one
// hop center, each with its core:frequency and core:datetime.
//
// # Samples in memory
//
// The ring stores each sample as two int8 (I and Q, like the dongle's own 8
// bits) with one float32 scale per block:
//
//	scale = max(|I|, |Q| over the block) / 127,   q = round(x / scale) ∈ [−127, 127],
//
// so the error of a component is at most scale/2, half an 8-bit step of the
// block's own peak (an RTL-SDR never had more); NaN and ±Inf samples are
// stored as 0 and left out of the peak. Memory is fixed at New:
//
//	ring     = 2 bytes × Rate × Ring                 (3 s at 2.4 MS/s: 14.4 MB)
//	         + 88 bytes × (Rate × Ring / 1024 + 16)  (block records: 0.6 MB)
//	captures ≤ MaxPending × 2 bytes × Rate × MaxCapture, allocated by Capture
//	           while a capture is pending (a 1 s capture: 4.8 MB).
//
// Blocks smaller than 1024 samples on average fill the block records before
// the samples, and the ring then holds less time than Ring.
//
// # Off the block path
//
// Write only quantises the block into the ring and copies the part a pending
// capture wants into that capture's own buffer: bounded work, no allocation,
// no I/O. A single goroutine writes the finished captures to disk, so a slow
// SD card never stalls the pipeline; at most MaxPending captures wait, and
// Capture refuses more with ErrBusy rather than grow memory. Samples copied
// into a capture no longer depend on the ring, so the ring only needs to
// cover the pre-trigger.
//
// # On disk
//
// Recordings are written in Config.Datatype, ci16_le by default: 16 bits
// keep the ring's 8-bit precision for every block whose peak is above
// −48 dBFS (127/32768), below which a dongle has under one bit anyway; 4
// bytes a sample, 9.6 MB for one second at 2.4 MS/s. The global
// cellsentry:requested_from and cellsentry:requested_to fields record the
// interval asked for, and cellsentry:note says why the recording has less
// (pre-trigger older than the ring, cut at MaxCapture, rate change,
// shutdown). After each recording the oldest recordings are deleted until the
// directory's recordings fit in MaxBytes; the newest is always kept.
package evidence
