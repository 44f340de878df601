// Package sdr defines how IQ samples enter cellsentry: the Block every source
// produces, the Source interface that files, synthetic scenes, rtl_tcp and
// RTL-SDR dongles implement, and the sample formats those sources carry on
// the wire or on disk (cu8, ci8, ci16_le, cf32_le) with allocation-free
// decoders.
//
// Subpackages hold the sources themselves: sdr/sigmf reads and writes SigMF
// and raw recordings, sdr/sim renders synthetic RF scenes with ground truth.
package sdr
