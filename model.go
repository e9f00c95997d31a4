package main

import (
	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/parse"
)

// chooseModel picks the memory model for a dump from its version aux
// fields, or from --redis-version, for a server running with cfg
// (--redis-config). The note says when it had to guess.
func chooseModel(src *parse.Source, override string, cluster bool, cfg memmodel.Config) (*memmodel.Model, string, string) {
	m, note := memmodel.ForSource(src, override)
	if cluster || (src != nil && src.SlotInfos > 0) {
		m = m.WithCluster(true)
	}
	m = m.WithConfig(cfg)
	return m, m.Name(), note
}

func modelVersion() string { return memmodel.Version }

// fillOverhead fills the node-level memory figures: what the node spends
// outside its keys, and the comparison with the used-mem the server wrote.
func fillOverhead(n *aggregate.Node, src *parse.Source, override string, cluster bool, cfg memmodel.Config, expiresPerDB map[int]int64, extra int64) {
	if src != nil {
		m, _, _ := chooseModel(src, override, cluster, cfg)
		keys := make(map[int]int64, len(n.ByDB))
		for db, s := range n.ByDB {
			keys[db] = s.Keys
		}
		n.Overhead = m.NodeOverhead(keys, expiresPerDB, n.Slots.KeyCounts()) + extra
	}
	n.EstimatedUsedMemory = n.Memory + n.Overhead
	if n.Source != nil {
		n.UsedMem = n.Source.UsedMem
	}
	if n.UsedMem > 0 {
		n.UsedMemRatio = float64(n.EstimatedUsedMemory) / float64(n.UsedMem)
	}
}
