package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
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

// BenchmarkAnalyzeObjectStore compares reading the corpus's mixed dumps
// (one per server version, ~9 MB each) from a local directory with
// reading the same bytes from an S3 prefix on an in-process S3 server
// (gofakes3, memory backend) on 127.0.0.1: the whole analyze, parser
// children included. MB/s is of the dumps' stored size. Run it several
// times in a row (not with -count, which would group the runs of one
// side) to interleave the two, as docs/performance.md does.
func BenchmarkAnalyzeObjectStore(b *testing.B) {
	dumps, _ := filepath.Glob("../shared/corpus/generated/*/mixed.rdb")
	if len(dumps) == 0 {
		b.Skip("corpus absent: no mixed dumps to benchmark")
	}
	dir := b.TempDir()
	s3 := objstoretest.StartS3(b)
	s3.Bucket(b, "bench")
	var total int64
	for _, d := range dumps {
		data, err := os.ReadFile(d)
		if err != nil {
			b.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(d)) + ".rdb"
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
		s3.Put(b, "bench", "nightly/"+name, data)
		total += int64(len(data))
	}
	objstoretest.Env(b, s3.URL)
	out := filepath.Join(b.TempDir(), "r.json")
	for _, side := range []struct{ name, arg string }{
		{"disk", dir},
		{"s3", "s3://bench/nightly/?use_path_style=true"},
	} {
		b.Run(side.name, func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				if code, _, stderr := runCLI(b, "analyze", "-q", "--json", out, side.arg); code != exitOK {
					b.Fatalf("exit %d: %s", code, stderr)
				}
			}
		})
	}
}
