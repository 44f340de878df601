// Package sigmf reads and writes IQ recordings: SigMF 1.x recordings (a
// .sigmf-meta JSON file beside a .sigmf-data sample file) and raw sample
// files as rtl_sdr, rtl_433 and gqrx write them (.cu8 .cs8 .cs16 .cf32 .bin
// .raw .cfile).
//
// Recordings are how cellsentry is tested and tuned without a dongle: the
// synthesiser writes scenes through a Writer, technicians record real wings
// with the same Writer, and the detector replays both through a Reader, which
// is an sdr.Source.
//
// # Reading
//
// Open accepts a prefix, either file of a SigMF pair, or a raw file whose
// name carries its frequency and rate the way rtl_433 names them
// ("g001_902M_2400k.cu8"); OpenRaw takes the missing facts explicitly.
// A Reader streams: it holds one fixed read buffer whatever the file size,
// allocates nothing per ReadBlock, and never delivers a block that crosses a
// capture boundary, so that every block has one center frequency and a
// continuous time base.
//
// Block times come from the capture's core:datetime plus the sample offset
// divided by the sample rate. A capture without a datetime continues the
// previous capture's clock (it is assumed contiguous); when no capture has a
// datetime the clock starts at the Unix epoch, time.Unix(0, 0).UTC(), never
// at Go's zero time, so that durations and offsets stay printable and
// comparable.
//
// # SigMF details
//
// Supported datatypes are cu8, ci8, ci16_le and cf32_le (sdr.Format). Real
// (r…) and big-endian 16/32-bit types, and core:num_channels other than 1,
// are rejected with an error wrapping ErrUnsupported. Non-Conforming Datasets
// are read: core:dataset names the data file, core:header_bytes skips a
// header before a capture's samples, core:trailing_bytes ignores a footer.
// core:sample_start is an index in the data file; when core:offset is set and
// every capture starts at or after it, indices are taken as absolute (the
// spec's rule) and core:offset is subtracted. Samples before the first
// capture are not delivered.
//
// cellsentry's own global fields live in the "cellsentry" extension
// namespace, declared in core:extensions as the SigMF spec requires:
// cellsentry:gain_db (tuner gain, dB) and cellsentry:ppm (crystal correction
// applied, parts per million). Zero means unknown for both and is not
// written: rtl_sdr itself uses gain 0 for "automatic".
//
// Core fields the package does not model (core:sha512, core:license,
// core:geolocation, …) and other namespaces are kept in Meta.Extra and
// Capture.Extra and written back; annotations are kept as they are.
//
// # Bad input
//
// Every error names the file and the field or byte offset at fault. Callers
// branch with errors.Is on ErrBadMeta (malformed or inconsistent metadata),
// ErrUnsupported (valid SigMF that cellsentry cannot use), ErrNoRate (a raw
// file whose rate is unknown) and fs.ErrNotExist (a missing file). A data
// file whose size is not a whole number of samples is not an Open error: the
// whole samples are readable and Reader.Truncated reports the partial sample
// (wrapping ErrTruncated) with its byte offset.
package sigmf
