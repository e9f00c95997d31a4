package objstore

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
)

// This file holds the test doubles: an in-process S3 server on 127.0.0.1
// and a TCP proxy that breaks connections on purpose. Nothing here talks
// to anything but the loopback interface.

// corpusDir holds the incident dumps, relative to this package.
const corpusDir = "../../../shared/corpus/generated/incident-redis-7.0.15"

// corpusFile reads one corpus dump, skipping the test when the corpus is
// absent.
func corpusFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if os.IsNotExist(err) {
		t.Skipf("corpus file %s absent: %v", name, err)
	}
	require.NoError(t, err)
	return data
}

// fakeS3 is a gofakes3 server with an in-memory backend.
type fakeS3 struct {
	backend *s3mem.Backend
	url     string // http://127.0.0.1:PORT
}

func startS3(t *testing.T) *fakeS3 {
	t.Helper()
	backend := s3mem.New()
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewUnstartedServer(faker.Server())
	// gofakes3 writes some error responses twice; net/http logs that.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return &fakeS3{backend: backend, url: srv.URL}
}

func (s *fakeS3) bucket(t *testing.T, name string) {
	t.Helper()
	require.NoError(t, s.backend.CreateBucket(name))
}

func (s *fakeS3) put(t *testing.T, bucket, key string, data []byte) {
	t.Helper()
	// Last-Modified is what gofakes3's HTTP handler would have stored.
	meta := map[string]string{"Last-Modified": time.Now().UTC().Format(http.TimeFormat)}
	_, err := s.backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil)
	require.NoError(t, err)
}

// get returns an object's bytes straight from the backend, or nil when
// there is no such object.
func (s *fakeS3) get(t *testing.T, bucket, key string) []byte {
	t.Helper()
	obj, err := s.backend.GetObject(bucket, key, nil)
	if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
		return nil
	}
	require.NoError(t, err)
	defer obj.Contents.Close()
	data, err := io.ReadAll(obj.Contents)
	require.NoError(t, err)
	return data
}

// s3Env points the AWS SDK at endpoint with static test credentials, in
// the exact form docs/storage.md gives, and shuts every other source of
// AWS configuration out (the instance metadata service above all: it is
// not on the loopback interface).
func s3Env(t *testing.T, endpoint string) {
	t.Helper()
	isolateAWS(t)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "rdbscope-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "rdbscope-test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
}

func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// faultProxy forwards TCP connections from 127.0.0.1 to a target, and
// breaks them on purpose once the bytes sent back to clients (summed over
// all connections) reach a threshold.
type faultProxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	down     int64      // bytes forwarded from the target so far
	cuts     []int64    // ascending thresholds: cut the connection that reaches each
	stallAt  int64      // >0: stop forwarding at this threshold (once), keeping the connection open
	refuse   bool       // after the first cut, close new connections at once
	cutCount int        // cuts made so far
	sent     []byte     // what clients sent (request lines and headers are what tests look at)
	conns    []net.Conn // every connection, closed at the end
}

func startProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &faultProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// url is the proxy's address as an endpoint URL.
func (p *faultProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *faultProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// requests returns what clients sent so far.
func (p *faultProxy) requests() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.sent)
}

func (p *faultProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse && p.cutCount > 0
		p.conns = append(p.conns, client)
		p.mu.Unlock()
		if refuse {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, server)
		p.mu.Unlock()
		done := make(chan struct{})
		go p.up(client, server, done)
		go p.downstream(server, client, done)
	}
}

// up copies requests to the target, recording them.
func (p *faultProxy) up(client, server net.Conn, done chan struct{}) {
	defer close(done)
	defer server.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.sent = append(p.sent, buf[:n]...)
			p.mu.Unlock()
			if _, werr := server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// downstream copies responses to the client, cutting or stalling at the
// thresholds.
func (p *faultProxy) downstream(server, client net.Conn, done chan struct{}) {
	defer client.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			chunk, action := p.take(buf[:n])
			if len(chunk) > 0 {
				if _, werr := client.Write(chunk); werr != nil {
					return
				}
			}
			switch action {
			case "cut":
				server.Close()
				return
			case "stall":
				<-done // until the client gives up on this connection
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// take decides how much of chunk to forward, and what to do after.
func (p *faultProxy) take(chunk []byte) ([]byte, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stallAt > 0 && p.down+int64(len(chunk)) >= p.stallAt {
		keep := p.stallAt - p.down
		p.down = p.stallAt
		p.stallAt = 0
		return chunk[:keep], "stall"
	}
	if len(p.cuts) > 0 && p.down+int64(len(chunk)) >= p.cuts[0] {
		keep := p.cuts[0] - p.down
		p.down = p.cuts[0]
		p.cuts = p.cuts[1:]
		p.cutCount++
		return chunk[:keep], "cut"
	}
	p.down += int64(len(chunk))
	return chunk, ""
}
