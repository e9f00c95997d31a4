package worker

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
)

// benchKeys are keys as a cache dump has them: short names, a few types
// and encodings, some with a TTL.
func benchKeys(n int) []aggregate.Key {
	types := []struct{ typ, enc string }{{"string", "embstr"}, {"string", "int"}, {"hash", "listpack"}, {"set", "intset"}, {"zset", "skiplist"}, {"list", "quicklist"}}
	ks := make([]aggregate.Key, n)
	for i := range ks {
		t := types[i*7%len(types)]
		ks[i] = aggregate.Key{Key: fmt.Sprintf("user:session:%d:%x", i, i*2654435761), Type: t.typ, Encoding: t.enc,
			Memory: int64(56 + i%300), Alloc: int64(64 + i%300), RDBBytes: int64(20 + i%250), Elements: int64(1 + i%9)}
		if i%3 == 0 {
			ks[i].ExpiresAt = 1764590000000 + int64(i)
		}
	}
	return ks
}

// nullSink takes keys and does nothing with them.
type nullSink struct{ n int }

func (s *nullSink) Start(*scan.Header) error { return nil }
func (s *nullSink) Key(*aggregate.Key) error { s.n++; return nil }
func (s *nullSink) Progress(int64)           {}
func (s *nullSink) End(*scan.Summary) error  { return nil }

// The per-key cost of the trip from the child's scan to the parent's
// Sink, in each process.
func BenchmarkFrames(b *testing.B) {
	ks := benchKeys(100_000)
	var buf bytes.Buffer
	write := func() {
		buf.Reset()
		fw := newFrameWriter(&buf)
		for i := range ks {
			if err := fw.Key(&ks[i]); err != nil {
				b.Fatal(err)
			}
			if i%2700 == 0 {
				fw.Progress(int64(i))
			}
		}
		if err := fw.End(&scan.Summary{}); err != nil {
			b.Fatal(err)
		}
		if err := fw.done(nil); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			write()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ks)), "ns/key")
		b.ReportMetric(float64(buf.Len())/float64(len(ks)), "bytes/key")
	})
	b.Run("decode", func(b *testing.B) {
		write()
		raw := buf.Bytes()
		for b.Loop() {
			var s nullSink
			if _, err := readFrames(bytes.NewReader(raw), &s); err != nil || s.n != len(ks) {
				b.Fatal(err, s.n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ks)), "ns/key")
	})
}
