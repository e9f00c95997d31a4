package redisconf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestLoadFormats(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body, format string
		want               map[string]string
		absent             []string
	}{
		{"redis.conf", "# a comment\nbind 127.0.0.1 -::1\nmaxmemory 2gb\nmaxmemory-policy \"allkeys-lru\"\n\nHash-Max-Listpack-Entries 1024\nsave 900 1\nmaxmemory 3gb\n",
			FormatConf, map[string]string{"maxmemory": "3gb", "maxmemory-policy": "allkeys-lru", "hash-max-listpack-entries": "1024", "save": "900 1", "bind": "127.0.0.1 -::1"}, nil},
		{"config-get-raw", "maxmemory\n0\nmaxmemory-policy\nnoeviction\nlist-compress-depth\n1\n",
			FormatConfigGet, map[string]string{"maxmemory": "0", "maxmemory-policy": "noeviction", "list-compress-depth": "1"}, nil},
		{"config-get-cli", "  1) \"maxmemory\"\n  2) \"104857600\"\n  3) \"save\"\n  4) \"\"\n  5) \"zset-max-listpack-entries\"\n  6) \"16\"\n",
			FormatConfigGet, map[string]string{"maxmemory": "104857600", "save": "", "zset-max-listpack-entries": "16"}, nil},
		{"info", "# Server\r\nredis_version:7.0.15\r\n\r\n# Memory\r\nused_memory:1000\r\nmaxmemory:41943040\r\nmaxmemory_policy:volatile-lru\r\n",
			FormatInfo, map[string]string{"maxmemory": "41943040", "maxmemory-policy": "volatile-lru", "redis-version": "7.0.15"}, []string{"hash-max-listpack-entries"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Load(write(t, dir, tc.name, tc.body))
			require.NoError(t, err)
			assert.Equal(t, tc.format, f.Format)
			for k, v := range tc.want {
				got, ok := f.Get(k)
				assert.True(t, ok, k)
				assert.Equal(t, v, got, k)
			}
			for _, k := range tc.absent {
				_, ok := f.Get(k)
				assert.False(t, ok, k)
			}
		})
	}
}

func TestLoadInclude(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "base.conf", "maxmemory 1gb\nset-max-intset-entries 10000\n")
	p := write(t, dir, "main.conf", "maxmemory 5gb\ninclude base.conf\nlist-max-listpack-size 8\n")
	f, err := Load(p)
	require.NoError(t, err)
	v, _ := f.Get("maxmemory")
	assert.Equal(t, "1gb", v, "an include overrides what comes before it")
	v, _ = f.Get("set-max-intset-entries")
	assert.Equal(t, "10000", v)

	loop := write(t, dir, "loop.conf", "include loop.conf\n")
	_, err = Load(loop)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nested more than")

	_, err = Load(write(t, dir, "missing.conf", "include nothere.conf\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no such file")
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "absent.conf"))
	require.Error(t, err)
	_, err = Load(write(t, dir, "empty.conf", "\n\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "empty")
	_, err = Load(write(t, dir, "json", `{"maxmemory": 1}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a setting")
	_, err = Load(dir)
	require.Error(t, err)
}

func TestSpecs(t *testing.T) {
	dir := t.TempDir()
	all := write(t, dir, "all.conf", "maxmemory 1gb\n")
	one := write(t, dir, "one.conf", "maxmemory 2gb\n")
	odd := write(t, dir, "a=b.conf", "maxmemory 3gb\n")
	s, err := LoadAll([]string{all, "node-1=" + one, odd})
	require.NoError(t, err)
	v, _ := s.For("node-1").Get("maxmemory")
	assert.Equal(t, "2gb", v)
	v, _ = s.For("node-2").Get("maxmemory")
	assert.Equal(t, "3gb", v, "a file whose name holds '=' is a file; the later one for every node wins")
	assert.Nil(t, (*Set)(nil).For("x"))

	_, err = ParseSpec("node=")
	require.Error(t, err)
	sp, err := ParseSpec("./x=y")
	require.NoError(t, err)
	assert.Equal(t, Spec{Path: "./x=y"}, sp)
}
