package testutil

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Redis is a throw-away redis-server for a test.
type Redis struct {
	Dir  string // its working directory, where SAVE writes dump.rdb
	Addr string // host:port
	conn *RESP
	stop func()
}

// StartRedis starts redis-server on a free loopback port, in dir (a new
// temporary directory when empty; a dump.rdb there is loaded), with no
// persistence of its own and the DEBUG command enabled, and waits until
// it answers (its dump loaded). The test is skipped when there is no
// redis-server (apt-get install redis-server). The server is killed,
// never saving, by Stop or when the test ends.
func StartRedis(t testing.TB, dir string) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server (apt-get install redis-server)")
	}
	return StartServer(t, bin, dir)
}

// StartServer is StartRedis for a given server binary (any Redis or
// Valkey version, see Servers) with extra configuration arguments
// ("--name", "value" pairs) after the defaults.
func StartServer(t testing.TB, bin, dir string, conf ...string) *Redis {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	var lastErr error
	for range 3 { // the free port may be taken before the server binds it
		s, err := tryStartRedis(t, bin, dir, conf)
		if err == nil {
			return s
		}
		lastErr = err
	}
	t.Fatalf("%s did not start: %v", bin, lastErr)
	return nil
}

// Server is a server binary tests can run against.
type Server struct {
	Name string // "redis-server-in-path" or the cache directory's name, e.g. "valkey-9.1.2"
	Bin  string
}

// ServersDir is where built servers are looked for: $RDBSCOPE_SERVERS,
// or rdbscope-servers/bin in the user's cache directory (~/.cache),
// where .ci/build-servers builds them (one directory per server holding
// its binary as "server").
func ServersDir() string {
	if d := os.Getenv("RDBSCOPE_SERVERS"); d != "" {
		return d
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(c, "rdbscope-servers", "bin")
}

// Servers lists the servers this machine has: redis-server in PATH (a
// distribution package) and every NAME/server under ServersDir.
func Servers() []Server {
	var out []Server
	if bin, err := exec.LookPath("redis-server"); err == nil {
		out = append(out, Server{"redis-server-in-path", bin})
	}
	if d := ServersDir(); d != "" {
		bins, _ := filepath.Glob(filepath.Join(d, "*", "server"))
		for _, b := range bins {
			if fi, err := os.Stat(b); err == nil && fi.Mode()&0o111 != 0 {
				out = append(out, Server{filepath.Base(filepath.Dir(b)), b})
			}
		}
	}
	return out
}

func tryStartRedis(t testing.TB, bin, dir string, conf []string) (*Redis, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logFile := filepath.Join(dir, "redis.log")
	args := append([]string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--enable-debug-command", "local", "--protected-mode", "yes",
		"--logfile", logFile}, conf...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s := &Redis{Dir: dir, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			if s.conn != nil {
				s.conn.c.Close()
			}
			_ = cmd.Process.Kill()
			<-exited
		})
	}
	deadline := time.Now().Add(60 * time.Second) // loading a big dump takes a while
	for {
		select {
		case err := <-exited:
			exited <- err
			log, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("exited: %v: %s", err, log)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			rc := NewRESP(c)
			_, err := rc.Do("PING") // -LOADING until the dump is loaded
			if err == nil {
				s.conn = rc
				t.Cleanup(s.stop)
				return s, nil
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("no answer on %s", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server without saving.
func (s *Redis) Stop() { s.stop() }

// Do runs one command; an error reply is returned as a RESPError.
func (s *Redis) Do(args ...string) (any, error) { return s.conn.Do(args...) }

// Must runs one command and fails the test on any error.
func (s *Redis) Must(t testing.TB, args ...string) any {
	t.Helper()
	v, err := s.conn.Do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v
}

// Pipe runs commands in batches without waiting for each reply and
// returns the replies in order. Any error fails the test.
func (s *Redis) Pipe(t testing.TB, cmds [][]string) []any {
	t.Helper()
	out := s.TryPipe(t, cmds)
	for i, v := range out {
		if e, ok := v.(RESPError); ok {
			t.Fatalf("%q: %v", cmds[i], e)
		}
	}
	return out
}

// TryPipe is Pipe that returns error replies as RESPError values instead
// of failing: for commands a server version may not know. A broken
// connection still fails the test.
func (s *Redis) TryPipe(t testing.TB, cmds [][]string) []any {
	t.Helper()
	const batch = 2000
	out := make([]any, 0, len(cmds))
	for len(cmds) > 0 {
		n := min(batch, len(cmds))
		_ = s.conn.c.SetDeadline(time.Now().Add(60 * time.Second))
		for _, c := range cmds[:n] {
			s.conn.Send(c...)
		}
		if err := s.conn.w.Flush(); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			v, err := s.conn.Read()
			if err != nil {
				t.Fatalf("%q: %v", cmds[i], err)
			}
			out = append(out, v)
		}
		cmds = cmds[n:]
	}
	return out
}

// Info returns a field of an INFO section.
func (s *Redis) Info(t testing.TB, section, field string) string {
	t.Helper()
	v := s.Must(t, "INFO", section)
	for _, line := range strings.Split(v.(string), "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok && k == field {
			return val
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return ""
}

// RESP speaks RESP2 over a connection, with pipelining.
type RESP struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

// NewRESP wraps a connection to a server.
func NewRESP(c net.Conn) *RESP {
	return &RESP{c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 64<<10)}
}

// RESPError is an error reply.
type RESPError string

func (e RESPError) Error() string { return string(e) }

// Send buffers one command; Do or a flush by Pipe sends it.
func (rc *RESP) Send(args ...string) {
	fmt.Fprintf(rc.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(rc.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

// Read reads one reply: string, int64, nil, []any or RESPError.
func (rc *RESP) Read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("bad reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return RESPError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = rc.Read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown reply type %q", line)
}

// Do runs one command; an error reply is returned as an error.
func (rc *RESP) Do(args ...string) (any, error) {
	_ = rc.c.SetDeadline(time.Now().Add(60 * time.Second))
	rc.Send(args...)
	if err := rc.w.Flush(); err != nil {
		return nil, err
	}
	v, err := rc.Read()
	if e, ok := v.(RESPError); ok && err == nil {
		return nil, e
	}
	return v, err
}
