package memmodel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdbscope/rdbscope/parse"
)

// respConn is a minimal RESP2 client: enough to fill a server and read
// integer / bulk / status / array replies.
type respConn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func (rc *respConn) send(args ...string) {
	fmt.Fprintf(rc.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(rc.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (rc *respConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, errors.New(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := ioReadFull(rc.r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			v, err := rc.read()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("bad reply %q", line)
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// do sends commands pipelined and returns their replies; an error reply
// fails the test.
func (rc *respConn) do(t testing.TB, cmds ...[]string) []any {
	t.Helper()
	out := rc.try(t, cmds...)
	for i, v := range out {
		if err, ok := v.(error); ok {
			t.Fatalf("%v: %v", cmds[i], err)
		}
	}
	return out
}

// try sends commands pipelined and returns their replies, errors
// included (commands a server version does not know).
func (rc *respConn) try(t testing.TB, cmds ...[]string) []any {
	t.Helper()
	for _, c := range cmds {
		rc.send(c...)
	}
	if err := rc.w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(cmds))
	for i := range cmds {
		v, err := rc.read()
		if err != nil {
			v = err
			if errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(err.Error(), "EOF") {
				t.Fatalf("%v: %v", cmds[i], err)
			}
		}
		out[i] = v
	}
	return out
}

// testServer is a server binary the integration test runs against.
type testServer struct{ name, bin string }

// serversDir is where built servers are looked for: $RDBSCOPE_SERVERS, or
// rdbscope-servers/bin in the user's cache directory (~/.cache), where
// .ci/run builds them (one directory per server holding its binary as
// "server").
func serversDir() string {
	if d := os.Getenv("RDBSCOPE_SERVERS"); d != "" {
		return d
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(c, "rdbscope-servers", "bin")
}

// testServers lists the servers this machine has: redis-server in PATH
// (a distribution package) and every NAME/server under serversDir.
func testServers() []testServer {
	var out []testServer
	if bin, err := exec.LookPath("redis-server"); err == nil {
		out = append(out, testServer{"redis-server-in-path", bin})
	}
	if d := serversDir(); d != "" {
		bins, _ := filepath.Glob(filepath.Join(d, "*", "server"))
		for _, b := range bins {
			if fi, err := os.Stat(b); err == nil && fi.Mode()&0o111 != 0 {
				out = append(out, testServer{filepath.Base(filepath.Dir(b)), b})
			}
		}
	}
	return out
}

// startRedis starts a throw-away server on a free loopback port with its
// dump in dir (loading dump.rdb if there is one) and the given extra
// configuration, and waits until it answers PING (loading done). stop
// kills it (SIGKILL: it never saves).
func startRedis(t *testing.T, bin, dir string, conf ...string) (rc *respConn, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip("no loopback: " + err.Error())
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "log")}, conf...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start " + bin + ": " + err.Error())
	}
	var once sync.Once
	var c net.Conn
	stop = func() {
		once.Do(func() {
			if c != nil {
				c.Close()
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	for i := 0; i < 200; i++ {
		c, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("redis-server did not come up: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	rc = &respConn{c: c, r: bufio.NewReader(c), w: bufio.NewWriter(c)}
	for i := 0; ; i++ {
		rc.send("PING")
		if err := rc.w.Flush(); err != nil {
			t.Fatal(err)
		}
		if _, err := rc.read(); err == nil {
			break
		} else if i == 400 {
			t.Fatalf("redis-server still loading: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return rc, stop
}

// fill writes every type and encoding the model knows.
func fill(t *testing.T, rc *respConn) {
	var cmds [][]string
	add := func(a ...string) { cmds = append(cmds, a) }
	pad := func(n int, seed int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + (i*7+seed)%26)
		}
		return string(b)
	}
	for i := 0; i < 300; i++ {
		add("SET", "int:"+strconv.Itoa(i), strconv.Itoa(i*37))                // shared and plain ints
		add("SET", strconv.Itoa(100000+i), strconv.Itoa(1<<40+i))             // integer-looking key
		add("SET", "emb:"+strconv.Itoa(i), pad(1+i%44, i))                    // embstr
		add("SET", "raw:"+strconv.Itoa(i), pad(45+i*37, i), "EX", "100000")   // raw, TTL
		add("SET", "k"+pad(20+i%300, i), "v")                                 // long key names
		add("RPUSH", "ql:"+strconv.Itoa(i), pad(10+i%50, i), strconv.Itoa(i)) // small list
	}
	for i := 0; i < 20; i++ {
		k := "bigl:" + strconv.Itoa(i)
		args := []string{"RPUSH", k}
		for j := 0; j < 200+i*150; j++ {
			args = append(args, pad(5+j%40, j), strconv.Itoa(j*i))
		}
		add(args...)
		add("RPUSH", "huge:"+strconv.Itoa(i), pad(9000+i*1000, i), pad(20000, i), "x") // large nodes
	}
	for i := 0; i < 60; i++ {
		n := 5 + i*10
		is := []string{"SADD", "is:" + strconv.Itoa(i)}
		ss := []string{"SADD", "ss:" + strconv.Itoa(i)}
		zs := []string{"ZADD", "z:" + strconv.Itoa(i)}
		hs := []string{"HSET", "h:" + strconv.Itoa(i)}
		hi := []string{"HSET", "hi:" + strconv.Itoa(i)}
		for j := 0; j < n; j++ {
			is = append(is, strconv.Itoa(j*(i+1)*1000))
			ss = append(ss, "m"+pad(3+j%30, j))
			zs = append(zs, strconv.FormatFloat(float64(j)*1.5, 'f', -1, 64), "zm"+pad(2+j%20, j))
			hs = append(hs, "f"+pad(2+j%10, j), pad(1+j%(30+i), i))
			hi = append(hi, strconv.Itoa(j), strconv.Itoa(j*j))
		}
		add(is...)
		add(ss...)
		add(zs...)
		add(hs...)
		add(hi...)
	}
	// Hashes of 4-33 fields with one value over hash-max-listpack-value at
	// a random place and random field names: saved as plain RDB hashes,
	// loaded into a listpack and converted at the long value (the
	// position the parser reports as LongElem), often ending mid-rehash.
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 400; i++ {
		n := 4 + rng.Intn(30)
		long := rng.Intn(n)
		args := []string{"HSET", "hl:" + strconv.Itoa(i)}
		for j := 0; j < n; j++ {
			v := pad(1+rng.Intn(20), j)
			if j == long {
				v = pad(65+rng.Intn(100), j)
			}
			args = append(args, "f"+strconv.FormatUint(rng.Uint64(), 36), v)
		}
		add(args...)
	}
	// stream with consumer groups and pending entries
	for s := 0; s < 3; s++ {
		k := "st:" + strconv.Itoa(s)
		for j := 0; j < 300*(s+1); j++ {
			add("XADD", k, "*", "user", strconv.Itoa(j), "action", pad(5+j%20, j))
		}
		add("XGROUP", "CREATE", k, "g1", "0")
		add("XGROUP", "CREATE", k, "g2", "$")
		add("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "50", "STREAMS", k, ">")
		add("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "30", "STREAMS", k, ">")
	}
	for i := 0; i < len(cmds); i += 2000 {
		rc.do(t, cmds[i:min(i+2000, len(cmds))]...)
	}
	// What only some versions have: hash field TTLs (Redis 7.4+, Valkey
	// 9) and vector sets (Redis 8). Errors mean the server has not.
	cmds = cmds[:0]
	for i := 0; i < 40; i++ {
		k := "hx:" + strconv.Itoa(i)
		args := []string{"HSET", k}
		for j := 0; j < 3+i*4; j++ {
			args = append(args, "f"+strconv.Itoa(j), pad(1+j%50, j))
		}
		add(args...)
		ex := []string{"HEXPIRE", k, strconv.Itoa(100000 + i), "FIELDS", strconv.Itoa(1 + i*2)}
		for j := 0; j < 1+i*2; j++ {
			ex = append(ex, "f"+strconv.Itoa(j))
		}
		add(ex...)
	}
	for i := 0; i < 6; i++ {
		k := "vs:" + strconv.Itoa(i)
		for j := 0; j < 10+i*60; j++ {
			args := []string{"VADD", k}
			if i%3 == 1 {
				args = append(args, "REDUCE", "4")
			}
			args = append(args, "VALUES", "8")
			for d := 0; d < 8; d++ {
				args = append(args, strconv.FormatFloat(float64((j*7+d*13)%17)/17, 'f', 3, 64))
			}
			args = append(args, "el:"+pad(3+j%60, j))
			switch i % 3 {
			case 0:
				args = append(args, "Q8")
			case 2:
				args = append(args, "NOQUANT", "SETATTR", `{"n":`+strconv.Itoa(j)+`}`)
			}
			add(args...)
		}
	}
	for i := 0; i < len(cmds); i += 2000 {
		rc.try(t, cmds[i:min(i+2000, len(cmds))]...)
	}
}

// nonDefault is a configuration far from the defaults: every conversion
// on load that it decides (hashes kept as listpacks up to 1024 fields,
// zsets converted to skiplists above 16, sets kept as intsets up to 10000,
// list nodes of 8 entries, interior list nodes compressed).
var nonDefault = map[string]string{
	"hash-max-listpack-entries": "1024",
	"zset-max-listpack-entries": "16",
	"list-max-listpack-size":    "8",
	"list-compress-depth":       "1",
	"set-max-intset-entries":    "10000",
}

// TestRedisServerAccuracy fills every server this machine has (see
// testServers) with every type and encoding, saves, restarts it on the
// dump, and compares every key's estimate with MEMORY USAGE and OBJECT
// ENCODING; then restarts it once more with a non-default configuration
// (nonDefault) and compares again with the model given that
// configuration, which must replay the conversions the server makes on
// load. Servers that are absent are skipped.
func TestRedisServerAccuracy(t *testing.T) {
	servers := testServers()
	if len(servers) == 0 {
		t.Skip("no redis-server in PATH and no server under " + serversDir())
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			dir := t.TempDir()
			rc, stop := startRedis(t, srv.bin, dir)
			fill(t, rc)
			rc.do(t, []string{"SAVE"})
			stop()
			// A restart, not DEBUG RELOAD: the loading server must have
			// another hash seed than the one that wrote the dump, as on a
			// real restart (the same seed makes the field order of the
			// dump and the bucket layout on load correlated).
			t.Run("defaults", func(t *testing.T) {
				rc, _ := startRedis(t, srv.bin, dir)
				compareServer(t, rc, filepath.Join(dir, "dump.rdb"), Config{})
			})
			t.Run("non-default config", func(t *testing.T) {
				var conf []string
				for k, v := range nonDefault {
					conf = append(conf, "--"+k, v)
				}
				cfg, err := ConfigFrom(func(name string) (string, bool) { v, ok := nonDefault[name]; return v, ok })
				if err != nil {
					t.Fatal(err)
				}
				rc, _ := startRedis(t, srv.bin, dir, conf...)
				compareServer(t, rc, filepath.Join(dir, "dump.rdb"), cfg)
			})
		})
	}
}

// compareServer estimates every key of dump with the model for cfg and
// compares with what the running server rc reports.
func compareServer(t *testing.T, rc *respConn, dump string, cfg Config) {
	ins, err := parse.Expand([]string{dump}, nil)
	if err != nil || len(ins) != 1 {
		t.Fatalf("expand: %v", err)
	}
	type est struct {
		key, enc string
		mem      int64
	}
	var ests []est
	seedDep := map[string]bool{}
	var m *Model
	_, err = parse.Parse(context.Background(), ins[0], parse.Options{
		LongElemLimit: cfg.HashValueLimit(),
		LZFSizes:      cfg.CompressesLists(),
		OnSource: func(s *parse.Source) error {
			m, _ = ForSource(s, os.Getenv("MEMMODEL_OVERRIDE"))
			m = m.WithConfig(cfg)
			return nil
		}}, func(r *parse.Record) error {
		mem, enc := m.Estimate(r)
		ests = append(ests, est{r.Key, enc, mem})
		if m.seedDependent(r) {
			seedDep[r.Key] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	a := &accuracy{cells: map[string]*cell{}}
	for i := 0; i < len(ests); i += 1000 {
		part := ests[i:min(i+1000, len(ests))]
		var cmds [][]string
		for _, e := range part {
			cmds = append(cmds, []string{"MEMORY", "USAGE", e.key, "SAMPLES", "0"}, []string{"OBJECT", "ENCODING", e.key}, []string{"TYPE", e.key})
		}
		reps := rc.do(t, cmds...)
		for j, e := range part {
			mu, _ := reps[3*j].(int64)
			enc, _ := reps[3*j+1].(string)
			typ, _ := reps[3*j+2].(string)
			name := typ + "/" + enc
			if seedDep[e.key] {
				name += " (seed-dependent)"
			}
			c := a.cells[name]
			if c == nil {
				c = &cell{}
				a.cells[name] = c
			}
			c.add(e.key, e.mem, mu, e.enc == enc)
			a.sumEst += e.mem
			a.sumTruth += mu
			if show := os.Getenv("MEMMODEL_SHOW"); show != "" && strings.HasPrefix(name, show) && (e.mem != mu || e.enc != enc) {
				t.Logf("%s %s: est %d %s, server %d %s", name, e.key, e.mem, e.enc, mu, enc)
			}
		}
	}
	t.Logf("model %s, %d keys\n%s", m.Name(), len(ests), a.table())
	ratio := float64(a.sumEst) / float64(a.sumTruth)
	t.Logf("sum est %d truth %d ratio %.4f", a.sumEst, a.sumTruth, ratio)
	if ratio < 0.99 || ratio > 1.01 {
		t.Errorf("sum ratio %.4f outside 1%%", ratio)
	}
	checkCells(t, a, m)
}
