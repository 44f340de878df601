// Package queue is the sensor's durable alert queue: alert events are written
// to disk and fsync'ed before they count as raised, and stay there until the
// MQTT broker acknowledges them (PUBACK), so that neither a network outage nor
// a kill -9 loses one.
//
// # Contract
//
// Append returns a sequence number only once the record is on stable storage
// (written, fsync'ed, and the directory fsync'ed when the append created a
// segment file). Sequence numbers start at 1 and strictly increase, also
// across Close and Open. Pending hands out unacknowledged records in sequence
// order; Ack marks one delivered, in any order. A restart resends the records
// whose acks had not reached the page cache (none after a process crash, a
// few after a power loss): consumers deduplicate by alert id and rev.
//
// # On disk
//
// The directory holds segment files named by the first sequence number they
// may hold, as 16 hex digits ("0000000000000001.seg"), and a lock file that
// keeps a second process out. A segment is a run of frames:
//
//	offset size field
//	0      4    CRC-32C (Castagnoli) of bytes 4..24 and of the data
//	4      4    n, data length, little-endian
//	8      8    sequence number, little-endian
//	16     8    append time, Unix nanoseconds, little-endian
//	24     1    flags: bit 0 droppable; other bits zero
//	25     1    ack: 0 pending, 0xA5 acknowledged
//	26     n    data
//
// The ack byte is outside the CRC because Ack rewrites it in place: a one-byte
// write cannot tear, and it needs no fsync since losing it only resends. Only
// the newest (active) segment is appended to; it is sealed and a new one
// started when the next frame would take it past Options.SegmentBytes.
// Segments are deleted once every record in them is acknowledged or dropped
// (never the active one: its name keeps the sequence counter across restarts),
// and a sealed segment that is at least half dead is rewritten (temporary
// file, fsync, rename) without its dead records.
//
// # Recovery at Open
//
// Every segment is scanned frame by frame. The first frame that is short, fails
// its CRC, has unknown flags or a sequence number not above the previous one
// ends the segment: in the newest segment that is the torn tail of an append
// that never returned, truncated in place; in an older segment it is media
// corruption, and the bad bytes are copied aside to NAME.seg.<offset>.bad
// before the truncation. A segment that cannot be read at all is renamed to
// NAME.seg.bad. Both are logged with the file and byte offset and counted in
// Stats; neither stops the queue from opening.
//
// # Size cap
//
// The segment files never hold more than Options.MaxBytes. When an Append
// would exceed it, space is made in this order, each step only while still
// needed:
//
//  1. delete segments with nothing left to send and rewrite sealed segments
//     that are at least half acknowledged;
//  2. drop the droppable records (alert "updated" events, which the next one
//     supersedes) of the oldest segment holding any, oldest segments first
//     (sealing the active segment to reach its records too);
//  3. drop the oldest segment whole, whatever it holds.
//
// A new record is never refused for lack of space: the newest evidence
// matters most. Dropping works by segment (at most SegmentBytes, 1/16 of the
// cap by default), so a step may drop a few more old records than the single
// new one strictly needed; every record dropped is counted in Stats.Dropped,
// which the daemon publishes in its health message.
//
// # Memory
//
// Record data stays on disk; Pending reads it back. The index holds 32 bytes
// per queued record: with 600-byte alerts a full 64 MiB queue indexes about
// 100 000 records in about 3.5 MB.
package queue
