package objstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rdbscope/rdbscope/internal/objstore/objstoretest"
)

const bucket = "rdb-backups"

// incident uploads the three incident dumps and a gzip copy of one under
// backups/, plus objects that listings must leave out, and returns the
// dumps by key.
func incident(t *testing.T, s *objstoretest.S3) map[string][]byte {
	t.Helper()
	s.Bucket(t, bucket)
	dumps := map[string][]byte{}
	for _, n := range []string{"node-7200", "node-7201", "node-7202"} {
		dumps["backups/"+n+".rdb"] = corpusFile(t, n+".rdb")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(dumps["backups/node-7201.rdb"])
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	dumps["backups/node-7203.rdb.gz"] = gz.Bytes()
	for k, v := range dumps {
		s.Put(t, bucket, k, v)
	}
	s.Put(t, bucket, "backups/older/node-7200.rdb", []byte("REDIS0011 older"))
	s.Put(t, bucket, "backups/manifest.json", []byte(`{}`))
	s.Put(t, bucket, "other/node-9000.rdb", []byte("REDIS0011 other"))
	return dumps
}

// readAll opens and reads one object to the end.
func readAll(t *testing.T, url string, opts *Options) ([]byte, *Reader, error) {
	t.Helper()
	r, err := Open(context.Background(), url, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	return data, r, err
}

// TestS3ListAndRead drives the package as the CLI will, configured by
// AWS_ENDPOINT_URL, static keys and AWS_REGION, with the URL form
// s3://BUCKET/PREFIX/?use_path_style=true.
func TestS3ListAndRead(t *testing.T) {
	s := startS3(t)
	dumps := incident(t, s)
	s3Env(t, s.URL)

	tests := []struct {
		name string
		url  string
		keys []string
	}{
		{"prefix", "s3://" + bucket + "/backups/?use_path_style=true",
			[]string{"backups/manifest.json", "backups/node-7200.rdb", "backups/node-7201.rdb", "backups/node-7202.rdb", "backups/node-7203.rdb.gz"}},
		{"glob", "s3://" + bucket + "/backups/*.rdb?use_path_style=true",
			[]string{"backups/node-7200.rdb", "backups/node-7201.rdb", "backups/node-7202.rdb"}},
		{"glob class", "s3://" + bucket + "/backups/node-720[13]*?use_path_style=true",
			[]string{"backups/node-7201.rdb", "backups/node-7203.rdb.gz"}},
		{"glob across levels", "s3://" + bucket + "/backups/*/node-*.rdb?use_path_style=true",
			[]string{"backups/older/node-7200.rdb"}},
		{"one object", "s3://" + bucket + "/backups/node-7202.rdb?use_path_style=true",
			[]string{"backups/node-7202.rdb"}},
		{"prefix without slash", "s3://" + bucket + "/backups?use_path_style=true",
			[]string{"backups/manifest.json", "backups/node-7200.rdb", "backups/node-7201.rdb", "backups/node-7202.rdb", "backups/node-7203.rdb.gz"}},
		{"legacy path style parameter", "s3://" + bucket + "/backups/*.gz?s3ForcePathStyle=true",
			[]string{"backups/node-7203.rdb.gz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listAndRead(t, tt.url, tt.keys, dumps, func(o Object, r *Reader) {
				assert.NotEmpty(t, o.ETag, o.Key)
				assert.False(t, o.ModTime.IsZero(), o.Key)
				assert.Contains(t, o.URL, "?"+strings.SplitN(tt.url, "?", 2)[1], "listed URLs keep the bucket options")
				if r != nil {
					assert.Equal(t, o.ETag, r.Object().ETag)
				}
			})
		})
	}
}

// listAndRead lists url, checks that it gives keys in that order, reads
// every listed object that is one of dumps and checks its bytes, and
// calls check for each object (with its Reader after the read, or nil).
func listAndRead(t *testing.T, url string, keys []string, dumps map[string][]byte, check func(Object, *Reader)) {
	t.Helper()
	objs, err := List(context.Background(), url)
	require.NoError(t, err)
	var got []string
	for _, o := range objs {
		got = append(got, o.Key)
		want, ok := dumps[o.Key]
		if !ok {
			check(o, nil)
			continue
		}
		assert.Equal(t, int64(len(want)), o.Size, o.Key)
		data, r, err := readAll(t, o.URL, nil)
		require.NoError(t, err, o.Key)
		assert.True(t, bytes.Equal(want, data), "%s: bytes read back differ", o.Key)
		assert.Equal(t, int64(len(want)), r.Size())
		assert.Equal(t, int64(len(want)), r.BytesRead())
		check(o, r)
	}
	assert.Equal(t, keys, got)
}

// proxiedS3 starts a server with the incident dumps behind a proxy that
// cuts at cuts, and points the SDK at the proxy.
func proxiedS3(t *testing.T, cuts ...int64) (*objstoretest.S3, *objstoretest.Proxy, map[string][]byte) {
	t.Helper()
	s := startS3(t)
	dumps := incident(t, s)
	p := startProxy(t, strings.TrimPrefix(s.URL, "http://"))
	p.CutAt(cuts...)
	s3Env(t, p.URL())
	return s, p, dumps
}

// TestS3EndpointParameter uses the endpoint URL parameter instead of
// AWS_ENDPOINT_URL.
func TestS3EndpointParameter(t *testing.T) {
	s := startS3(t)
	dumps := incident(t, s)
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "rdbscope-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "rdbscope-test-secret")

	url := "s3://" + bucket + "/backups/node-7201.rdb?endpoint=" + s.URL + "&region=us-east-1&use_path_style=true"
	got, _, err := readAll(t, url, nil)
	require.NoError(t, err)
	assert.Equal(t, dumps["backups/node-7201.rdb"], got)
}

// TestS3ResumeAfterCut cuts the connection in the middle of the biggest
// dump, once and then several times: the read must complete with the
// same bytes, resume where it stopped (a Range request, not byte 0), and
// report each retry.
func TestS3ResumeAfterCut(t *testing.T) {
	tests := []struct {
		name string
		cuts []int64
	}{
		{"one cut", []int64{1 << 20}},
		{"three cuts", []int64{1 << 20, 2 << 20, 3<<20 + 12345}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p, dumps := proxiedS3(t, tt.cuts...)
			want := dumps["backups/node-7202.rdb"]

			var retries []Retry
			opts := &Options{Backoff: time.Millisecond, OnRetry: func(r Retry) { retries = append(retries, r) }}
			got, _, err := readAll(t, "s3://"+bucket+"/backups/node-7202.rdb?use_path_style=true", opts)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "bytes differ after resuming: got %d bytes, want %d", len(got), len(want))

			require.Len(t, retries, len(tt.cuts))
			for _, r := range retries {
				assert.Greater(t, r.Offset, int64(0), "resumed from byte 0")
				assert.Less(t, r.Offset, int64(len(want)))
				assert.Equal(t, int64(len(want)), r.Size)
				assert.Equal(t, 1, r.Attempt)
				assert.Contains(t, r.String(), "resuming from byte")
				assert.Contains(t, p.Requests(), "Range: bytes="+itoa(r.Offset)+"-", "no ranged request from the offset reached")
			}
		})
	}
}

// TestS3ResumeAfterStall stops the data in the middle of an object
// without closing the connection: the stall timeout must turn that into a
// resumed read.
func TestS3ResumeAfterStall(t *testing.T) {
	_, p, dumps := proxiedS3(t)
	want := dumps["backups/node-7202.rdb"]
	p.StallAt(2 << 20)

	var retries []Retry
	opts := &Options{Backoff: time.Millisecond, StallTimeout: 300 * time.Millisecond, OnRetry: func(r Retry) { retries = append(retries, r) }}
	got, _, err := readAll(t, "s3://"+bucket+"/backups/node-7202.rdb?use_path_style=true", opts)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "bytes differ after a stall")
	require.Len(t, retries, 1)
	assert.ErrorIs(t, retries[0].Err, errStalled)
}

// TestS3RetriesBounded: once the store is unreachable, the read gives up
// after the configured number of retries with an error naming the cause.
func TestS3RetriesBounded(t *testing.T) {
	_, p, _ := proxiedS3(t, 1<<20)
	p.RefuseAfterCut()

	var retries []Retry
	opts := &Options{Retries: 3, Backoff: time.Millisecond, OnRetry: func(r Retry) { retries = append(retries, r) }}
	got, _, err := readAll(t, "s3://"+bucket+"/backups/node-7202.rdb?use_path_style=true", opts)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "giving up after 3 retries")
	assert.Len(t, retries, 3)
	assert.Equal(t, []int{1, 2, 3}, []int{retries[0].Attempt, retries[1].Attempt, retries[2].Attempt})
	assert.Less(t, len(got), 5<<20)
}

// TestS3ChangedDuringRead replaces (or deletes) the object while it is
// read; the connection is then cut, and the resumed read must fail with
// ErrChanged, having delivered only bytes of the original object.
func TestS3ChangedDuringRead(t *testing.T) {
	tests := []struct {
		name    string
		replace func(t *testing.T, s *objstoretest.S3, old []byte)
	}{
		{"same size, new content", func(t *testing.T, s *objstoretest.S3, old []byte) {
			changed := bytes.Clone(old)
			changed[len(changed)-100] ^= 0xff
			s.Put(t, bucket, "backups/node-7202.rdb", changed)
		}},
		{"grown", func(t *testing.T, s *objstoretest.S3, old []byte) {
			s.Put(t, bucket, "backups/node-7202.rdb", append(bytes.Clone(old), "more"...))
		}},
		{"deleted", func(t *testing.T, s *objstoretest.S3, _ []byte) {
			_, err := s.Backend.DeleteObject(bucket, "backups/node-7202.rdb")
			require.NoError(t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, dumps := proxiedS3(t, 1<<20)
			old := dumps["backups/node-7202.rdb"]

			var retries int
			r, err := Open(context.Background(), "s3://"+bucket+"/backups/node-7202.rdb?use_path_style=true",
				&Options{Backoff: time.Millisecond, OnRetry: func(Retry) { retries++ }})
			require.NoError(t, err)
			defer r.Close()
			head := make([]byte, 512<<10)
			_, err = io.ReadFull(r, head)
			require.NoError(t, err)
			tt.replace(t, s, old)

			rest, err := io.ReadAll(r)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrChanged)
			assert.Contains(t, err.Error(), "rewritten while it was read")
			got := append(head, rest...)
			assert.Less(t, len(got), len(old))
			assert.True(t, bytes.Equal(old[:len(got)], got), "bytes of another version were delivered")
			assert.Equal(t, 1, retries)
			_, err = r.Read(make([]byte, 10))
			assert.ErrorIs(t, err, ErrChanged, "the error sticks")
		})
	}
}

// TestS3Writer checks that an output becomes visible only when complete:
// after Close it is there byte for byte, after Abort nothing changed. The
// big case goes through a multipart upload.
func TestS3Writer(t *testing.T) {
	small := bytes.Repeat([]byte(`{"node":"node-7202","keys":68}`+"\n"), 200)
	big := bytes.Repeat([]byte("0123456789abcdef"), 9<<20/16) // more than one 8 MiB part
	tests := []struct {
		name   string
		data   []byte
		before []byte // object already at the key
		commit bool
	}{
		{"small commit", small, nil, true},
		{"small abort", small, nil, false},
		{"abort keeps the previous output", small, []byte("previous run"), false},
		{"commit replaces the previous output", small, []byte("previous run"), true},
		{"multipart commit", big, nil, true},
		{"multipart abort", big, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startS3(t)
			s.Bucket(t, bucket)
			if tt.before != nil {
				s.Put(t, bucket, "reports/run.json", tt.before)
			}
			s3Env(t, s.URL)

			w, err := Create(context.Background(), "s3://"+bucket+"/reports/run.json?use_path_style=true")
			require.NoError(t, err)
			for chunk := range slices(tt.data, 64<<10) {
				_, err := w.Write(chunk)
				require.NoError(t, err)
			}
			assert.Equal(t, tt.before, s.Get(t, bucket, "reports/run.json"), "visible before Close")
			if tt.commit {
				require.NoError(t, w.Close())
				assert.True(t, bytes.Equal(tt.data, s.Get(t, bucket, "reports/run.json")), "committed object differs")
				assert.NoError(t, w.Abort(), "Abort after Close does nothing")
			} else {
				require.NoError(t, w.Abort())
				assert.NoError(t, w.Close(), "Close after Abort does nothing")
			}
			if !tt.commit {
				assert.Equal(t, tt.before, s.Get(t, bucket, "reports/run.json"), "Abort changed the object")
			}
			_, err = w.Write([]byte("late"))
			assert.Error(t, err)
		})
	}
}

// slices yields data in chunks of at most n bytes.
func slices(data []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(data) > 0 {
			k := min(n, len(data))
			if !yield(data[:k]) {
				return
			}
			data = data[k:]
		}
	}
}

// TestS3Errors checks that each failure names its class and what to do.
func TestS3Errors(t *testing.T) {
	s := startS3(t)
	incident(t, s)

	tests := []struct {
		name  string
		creds bool
		call  func(url string) error
		url   string
		class error
		says  []string
	}{
		{"no such bucket", true, list, "s3://no-such-bucket/backups/?use_path_style=true", ErrNotFound,
			[]string{`no such bucket "no-such-bucket"`}},
		{"no such object", true, open, "s3://" + bucket + "/backups/node-1.rdb?use_path_style=true", ErrNotFound,
			[]string{"no such object", bucket}},
		{"no such object (list)", true, list, "s3://" + bucket + "/backups/node-1.rdb?use_path_style=true", ErrNotFound,
			[]string{"no such object"}},
		{"empty prefix", true, list, "s3://" + bucket + "/nothing/?use_path_style=true", ErrNotFound,
			[]string{"no objects under this prefix"}},
		{"glob matches nothing", true, list, "s3://" + bucket + "/backups/*.zst?use_path_style=true", ErrNotFound,
			[]string{"no objects match this glob"}},
		{"create in missing bucket", true, create, "s3://no-such-bucket/out.json?use_path_style=true", ErrNotFound,
			[]string{`no such bucket "no-such-bucket"`}},
		{"no credentials (list)", false, list, "s3://" + bucket + "/backups/?use_path_style=true", ErrNoCredentials,
			[]string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "IRSA", "anonymous=true"}},
		{"no credentials (open)", false, open, "s3://" + bucket + "/backups/node-7200.rdb?use_path_style=true", ErrNoCredentials,
			[]string{"AWS_ACCESS_KEY_ID"}},
		{"no credentials (create)", false, create, "s3://" + bucket + "/out.json?use_path_style=true", ErrNoCredentials,
			[]string{"AWS_ACCESS_KEY_ID"}},
		{"open a prefix", true, open, "s3://" + bucket + "/backups/?use_path_style=true", nil,
			[]string{"names a prefix", "List"}},
		{"unknown parameter", true, list, "s3://" + bucket + "/backups/?use_path_style=true&colour=blue", nil,
			[]string{`"colour"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.creds {
				s3Env(t, s.URL)
			} else {
				isolateAWS(t)
				t.Setenv("AWS_ENDPOINT_URL", s.URL)
				t.Setenv("AWS_REGION", "us-east-1")
			}
			err := tt.call(tt.url)
			require.Error(t, err)
			if tt.class != nil {
				assert.ErrorIs(t, err, tt.class)
			}
			assert.True(t, strings.HasPrefix(err.Error(), strings.Split(tt.url, "?")[0]), "error does not start with the URL: %v", err)
			for _, s := range tt.says {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func list(url string) error {
	_, err := List(context.Background(), url)
	return err
}

func open(url string) error {
	r, err := Open(context.Background(), url, &Options{Backoff: time.Millisecond})
	if err == nil {
		r.Close()
		return errors.New("opened")
	}
	return err
}

func create(url string) error {
	w, err := Create(context.Background(), url)
	if err == nil {
		w.Abort()
		return errors.New("created")
	}
	return err
}

// ReadHead reads the first bytes only, all of a shorter object, and
// fails as Open does for a missing object or a prefix.
func TestS3ReadHead(t *testing.T) {
	s := startS3(t)
	dumps := incident(t, s)
	s3Env(t, s.URL)
	ctx := context.Background()
	head, err := ReadHead(ctx, "s3://"+bucket+"/backups/node-7202.rdb?use_path_style=true", 4096)
	require.NoError(t, err)
	assert.Equal(t, dumps["backups/node-7202.rdb"][:4096], head)
	s.Put(t, bucket, "backups/tiny", []byte("REDIS"))
	head, err = ReadHead(ctx, "s3://"+bucket+"/backups/tiny?use_path_style=true", 4096)
	require.NoError(t, err)
	assert.Equal(t, "REDIS", string(head))
	_, err = ReadHead(ctx, "s3://"+bucket+"/backups/missing.rdb?use_path_style=true", 4096)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = ReadHead(ctx, "s3://"+bucket+"/backups/?use_path_style=true", 4096)
	assert.ErrorContains(t, err, "names a prefix")
}
