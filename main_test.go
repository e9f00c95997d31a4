package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"hash/crc64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/worker"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain lets the test binary act as the parser child process, the way
// the rdbscope binary does, so isolation is tested for real.
// cliEnv makes the test binary run the CLI with its arguments, and
// peakEnv names a file where it then writes its peak RSS (runProcess).
const (
	cliEnv  = "RDBSCOPE_TEST_CLI"
	peakEnv = "RDBSCOPE_TEST_PEAK"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == worker.Command {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if os.Getenv(cliEnv) == "1" {
		// The whole CLI run as a process (see runProcess).
		code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		writePeak(os.Getenv(peakEnv))
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// runCLI runs rdbscope with args and returns exit code, stdout and stderr.
func runCLI(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

var generatedAt = regexp.MustCompile(`"generated_at": "[^"]*"`)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create the golden file")
	assert.Equal(t, string(want), string(got), "golden %s differs; run go test -update if the change is intended", name)
}

// The sample cluster: three nodes, node-7202 holds a forgotten logging hash.
func TestAnalyzeSampleGolden(t *testing.T) {
	t.Setenv("COLUMNS", "") // the summary is laid out in 80 columns
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "report.json")
	code, stdout, stderr := runCLI(t, "analyze", "-j", "1", "--top", "5", "--json", jsonPath, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	// The summary names where the report went; make that path stable.
	stdout = strings.ReplaceAll(stdout, jsonPath, "report.json")
	golden(t, "sample.txt", []byte(stdout))

	raw, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	golden(t, "sample.json", generatedAt.ReplaceAll(raw, []byte(`"generated_at": "X"`)))

	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Nodes         []struct {
			Name     string `json:"name"`
			Complete bool   `json:"complete"`
			Memory   int64  `json:"memory"`
			ByType   map[string]struct {
				Memory int64 `json:"memory"`
			} `json:"by_type"`
		} `json:"nodes"`
		Findings []json.RawMessage `json:"findings"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, 1, doc.SchemaVersion)
	require.Len(t, doc.Nodes, 3)
	n := doc.Nodes[2]
	assert.Equal(t, "node-7202", n.Name)
	assert.True(t, n.Complete)
	share := float64(n.ByType["hash"].Memory) / float64(n.Memory)
	assert.Greater(t, share, 0.95, "node-7202 is mostly one hash")
	assert.NotNil(t, doc.Findings)
	assert.Contains(t, stdout, "hash 97.")
}

// In-process and isolated parsing give the same report.
func TestIsolationSameResult(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--json", a, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, "analyze", "-q", "--isolate=false", "--json", b, "testdata/sample")
	require.Equal(t, exitOK, code, stderr)
	ra, _ := os.ReadFile(a)
	rb, _ := os.ReadFile(b)
	assert.Equal(t, string(generatedAt.ReplaceAll(ra, nil)), string(generatedAt.ReplaceAll(rb, nil)))
}

func TestKeysExport(t *testing.T) {
	dir := t.TempDir()
	for _, ext := range []string{"csv", "jsonl"} {
		t.Run(ext, func(t *testing.T) {
			p := filepath.Join(dir, "keys."+ext)
			code, _, stderr := runCLI(t, "analyze", "-q", "--keys", p, "testdata/sample/node-7201.rdb")
			require.Equal(t, exitOK, code, stderr)
			raw, err := os.ReadFile(p)
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			truth := countLines(t, "testdata/sample-truth/node-7201.keys.jsonl")
			if ext == "csv" {
				assert.Equal(t, "node,db,key,type,encoding,memory,rdb_bytes,elements,expires_at,allocated,family,slot", lines[0])
				assert.Len(t, lines, truth+1)
			} else {
				assert.Len(t, lines, truth)
				var row map[string]any
				require.NoError(t, json.Unmarshal([]byte(lines[0]), &row))
				for _, f := range []string{"node", "db", "key", "type", "encoding", "memory", "rdb_bytes", "elements", "expires_at",
					"allocated", "family", "slot"} {
					assert.Contains(t, row, f)
				}
			}
		})
	}
}

func countLines(t *testing.T, path string) int {
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return len(strings.Split(strings.TrimSpace(string(raw)), "\n"))
}

// Bad inputs: each gets a clear message naming the file, a non-zero exit
// code, and the good nodes are still reported.
func TestBadInputs(t *testing.T) {
	good, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x40
	cases := []struct {
		name    string
		content []byte
		want    string // in the node's error
	}{
		{"empty.rdb", nil, "empty"},
		{"truncated.rdb", good[:len(good)/2], "byte"},
		{"flipped.rdb", flipped, ""},
		{"future.rdb", append([]byte("REDIS0099"), good[9:]...), "99"},
		{"aof.rdb", []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"), "not an RDB"},
		// A string claiming 4 GB in a 30-byte file: the parser must fail at
		// that length, not try to allocate it.
		{"corrupt-length.rdb", corruptLength(), `key "big"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			bad := filepath.Join(dir, c.name)
			require.NoError(t, os.WriteFile(bad, c.content, 0o644))
			out := filepath.Join(dir, "r.json")
			code, _, stderr := runCLI(t, "analyze", "-q", "--json", out, bad, "testdata/sample/node-7201.rdb")
			assert.Equal(t, exitIncomplete, code, stderr)
			var doc struct {
				Nodes []struct {
					Name     string `json:"name"`
					Complete bool   `json:"complete"`
					Error    string `json:"error"`
				} `json:"nodes"`
			}
			raw, err := os.ReadFile(out)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &doc))
			require.Len(t, doc.Nodes, 2)
			var badNode, goodNode = doc.Nodes[0], doc.Nodes[1]
			if badNode.Name == "node-7201" {
				badNode, goodNode = goodNode, badNode
			}
			assert.True(t, goodNode.Complete)
			assert.False(t, badNode.Complete)
			assert.Contains(t, badNode.Error, bad, "error names the file")
			assert.Contains(t, badNode.Error, c.want)
		})
	}
}

// A node whose parser runs out of memory fails alone: the child dies, the
// parent reports it with a clear error, and the other node is complete.
func TestIsolationSurvivesOOM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes a 256 MB dump (internal/worker's TestRunChildDies covers a dying child)")
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "huge.rdb")
	require.NoError(t, os.WriteFile(big, bigStringDump(256<<20), 0o644))
	out := filepath.Join(dir, "r.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "-j", "1", "--parser-memory-limit", "128mb", "--max-key-memory", "none", "--json", out, big, "testdata/sample/node-7201.rdb")
	assert.Equal(t, exitIncomplete, code, stderr)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	s := string(raw)
	// The Go runtime says "out of memory"; a -race build's allocator says
	// "failed to allocate".
	assert.True(t, strings.Contains(s, "out of memory") || strings.Contains(s, "failed to allocate"), "the huge node's error says why")
	assert.True(t, strings.Contains(s, `"name": "node-7201"`), "the other node is reported")
}

func corruptLength() []byte {
	d := bigStringDump(16)
	// header 9, SELECTDB 2, type 1, key 4, then the 32-bit length marker.
	binary.BigEndian.PutUint32(d[17:21], 0xfffffff0)
	return d
}

// bigStringDump builds an RDB 9 dump with one string key of n bytes.
func bigStringDump(n int) []byte {
	var b bytes.Buffer
	b.WriteString("REDIS0009")
	b.WriteByte(0xfe) // SELECTDB 0
	b.WriteByte(0)
	b.WriteByte(0) // type string
	b.WriteByte(3)
	b.WriteString("big")
	b.WriteByte(0x80) // 32-bit length
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(n))
	b.Write(l[:])
	b.Write(bytes.Repeat([]byte{'x'}, n))
	b.WriteByte(0xff)
	tab := crc64.MakeTable(0x95AC9329AC4BC9B5)
	sum := ^crc64.Update(^uint64(0), tab, b.Bytes())
	var c [8]byte
	binary.LittleEndian.PutUint64(c[:], sum)
	b.Write(c[:])
	return b.Bytes()
}

// An output naming an input is refused: a dump by what it holds, any
// other input (here a file that is no dump, or a link to it) by identity.
func TestOutputNeverOverwritesInput(t *testing.T) {
	dump, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	for _, c := range []struct {
		name, want string
		orig       []byte
	}{
		{"dump", "refusing to overwrite a Redis dump", dump},
		{"not a dump", "refusing to overwrite an input", []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "node.rdb")
			require.NoError(t, os.WriteFile(in, c.orig, 0o644))
			for _, flag := range []string{"--json", "--keys", "--html", "--markdown"} {
				target := in
				if flag == "--keys" {
					target = filepath.Join(dir, "node.csv")
					require.NoError(t, os.Symlink(in, target))
				}
				code, _, stderr := runCLI(t, "analyze", "-q", flag, target, in)
				assert.Equal(t, exitUsage, code, flag)
				assert.Contains(t, stderr, c.want, flag)
				now, err := os.ReadFile(in)
				require.NoError(t, err)
				assert.Equal(t, c.orig, now)
				os.Remove(filepath.Join(dir, "node.csv"))
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{"analyze"},
		{"analyze", "--progress", "sometimes", "x.rdb"},
		{"analyze", "--keys", "k.txt", "x.rdb"},
		{"analyze", "--name", "nope", "x.rdb"},
		{"frobnicate"},
	}
	for _, args := range cases {
		code, _, stderr := runCLI(t, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}
	code, _, stderr := runCLI(t, "analyze", "/nonexistent/dump.rdb")
	assert.Equal(t, exitFatal, code)
	assert.Contains(t, stderr, "/nonexistent/dump.rdb")
}

// A key too large to decode within --max-key-memory is still counted,
// estimated from its serialized size, with a warning; the node completes.
func TestMaxKeyMemory(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "huge.rdb")
	require.NoError(t, os.WriteFile(big, bigStringDump(64<<20), 0o644))
	out := filepath.Join(dir, "r.json")
	code, _, stderr := runCLI(t, "analyze", "-q", "--max-key-memory", "64mb", "--json", out, big)
	require.Equal(t, exitOK, code, stderr)
	var doc struct {
		Nodes []struct {
			Complete bool     `json:"complete"`
			Keys     int64    `json:"keys"`
			Memory   int64    `json:"memory"`
			Warnings []string `json:"warnings"`
		} `json:"nodes"`
	}
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	n := doc.Nodes[0]
	assert.True(t, n.Complete)
	assert.Equal(t, int64(1), n.Keys)
	// 64 MiB + the sds header lands in jemalloc's 80 MiB size class.
	assert.InDelta(t, float64(80<<20), float64(n.Memory), 1024, "estimated from the serialized size")
	require.Len(t, n.Warnings, 1)
	assert.Contains(t, n.Warnings[0], "too large to analyze")
}

// "analyze - --json dump.rdb < dump.rdb" must not replace the dump.
func TestOutputNeverOverwritesStdin(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "node.rdb")
	orig, err := os.ReadFile("testdata/sample/node-7201.rdb")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, orig, 0o644))
	f, err := os.Open(in)
	require.NoError(t, err)
	defer f.Close()
	var out, errb bytes.Buffer
	code := run([]string{"analyze", "-q", "--json", in, "-"}, f, &out, &errb)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errb.String(), "refusing to overwrite")
	now, err := os.ReadFile(in)
	require.NoError(t, err)
	assert.Equal(t, orig, now)
}
