package queue

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// segment builds the bytes of a segment from frames given as (seq, data).
func buildSegment(frames ...struct {
	seq  uint64
	data string
}) []byte {
	var b []byte
	for _, f := range frames {
		b = appendFrame(b, f.seq, int64(f.seq)*1000, f.seq%2 == 0, []byte(f.data))
	}
	return b
}

type fr = struct {
	seq  uint64
	data string
}

func TestScanFrames(t *testing.T) {
	three := buildSegment(fr{1, "one"}, fr{2, "two"}, fr{3, "three"})
	secondAt := int64(headerSize + 3)
	thirdAt := secondAt + headerSize + 3
	mut := func(b []byte, f func([]byte)) []byte { b = slices.Clone(b); f(b); return b }
	acked := mut(three, func(b []byte) { b[secondAt+offAck] = ackDone })
	tests := []struct {
		name    string
		buf     []byte
		minSeq  uint64
		seqs    []uint64
		acked   []bool
		end     int64
		wantErr error // nil: clean end
	}{
		{"empty", nil, 1, nil, nil, 0, nil},
		{"three", three, 1, []uint64{1, 2, 3}, []bool{false, false, false}, int64(len(three)), nil},
		{"ack byte set", acked, 1, []uint64{1, 2, 3}, []bool{false, true, false}, int64(len(three)), nil},
		{"empty data", buildSegment(fr{5, ""}), 1, []uint64{5}, []bool{false}, headerSize, nil},
		{"short header", three[:thirdAt+headerSize-1], 1, []uint64{1, 2}, nil, thirdAt, errTorn},
		{"short data", three[:len(three)-1], 1, []uint64{1, 2}, nil, thirdAt, errTorn},
		{"crc", mut(three, func(b []byte) { b[thirdAt] ^= 1 }), 1, []uint64{1, 2}, nil, thirdAt, errCorrupt},
		{"data bit", mut(three, func(b []byte) { b[len(b)-1] ^= 0x80 }), 1, []uint64{1, 2}, nil, thirdAt, errCorrupt},
		{"length too big", mut(three, func(b []byte) { b[thirdAt+offLen+3] = 0x7f }), 1, []uint64{1, 2}, nil, thirdAt, errCorrupt},
		{"unknown flag", buildFlagged(0x02), 1, nil, nil, 0, errCorrupt},
		{"bad ack byte", mut(three, func(b []byte) { b[offAck] = 0x01 }), 1, nil, nil, 0, errCorrupt},
		{"seq below min", three, 2, nil, nil, 0, errCorrupt},
		{"seq repeats", buildSegment(fr{4, "a"}, fr{4, "b"}), 1, []uint64{4}, nil, headerSize + 1, errCorrupt},
		{"seq goes back", buildSegment(fr{4, "a"}, fr{3, "b"}), 1, []uint64{4}, nil, headerSize + 1, errCorrupt},
		{"seq gap allowed", buildSegment(fr{4, "a"}, fr{9, "b"}), 1, []uint64{4, 9}, nil, 2*headerSize + 2, nil},
		{"zeros", make([]byte, 100), 1, nil, nil, 0, errCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []frame
			end, err := scanFrames(tc.buf, tc.minSeq, func(f frame) { got = append(got, f) })
			if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if end != tc.end {
				t.Errorf("end %d, want %d", end, tc.end)
			}
			var gs []uint64
			for i, f := range got {
				gs = append(gs, f.seq)
				if tc.acked != nil && f.acked != tc.acked[i] {
					t.Errorf("frame %d acked %v", f.seq, f.acked)
				}
				if f.droppable != (f.seq%2 == 0) || f.time != int64(f.seq)*1000 {
					t.Errorf("frame %d: droppable %v time %d", f.seq, f.droppable, f.time)
				}
			}
			if !slices.Equal(gs, tc.seqs) {
				t.Errorf("seqs %v, want %v", gs, tc.seqs)
			}
		})
	}
}

// buildFlagged is a one-frame segment with the given flags byte and a
// matching CRC, to test that unknown flags are refused on their own.
func buildFlagged(flags byte) []byte {
	b := appendFrame(nil, 1, 0, false, []byte("x"))
	b[offFlags] = flags
	le := frameCRC(b[:headerSize], b[headerSize:])
	b[0], b[1], b[2], b[3] = byte(le), byte(le>>8), byte(le>>16), byte(le>>24)
	return b
}

// FuzzScanFrames feeds arbitrary bytes to the segment scanner: it must not
// panic, must stop within the input, report an error exactly when it stops
// early, and the frames it accepts must re-encode to the bytes they came
// from.
func FuzzScanFrames(f *testing.F) {
	f.Add(buildSegment(fr{1, "one"}, fr{2, "two"}, fr{3, "three"}), uint64(1))
	f.Add(buildSegment(fr{4, "a"}, fr{3, "b"}), uint64(1))
	f.Add(buildFlagged(0x02), uint64(0))
	f.Add(make([]byte, 100), uint64(0))
	f.Add([]byte{}, uint64(7))
	f.Fuzz(func(t *testing.T, buf []byte, minSeq uint64) {
		var frames []frame
		end, err := scanFrames(buf, minSeq, func(f frame) { frames = append(frames, f) })
		if end < 0 || end > int64(len(buf)) {
			t.Fatalf("end %d outside 0..%d", end, len(buf))
		}
		if (err == nil) != (end == int64(len(buf))) {
			t.Fatalf("end %d of %d with err %v", end, len(buf), err)
		}
		var re []byte
		for _, f := range frames {
			if f.seq < minSeq {
				t.Fatalf("seq %d below %d", f.seq, minSeq)
			}
			minSeq = f.seq + 1
			re = appendFrame(re, f.seq, f.time, f.droppable, buf[f.off+headerSize:f.off+f.size()])
			if f.acked {
				re[f.off+offAck] = ackDone
			}
		}
		if !bytes.Equal(re, buf[:end]) {
			t.Fatalf("accepted frames do not re-encode to their bytes")
		}
	})
}

// FuzzOpenSegment writes arbitrary bytes as the only segment of a queue:
// Open must succeed, and the queue must then append, deliver and reopen
// consistently.
func FuzzOpenSegment(f *testing.F) {
	f.Add(buildSegment(fr{1, "one"}, fr{2, "two"}, fr{3, "three"}))
	f.Add(buildSegment(fr{1, "one"}, fr{2, "two"})[:40])
	f.Add(make([]byte, 64))
	f.Add([]byte("not a segment at all"))
	f.Fuzz(func(t *testing.T, buf []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segName(1)), buf, 0o600); err != nil {
			t.Fatal(err)
		}
		opt := Options{MaxBytes: 8192, SegmentBytes: 1024, NoSync: true}
		q, err := Open(dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		before := all(t, q)
		seq, err := q.Append([]byte("new"), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(before) > 0 && seq <= before[len(before)-1].Seq {
			t.Fatalf("seq %d not above recovered %d", seq, before[len(before)-1].Seq)
		}
		q.Close()
		q, err = Open(dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		after := all(t, q)
		if len(after) != len(before)+1 || after[len(after)-1].Seq != seq || string(after[len(after)-1].Data) != "new" {
			t.Fatalf("after reopen %d records (want %d), last %v", len(after), len(before)+1, after[len(after)-1:])
		}
		if st := q.Stats(); st.Truncated != 0 {
			t.Fatalf("second open truncated %d bytes", st.Truncated)
		}
	})
}
