package main

import (
	"fmt"

	"github.com/rdbscope/rdbscope/aggregate/diagnose"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/internal/redisconf"
)

// serverConfigs is --redis-config read into what the memory model uses,
// for every node and per node.
type serverConfigs struct {
	all    *memmodel.Config
	byNode map[string]memmodel.Config
	// files names each node's file, for checkNodeSettings.
	files map[string]string
}

// loadServerConfigs reads the --redis-config values and fills in rules
// what they say of maxmemory and the policy where the flags said nothing.
func loadServerConfigs(specs []string, rules *diagnose.Rules) (*serverConfigs, error) {
	set, err := redisconf.LoadAll(specs)
	if err != nil {
		return nil, err
	}
	sc := &serverConfigs{byNode: map[string]memmodel.Config{}, files: map[string]string{}}
	read := func(node string, f *redisconf.File) (memmodel.Config, error) {
		c, err := memmodel.ConfigFrom(f.Get)
		if err != nil {
			return c, fmt.Errorf("%s: %v", f.Path, err)
		}
		if err := rules.FromServer(node, c.Maxmemory, c.Policy); err != nil {
			return c, fmt.Errorf("%s: %v", f.Path, err)
		}
		return c, nil
	}
	for node, f := range set.ByNode {
		c, err := read(node, f)
		if err != nil {
			return nil, err
		}
		sc.byNode[node] = c
		sc.files[node] = "--redis-config " + node + "=" + f.Path
	}
	if set.All != nil {
		c, err := read("", set.All)
		if err != nil {
			return nil, err
		}
		sc.all = &c
	}
	return sc, nil
}

// modelConfig is the configuration the memory model assumes for the node
// called name: its --redis-config, with maxmemory and the policy of the
// rules (--maxmemory, --maxmemory-policy) where the file has none, since
// they decide whether the server shares small integers.
func (sc *serverConfigs) modelConfig(name string, rules diagnose.Rules) memmodel.Config {
	var c memmodel.Config
	if sc != nil {
		if nc, ok := sc.byNode[name]; ok {
			c = nc
		} else if sc.all != nil {
			c = *sc.all
		}
	}
	if !c.HasMaxmemory {
		if mm := rules.MaxmemoryOf(name); mm > 0 {
			c.Maxmemory, c.HasMaxmemory = mm, true
		}
	}
	if c.Policy == "" {
		c.Policy = rules.Policy
	}
	return c
}

// nodeSettings adds to into, for each node a --redis-config NODE=FILE is
// about, the flag that named it (see checkNodeSettings).
func (sc *serverConfigs) nodeSettings(into map[string]string) map[string]string {
	if sc != nil {
		for node, flag := range sc.files {
			into[node] = flag
		}
	}
	return into
}
