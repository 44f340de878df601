package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Frame layout; see the package documentation.
const (
	headerSize = 26
	offLen     = 4
	offSeq     = 8
	offTime    = 16
	offFlags   = 24
	offAck     = 25

	flagDroppable = 1 << 0
	ackPending    = 0x00
	ackDone       = 0xA5

	// maxFrameData bounds the length field when scanning, whatever the
	// options the queue was opened with, so that a corrupt length cannot make
	// the scanner trust megabytes of garbage.
	maxFrameData = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frame is one record's header as found in a segment.
type frame struct {
	off       int64  // byte offset of the header in the segment
	n         int    // data length
	seq       uint64 // sequence number
	time      int64  // append time, Unix ns
	droppable bool
	acked     bool
}

// size is the frame's length on disk.
func (f *frame) size() int64 { return headerSize + int64(f.n) }

// frameCRC is the CRC-32C of a frame's header fields (without the CRC itself
// and the ack byte, which Ack rewrites in place) and its data.
func frameCRC(hdr []byte, data []byte) uint32 {
	c := crc32.Update(0, castagnoli, hdr[offLen:offAck])
	return crc32.Update(c, castagnoli, data)
}

// appendFrame appends the encoding of one pending record to dst.
func appendFrame(dst []byte, seq uint64, t int64, droppable bool, data []byte) []byte {
	var h [headerSize]byte
	binary.LittleEndian.PutUint32(h[offLen:], uint32(len(data)))
	binary.LittleEndian.PutUint64(h[offSeq:], seq)
	binary.LittleEndian.PutUint64(h[offTime:], uint64(t))
	if droppable {
		h[offFlags] = flagDroppable
	}
	h[offAck] = ackPending
	binary.LittleEndian.PutUint32(h[:], frameCRC(h[:], data))
	dst = append(dst, h[:]...)
	return append(dst, data...)
}

// Reasons scanFrames stops before the end of its input.
var (
	// errTorn: the input ends inside a frame (an append cut short).
	errTorn = errors.New("frame cut short")
	// errCorrupt: a complete frame that is not valid.
	errCorrupt = errors.New("corrupt frame")
)

// scanFrames decodes the frames of a segment's contents, calling fn for each
// valid one in order. Sequence numbers must be at least minSeq and strictly
// increase. It returns the byte offset where the valid frames end and, when
// that is not len(buf), an error wrapping errTorn or errCorrupt that says what
// is wrong at that offset. It never reads outside buf and always terminates:
// every step consumes a whole frame of at least headerSize bytes.
func scanFrames(buf []byte, minSeq uint64, fn func(frame)) (int64, error) {
	off := 0
	for off < len(buf) {
		rest := buf[off:]
		if len(rest) < headerSize {
			return int64(off), fmt.Errorf("byte offset %d: %w: %d bytes left, a header needs %d", off, errTorn, len(rest), headerSize)
		}
		h := rest[:headerSize]
		n := binary.LittleEndian.Uint32(h[offLen:])
		if n > maxFrameData {
			return int64(off), fmt.Errorf("byte offset %d: %w: data length %d exceeds %d", off, errCorrupt, n, maxFrameData)
		}
		if uint64(len(rest)) < headerSize+uint64(n) {
			return int64(off), fmt.Errorf("byte offset %d: %w: data length %d, %d bytes left", off, errTorn, n, len(rest)-headerSize)
		}
		data := rest[headerSize : headerSize+int(n)]
		if got, want := frameCRC(h, data), binary.LittleEndian.Uint32(h); got != want {
			return int64(off), fmt.Errorf("byte offset %d: %w: CRC %08x, header says %08x", off, errCorrupt, got, want)
		}
		if h[offFlags]&^flagDroppable != 0 {
			return int64(off), fmt.Errorf("byte offset %d: %w: unknown flags %#02x", off, errCorrupt, h[offFlags])
		}
		if a := h[offAck]; a != ackPending && a != ackDone {
			return int64(off), fmt.Errorf("byte offset %d: %w: ack byte %#02x", off, errCorrupt, a)
		}
		seq := binary.LittleEndian.Uint64(h[offSeq:])
		if seq < minSeq {
			return int64(off), fmt.Errorf("byte offset %d: %w: sequence %d, expected at least %d", off, errCorrupt, seq, minSeq)
		}
		fn(frame{
			off:       int64(off),
			n:         int(n),
			seq:       seq,
			time:      int64(binary.LittleEndian.Uint64(h[offTime:])),
			droppable: h[offFlags]&flagDroppable != 0,
			acked:     h[offAck] == ackDone,
		})
		minSeq = seq + 1
		off += headerSize + int(n)
	}
	return int64(off), nil
}

// checkFrame verifies a frame read back from disk (header and data) against
// what the index expects.
func checkFrame(buf []byte, seq uint64) error {
	if len(buf) < headerSize {
		return fmt.Errorf("%w: %d bytes", errTorn, len(buf))
	}
	h := buf[:headerSize]
	if got := binary.LittleEndian.Uint64(h[offSeq:]); got != seq {
		return fmt.Errorf("%w: sequence %d, expected %d", errCorrupt, got, seq)
	}
	if n := binary.LittleEndian.Uint32(h[offLen:]); int(n) != len(buf)-headerSize {
		return fmt.Errorf("%w: data length %d, expected %d", errCorrupt, n, len(buf)-headerSize)
	}
	if got, want := frameCRC(h, buf[headerSize:]), binary.LittleEndian.Uint32(h); got != want {
		return fmt.Errorf("%w: CRC %08x, header says %08x", errCorrupt, got, want)
	}
	return nil
}
