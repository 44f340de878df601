package sigmf

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/cellsentry/cellsentry/sdr"
)

const benchBlock = 16384 // samples per block, as the pipeline reads

// BenchmarkReadBlock reads a 64 MB file of random samples block by block,
// seeking back to the start at the end, and reports decoded Msamples/s.
func BenchmarkReadBlock(b *testing.B) {
	for _, f := range allFormats {
		b.Run(f.String(), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench_902M_2400k."+map[sdr.Format]string{sdr.CU8: "cu8", sdr.CI8: "cs8", sdr.CI16LE: "cs16", sdr.CF32LE: "cf32"}[f])
			writeRandom(b, path, f, 64<<20)
			r, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			blk := sdr.Block{Samples: make([]complex64, benchBlock)}
			b.SetBytes(int64(benchBlock * f.BytesPerSample()))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := r.ReadBlock(&blk); err == io.EOF {
					r.SeekSample(0)
				} else if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*benchBlock/b.Elapsed().Seconds()/1e6, "Msamples/s")
		})
	}
}

// writeRandom fills a file of size bytes with random bytes (valid samples
// for every format except cf32, where random bits are still fine to time).
func writeRandom(b *testing.B, path string, f sdr.Format, size int) {
	b.Helper()
	chunk := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(7, uint64(f)))
	if f == sdr.CF32LE {
		s := make([]complex64, len(chunk)/8)
		for i := range s {
			s[i] = complex(rng.Float32()*2-1, rng.Float32()*2-1)
		}
		f.Encode(chunk, s)
	} else {
		for i := range chunk {
			chunk[i] = byte(rng.Uint32())
		}
	}
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	for n := 0; n < size; n += len(chunk) {
		if _, err := out.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDecode times sdr.Format.Decode alone on one block.
func BenchmarkDecode(b *testing.B) {
	for _, f := range allFormats {
		b.Run(f.String(), func(b *testing.B) {
			src := make([]byte, benchBlock*f.BytesPerSample())
			rng := rand.New(rand.NewPCG(3, 4))
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			dst := make([]complex64, benchBlock)
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				f.Decode(dst, src)
			}
			b.ReportMetric(float64(b.N)*benchBlock/b.Elapsed().Seconds()/1e6, "Msamples/s")
		})
	}
}
