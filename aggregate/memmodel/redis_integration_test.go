package memmodel

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbscope/rdbscope/internal/testutil"
	"github.com/rdbscope/rdbscope/parse"
)

// fill writes every type and encoding the model knows.
func fill(t *testing.T, rc *testutil.Redis) {
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
	rc.Pipe(t, cmds)
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
	rc.TryPipe(t, cmds)
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
// testutil.Servers) with every type and encoding, saves, restarts it on the
// dump, and compares every key's estimate with MEMORY USAGE and OBJECT
// ENCODING; then restarts it once more with a non-default configuration
// (nonDefault) and compares again with the model given that
// configuration, which must replay the conversions the server makes on
// load. Servers that are absent are skipped.
func TestRedisServerAccuracy(t *testing.T) {
	servers := testutil.Servers()
	if len(servers) == 0 {
		t.Skip("no redis-server in PATH and no server under " + testutil.ServersDir())
	}
	for _, srv := range servers {
		t.Run(srv.Name, func(t *testing.T) {
			dir := t.TempDir()
			rc := testutil.StartServer(t, srv.Bin, dir)
			fill(t, rc)
			rc.Must(t, "SAVE")
			rc.Stop()
			// A restart, not DEBUG RELOAD: the loading server must have
			// another hash seed than the one that wrote the dump, as on a
			// real restart (the same seed makes the field order of the
			// dump and the bucket layout on load correlated).
			t.Run("defaults", func(t *testing.T) {
				rc := testutil.StartServer(t, srv.Bin, dir)
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
				rc := testutil.StartServer(t, srv.Bin, dir, conf...)
				compareServer(t, rc, filepath.Join(dir, "dump.rdb"), cfg)
			})
		})
	}
}

// compareServer estimates every key of dump with the model for cfg and
// compares with what the running server rc reports.
func compareServer(t *testing.T, rc *testutil.Redis, dump string, cfg Config) {
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
		ests = append(ests, est{strings.Clone(r.Key), enc, mem})
		if m.seedDependent(r) {
			seedDep[strings.Clone(r.Key)] = true
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
		reps := rc.Pipe(t, cmds)
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
