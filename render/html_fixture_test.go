package render

import (
	"sort"
	"strconv"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// The reports below are built as aggregate values, not parsed from dumps,
// so that the HTML tests depend on nothing but the model.

const (
	htmlTestCTime = 1_700_000_000 // 2023-11-14 22:13:20 UTC
	htmlTestRefMs = htmlTestCTime * 1000
)

func htmlTestNode(name string, byType map[string]*aggregate.Stat, byEnc map[string]*aggregate.Stat, top []aggregate.KeyInfo, ttlShare float64) *aggregate.Node {
	n := &aggregate.Node{
		Name:            name,
		Complete:        true,
		Error:           "",
		ErrorOffset:     -1,
		Model:           "redis-7.0",
		ByType:          byType,
		ByEncoding:      byEnc,
		ByDB:            map[int]*aggregate.Stat{},
		TopByType:       map[string][]aggregate.KeyInfo{},
		ExpiryReference: htmlTestCTime,
		TopKeys:         top,
	}
	db := &aggregate.Stat{}
	for _, s := range byType {
		n.Keys += s.Keys
		n.Memory += s.Memory
		n.RDBBytes += s.RDBBytes
		n.Elements += s.Elements
		db.Keys += s.Keys
		db.Memory += s.Memory
		db.RDBBytes += s.RDBBytes
		db.Elements += s.Elements
	}
	n.ByDB[0] = db
	n.Overhead = 1_200_000 + n.Keys*48
	n.EstimatedUsedMemory = n.Memory + n.Overhead
	n.UsedMem = n.EstimatedUsedMemory * 102 / 100
	n.UsedMemRatio = float64(n.EstimatedUsedMemory) / float64(n.UsedMem)
	n.TTL.With = aggregate.KeysMemory{Keys: int64(float64(n.Keys) * ttlShare), Memory: int64(float64(n.Memory) * ttlShare)}
	n.TTL.Without = aggregate.KeysMemory{Keys: n.Keys - n.TTL.With.Keys, Memory: n.Memory - n.TTL.With.Memory}
	labels := []string{"expired", "<1h", "1h-24h", "1d-7d", "7d-30d", ">30d", "none"}
	split := []float64{0.01, 0.2, 0.4, 0.3, 0.09, 0}
	n.Expiry = make([]aggregate.Bucket, len(labels))
	for i, l := range labels {
		n.Expiry[i].Label = l
		if i < len(split) {
			n.Expiry[i].Keys = int64(float64(n.TTL.With.Keys) * split[i])
			n.Expiry[i].Memory = int64(float64(n.TTL.With.Memory) * split[i])
		}
	}
	n.Expiry[6] = aggregate.Bucket{Label: "none", Keys: n.TTL.Without.Keys, Memory: n.TTL.Without.Memory}
	n.Source = &aggregate.Source{
		Path:         "/dumps/" + name + ".rdb",
		Bytes:        n.RDBBytes + 4096,
		SHA256:       strings.Repeat("ab", 31) + name[len(name)-2:],
		Magic:        "REDIS0010",
		RDBVersion:   10,
		RedisVersion: "7.0.15",
		RedisBits:    64,
		CTime:        htmlTestCTime,
		UsedMem:      n.UsedMem,
		Checksum:     "ok",
	}
	for _, k := range top {
		t := n.TopByType[k.Type]
		n.TopByType[k.Type] = append(t, k)
	}
	return n
}

func htmlTestKey(key, typ, enc string, mem, elems int64, ttl int64) aggregate.KeyInfo {
	k := aggregate.KeyInfo{Key: aggregate.KeyName(key), Type: typ, Encoding: enc, Memory: mem, RDBBytes: mem / 3, Elements: elems}
	if ttl != 0 {
		k.ExpiresAt = aggregate.Millis(htmlTestRefMs + ttl)
	}
	return k
}

func htmlSmallNode(name string, scale int64) *aggregate.Node {
	byType := map[string]*aggregate.Stat{
		"string": {Keys: 180_000 * scale, Memory: 21_000_000 * scale, RDBBytes: 9_000_000 * scale, Elements: 180_000 * scale},
		"hash":   {Keys: 40_000 * scale, Memory: 14_000_000 * scale, RDBBytes: 5_000_000 * scale, Elements: 400_000 * scale},
		"zset":   {Keys: 2_000 * scale, Memory: 3_000_000 * scale, RDBBytes: 1_000_000 * scale, Elements: 60_000 * scale},
		"list":   {Keys: 500 * scale, Memory: 900_000 * scale, RDBBytes: 300_000 * scale, Elements: 20_000 * scale},
		"set":    {Keys: 800 * scale, Memory: 700_000 * scale, RDBBytes: 200_000 * scale, Elements: 9_000 * scale},
	}
	byEnc := map[string]*aggregate.Stat{
		"string/embstr":  {Keys: 150_000 * scale, Memory: 12_000_000 * scale},
		"string/raw":     {Keys: 30_000 * scale, Memory: 9_000_000 * scale},
		"hash/listpack":  {Keys: 39_000 * scale, Memory: 11_000_000 * scale},
		"hash/hashtable": {Keys: 1_000 * scale, Memory: 3_000_000 * scale},
		"zset/listpack":  {Keys: 1_900 * scale, Memory: 2_000_000 * scale},
		"zset/skiplist":  {Keys: 100 * scale, Memory: 1_000_000 * scale},
		"list/quicklist": {Keys: 500 * scale, Memory: 900_000 * scale},
		"set/intset":     {Keys: 600 * scale, Memory: 300_000 * scale},
		"set/listpack":   {Keys: 200 * scale, Memory: 400_000 * scale},
		"string/int":     {Keys: 0, Memory: 0},
	}
	top := []aggregate.KeyInfo{
		htmlTestKey("session:9f2c:cart", "hash", "hashtable", 310_000, 2_100, 3_600_000*5),
		htmlTestKey("leaderboard:weekly", "zset", "skiplist", 250_000, 4_000, 0),
		htmlTestKey("feed:user:77", "list", "quicklist", 120_000, 1_500, 86_400_000*3),
	}
	n := htmlTestNode(name, byType, byEnc, top, 0.85)
	n.Families = &aggregate.Groups{Capacity: 1000, Entries: []aggregate.Group{
		htmlTestGroup("user:*:profile", "string", 150_000*scale, 18_000_000*scale, 0.1, top[0]),
		htmlTestGroup("session:*:cart", "hash", 39_000*scale, 13_000_000*scale, 0.05, top[0]),
		htmlTestGroup("leaderboard:*", "zset", 2_000*scale, 3_000_000*scale, 1, top[1]),
		htmlTestGroup("feed:user:*", "list", 500*scale, 900_000*scale, 0, top[2]),
	}}
	n.Families.Other = aggregate.Group{Name: aggregate.OtherGroup, Keys: 32_300 * scale, Memory: 2_700_000 * scale,
		ByType: aggregate.TypeTotals{{Type: "string", KeysMemory: aggregate.KeysMemory{Keys: 30_000 * scale, Memory: 2_000_000 * scale}}}}
	return n
}

func htmlTestGroup(name, typ string, keys, mem int64, noTTL float64, big aggregate.KeyInfo) aggregate.Group {
	return aggregate.Group{
		Name: aggregate.KeyName(name), Keys: keys, Memory: mem,
		ByType:  aggregate.TypeTotals{{Type: typ, KeysMemory: aggregate.KeysMemory{Keys: keys, Memory: mem}}},
		NoTTL:   aggregate.KeysMemory{Keys: int64(float64(keys) * noTTL), Memory: int64(float64(mem) * noTTL)},
		Biggest: &big,
	}
}

// htmlTestSlots spreads mem over the node's third of the hash slots (one
// slot in 16 holds keys), plus extra on one slot.
func htmlTestSlots(third int, mem int64, hot int, hotMem int64) *aggregate.Slots {
	from := third * aggregate.NumSlots / 3
	to := (third+1)*aggregate.NumSlots/3 - 1
	s := &aggregate.Slots{Held: aggregate.SlotRanges([]int{from, to}), Hottest: []aggregate.SlotStat{}}
	var slots []aggregate.SlotStat
	n := int64((to-from)/16 + 1)
	for sl := from; sl <= to; sl += 16 {
		slots = append(slots, aggregate.SlotStat{Slot: sl, Keys: 100, Memory: mem / n})
	}
	if hotMem > 0 {
		slots = append(slots, aggregate.SlotStat{Slot: hot, Keys: 1, Memory: hotMem})
	}
	s.Held = []string{strconv.Itoa(from) + "-" + strconv.Itoa(to)}
	s.PerSlot = slots
	hottest := append([]aggregate.SlotStat(nil), slots...)
	sort.SliceStable(hottest, func(i, j int) bool { return hottest[i].Memory > hottest[j].Memory })
	s.Hottest = hottest[:5]
	return s
}

// htmlIncidentReport is the synthetic incident the report is designed
// for: three nodes, one of which (node-7202) holds a debug hash,
// applog:checkout:debug, at ~98% of its memory and without a TTL.
func htmlIncidentReport() *aggregate.Report {
	a := htmlSmallNode("node-7200", 1)
	b := htmlSmallNode("node-7201", 1)
	big := htmlSmallNode("node-7202", 1)
	const debugMem = 2_000_000_000
	hash := big.ByType["hash"]
	hash.Keys++
	hash.Memory += debugMem
	hash.Elements += 14_000_000
	hash.RDBBytes += 700_000_000
	big.ByEncoding["hash/hashtable"].Keys++
	big.ByEncoding["hash/hashtable"].Memory += debugMem
	big.Keys++
	big.Memory += debugMem
	big.RDBBytes += 700_000_000
	big.Elements += 14_000_000
	big.EstimatedUsedMemory = big.Memory + big.Overhead
	big.UsedMem = big.EstimatedUsedMemory * 101 / 100
	big.UsedMemRatio = float64(big.EstimatedUsedMemory) / float64(big.UsedMem)
	big.Source.UsedMem = big.UsedMem
	big.Source.Bytes += 700_000_000
	big.TTL.Without.Keys++
	big.TTL.Without.Memory += debugMem
	big.Expiry[6].Keys++
	big.Expiry[6].Memory += debugMem
	dbg := htmlTestKey("applog:checkout:debug", "hash", "hashtable", debugMem, 14_000_000, 0)
	big.Families.Entries = append([]aggregate.Group{htmlTestGroup("applog:checkout:debug", "hash", 1, debugMem, 1, dbg)}, big.Families.Entries...)
	a.Slots = htmlTestSlots(0, a.Memory, 0, 0)
	b.Slots = htmlTestSlots(1, b.Memory, 0, 0)
	big.Slots = htmlTestSlots(2, big.Memory-debugMem, aggregate.Slot("applog:checkout:debug"), debugMem)
	big.TopKeys = append([]aggregate.KeyInfo{dbg}, big.TopKeys...)
	big.TopByType["hash"] = append([]aggregate.KeyInfo{dbg}, big.TopByType["hash"]...)

	r := &aggregate.Report{
		SchemaVersion: aggregate.SchemaVersion,
		Tool:          aggregate.Tool{Name: "rdbscope", Version: "v0.1.0-test", ModelVersion: "1", GeneratedAt: "2024-05-01T12:00:00Z"},
		Nodes:         []*aggregate.Node{a, b, big},
	}
	r.Cluster = aggregate.Merge("cluster", 10, a, b, big)
	r.Findings = []aggregate.Finding{
		{
			Kind: "ttl-less-share", Severity: aggregate.SeverityWarning, Node: "node-7202",
			Memory:  big.TTL.Without.Memory,
			Figures: aggregate.Figures{}.Share("share_without_ttl", 0.985).Bytes("memory_without_ttl", big.TTL.Without.Memory),
			Title:   "98.5% of node-7202's key memory has no TTL",
			Explanation: "Keys without a TTL are only removed by the application or by eviction; " +
				"under allkeys-lru the node will evict everything else first.",
			Advice: "Set a TTL on debug and log keys, or move them off the cache cluster.",
		},
		{
			Kind: "big-key", Severity: aggregate.SeverityCritical, Node: "node-7202",
			Key: "applog:checkout:debug", Memory: debugMem,
			Figures: aggregate.Figures{}.Bytes("memory", debugMem).Count("elements", 14_000_000).Share("share_of_node", 0.98),
			Title:   "One hash holds 98% of node-7202",
			Explanation: "applog:checkout:debug is a 1.86 GiB hash with 14,000,000 fields and no TTL: " +
				"the node's memory is this one key.",
			Advice: "Delete it with UNLINK (not DEL, which blocks), then find the code path that writes it.",
		},
		{
			Kind: diagnose.KindNodeSkew, Severity: aggregate.SeverityWarning, Node: "node-7202",
			Memory:  big.Memory - a.Memory,
			Figures: aggregate.Figures{}.Ratio("ratio", float64(big.Memory)/float64(a.Memory)).Bytes("median", a.Memory).Count("nodes", 3),
			Title:   "node-7202 holds 51.5× the median node",
			Explanation: "All nodes usually share one maxmemory, so this node fills (and evicts, or refuses writes) " +
				"long before the others.",
			Advice: "Fix the key that causes it; moving slots cannot split a single key.",
		},
		{
			Kind: "missing-ttl", Severity: aggregate.SeverityInfo, Node: "node-7200", Family: "leaderboard:*",
			Memory:  3_000_000,
			Figures: aggregate.Figures{}.Count("keys", 2000).Bytes("memory", 3_000_000),
			Title:   "leaderboard:* keys have no TTL",
		},
	}
	return r
}

// htmlHostileNames are key and node names that would run script, break
// out of a JSON island or a tooltip, or confuse a reader, if any of them
// reached the page unescaped.
var htmlHostileNames = []string{
	`</script><script>document.body.setAttribute("data-pwned","script")</script>`,
	`<img src=x onerror="document.body.setAttribute('data-pwned','img')">`,
	`__f__function(){document.body.setAttribute("data-pwned","f")}__f__`,
	"line\u2028separator\u2029paragraph",
	"\xff\xfe invalid \xc3\x28 utf8 \x00 nul",
	`"'><svg onload=document.body.setAttribute('data-pwned','svg')>`,
	"{b|rich} {a} \\ back\\slash",
	"<!--<script>",
}

func htmlHostileReport() *aggregate.Report {
	r := htmlIncidentReport()
	big := r.Nodes[2]
	huge := strings.Repeat("A", 1<<20)
	var top []aggregate.KeyInfo
	for i, h := range htmlHostileNames {
		top = append(top, htmlTestKey(h, "hash", "hashtable", int64(1000-i), 3, 0))
		// Module type names come from the dump too.
		big.ByType["module:"+h] = &aggregate.Stat{Keys: 1, Memory: int64(100 + i)}
		big.ByEncoding["module:"+h+"/module"] = &aggregate.Stat{Keys: 1, Memory: int64(100 + i)}
	}
	top = append(top, htmlTestKey(huge, "string", "raw", 900, 1, 0))
	big.TopKeys = append(big.TopKeys, top...)
	r.Findings = append(r.Findings, aggregate.Finding{
		Kind: "big-key", Severity: aggregate.SeverityCritical, Node: htmlHostileNames[0],
		Key: aggregate.KeyName(htmlHostileNames[1]), Family: htmlHostileNames[3], Memory: 1,
		Title: htmlHostileNames[0], Explanation: htmlHostileNames[5], Advice: htmlHostileNames[4],
		Figures: aggregate.Figures{}.Count(htmlHostileNames[1], 1),
	})
	// A node whose name (a file name, from the command line) is hostile.
	evil := htmlSmallNode("node-evil", 1)
	evil.Name = htmlHostileNames[1]
	evil.Complete = false
	evil.Error = htmlHostileNames[0]
	evil.Warnings = htmlHostileNames
	evil.Model = htmlHostileNames[4]
	evil.Source.Path = htmlHostileNames[3]
	evil.Source.Member = htmlHostileNames[4]
	evil.Source.RedisVersion = htmlHostileNames[1]
	r.Nodes = append(r.Nodes, evil)
	r.Cluster = aggregate.Merge("cluster", 10, r.Nodes...)
	return r
}
