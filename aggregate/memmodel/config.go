package memmodel

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rdbscope/rdbscope/internal/bytesize"
)

// Config is what of a server's configuration decides how it holds a dump
// once loaded: the limits that choose each value's encoding on load, list
// node size and compression, and maxmemory with its policy (which decide
// whether small integers are shared). The zero value is the server's
// defaults. It is plain data, so that it can cross a process boundary.
type Config struct {
	// Settings are redis.conf settings by their current name (see
	// ConfigNames), e.g. "hash-max-listpack-entries": 1024. Absent
	// names keep the server's default.
	Settings map[string]int64 `json:"settings,omitempty"`
	// Maxmemory in bytes (0: no limit) and the maxmemory-policy; valid
	// only when HasMaxmemory / Policy is set.
	Maxmemory    int64  `json:"maxmemory,omitempty"`
	HasMaxmemory bool   `json:"has_maxmemory,omitempty"`
	Policy       string `json:"policy,omitempty"`
}

// ConfigNames are the settings Config uses, by their current names.
var ConfigNames = []string{
	"hash-max-listpack-entries", "hash-max-listpack-value",
	"set-max-intset-entries", "set-max-listpack-entries", "set-max-listpack-value",
	"zset-max-listpack-entries", "zset-max-listpack-value",
	"list-max-listpack-size", "list-compress-depth",
}

// configAliases are the older names of the same settings (Redis < 7
// spelled listpack "ziplist"); both are accepted.
var configAliases = map[string]string{
	"hash-max-ziplist-entries": "hash-max-listpack-entries",
	"hash-max-ziplist-value":   "hash-max-listpack-value",
	"zset-max-ziplist-entries": "zset-max-listpack-entries",
	"zset-max-ziplist-value":   "zset-max-listpack-value",
	"list-max-ziplist-size":    "list-max-listpack-size",
}

// ConfigFrom reads a Config from a server's settings, looked up by name
// (get returns false for a setting it does not have). Sizes accept
// redis.conf units (1gb, 100mb). It fails on a value the server would
// refuse, naming the setting.
func ConfigFrom(get func(name string) (string, bool)) (Config, error) {
	c := Config{Settings: map[string]int64{}}
	for _, name := range ConfigNames {
		v, ok := get(name)
		if !ok {
			for old, cur := range configAliases {
				if cur == name {
					if v, ok = get(old); ok {
						break
					}
				}
			}
		}
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			if n, err = bytesize.Parse(strings.TrimSpace(v)); err != nil {
				return Config{}, fmt.Errorf("%s %q: not a number", name, v)
			}
		}
		if n < 0 && name != "list-max-listpack-size" {
			return Config{}, fmt.Errorf("%s %d: negative", name, n)
		}
		c.Settings[name] = n
	}
	if v, ok := get("maxmemory"); ok {
		n, err := bytesize.Parse(strings.TrimSpace(v))
		if err != nil {
			return Config{}, fmt.Errorf("maxmemory %q: %v", v, err)
		}
		c.Maxmemory, c.HasMaxmemory = n, true
	}
	if v, ok := get("maxmemory-policy"); ok {
		c.Policy = strings.ToLower(strings.TrimSpace(v))
	}
	if len(c.Settings) == 0 {
		c.Settings = nil
	}
	return c, nil
}

// setting returns a setting of c, or def when it is not set.
func (c *Config) setting(name string, def int64) int64 {
	if v, ok := c.Settings[name]; ok {
		return v
	}
	return def
}

// HashValueLimit is the loading server's hash-max-listpack-value: the
// parser's parse.Options.LongElemLimit, which Record.LongElem (needed to
// replay the conversion of plain hashes) depends on.
func (c *Config) HashValueLimit() int64 {
	return c.setting("hash-max-listpack-value", 64)
}

// CompressesLists reports whether the loading server compresses list
// nodes (list-compress-depth > 0): the parser's parse.Options.LZFSizes
// then gives the model the compressed sizes.
func (c *Config) CompressesLists() bool {
	return c.setting("list-compress-depth", 0) > 0
}

// noSharedIntegers reports whether a server with maxmemory mm and policy
// p refuses shared integer objects: only with a limit and an LRU or LFU
// policy, whose per-object clock a shared object cannot hold.
func noSharedIntegers(mm int64, p string) bool {
	return mm != 0 && (strings.HasSuffix(p, "-lru") || strings.HasSuffix(p, "-lfu"))
}

// WithConfig returns a copy of the model for a server running with c
// (unset settings keep the defaults of the server line).
func (m *Model) WithConfig(c Config) *Model {
	x := *m
	x.cfg = c
	x.hashMaxEntries = c.setting("hash-max-listpack-entries", x.hashMaxEntries)
	x.hashMaxValue = c.setting("hash-max-listpack-value", x.hashMaxValue)
	x.setMaxIntset = c.setting("set-max-intset-entries", x.setMaxIntset)
	if x.setMaxLPEntries > 0 {
		x.setMaxLPEntries = c.setting("set-max-listpack-entries", x.setMaxLPEntries)
		x.setMaxLPVal = c.setting("set-max-listpack-value", x.setMaxLPVal)
	}
	x.zsetMaxEntries = c.setting("zset-max-listpack-entries", x.zsetMaxEntries)
	x.zsetMaxValue = c.setting("zset-max-listpack-value", x.zsetMaxValue)
	x.listFill = c.setting("list-max-listpack-size", x.listFill)
	x.compressDepth = c.setting("list-compress-depth", x.compressDepth)
	return &x
}

// Config returns the configuration the model was made for.
func (m *Model) Config() Config { return m.cfg }
