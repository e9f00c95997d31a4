package objstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
)

// These tests cover what the Cloud Storage driver (gcs.go) does beyond
// the behaviour the other gs tests share with S3 and Azure.

// TestGCSGzipStoredBytes: an object stored with Content-Encoding: gzip is
// read as stored, also when a read is resumed with a range, and its size
// is the stored size.
func TestGCSGzipStoredBytes(t *testing.T) {
	g := startGCS(t)
	g.Bucket(bucket)
	var stored bytes.Buffer
	zw := gzip.NewWriter(&stored)
	for i := 0; stored.Len() < 2<<20; i++ {
		fmt.Fprintf(zw, "key:%d:%x\n", i, i*7919)
		if i%4096 == 0 {
			zw.Flush()
		}
	}
	require.NoError(t, zw.Close())
	g.Server.CreateObject(fakestorage.Object{
		ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: "exports/dump.rdb.gz", ContentEncoding: "gzip", ContentType: "application/octet-stream"},
		Content:     stored.Bytes(),
	})
	p := startProxy(t, g.Host)
	p.CutAt(1 << 20)
	gcsEnv(t, strings.TrimPrefix(p.URL(), "http://"))

	objs, err := List(context.Background(), "gs://"+bucket+"/exports/")
	require.NoError(t, err)
	require.Len(t, objs, 1)
	assert.Equal(t, int64(stored.Len()), objs[0].Size)

	var retries []Retry
	got, r, err := readAll(t, "gs://"+bucket+"/exports/dump.rdb.gz",
		&Options{Backoff: time.Millisecond, OnRetry: func(r Retry) { retries = append(retries, r) }})
	require.NoError(t, err)
	assert.True(t, bytes.Equal(stored.Bytes(), got), "not the stored bytes")
	assert.Equal(t, int64(stored.Len()), r.Size())
	require.Len(t, retries, 1)
	sent := p.Requests()
	assert.Contains(t, sent, "Accept-Encoding: gzip")
	assert.Contains(t, sent, "Range: bytes="+itoa(retries[0].Offset)+"-")
	assert.Contains(t, sent, "ifGenerationMatch="+itoa(objs[0].Generation), "the resumed read is conditional on the generation")
}

// TestGCSOddKeys: keys with characters that need escaping in a path.
func TestGCSOddKeys(t *testing.T) {
	g := startGCS(t)
	g.Bucket(bucket)
	gcsEnv(t, g.Host)
	key := "dir with spaces/node?1+2%3.rdb"
	g.Put(bucket, key, []byte("REDIS0011 odd"))
	g.Put(bucket, "empty.rdb", nil)

	objs, err := List(context.Background(), "gs://"+bucket+"/dir%20with%20spaces/")
	require.NoError(t, err)
	require.Len(t, objs, 1)
	assert.Equal(t, key, objs[0].Key)
	got, _, err := readAll(t, objs[0].URL, nil)
	require.NoError(t, err)
	assert.Equal(t, "REDIS0011 odd", string(got))

	head, err := ReadHead(context.Background(), "gs://"+bucket+"/empty.rdb", 64)
	require.NoError(t, err, "an empty object has an empty head")
	assert.Empty(t, head)
	head, err = ReadHead(context.Background(), objs[0].URL, 5)
	require.NoError(t, err)
	assert.Equal(t, "REDIS", string(head))
}

// TestGCSResumableUpload: an object larger than a chunk goes through a
// resumable session that only its last chunk commits; a canceled upload
// commits nothing.
func TestGCSResumableUpload(t *testing.T) {
	g := startGCS(t)
	g.Bucket(bucket)
	g.Put(bucket, "reports/big.json", []byte("previous"))
	gcsEnv(t, g.Host)
	ctx := context.Background()
	l, err := parseURL("gs://" + bucket + "/reports/big.json")
	require.NoError(t, err)
	b, err := openGCS(ctx, l)
	require.NoError(t, err)
	defer b.Close()
	var gb *gcsBucket
	require.True(t, b.As(&gb))
	gb.chunk = 256 << 10
	data := bytes.Repeat([]byte("0123456789abcdef"), (3*gb.chunk+1000)/16)

	wctx, cancel := context.WithCancel(ctx)
	w, err := b.NewWriter(wctx, "reports/big.json", &blob.WriterOptions{ContentType: "application/json"})
	require.NoError(t, err)
	_, err = w.Write(data[:2*gb.chunk+10])
	require.NoError(t, err)
	cancel()
	assert.Error(t, w.Close())
	assert.Equal(t, []byte("previous"), g.Get(bucket, "reports/big.json"), "a canceled upload committed")

	require.NoError(t, b.Upload(ctx, "reports/big.json", bytes.NewReader(data), &blob.WriterOptions{ContentType: "application/json"}))
	assert.True(t, bytes.Equal(data, g.Get(bucket, "reports/big.json")), "the object is not the bytes written")
	a, err := b.Attributes(ctx, "reports/big.json")
	require.NoError(t, err)
	assert.Equal(t, "application/json", a.ContentType)
	assert.Equal(t, int64(len(data)), a.Size)
}

// fakeAPI serves status and body for every request, and counts them.
func fakeAPI(t *testing.T, status int, body string) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	// The scheme form of STORAGE_EMULATOR_HOST.
	gcsEnv(t, srv.URL)
	return &n
}

func apiError(code int, reason, msg string) string {
	return fmt.Sprintf(`{"error":{"code":%d,"message":%q,"errors":[{"message":%q,"domain":"global","reason":%q}]}}`, code, msg, msg, reason)
}

func TestGCSErrorClasses(t *testing.T) {
	t.Run("forbidden", func(t *testing.T) {
		fakeAPI(t, http.StatusForbidden, apiError(403, "forbidden", "caller does not have storage.objects.list access to the Google Cloud Storage bucket. Permission 'storage.objects.list' denied on resource (or it may not exist)."))
		err := list("gs://" + bucket + "/backups/")
		assert.ErrorIs(t, err, ErrAccessDenied)
		assert.ErrorContains(t, err, "storage.objects.list")
		assert.ErrorContains(t, err, "roles/storage.objectViewer")
		err = open("gs://" + bucket + "/backups/node-1.rdb")
		assert.ErrorIs(t, err, ErrAccessDenied)
		// Credentials that may write but not list the bucket pass the
		// check before a run.
		assert.NoError(t, CheckBucket(context.Background(), "gs://"+bucket+"/reports/"))
	})
	t.Run("no bucket", func(t *testing.T) {
		fakeAPI(t, http.StatusNotFound, apiError(404, "notFound", "The specified bucket does not exist."))
		err := list("gs://" + bucket + "/backups/")
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorContains(t, err, `no such bucket "`+bucket+`"`)
		err = CheckBucket(context.Background(), "gs://"+bucket+"/reports/")
		assert.ErrorIs(t, err, ErrNotFound)
	})
	t.Run("unavailable: retried, then reported", func(t *testing.T) {
		n := fakeAPI(t, http.StatusServiceUnavailable, "backend unavailable\n")
		err := list("gs://" + bucket + "/backups/")
		assert.ErrorContains(t, err, "HTTP 503: backend unavailable")
		assert.Equal(t, int32(gcsAttempts), n.Load(), "a listing is retried")
	})
	t.Run("reads are retried by Reader only", func(t *testing.T) {
		n := fakeAPI(t, http.StatusServiceUnavailable, apiError(503, "backendError", "try again"))
		var retries int
		_, err := Open(context.Background(), "gs://"+bucket+"/node.rdb",
			&Options{Retries: 2, Backoff: time.Millisecond, OnRetry: func(Retry) { retries++ }})
		assert.ErrorContains(t, err, "giving up after 2 retries")
		assert.Equal(t, 2, retries)
		assert.Equal(t, int32(3), n.Load(), "one request per attempt")
	})
}

func TestGCSURLParameters(t *testing.T) {
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	tests := []struct {
		query    string
		endpoint string
		err      string
	}{
		{"anonymous=true", "https://storage.googleapis.com", ""},
		{"access_id=-", "https://storage.googleapis.com", ""},
		{"anonymous=true&universe_domain=example.net", "https://storage.example.net", ""},
		{"anonymous=true&grpc=true", "https://storage.googleapis.com", ""},
		{"anonymous=maybe", "", `invalid value "maybe" for query parameter "anonymous"`},
		{"anonymous=true&region=eu", "", `invalid query parameter "region"`},
		{"anonymous=true&zonal=true", "", "gRPC"},
		{"anonymous=true&universe_domain=evil.example/x", "", `invalid value "evil.example/x" for query parameter "universe_domain"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			require.NoError(t, err)
			b, err := newGCSBucket(context.Background(), location{scheme: "gs", bucket: bucket, query: q})
			if tt.err != "" {
				assert.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.endpoint, b.endpoint)
			_, plain := b.client.Transport.(*http.Transport)
			assert.True(t, plain, "anonymous access sends no credentials")
		})
	}
}

func TestGCSEscape(t *testing.T) {
	assert.Equal(t, "a%2Fb%20c%3F%2B~_.-", gcsEscape("a/b c?+~_.-"))
	assert.Equal(t, "%C3%A9", gcsEscape("é"))
}

// stubGCS serves every request with h, as the emulator host.
func stubGCS(t *testing.T, h http.HandlerFunc) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	gcsEnv(t, srv.URL)
}

// TestGCSReadQuirks: responses real Cloud Storage may send that the
// emulator does not.
func TestGCSReadQuirks(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	t.Run("range ignored: a head read gets only its bytes", func(t *testing.T) {
		stubGCS(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Goog-Generation", "7")
			w.Header().Set("X-Goog-Stored-Content-Length", fmt.Sprint(len(data)))
			w.Write(data) // 200, the Range header ignored
		})
		head, err := ReadHead(context.Background(), "gs://"+bucket+"/node.rdb", 9)
		require.NoError(t, err)
		assert.Equal(t, data[:9], head)
	})
	t.Run("empty object: 416 without Content-Range", func(t *testing.T) {
		stubGCS(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			io.WriteString(w, apiError(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied."))
		})
		head, err := ReadHead(context.Background(), "gs://"+bucket+"/empty.rdb", 9)
		require.NoError(t, err)
		assert.Empty(t, head)
	})
	t.Run("gzip object sent decompressed: a clear error, not retried", func(t *testing.T) {
		var n atomic.Int32
		stubGCS(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("X-Goog-Stored-Content-Encoding", "gzip")
			w.Header().Set("X-Goog-Stored-Content-Length", "1000")
			w.Write(data) // no Content-Encoding: transcoded
		})
		_, err := Open(context.Background(), "gs://"+bucket+"/node.rdb.gz", &Options{Retries: 3, Backoff: time.Millisecond})
		assert.ErrorContains(t, err, "Cache-Control: no-transform")
		assert.NotErrorIs(t, err, ErrChanged)
		assert.Equal(t, int32(1), n.Load(), "not retried")
	})
}

// TestGCSTokenRefused: credentials the token endpoint refuses are a
// credentials error, reported at once, not a failure to retry.
func TestGCSTokenRefused(t *testing.T) {
	var n atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`)
	}))
	t.Cleanup(tokens.Close)
	creds := t.TempDir() + "/adc.json"
	require.NoError(t, os.WriteFile(creds, []byte(fmt.Sprintf(
		`{"type":"authorized_user","client_id":"id","client_secret":"secret","refresh_token":"revoked","token_uri":%q}`, tokens.URL)), 0o600))
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", creds)

	_, err := Open(context.Background(), "gs://"+bucket+"/node.rdb", &Options{Retries: 3, Backoff: time.Millisecond})
	assert.ErrorIs(t, err, ErrNoCredentials)
	assert.Equal(t, int32(1), n.Load(), "not retried")
	n.Store(0)
	assert.ErrorIs(t, list("gs://"+bucket+"/backups/"), ErrNoCredentials)
	assert.Equal(t, int32(1), n.Load(), "not retried")
}

// flakySession is a resumable upload session that fails some chunk
// requests: fail(n) says what the n-th chunk request (1-based) does.
type flakySession struct {
	mu       sync.Mutex
	stored   []byte
	done     bool
	requests int
	fail     func(n int) (storeFirst bool, status int)
	// neverCommit: the session answers 308 to the request that should
	// commit it (a last chunk whose response was lost, then queries).
	neverCommit bool
}

func (s *flakySession) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPost {
		w.Header().Set("Location", "http://"+r.Host+"/session")
		return
	}
	body, _ := io.ReadAll(r.Body)
	rng := r.Header.Get("Content-Range")
	last := !strings.HasSuffix(rng, "/*")
	if len(body) > 0 {
		s.requests++
		store, status := s.fail(s.requests)
		if status != 0 && !store {
			w.WriteHeader(status)
			return
		}
		var start int
		fmt.Sscanf(rng, "bytes %d-", &start)
		if start != len(s.stored) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.stored = append(s.stored, body...)
		if last && !s.neverCommit {
			s.done = true
		}
		if status != 0 { // stored, but the response is lost
			w.WriteHeader(status)
			return
		}
	} else if last && !s.done && !s.neverCommit {
		s.done = true
	}
	if s.done {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"name":"x"}`)
		return
	}
	if len(s.stored) > 0 {
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", len(s.stored)-1))
	}
	w.WriteHeader(http.StatusPermanentRedirect)
}

// TestGCSUploadChunkRetried: a chunk whose request fails in a way that may
// pass is sent again from what the session says it stored, and the
// object is the bytes written; a session that keeps failing fails the
// upload.
func TestGCSUploadChunkRetried(t *testing.T) {
	tests := []struct {
		name    string
		fail    func(n int) (bool, int)
		wantErr string
	}{
		{"first chunk 503, nothing stored", func(n int) (bool, int) {
			if n == 1 {
				return false, http.StatusServiceUnavailable
			}
			return false, 0
		}, ""},
		{"second chunk stored, response lost", func(n int) (bool, int) {
			if n == 2 {
				return true, http.StatusBadGateway
			}
			return false, 0
		}, ""},
		{"last chunk stored, response lost", func(n int) (bool, int) {
			if n == 4 {
				return true, http.StatusInternalServerError
			}
			return false, 0
		}, ""},
		{"always 503", func(int) (bool, int) { return false, http.StatusServiceUnavailable }, "HTTP 503"},
		{"never commits: fails, does not loop", nil, "did not commit"},
		{"not found is not retried", func(int) (bool, int) { return false, http.StatusNotFound }, "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &flakySession{fail: tt.fail}
			if tt.fail == nil {
				s.fail = func(int) (bool, int) { return false, 0 }
				s.neverCommit = true
			}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			gcsEnv(t, srv.URL)
			l, err := parseURL("gs://" + bucket + "/reports/big.json")
			require.NoError(t, err)
			gb, err := newGCSBucket(context.Background(), l)
			require.NoError(t, err)
			gb.chunk = 256 << 10
			data := bytes.Repeat([]byte("0123456789abcdef"), (3*gb.chunk+1000)/16)
			w, err := gb.NewTypedWriter(context.Background(), "reports/big.json", "application/json", &driver.WriterOptions{})
			require.NoError(t, err)
			_, err = w.Write(data)
			if err == nil {
				err = w.Close()
			}
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, s.done)
			assert.True(t, bytes.Equal(data, s.stored), "the object is not the bytes written")
		})
	}
}
