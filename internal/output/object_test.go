package output

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
)

// objectServer starts an S3 double with bucket "out" and returns it and a
// function that makes a URL of a key in it.
func objectServer(t *testing.T) (*objstoretest.S3, func(string) string) {
	t.Helper()
	s3 := objstoretest.StartS3(t)
	objstoretest.Env(t, s3.URL)
	s3.Bucket(t, "out")
	return s3, func(key string) string { return "s3://out/" + key + "?use_path_style=true" }
}

func TestObjectsAppearOnlyAtCommit(t *testing.T) {
	s3, url := objectServer(t)
	s3.Put(t, "out", "r.html", []byte("old"))
	dir := t.TempDir()
	file := filepath.Join(dir, "r.json")
	set := New(nil)
	set.Add("--json", file)
	set.Add("--html", url("r.html"))
	set.Add("--markdown", url("r.md"))
	require.NoError(t, set.Open(context.Background()))
	write(t, set, "--json", "J")
	write(t, set, "--html", "H")
	write(t, set, "--markdown", "M")
	assert.Equal(t, "old", string(s3.Get(t, "out", "r.html")), "nothing visible before Commit")
	assert.Nil(t, s3.Get(t, "out", "r.md"))
	require.NoError(t, set.Commit())
	assert.Equal(t, "H", string(s3.Get(t, "out", "r.html")))
	assert.Equal(t, "M", string(s3.Get(t, "out", "r.md")))
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "J", string(got))
	assert.Equal(t, map[string]string{"--json": file, "--html": url("r.html"), "--markdown": url("r.md")}, set.Written())
}

func TestAbortDiscardsObjects(t *testing.T) {
	s3, url := objectServer(t)
	s3.Put(t, "out", "r.json", []byte("old"))
	set := New(nil)
	set.Add("--json", url("r.json"))
	set.Add("--html", url("r.html"))
	require.NoError(t, set.Open(context.Background()))
	write(t, set, "--json", "new")
	set.Abort()
	assert.Equal(t, "old", string(s3.Get(t, "out", "r.json")))
	assert.Nil(t, s3.Get(t, "out", "r.html"))
}

func TestObjectConflicts(t *testing.T) {
	_, url := objectServer(t)
	for _, tc := range []struct {
		name   string
		outs   []string
		inputs []string
		want   string
	}{
		{"an input object, other options", []string{url("n.rdb")}, []string{"s3://out/n.rdb?region=us-east-1"}, "refusing to overwrite an input"},
		{"directly under an input prefix", []string{url("dumps/r.json")}, []string{"s3://out/dumps/"}, "under input prefix"},
		{"two outputs on one object", []string{url("r.json"), "s3://out/r.json"}, nil, "write to the same file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := New(nil)
			for i, o := range tc.outs {
				set.Add([]string{"--json", "--html"}[i], o)
			}
			set.Input(tc.inputs...)
			err := set.Open(context.Background())
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrConflict), err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// Deeper under an input prefix is another prefix: allowed, as a file
	// in a subdirectory of an input directory is.
	set := New(nil)
	set.Add("--json", url("dumps/reports/r.json"))
	set.Input("s3://out/dumps/")
	require.NoError(t, set.Open(context.Background()))
	set.Abort()
}

func TestMissingBucketFailsAtOpen(t *testing.T) {
	_, _ = objectServer(t)
	dir := t.TempDir()
	set := New(nil)
	set.Add("--json", filepath.Join(dir, "r.json"))
	set.Add("--html", "s3://no-such-bucket/r.html?use_path_style=true")
	err := set.Open(context.Background())
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrConflict))
	assert.Contains(t, err.Error(), "--html: s3://no-such-bucket/r.html")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, ents, "the temporary file of --json is removed")
}
