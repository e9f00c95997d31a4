// Package diagnose is the rules engine: it reads a report's node profiles
// and says what is wrong with them, as findings (aggregate.Finding) with a
// severity, the figures that triggered them and advice. It computes
// nothing the profiles do not hold; docs/findings.md documents each rule.
package diagnose

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/bytesize"
)

// Kinds of finding.
const (
	KindTTLStarvation  = "ttl-starvation"
	KindOverMaxmemory  = "over-maxmemory"
	KindBigHash        = "big-hash"
	KindBigKey         = "big-key"
	KindNodeSkew       = "node-skew"
	KindMisplacedSlots = "misplaced-slots"
	KindMissingTTL     = "missing-ttl"
	KindUnmatchedNode  = "unmatched-node"
	KindMissingNode    = "missing-node"
	KindForeignNode    = "foreign-node"
	KindDuplicateNode  = "duplicate-node"
)

// kindRank breaks ties between findings of equal severity and memory: the
// root cause before its symptoms.
var kindRank = map[string]int{
	KindTTLStarvation: 0, KindOverMaxmemory: 1, KindBigHash: 2, KindBigKey: 3,
	KindNodeSkew: 4, KindMisplacedSlots: 5, KindMissingTTL: 6, KindUnmatchedNode: 7,
	KindForeignNode: 8, KindDuplicateNode: 9,
}

// leads lists the kinds that come before every other finding of their
// severity, whatever memory the others concern: a report missing a node
// is not the cluster's, so everything else it says is in doubt.
var leads = map[string]bool{KindMissingNode: true}

// maxBigKeysPerNode bounds big-key findings so that a node of many big
// keys does not bury everything else; the rest are in the top lists.
const maxBigKeysPerNode = 10

// Diagnose applies rules to a report and returns its findings, most severe
// first, then by the memory they concern. Figures are taken from the node
// profiles (and the merged cluster profile for families); nothing in r is
// changed.
func Diagnose(r *aggregate.Report, rules Rules) []aggregate.Finding {
	out := []aggregate.Finding{}
	if r == nil {
		return out
	}
	var nodes []*aggregate.Node
	for _, n := range r.Nodes {
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	layout := aggregate.Arrange(nodes, rules.Cluster)
	var counted []*aggregate.Node
	for i, n := range nodes {
		m := &layout.Members[i]
		// A duplicate or an AOF base holds data another dump (or the
		// node's AOF) already stands for: judging it again would repeat
		// every finding.
		if m.Outsider != aggregate.OutsiderDuplicate && m.Outsider != aggregate.OutsiderAOFBase {
			out = append(out, bigKeys(n, &rules)...)
			out = append(out, eviction(n, &rules)...)
		}
		if m.Counted() {
			counted = append(counted, n)
			out = append(out, misplaced(n, m, &rules)...)
		}
	}
	out = append(out, membership(layout, len(counted), &rules)...)
	out = append(out, skew(counted, &rules)...)
	if r.Cluster != nil && len(nodes) > 1 {
		out = append(out, missingTTL(r.Cluster, &rules)...)
	} else {
		for _, n := range nodes {
			out = append(out, missingTTL(n, &rules)...)
		}
	}
	Sort(out)
	return out
}

// Sort orders findings the way Diagnose returns them: most severe first,
// a missing node before the rest, then by the memory they concern, the root cause before its symptoms
// (ttl-starvation before over-maxmemory before big keys...), then by kind,
// node, family, db and key so that every run orders them alike. Kinds this
// package does not make (a diff's) are ordered by name.
func Sort(fs []aggregate.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if leads[a.Kind] != leads[b.Kind] {
			return leads[a.Kind]
		}
		if a.Memory != b.Memory {
			return a.Memory > b.Memory
		}
		if ra, rb := kindRank[a.Kind], kindRank[b.Kind]; ra != rb {
			return ra < rb
		}
		if a.Kind != b.Kind { // kinds outside kindRank, e.g. a diff's
			return a.Kind < b.Kind
		}
		if a.Node != b.Node {
			return a.Node < b.Node
		}
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		if a.DB != b.DB {
			return a.DB < b.DB
		}
		return a.Key < b.Key
	})
}

func share(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// bigKeys flags the biggest keys of a node. The builder keeps the top keys
// by memory overall and per type, so the biggest key of a node is always
// seen; the element threshold applies to the keys kept in those lists.
func bigKeys(n *aggregate.Node, r *Rules) []aggregate.Finding {
	seen := map[string]bool{}
	var cands []aggregate.KeyInfo
	addCands := func(ks []aggregate.KeyInfo) {
		for _, k := range ks {
			id := fmt.Sprint(k.DB, ":", string(k.Key))
			if !seen[id] {
				seen[id] = true
				cands = append(cands, k)
			}
		}
	}
	addCands(n.TopKeys)
	for _, t := range slices.Sorted(maps.Keys(n.TopByType)) {
		addCands(n.TopByType[t])
	}
	aggregate.SortKeys(cands)
	// Sizes and shares are what the server allocates, not MEMORY USAGE,
	// which over-counts streams and shared integers (see Node.Allocated).
	nodeMem := n.AllocatedMemory()
	shareOK := nodeMem >= r.ShareFloor && nodeMem > 0
	var out []aggregate.Finding
	for i := range cands {
		k := &cands[i]
		mem := k.Alloc()
		sh := share(mem, nodeMem)
		fam := familyOf(n, k.Key)
		figs := aggregate.Figures{}.Bytes("memory", k.Memory).Bytes("allocated", mem).Bytes("node_memory", nodeMem).
			Share("share", sh).Count("elements", k.Elements)
		ttl := "no TTL"
		if k.ExpiresAt != 0 {
			ttl = "a TTL"
		}
		if k.Type == "hash" && shareOK && r.BigHashShare > 0 && sh > r.BigHashShare {
			sev := aggregate.SeverityWarning
			if sh >= 0.5 {
				sev = aggregate.SeverityCritical
			}
			figs = figs.Share("threshold_share", r.BigHashShare)
			out = append(out, aggregate.Finding{
				Kind: KindBigHash, Severity: sev, Node: n.Name, Key: k.Key, KeyLen: k.KeyLen, DB: k.DB, Family: fam,
				Memory: mem, Figures: figs,
				Title: fmt.Sprintf("hash %s holds %s of %s", showKey(string(k.Key)), pct(sh), n.Name),
				Explanation: fmt.Sprintf("The hash %s (%d fields, %s, %s) alone holds %s of the key memory of node %s (%s); "+
					"the threshold is %s. A hash that keeps growing is usually a log or a map nobody trims. It lives in one slot, "+
					"so resharding cannot spread it, and deleting it with DEL blocks the server while it is freed.",
					showKey(string(k.Key)), k.Elements, human(mem), ttl, pct(sh), n.Name, human(nodeMem), pct(r.BigHashShare)),
				Advice: "Find the code that writes this hash (the name usually says it) and decide whether the data is needed. " +
					"Remove it with UNLINK (frees in the background) or trim it with HSCAN+HDEL in batches, " +
					"and give what remains a TTL or a bound (one hash per day with EXPIRE, or a capped stream).",
			})
			continue
		}
		var why []string
		if shareOK && r.BigKeyShare > 0 && sh > r.BigKeyShare {
			why = append(why, fmt.Sprintf("%s of the node's key memory (threshold %s)", pct(sh), pct(r.BigKeyShare)))
			figs = figs.Share("threshold_share", r.BigKeyShare)
		}
		if r.BigKeyBytes > 0 && mem > r.BigKeyBytes {
			why = append(why, fmt.Sprintf("%s (threshold %s)", human(mem), human(r.BigKeyBytes)))
			figs = figs.Bytes("threshold_bytes", r.BigKeyBytes)
		}
		if r.BigKeyElements > 0 && k.Elements > r.BigKeyElements {
			why = append(why, fmt.Sprintf("%d elements (threshold %d)", k.Elements, r.BigKeyElements))
			figs = figs.Count("threshold_elements", r.BigKeyElements)
		}
		if len(why) == 0 || len(out) >= maxBigKeysPerNode {
			continue
		}
		sev := aggregate.SeverityWarning
		if shareOK && sh >= 0.5 {
			sev = aggregate.SeverityCritical
		}
		out = append(out, aggregate.Finding{
			Kind: KindBigKey, Severity: sev, Node: n.Name, Key: k.Key, KeyLen: k.KeyLen, DB: k.DB, Family: fam,
			Memory: mem, Figures: figs,
			Title: fmt.Sprintf("big %s %s on %s", k.Type, showKey(string(k.Key)), n.Name),
			Explanation: fmt.Sprintf("The %s %s on node %s (%s, %d elements, %s, %s of the node's key memory) is big: %s. "+
				"A big key cannot be split across nodes, commands that read it whole (%s) are slow and block every other client, "+
				"and DEL, MIGRATE or an expiry of it stalls the server.",
				k.Type, showKey(string(k.Key)), n.Name, human(mem), k.Elements, ttl, pct(sh), strings.Join(why, "; "), wholeReads(k.Type)),
			Advice: "Check what the key is for and whether it must grow without bound: cap it (LTRIM, ZREMRANGEBYRANK, XTRIM MAXLEN), " +
				"split it into several keys (by time or by id), give it a TTL, and delete it with UNLINK rather than DEL.",
		})
	}
	return out
}

func wholeReads(t string) string {
	switch t {
	case "hash":
		return "HGETALL"
	case "list":
		return "LRANGE 0 -1"
	case "set":
		return "SMEMBERS"
	case "zset":
		return "ZRANGE 0 -1"
	case "stream":
		return "XRANGE - +"
	case "string":
		return "GET"
	}
	return "DUMP"
}

// biggestNoTTL returns the node's biggest key without TTL and the family
// holding the most memory without TTL.
func biggestNoTTL(n *aggregate.Node) (*aggregate.KeyInfo, *aggregate.Group) {
	var key *aggregate.KeyInfo
	for i := range n.TopKeys {
		if n.TopKeys[i].ExpiresAt == 0 {
			key = &n.TopKeys[i]
			break
		}
	}
	var fam *aggregate.Group
	if n.Families != nil {
		for i := range n.Families.Entries {
			e := &n.Families.Entries[i]
			if e.NoTTL.Memory > 0 && (fam == nil || e.NoTTL.Memory > fam.NoTTL.Memory) {
				fam = e
			}
		}
	}
	return key, fam
}

// eviction looks at a node against its maxmemory and policy: the
// incident this tool was written for.
func eviction(n *aggregate.Node, r *Rules) []aggregate.Finding {
	mm := r.MaxmemoryOf(n.Name)
	policy := r.Policy
	used := aggregate.UsedMemory(n)
	nonVol := n.TTL.Without.Alloc()
	nvShare := share(nonVol, n.AllocatedMemory())
	volatile := strings.HasPrefix(policy, "volatile-")
	fill := 0.0
	if mm > 0 {
		fill = float64(used) / float64(mm)
	}
	key, fam := biggestNoTTL(n)
	figs := aggregate.Figures{}.Bytes("used", used).Bytes("used_mem", n.UsedMem).Bytes("estimated_used_memory", n.EstimatedUsedMemory).
		Bytes("key_memory", n.Memory).Bytes("key_allocated", n.AllocatedMemory()).Bytes("non_volatile_memory", nonVol).Share("non_volatile_share", nvShare).
		Bytes("volatile_memory", n.TTL.With.Alloc()).Count("volatile_keys", n.TTL.With.Keys)
	if mm > 0 {
		figs = figs.Bytes("maxmemory", mm).Share("fill", fill)
	}
	f := aggregate.Finding{Node: n.Name}
	culprit := ""
	if key != nil && share(key.Alloc(), nonVol) >= 0.1 {
		f.Key, f.KeyLen, f.DB = key.Key, key.KeyLen, key.DB
		f.Family = familyOf(n, key.Key)
		culprit = fmt.Sprintf("the biggest is %s (%s, %s, family %s)", showKey(string(key.Key)), key.Type, human(key.Alloc()), showName(f.Family))
		figs = figs.Bytes("culprit_memory", key.Alloc())
	} else if fam != nil {
		// No key dominates: the finding is about the family, so it names
		// no key (any one of thousands of equal keys would mislead).
		f.Family = aggregate.EscapeKey(string(fam.Name))
		culprit = fmt.Sprintf("no single key dominates; the family holding the most is %s (%d keys without TTL, %s)",
			showName(f.Family), fam.NoTTL.Keys, human(fam.NoTTL.Memory))
		figs = figs.Bytes("culprit_memory", fam.NoTTL.Memory)
	}
	f.Figures = figs
	full := mm > 0 && fill >= r.NearMaxmemory
	state := ""
	if mm > 0 {
		state = fmt.Sprintf("at %s of its maxmemory (%s used of %s, %s)", pct(fill), human(used), human(mm), usedSource(n))
	}

	if volatile && n.Memory > 0 && nvShare >= r.NonVolatileShare && (full || nvShare >= max(0.9, r.NonVolatileShare) && n.AllocatedMemory() >= r.ShareFloor) {
		f.Kind = KindTTLStarvation
		f.Memory = nonVol
		if full {
			f.Severity = aggregate.SeverityCritical
			when := "So every new key written with a TTL on this node is evicted almost immediately"
			f.Title = fmt.Sprintf("%s is full and %s of its key memory can never be evicted: keys with a TTL are evicted at once", n.Name, pct(nvShare))
			if fill < 1 {
				when = "It is not over the limit yet, but what grows cannot be evicted: once it is, every new key written with a TTL on this node is evicted almost immediately"
				f.Title = fmt.Sprintf("%s is at %s of maxmemory and %s of its key memory can never be evicted: keys with a TTL will be evicted at once", n.Name, pct(fill), pct(nvShare))
			}
			f.Explanation = fmt.Sprintf("Node %s is %s with maxmemory-policy %s, which only ever evicts keys that have a TTL. "+
				"%s of its key memory (%s) belongs to keys without a TTL, which eviction can never reclaim; %s. "+
				"%s: SET succeeds, and the key vanishes as soon as it gets its EXPIRE or the next write needs memory. "+
				"Only %s is evictable (%d keys with a TTL); once that is gone, writes fail with OOM errors.",
				n.Name, state, policy, pct(nvShare), human(nonVol), culprit, when, human(n.TTL.With.Alloc()), n.TTL.With.Keys)
		} else {
			f.Severity = aggregate.SeverityInfo
			f.Title = fmt.Sprintf("%s of %s's key memory has no TTL: under %s it cannot be evicted", pct(nvShare), n.Name, policy)
			f.Explanation = fmt.Sprintf("Node %s runs %s, which only evicts keys with a TTL, and %s of its key memory (%s) has none; %s. "+
				"It is not full yet%s, but when it is, keys written with a TTL will be evicted almost at once while the rest stays.",
				n.Name, policy, pct(nvShare), human(nonVol), culprit, maybe(state != "", " ("+state+")"))
		}
		f.Advice = "Find who writes the keys without a TTL named above and stop the growth: delete or trim them (UNLINK for big keys), " +
			"or give them a TTL (EXPIRE) so that eviction can reclaim them. If every key is a cache entry, allkeys-lru evicts regardless of TTL. " +
			"Raising maxmemory only buys time."
		return []aggregate.Finding{f}
	}
	if !full {
		return nil
	}
	f.Kind = KindOverMaxmemory
	f.Memory = used
	f.Severity = aggregate.SeverityWarning
	verb := "close to"
	if fill >= 1 {
		verb = "over"
		// Under allkeys-* Redis evicts to stay under the limit, which is
		// what it is for: a warning. Elsewhere writes fail or keys with a
		// TTL are evicted first.
		if !strings.HasPrefix(policy, "allkeys-") {
			f.Severity = aggregate.SeverityCritical
		}
	}
	f.Title = fmt.Sprintf("%s is %s maxmemory (%s)", n.Name, verb, pct(fill))
	base := fmt.Sprintf("Node %s is %s; the dump's used-mem is %s and the model's estimate of what it allocates %s. ", n.Name, state, human(n.UsedMem), human(n.EstimatedUsedMemory))
	switch {
	case policy == "noeviction":
		f.Explanation = base + "Its policy is noeviction, so every write that needs memory fails with \"OOM command not allowed when used memory > 'maxmemory'\"; reads still work."
		f.Advice = "Free memory now (UNLINK the biggest keys you can lose, trim collections) or raise maxmemory; then find what grows: " + maybe(culprit != "", "among keys without TTL, "+culprit+".")
	case strings.HasPrefix(policy, "allkeys-"):
		f.Explanation = base + fmt.Sprintf("Its policy is %s, so Redis evicts keys of any kind to make room, including keys without a TTL that the application may take as permanent%s.",
			policy, maybe(culprit != "", " ("+culprit+")"))
		f.Advice = "Check that every key on this node may be lost; if some may not, move them to a node or database without eviction. Reduce what grows or raise maxmemory."
	case volatile:
		f.Explanation = base + fmt.Sprintf("Its policy is %s: only keys with a TTL (%s, %d keys) can be evicted; the %s without TTL stay.",
			policy, human(n.TTL.With.Alloc()), n.TTL.With.Keys, human(nonVol))
		f.Advice = "Reduce what grows or raise maxmemory; make sure keys that may be evicted carry a TTL."
	default:
		f.Explanation = base + "Depending on maxmemory-policy, Redis is evicting keys or refusing writes with OOM errors (pass --maxmemory-policy for a precise diagnosis)."
		f.Advice = "Reduce what grows or raise maxmemory."
	}
	return []aggregate.Finding{f}
}

// usedSource says which figure UsedMemory took for n.
func usedSource(n *aggregate.Node) string {
	if aggregate.UsedMemorySource(n) == aggregate.UsedFromDump {
		return "the used-mem the dump recorded"
	}
	return "the model's estimate of what it allocates: the dump records no used-mem"
}

func keysText(n int64) string { return plural(n, "key") }

func maybe(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

// skew names nodes holding far more than the median node.
func skew(nodes []*aggregate.Node, r *Rules) []aggregate.Finding {
	if len(nodes) < 2 || r.SkewRatio <= 0 {
		return nil
	}
	mems := make([]int64, len(nodes))
	for i, n := range nodes {
		mems[i] = n.AllocatedMemory()
	}
	sort.Slice(mems, func(i, j int) bool { return mems[i] < mems[j] })
	median := mems[len(mems)/2]
	if len(mems)%2 == 0 {
		median = (mems[len(mems)/2-1] + mems[len(mems)/2]) / 2
	}
	var out []aggregate.Finding
	for _, n := range nodes {
		mem := n.AllocatedMemory()
		ratio := math.Inf(1)
		if median > 0 {
			ratio = float64(mem) / float64(median)
		}
		if ratio < r.SkewRatio || mem-median < r.ShareFloor {
			continue
		}
		figs := aggregate.Figures{}.Bytes("memory", mem).Bytes("median", median).Count("nodes", int64(len(nodes)))
		ratioText := "all of the data"
		if !math.IsInf(ratio, 1) {
			figs = figs.Ratio("ratio", ratio)
			ratioText = fmt.Sprintf("%.1f× the median node", ratio)
		}
		f := aggregate.Finding{Kind: KindNodeSkew, Severity: aggregate.SeverityWarning, Node: n.Name, Memory: mem - median, Figures: figs,
			Title: fmt.Sprintf("%s holds %s", n.Name, ratioText)}
		cause := skewCause(n, &f)
		f.Explanation = fmt.Sprintf("Node %s holds %s of key memory, %s (%s) of a %d-node cluster. %s "+
			"All nodes usually share one maxmemory, so this node fills (and evicts, or refuses writes) long before the others.",
			n.Name, human(mem), ratioText, human(median), len(nodes), cause)
		f.Advice = "If one key or hash tag causes it, fix that key (split it, trim it, or spread the hash tag over more values); " +
			"if many slots do, rebalance slots (redis-cli --cluster rebalance). Moving slots cannot split a single key or hash tag."
		out = append(out, f)
	}
	return out
}

// skewCause explains what makes a node big: a hot hash tag, a hot slot,
// or a family.
func skewCause(n *aggregate.Node, f *aggregate.Finding) string {
	if n.Hashtags != nil && len(n.Hashtags.Entries) > 0 {
		h := &n.Hashtags.Entries[0]
		if sh := share(h.Memory, n.Memory); sh >= 0.25 {
			f.Figures = f.Figures.Bytes("hashtag_memory", h.Memory)
			tag := string(h.Name)
			f.Family = aggregate.EscapeKey(tag)
			if h.Biggest != nil {
				f.Key, f.KeyLen, f.DB = h.Biggest.Key, h.Biggest.KeyLen, h.Biggest.DB
			}
			return fmt.Sprintf("The hash tag %s pins %s (%s, %s of the node) to slot %d: they can never be spread over nodes.",
				showKey(tag), keysText(h.Keys), human(h.Memory), pct(sh), aggregate.Slot(tag))
		}
	}
	if n.Slots != nil && len(n.Slots.Hottest) > 0 {
		s := n.Slots.Hottest[0]
		if sh := share(s.Memory, n.Memory); sh >= 0.25 {
			f.Figures = f.Figures.Slot("slot", s.Slot).Bytes("slot_memory", s.Memory)
			k := ""
			if len(n.TopKeys) > 0 && aggregate.Slot(string(n.TopKeys[0].Key)) == s.Slot {
				f.Key, f.KeyLen, f.DB = n.TopKeys[0].Key, n.TopKeys[0].KeyLen, n.TopKeys[0].DB
				f.Family = familyOf(n, f.Key)
				k = fmt.Sprintf("; its biggest key is %s", showKey(string(f.Key)))
			}
			return fmt.Sprintf("Slot %d alone holds %s, %s of the node%s.", s.Slot, human(s.Memory), pct(sh), k)
		}
	}
	if n.Families != nil && len(n.Families.Entries) > 0 {
		e := &n.Families.Entries[0]
		f.Family = aggregate.EscapeKey(string(e.Name))
		return fmt.Sprintf("Its biggest family is %s (%d keys, %s, %s of the node).", showName(f.Family), e.Keys, human(e.Memory), pct(share(e.Memory, n.Memory)))
	}
	return ""
}

// missingTTL finds families where most keys carry a TTL but some do not:
// usually a SET whose EXPIRE failed or was forgotten on one code path.
func missingTTL(n *aggregate.Node, r *Rules) []aggregate.Finding {
	if n.Families == nil || r.MissingTTLShare <= 0 {
		return nil
	}
	var out []aggregate.Finding
	for i := range n.Families.Entries {
		e := &n.Families.Entries[i]
		if e.NoTTL.Keys == 0 || e.Keys < 2 {
			continue
		}
		withShare := share(e.Keys-e.NoTTL.Keys, e.Keys)
		many := e.Keys >= r.MissingTTLMinKeys && withShare >= r.MissingTTLShare
		// A few keys of a family with TTLs holding most of its memory.
		big := withShare >= 0.5 && share(e.NoTTL.Memory, e.Memory) >= 0.5
		if !many && !big {
			continue
		}
		sev := aggregate.SeverityInfo
		if e.NoTTL.Memory >= r.ShareFloor || share(e.NoTTL.Memory, n.Memory) >= 0.01 {
			sev = aggregate.SeverityWarning
		}
		fam := aggregate.EscapeKey(string(e.Name))
		f := aggregate.Finding{Kind: KindMissingTTL, Severity: sev, Node: n.Name, Family: fam, Memory: e.NoTTL.Memory,
			Figures: aggregate.Figures{}.Count("keys", e.Keys).Count("keys_without_ttl", e.NoTTL.Keys).
				Bytes("memory", e.Memory).Bytes("memory_without_ttl", e.NoTTL.Memory).Share("ttl_share", withShare),
			Title: fmt.Sprintf("%s of %s without TTL", keysText(e.NoTTL.Keys), showName(fam)),
		}
		ex := ""
		if e.Biggest != nil && e.Biggest.ExpiresAt == 0 {
			f.Key, f.KeyLen, f.DB = e.Biggest.Key, e.Biggest.KeyLen, e.Biggest.DB
			ex = fmt.Sprintf(" The family's biggest key, %s (%s), is one of them.", showKey(string(e.Biggest.Key)), human(e.Biggest.Memory))
		}
		f.Explanation = fmt.Sprintf("In family %s%s, %s of the %d keys carry a TTL but %s (%s) %s not.%s "+
			"Keys of one family are written by the same code, so the ones without a TTL were most likely created by a path that "+
			"forgot the EXPIRE, or whose EXPIRE failed after the SET. They never expire and, under volatile-* eviction, are never evicted.",
			showName(fam), maybe(n.Nodes != nil, " (all nodes)"), pct(withShare), e.Keys, keysText(e.NoTTL.Keys), human(e.NoTTL.Memory),
			map[bool]string{true: "does", false: "do"}[e.NoTTL.Keys == 1], ex)
		f.Advice = "Write these keys with SET ... EX (or SET then EXPIRE in one MULTI) so the TTL cannot be lost; " +
			"find the existing ones with SCAN MATCH and TTL (-1 means none) and give them a TTL."
		out = append(out, f)
	}
	return out
}

// misplaced checks a node's keys against the slots of the master
// CLUSTER NODES says its dump is (see aggregate.Arrange).
func misplaced(n *aggregate.Node, m *aggregate.Membership, r *Rules) []aggregate.Finding {
	if r.Cluster == nil || n.Slots == nil {
		return nil
	}
	if m.Master == nil {
		return []aggregate.Finding{{Kind: KindUnmatchedNode, Severity: aggregate.SeverityInfo, Node: n.Name, Figures: aggregate.Figures{},
			Title: fmt.Sprintf("%s is not in the cluster nodes file", n.Name),
			Explanation: fmt.Sprintf("Node %s holds no key to tell which master it is, and no line of the CLUSTER NODES file matches "+
				"its name (by node id, hostname, ip:port, or the port number ending the name), so its slots were not checked.", n.Name),
			Advice: "Name the dump after the node's id, hostname or port (node-7202.rdb), or fix the nodes file.",
		}}
	}
	var own [aggregate.NumSlots]bool
	for _, rg := range m.Master.Slots {
		for s := max(rg[0], 0); s <= rg[1] && s < aggregate.NumSlots; s++ {
			own[s] = true
		}
	}
	var keys, mem int64
	var slots []int
	for _, p := range n.Slots.PerSlot {
		if p.Slot >= 0 && p.Slot < aggregate.NumSlots && !own[p.Slot] {
			keys += p.Keys
			mem += p.Memory
			slots = append(slots, p.Slot)
		}
	}
	if keys == 0 {
		return nil
	}
	ranges := aggregate.SlotRanges(slots)
	shown := ranges
	if len(shown) > 10 {
		shown = append(shown[:10:10], fmt.Sprintf("… (%d ranges)", len(ranges)))
	}
	why := "they are typically left over from an interrupted resharding, or the dump is not from the node it is named after"
	if m.Named != nil {
		why = fmt.Sprintf("its name points at %s, but most of its keys are in the slots of %s", m.Named.Addr, m.Master.Addr)
	}
	return []aggregate.Finding{{Kind: KindMisplacedSlots, Severity: aggregate.SeverityWarning, Node: n.Name, Memory: mem,
		Figures: aggregate.Figures{}.Count("keys", keys).Bytes("memory", mem).Count("slots", int64(len(slots))),
		Title:   fmt.Sprintf("%s holds %d keys in slots it does not serve", n.Name, keys),
		Explanation: fmt.Sprintf("Node %s (%s) holds %d keys (%s) in %d slots that the cluster nodes file assigns to other nodes: %s. "+
			"Clients are redirected away from these slots, so the keys are unreachable yet use memory; %s.",
			n.Name, m.Master.Addr, keys, human(mem), len(slots), strings.Join(shown, ", "), why),
		Advice: "Check the slots with CLUSTER COUNTKEYSINSLOT on this node and run redis-cli --cluster check / fix; once the " +
			"owner has the data, delete the leftovers (CLUSTER GETKEYSINSLOT then UNLINK).",
	}}
}

// familyOf is the family of a key under the default separator, for
// findings about a single key.
func familyOf(n *aggregate.Node, k aggregate.KeyName) string {
	return aggregate.EscapeKey(aggregate.Pattern(string(k), n.Separators...))
}

// showKey makes a raw key fit in a sentence: escaped, and cut if very
// long.
func showKey(k string) string {
	return showName(aggregate.EscapeKey(k))
}

// showName cuts an already escaped name (a family, see EscapeKey) to fit
// in a sentence, never inside a \xNN or \\ escape.
func showName(k string) string {
	if c, cut := aggregate.CutEscaped(k, 117); cut {
		return c + "..."
	}
	return k
}

func pct(f float64) string {
	if f >= 0.995 && f < 1 {
		return ">99%"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

// human writes bytes for a sentence ("1.5 MiB").
func human(b int64) string { return bytesize.Format(b, bytesize.Sentence) }
