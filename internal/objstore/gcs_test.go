package objstore

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
)

// These tests speak the Cloud Storage JSON API to fake-gcs-server, run
// in-process on 127.0.0.1; the driver (gcs.go) finds it through
// STORAGE_EMULATOR_HOST, as it would find any GCS emulator.

// The emulator is objstoretest.GCS, which the commands' tests share.
var (
	startGCS = objstoretest.StartGCS
	gcsEnv   = objstoretest.GCSEnv
)

func gcsIncident(t *testing.T, g *objstoretest.GCS) map[string][]byte {
	t.Helper()
	g.Bucket(bucket)
	dumps := map[string][]byte{}
	for _, n := range []string{"node-7200", "node-7201", "node-7202"} {
		dumps["backups/"+n+".rdb"] = corpusFile(t, n+".rdb")
		g.Put(bucket, "backups/"+n+".rdb", dumps["backups/"+n+".rdb"])
	}
	g.Put(bucket, "backups/older/node-7200.rdb", []byte("REDIS0011 older"))
	g.Put(bucket, "backups/manifest.json", []byte(`{}`))
	return dumps
}

func TestGCSListAndRead(t *testing.T) {
	g := startGCS(t)
	dumps := gcsIncident(t, g)
	gcsEnv(t, g.Host)

	tests := []struct {
		name string
		url  string
		keys []string
	}{
		{"prefix", "gs://" + bucket + "/backups/",
			[]string{"backups/manifest.json", "backups/node-7200.rdb", "backups/node-7201.rdb", "backups/node-7202.rdb"}},
		{"glob", "gs://" + bucket + "/backups/node-*.rdb",
			[]string{"backups/node-7200.rdb", "backups/node-7201.rdb", "backups/node-7202.rdb"}},
		{"one object", "gs://" + bucket + "/backups/node-7201.rdb", []string{"backups/node-7201.rdb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listAndRead(t, tt.url, tt.keys, dumps, func(o Object, r *Reader) {
				assert.NotZero(t, o.Generation, o.Key)
				if r != nil {
					assert.Equal(t, o.Generation, r.Object().Generation)
				}
			})
		})
	}
}

// TestGCSResumeAfterCut: the Reader resumes a broken read with a ranged
// request pinned to the generation; the bytes must be identical and each
// resumption reported.
func TestGCSResumeAfterCut(t *testing.T) {
	g := startGCS(t)
	dumps := gcsIncident(t, g)
	want := dumps["backups/node-7202.rdb"]
	p := startProxy(t, g.Host)
	p.CutAt(1<<20, 3<<20)
	gcsEnv(t, strings.TrimPrefix(p.URL(), "http://"))

	var retries []Retry
	got, _, err := readAll(t, "gs://"+bucket+"/backups/node-7202.rdb",
		&Options{Backoff: time.Millisecond, OnRetry: func(r Retry) { retries = append(retries, r) }})
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "bytes differ after resuming")
	assert.Equal(t, 2, p.Cuts())
	require.Len(t, retries, 2, "each resumption is reported")
	for _, r := range retries {
		assert.Greater(t, r.Offset, int64(0), "resumed from byte 0")
		assert.Contains(t, p.Requests(), "Range: bytes="+itoa(r.Offset)+"-", "no ranged request from the offset reached")
	}
}

func TestGCSChangedDuringRead(t *testing.T) {
	g := startGCS(t)
	dumps := gcsIncident(t, g)
	old := dumps["backups/node-7202.rdb"]
	p := startProxy(t, g.Host)
	p.CutAt(1 << 20)
	gcsEnv(t, strings.TrimPrefix(p.URL(), "http://"))

	r, err := Open(context.Background(), "gs://"+bucket+"/backups/node-7202.rdb", &Options{Backoff: time.Millisecond})
	require.NoError(t, err)
	defer r.Close()
	head := make([]byte, 512<<10)
	_, err = io.ReadFull(r, head)
	require.NoError(t, err)
	changed := bytes.Clone(old)
	changed[len(changed)-1] ^= 0xff
	g.Put(bucket, "backups/node-7202.rdb", changed)

	rest, err := io.ReadAll(r)
	assert.ErrorIs(t, err, ErrChanged)
	got := append(head, rest...)
	assert.True(t, bytes.Equal(old[:len(got)], got), "bytes of another generation were delivered")
}

func TestGCSWriter(t *testing.T) {
	g := startGCS(t)
	g.Bucket(bucket)
	g.Put(bucket, "reports/run.json", []byte("previous run"))
	gcsEnv(t, g.Host)
	data := bytes.Repeat([]byte(`{"node":"node-7202"}`+"\n"), 1000)

	w, err := Create(context.Background(), "gs://"+bucket+"/reports/run.json")
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Abort())
	assert.Equal(t, []byte("previous run"), g.Get(bucket, "reports/run.json"), "Abort changed the object")

	w, err = Create(context.Background(), "gs://"+bucket+"/reports/run.json")
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.Equal(t, data, g.Get(bucket, "reports/run.json"))
}

func TestGCSErrors(t *testing.T) {
	g := startGCS(t)
	gcsIncident(t, g)
	gcsEnv(t, g.Host)

	_, err := List(context.Background(), "gs://"+bucket+"/nothing/")
	assert.ErrorIs(t, err, ErrNotFound)
	err = open("gs://" + bucket + "/backups/node-1.rdb")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "no such object")
}
