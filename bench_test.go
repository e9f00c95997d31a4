package main

import (
	"os"
	"path/filepath"
	"testing"
)

// benchDump is the dump the analyze benchmarks read: a generated 9 MB
// dump of the corpus when present, else the shipped sample node.
func benchDump(b *testing.B) string {
	for _, p := range []string{
		"../shared/corpus/generated/redis-7.0.15/mixed.rdb",
		"testdata/sample/node-7202.rdb",
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	b.Skip("no dump to benchmark")
	return ""
}

// BenchmarkAnalyze measures the whole analyze pipeline on one dump:
// parsing, memory estimation, profile (families, slots, top keys),
// findings and the JSON report. MB/s is of the dump's stored size.
func BenchmarkAnalyze(b *testing.B) {
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"inprocess", []string{"--isolate=false"}},
		{"isolated", nil},
	} {
		b.Run(mode.name, func(b *testing.B) {
			dump := benchDump(b)
			fi, err := os.Stat(dump)
			if err != nil {
				b.Fatal(err)
			}
			out := filepath.Join(b.TempDir(), "r.json")
			args := append([]string{"analyze", "-q", "--json", out}, mode.args...)
			args = append(args, dump)
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			for b.Loop() {
				if code, _, stderr := runCLI(b, args...); code != exitOK {
					b.Fatalf("exit %d: %s", code, stderr)
				}
			}
		})
	}
}
