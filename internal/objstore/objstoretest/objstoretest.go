// Package objstoretest holds the test doubles of object storage for the
// tests of several packages: an in-process S3 server on 127.0.0.1
// (gofakes3) and a TCP proxy that breaks connections on purpose. Nothing
// here talks to anything but the loopback interface. Only tests import it.
package objstoretest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
)

// S3 is a gofakes3 server with an in-memory backend.
type S3 struct {
	Backend *s3mem.Backend
	URL     string // http://127.0.0.1:PORT
}

// StartS3 starts a server, stopped when the test ends.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	backend := s3mem.New()
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewUnstartedServer(faker.Server())
	// gofakes3 writes some error responses twice; net/http logs that.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return &S3{Backend: backend, URL: srv.URL}
}

// Bucket creates a bucket.
func (s *S3) Bucket(t testing.TB, name string) {
	t.Helper()
	require.NoError(t, s.Backend.CreateBucket(name))
}

// Put stores an object.
func (s *S3) Put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	// Last-Modified is what gofakes3's HTTP handler would have stored.
	meta := map[string]string{"Last-Modified": time.Now().UTC().Format(http.TimeFormat)}
	_, err := s.Backend.PutObject(bucket, key, meta, bytes.NewReader(data), int64(len(data)), nil)
	require.NoError(t, err)
}

// Keys lists the keys of a bucket under prefix, sorted, straight from
// the backend.
func (s *S3) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	p := gofakes3.NewPrefix(&prefix, nil)
	res, err := s.Backend.ListBucket(bucket, &p, gofakes3.ListBucketPage{})
	require.NoError(t, err)
	var keys []string
	for _, c := range res.Contents {
		keys = append(keys, c.Key)
	}
	sort.Strings(keys)
	return keys
}

// Get returns an object's bytes straight from the backend, or nil when
// there is no such object.
func (s *S3) Get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	obj, err := s.Backend.GetObject(bucket, key, nil)
	if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) {
		return nil
	}
	require.NoError(t, err)
	defer obj.Contents.Close()
	data, err := io.ReadAll(obj.Contents)
	require.NoError(t, err)
	return data
}

// Env points the AWS SDK at endpoint with static test credentials, in
// the exact form docs/storage.md gives, and shuts every other source of
// AWS configuration out (the instance metadata service above all: it is
// not on the loopback interface).
func Env(t testing.TB, endpoint string) {
	t.Helper()
	IsolateAWS(t)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "rdbscope-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "rdbscope-test-secret")
	t.Setenv("AWS_REGION", "us-east-1")
}

// IsolateAWS clears every source of AWS configuration and credentials.
func IsolateAWS(t testing.TB) {
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

// Proxy forwards TCP connections from 127.0.0.1 to a target, and
// breaks them on purpose once the bytes sent back to clients (summed over
// all connections) reach a threshold.
type Proxy struct {
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
	onCut    func()     // called at each cut, before the connection is closed
}

// StartProxy starts a proxy to target (HOST:PORT), closed when the test
// ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &Proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// URL is the proxy's address as an endpoint URL.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *Proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// Requests returns what clients sent so far.
func (p *Proxy) Requests() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.sent)
}

func (p *Proxy) serve() {
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
func (p *Proxy) up(client, server net.Conn, done chan struct{}) {
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
func (p *Proxy) downstream(server, client net.Conn, done chan struct{}) {
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
				p.mu.Lock()
				f := p.onCut
				p.mu.Unlock()
				if f != nil {
					f()
				}
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
func (p *Proxy) take(chunk []byte) ([]byte, string) {
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

// CutAt makes the proxy cut the connection that carries the client's
// total received bytes past each threshold (ascending).
func (p *Proxy) CutAt(thresholds ...int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cuts = append(p.cuts, thresholds...)
}

// StallAt makes the proxy stop forwarding, once, at that many bytes,
// keeping the connection open.
func (p *Proxy) StallAt(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stallAt = n
}

// RefuseAfterCut makes the proxy close every new connection once it has
// cut one.
func (p *Proxy) RefuseAfterCut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = true
}

// Cuts is the number of connections cut so far.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cutCount
}

// OnCut sets a function called at each cut, before the connection is
// closed: a test changes the object being read there.
func (p *Proxy) OnCut(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onCut = f
}

// GCS is a fake-gcs-server behind an HTTP server on 127.0.0.1.
type GCS struct {
	Server *fakestorage.Server
	Host   string // 127.0.0.1:PORT, for STORAGE_EMULATOR_HOST
}

// StartGCS starts a server, stopped when the test ends.
func StartGCS(t testing.TB) *GCS {
	t.Helper()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, Scheme: "http", PublicHost: "127.0.0.1"})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.HTTPHandler())
	t.Cleanup(ts.Close)
	return &GCS{Server: srv, Host: strings.TrimPrefix(ts.URL, "http://")}
}

// Bucket creates a bucket.
func (g *GCS) Bucket(name string) {
	g.Server.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
}

// Put stores an object.
func (g *GCS) Put(bucket, key string, data []byte) {
	g.Server.CreateObject(fakestorage.Object{
		ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: key},
		Content:     data,
	})
}

// Get returns an object's bytes, or nil when there is none.
func (g *GCS) Get(bucket, key string) []byte {
	obj, err := g.Server.GetObject(bucket, key)
	if err != nil {
		return nil
	}
	return obj.Content
}

// GCSEnv points the Cloud Storage client at the emulator at host, and
// nowhere else.
func GCSEnv(t testing.TB, host string) {
	t.Helper()
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
}

// Azurite's documented development account; the key is public.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

var azuriteListening = regexp.MustCompile(`listens on http://(127\.0\.0\.1:\d+)`)

// StartAzurite runs azurite-blob on a free port and returns its
// host:port.
func StartAzurite(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("azurite-blob")
	if err != nil {
		t.Skip("azurite-blob not installed (npm install -g azurite): Azure Blob emulator test skipped")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--blobHost", "127.0.0.1", "--blobPort", "0",
		"--location", t.TempDir(), "--skipApiVersionCheck", "--loose")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := azuriteListening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case host := <-found:
		return host
	case <-time.After(30 * time.Second):
		t.Fatal("azurite-blob did not start within 30s")
	}
	return ""
}

// AzureEnv gives rdbscope Azurite's account and key; URLs then name
// the endpoint with ?protocol=http&domain=HOST.
func AzureEnv(t testing.TB) {
	t.Helper()
	t.Setenv("AZURE_STORAGE_ACCOUNT", azuriteAccount)
	t.Setenv("AZURE_STORAGE_KEY", azuriteKey)
	t.Setenv("AZURE_STORAGE_SAS_TOKEN", "")
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", "")
}

// AzureClient is a client of the Azurite at host, to set up blobs.
func AzureClient(t testing.TB, host string) *azblob.Client {
	t.Helper()
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	require.NoError(t, err)
	c, err := azblob.NewClientWithSharedKeyCredential("http://"+host+"/"+azuriteAccount, cred, nil)
	require.NoError(t, err)
	return c
}
