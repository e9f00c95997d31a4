package aggregate

import "slices"

// Merge combines node profiles into one profile called name, as if all
// their keys had been folded into one Builder: totals, splits and buckets
// add up, and the top lists are the top of the union (each key tagged with
// its node). n bounds the merged top lists (DefaultTopN if <= 0).
//
// Expiry buckets are added as each node computed them, relative to its own
// reference time. Families, prefixes and hash tags are merged tables with
// the error bound described at Groups; per-slot counts add up.
func Merge(name string, n int, nodes ...*Node) *Node {
	if n <= 0 {
		n = DefaultTopN
	}
	m := newNode(name)
	m.Complete = true
	m.ErrorOffset = -1
	m.Warnings = []string{}
	top := &topN{n: n}
	byType := map[string]*topN{}
	for _, nd := range nodes {
		if nd.Nodes != nil {
			m.Nodes = append(m.Nodes, nd.Nodes...)
		} else {
			m.Nodes = append(m.Nodes, nd.Name)
		}
		m.Complete = m.Complete && nd.Complete
		// Each node's buckets stay relative to its own reference time; the
		// merged profile names the latest, to show TTLs from.
		m.ExpiryReference = max(m.ExpiryReference, nd.ExpiryReference)
		m.Keys += nd.Keys
		m.Memory += nd.Memory
		m.Allocated += nd.AllocatedMemory()
		m.RDBBytes += nd.RDBBytes
		m.Elements += nd.Elements
		m.Overhead += nd.Overhead
		m.EstimatedUsedMemory += nd.EstimatedUsedMemory
		m.UsedMem += nd.UsedMem
		mergeStats(m.ByType, nd.ByType)
		mergeStats(m.ByEncoding, nd.ByEncoding)
		for db, s := range nd.ByDB {
			d := m.ByDB[db]
			if d == nil {
				d = &Stat{}
				m.ByDB[db] = d
			}
			d.merge(s)
		}
		m.TTL.With.Keys += nd.TTL.With.Keys
		m.TTL.With.Memory += nd.TTL.With.Memory
		m.TTL.With.Allocated += nd.TTL.With.Alloc()
		m.TTL.Without.Keys += nd.TTL.Without.Keys
		m.TTL.Without.Memory += nd.TTL.Without.Memory
		m.TTL.Without.Allocated += nd.TTL.Without.Alloc()
		for i := range nd.Expiry {
			if i < len(m.Expiry) {
				m.Expiry[i].Keys += nd.Expiry[i].Keys
				m.Expiry[i].Memory += nd.Expiry[i].Memory
			}
		}
		for _, k := range nd.TopKeys {
			top.offerInfo(tagged(k, nd))
		}
		for t, ks := range nd.TopByType {
			h := byType[t]
			if h == nil {
				h = &topN{n: n}
				byType[t] = h
			}
			for _, k := range ks {
				h.offerInfo(tagged(k, nd))
			}
		}
		for _, sep := range nd.Separators {
			if !slices.Contains(m.Separators, sep) {
				m.Separators = append(m.Separators, sep)
			}
		}
		if nd.Model != "" && m.Model == "" {
			m.Model = nd.Model
		} else if nd.Model != "" && nd.Model != m.Model {
			m.Model = "mixed"
		}
	}
	m.mergeGroups(nodes)
	// Compare like with like: only nodes whose dump gave used-mem.
	var est int64
	for _, nd := range nodes {
		if nd.UsedMem > 0 {
			est += nd.EstimatedUsedMemory
		}
	}
	if m.UsedMem > 0 {
		m.UsedMemRatio = float64(est) / float64(m.UsedMem)
	}
	m.TopKeys = top.sorted()
	m.Filtered = mergeFiltered(n, nodes)
	for t, h := range byType {
		m.TopByType[t] = h.sorted()
	}
	return m
}

func tagged(k KeyInfo, n *Node) KeyInfo {
	if k.Node == "" {
		k.Node = n.Name
	}
	return k
}

func mergeStats(dst, src map[string]*Stat) {
	for k, s := range src {
		statFor(dst, k).merge(s)
	}
}

// mergeGroups merges the bounded tables and the slot counts of nodes into m.
func (m *Node) mergeGroups(nodes []*Node) {
	names := make([]string, len(nodes))
	fam := make([]*Groups, len(nodes))
	tags := make([]*Groups, len(nodes))
	depth := 0
	var dense []KeysMemory
	for i, nd := range nodes {
		names[i] = nd.Name
		if len(nd.Nodes) > 0 {
			names[i] = "" // already tagged by an earlier merge
		}
		fam[i] = nd.Families
		tags[i] = nd.Hashtags
		depth = max(depth, len(nd.Prefixes))
		if nd.Slots != nil {
			if dense == nil {
				dense = make([]KeysMemory, NumSlots)
			}
			nd.Slots.dense(dense)
		}
	}
	m.Families = mergeGroups(0, names, fam)
	m.Hashtags = mergeGroups(0, names, tags)
	m.Prefixes = nil
	for d := range depth {
		ps := make([]*Groups, len(nodes))
		for i, nd := range nodes {
			if d < len(nd.Prefixes) {
				ps[i] = nd.Prefixes[d]
			}
		}
		if g := mergeGroups(0, names, ps); g != nil {
			m.Prefixes = append(m.Prefixes, g)
		}
	}
	if dense != nil {
		m.Slots = slotsFrom(dense)
	}
}
