package parse

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expandParse resolves path like the command line does and parses the
// first node, returning the first error met.
func expandParse(path string) error {
	ins, err := Expand([]string{path}, nil)
	if err != nil {
		return err
	}
	for _, in := range ins {
		if _, err := Parse(context.Background(), in, Options{}, func(*Record) error { return nil }); err != nil {
			return err
		}
	}
	return nil
}

// TestWrongFiles checks that every kind of wrong input gives one clear
// line naming the file.
func TestWrongFiles(t *testing.T) {
	dir := t.TempDir()
	good := fixture(t, "redis741_cluster_node.rdb")
	full, _, err := parseAll(t, good, Options{})
	require.NoError(t, err)
	mid := full[len(full)/2]
	writing := good[:mid.Offset+mid.RDBBytes] // stops between two keys

	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	gzText := filepath.Join(dir, "notes.txt.gz")
	writeCompressed(t, gzText, []byte("hello world, these are my notes\n"), "gzip")
	gzEmpty := filepath.Join(dir, "empty.gz")
	writeCompressed(t, gzEmpty, nil, "gzip")
	noDumps := filepath.Join(dir, "backup.tar")
	writeTar(t, noDumps, map[string][]byte{"etc/redis.conf": []byte("maxmemory 4gb\n"), "notes.txt": []byte("hi")},
		[]string{"etc/redis.conf", "notes.txt"}, "gzip")
	emptyDir := filepath.Join(dir, "nodumps")
	require.NoError(t, os.Mkdir(emptyDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(emptyDir, "README"), []byte("not a dump"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(emptyDir, "appendonly.aof"), []byte("*1\r\n$4\r\nPING\r\n"), 0o644))

	for _, tc := range []struct {
		name, path, want string
	}{
		{"AOF", file("appendonly.aof", []byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")),
			"at byte 0: not an RDB file (starts with \"*2\\r\\n$6\\r\\n\" — looks like an AOF (Redis commands), not a snapshot)"},
		{"AOF manifest", file("appendonly.aof.manifest", []byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")),
			"looks like a multi-part AOF manifest; the snapshot, if any, is the *.base.rdb file it names"},
		{"JSON", file("report.json", []byte(`{"schema_version": 1, "nodes": []}`)), "looks like JSON"},
		{"tar without dumps", noDumps, "tar archive contains no RDB dumps"},
		{"empty file", file("empty.rdb", nil), "at byte 0: not an RDB file (empty file)"},
		{"gzip of text", gzText, "not an RDB file (gzip data that starts with \"hello wo\" once decompressed)"},
		{"gzip of nothing", gzEmpty, "not an RDB file (the gzip data decompresses to nothing)"},
		{"corrupt gzip", file("bad.rdb.gz", []byte{0x1f, 0x8b, 0xff, 0xff, 0, 0, 0, 0}), "cannot open: corrupt gzip stream: unexpected EOF"},
		{"still being written", file("temp-1234.rdb", writing),
			"truncated: ends at byte " + strconv.Itoa(len(writing)) + " without the EOF marker — the dump may still be being written or was cut in transit"},
		{"header only", file("new.rdb", []byte("REDIS0011")), "truncated: ends at byte 9 without the EOF marker"},
		{"cut in the trailer", file("cut.rdb", good[:len(good)-3]), "inside the CRC64 trailer after the EOF marker"},
		{"directory without dumps", emptyDir, "directory contains no RDB dumps"},
		{"missing", filepath.Join(dir, "nope.rdb"), "nope.rdb: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := expandParse(tc.path)
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, tc.want)
			assert.True(t, strings.HasPrefix(msg, tc.path+":"), "names the file first: %s", msg)
			assert.NotContains(t, msg, "\n", "one line")
		})
	}

	t.Run("permission denied", func(t *testing.T) {
		// As root no file is unreadable: fake the open.
		p := filepath.Join(dir, "secret.rdb")
		in := Input{Name: "secret", Ref: Ref{Path: p}, open: func() (io.ReadCloser, error) {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		}}
		_, err := Parse(context.Background(), in, Options{}, func(*Record) error { return nil })
		require.Error(t, err)
		assert.Equal(t, p+": cannot open: permission denied", err.Error())
		assert.Equal(t, p+": permission denied", inputErr(p, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}).Error())
		if os.Getuid() != 0 {
			require.NoError(t, os.WriteFile(p, good, 0o000))
			err := expandParse(p)
			require.Error(t, err)
			assert.Equal(t, p+": permission denied", err.Error())
		}
	})
}
