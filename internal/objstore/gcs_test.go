package objstore

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests speak the Cloud Storage JSON and XML APIs to
// fake-gcs-server, run in-process on 127.0.0.1; the client finds it
// through STORAGE_EMULATOR_HOST, as it would find any GCS emulator.

// fakeGCS is a fake-gcs-server behind an httptest server on 127.0.0.1.
type fakeGCS struct {
	srv  *fakestorage.Server
	host string // 127.0.0.1:PORT
}

func startGCS(t *testing.T) *fakeGCS {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, Scheme: "http", PublicHost: "127.0.0.1"})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(ts.Close)
	return &fakeGCS{srv: srv, host: strings.TrimPrefix(ts.URL, "http://")}
}

func (g *fakeGCS) put(bucket, key string, data []byte) {
	g.srv.CreateObject(fakestorage.Object{
		ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: key},
		Content:     data,
	})
}

// get returns an object's bytes, or nil when there is none.
func (g *fakeGCS) get(bucket, key string) []byte {
	obj, err := g.srv.GetObject(bucket, key)
	if err != nil {
		return nil
	}
	return obj.Content
}

// gcsEnv points the client at the emulator, and nowhere else.
func gcsEnv(t *testing.T, host string) {
	t.Helper()
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
}

func gcsIncident(t *testing.T, g *fakeGCS) map[string][]byte {
	t.Helper()
	g.srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	dumps := map[string][]byte{}
	for _, n := range []string{"node-7200", "node-7201", "node-7202"} {
		dumps["backups/"+n+".rdb"] = corpusFile(t, n+".rdb")
		g.put(bucket, "backups/"+n+".rdb", dumps["backups/"+n+".rdb"])
	}
	g.put(bucket, "backups/older/node-7200.rdb", []byte("REDIS0011 older"))
	g.put(bucket, "backups/manifest.json", []byte(`{}`))
	return dumps
}

func TestGCSListAndRead(t *testing.T) {
	g := startGCS(t)
	dumps := gcsIncident(t, g)
	gcsEnv(t, g.host)

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

// TestGCSResumeAfterCut: the GCS client library resumes a broken read
// itself (pinned to the generation); the bytes must be identical and each
// resumption reported.
func TestGCSResumeAfterCut(t *testing.T) {
	g := startGCS(t)
	dumps := gcsIncident(t, g)
	want := dumps["backups/node-7202.rdb"]
	p := startProxy(t, g.host)
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
	p := startProxy(t, g.host)
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
	g.put(bucket, "backups/node-7202.rdb", changed)

	rest, err := io.ReadAll(r)
	assert.ErrorIs(t, err, ErrChanged)
	got := append(head, rest...)
	assert.True(t, bytes.Equal(old[:len(got)], got), "bytes of another generation were delivered")
}

func TestGCSWriter(t *testing.T) {
	g := startGCS(t)
	g.srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	g.put(bucket, "reports/run.json", []byte("previous run"))
	gcsEnv(t, g.host)
	data := bytes.Repeat([]byte(`{"node":"node-7202"}`+"\n"), 1000)

	w, err := Create(context.Background(), "gs://"+bucket+"/reports/run.json")
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Abort())
	assert.Equal(t, []byte("previous run"), g.get(bucket, "reports/run.json"), "Abort changed the object")

	w, err = Create(context.Background(), "gs://"+bucket+"/reports/run.json")
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.Equal(t, data, g.get(bucket, "reports/run.json"))
}

func TestGCSErrors(t *testing.T) {
	g := startGCS(t)
	gcsIncident(t, g)
	gcsEnv(t, g.host)

	_, err := List(context.Background(), "gs://"+bucket+"/nothing/")
	assert.ErrorIs(t, err, ErrNotFound)
	err = open("gs://" + bucket + "/backups/node-1.rdb")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "no such object")
}
