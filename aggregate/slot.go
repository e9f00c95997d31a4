package aggregate

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// NumSlots is the number of hash slots of a Redis Cluster.
const NumSlots = 16384

// crc16Tables are CRC16-CCITT (XMODEM: polynomial 0x1021, initial value
// 0), the checksum Redis Cluster hashes keys with, 8 bytes at a time:
// crc16Tables[0][b] is the CRC of byte b, and crc16Tables[n][b] that of b
// followed by n zero bytes. The CRC is linear, so the CRC of 8 bytes is
// the XOR of 8 independent lookups, where a byte at a time makes a chain
// of 8 dependent ones.
var crc16Tables = func() (t [8][256]uint16) {
	for i := range t[0] {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for n := 1; n < len(t); n++ {
		for i := range t[n] {
			c := t[n-1][i]
			t[n][i] = c<<8 ^ t[0][c>>8]
		}
	}
	return t
}()

func crc16(s string) uint16 {
	t := &crc16Tables
	var c uint16
	for ; len(s) >= 8; s = s[8:] {
		c = t[7][byte(c>>8)^s[0]] ^ t[6][byte(c)^s[1]] ^
			t[5][s[2]] ^ t[4][s[3]] ^ t[3][s[4]] ^ t[2][s[5]] ^ t[1][s[6]] ^ t[0][s[7]]
	}
	for i := 0; i < len(s); i++ {
		c = c<<8 ^ t[0][byte(c>>8)^s[i]]
	}
	return c
}

// hashTag returns the part of key Redis Cluster hashes: the content of the
// first {...} when it is non-empty, else the whole key. ok reports whether a
// hash tag was used.
func hashTag(key string) (tag string, ok bool) {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key, false
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key, false
	}
	return key[i+1 : i+1+j], true
}

// Slot returns the Redis Cluster hash slot of a raw key, honouring the
// {hashtag} rule exactly as the server does (first '{', then the first '}'
// after it, non-empty content).
func Slot(key string) int {
	tag, _ := hashTag(key)
	return int(crc16(tag) & (NumSlots - 1))
}

// SlotStat is the keys and memory one hash slot holds.
type SlotStat struct {
	Slot   int   `json:"slot"`
	Keys   int64 `json:"keys"`
	Memory int64 `json:"memory"`
}

// Slots describes the hash slots a node's keys fall into.
type Slots struct {
	// Held lists the slots holding at least one key, as ranges "0-5460".
	Held []string `json:"held"`
	// Hottest are the slots holding the most memory, biggest first.
	Hottest []SlotStat `json:"hottest"`
	// PerSlot is every non-empty slot, in slot order: sparse because a
	// node of a cluster holds a third or less of the slots.
	PerSlot []SlotStat `json:"per_slot"`
}

// hottestSlots is how many slots Slots.Hottest lists.
const hottestSlots = 20

// slotsFrom builds the exported view of a dense per-slot array.
func slotsFrom(dense []KeysMemory) *Slots {
	s := &Slots{Held: []string{}, Hottest: []SlotStat{}, PerSlot: []SlotStat{}}
	for i := range dense {
		if dense[i].Keys != 0 {
			s.PerSlot = append(s.PerSlot, SlotStat{Slot: i, Keys: dense[i].Keys, Memory: dense[i].Memory})
		}
	}
	held := make([]int, len(s.PerSlot))
	for i, p := range s.PerSlot {
		held[i] = p.Slot
	}
	s.Held = SlotRanges(held)
	s.Hottest = hottest(s.PerSlot, hottestSlots)
	return s
}

// hottest returns the n slots holding the most memory, biggest first, ties
// in slot order: one pass that keeps the n best in order, instead of
// sorting every slot of a node to keep 20.
func hottest(per []SlotStat, n int) []SlotStat {
	hot := make([]SlotStat, 0, min(n, len(per)))
	before := func(a, b *SlotStat) bool {
		if a.Memory != b.Memory {
			return a.Memory > b.Memory
		}
		return a.Slot < b.Slot
	}
	for i := range per {
		p := &per[i]
		if len(hot) == n && !before(p, &hot[n-1]) {
			continue
		}
		j := len(hot)
		if j < n {
			hot = append(hot, *p)
		} else {
			j = n - 1
		}
		for ; j > 0 && before(p, &hot[j-1]); j-- {
			hot[j] = hot[j-1]
		}
		hot[j] = *p
	}
	return hot
}

// dense expands the sparse list back for merging.
func (s *Slots) dense(into []KeysMemory) {
	for _, p := range s.PerSlot {
		if p.Slot >= 0 && p.Slot < len(into) {
			into[p.Slot].Keys += p.Keys
			into[p.Slot].Memory += p.Memory
		}
	}
}

// SlotRanges formats a set of slots as sorted ranges ("0-5460", "7000").
func SlotRanges(slots []int) []string {
	s := append([]int(nil), slots...)
	sort.Ints(s)
	out := []string{}
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] <= s[j]+1 {
			j++
		}
		if s[i] == s[j] {
			out = append(out, strconv.Itoa(s[i]))
		} else {
			out = append(out, strconv.Itoa(s[i])+"-"+strconv.Itoa(s[j]))
		}
		i = j + 1
	}
	return out
}

// ClusterNode is one line of CLUSTER NODES: who a node is and which slots
// it serves.
type ClusterNode struct {
	ID       string   `json:"id"`
	Addr     string   `json:"addr"` // ip:port
	Port     int      `json:"port"`
	Hostname string   `json:"hostname,omitempty"`
	Flags    []string `json:"flags"`
	Master   string   `json:"master,omitempty"` // id of the master of a replica
	// Slots are the slots the node serves as inclusive [from, to] ranges;
	// migrating/importing markers are ignored.
	Slots [][2]int `json:"slots"`
}

func (c *ClusterNode) isReplica() bool {
	for _, f := range c.Flags {
		if f == "slave" || f == "replica" {
			return true
		}
	}
	return false
}

// ParseClusterNodes reads the output of CLUSTER NODES (or a nodes.conf,
// whose trailing "vars" line is skipped). Malformed lines are errors so
// that a wrong file is not silently taken for an empty cluster.
func ParseClusterNodes(r io.Reader) ([]ClusterNode, error) {
	var out []ClusterNode
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "vars" {
			continue
		}
		if len(f) < 8 {
			return nil, fmt.Errorf("cluster nodes line %d: want at least 8 fields, got %d", line, len(f))
		}
		n := ClusterNode{ID: f[0], Flags: strings.Split(f[2], ",")}
		addr := f[1]
		if i := strings.IndexByte(addr, ','); i >= 0 {
			n.Hostname = addr[i+1:]
			addr = addr[:i]
		}
		if i := strings.IndexByte(addr, '@'); i >= 0 {
			addr = addr[:i]
		}
		n.Addr = addr
		if i := strings.LastIndexByte(addr, ':'); i >= 0 {
			p, err := strconv.Atoi(addr[i+1:])
			if err != nil || p < 0 || p > 65535 {
				return nil, fmt.Errorf("cluster nodes line %d: bad address %q", line, f[1])
			}
			n.Port = p
		} else {
			return nil, fmt.Errorf("cluster nodes line %d: bad address %q", line, f[1])
		}
		if f[3] != "-" {
			n.Master = f[3]
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue // slot being migrated or imported
			}
			r, err := ParseRange(s)
			if err != nil {
				return nil, fmt.Errorf("cluster nodes line %d: %v", line, err)
			}
			n.Slots = append(n.Slots, r)
		}
		out = append(out, n)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cluster nodes: no node found")
	}
	return out, nil
}

// MatchClusterNode finds the CLUSTER NODES entry of the node whose dump is
// called name, and the slots that node should hold: its own, or its
// master's when it is a replica (a replica's dump holds its master's data).
//
// The rule, first match wins: name equals the node id, the hostname or the
// ip:port address; else the number ending name (node-7202 → 7202) equals
// the port of exactly one node. A port shared by several nodes (one port on
// many hosts) matches none: name the dumps by id or hostname then.
func MatchClusterNode(name string, nodes []ClusterNode) (*ClusterNode, [][2]int, bool) {
	var hit *ClusterNode
	for i := range nodes {
		n := &nodes[i]
		if name == n.ID || (n.Hostname != "" && name == n.Hostname) || name == n.Addr {
			hit = n
			break
		}
	}
	if hit == nil {
		j := len(name)
		for j > 0 && name[j-1] >= '0' && name[j-1] <= '9' {
			j--
		}
		if port, err := strconv.Atoi(name[j:]); err == nil && j < len(name) {
			for i := range nodes {
				if nodes[i].Port == port {
					if hit != nil {
						return nil, nil, false
					}
					hit = &nodes[i]
				}
			}
		}
	}
	if hit == nil {
		return nil, nil, false
	}
	slots := hit.Slots
	if hit.isReplica() && hit.Master != "" {
		for i := range nodes {
			if nodes[i].ID == hit.Master {
				slots = nodes[i].Slots
			}
		}
	}
	return hit, slots, true
}

// KeyCounts returns the key count of every slot holding keys (in slot
// order): what a 7.4+ cluster node's per-slot dicts are sized by.
func (s *Slots) KeyCounts() []int64 {
	if s == nil {
		return nil
	}
	out := make([]int64, len(s.PerSlot))
	for i, p := range s.PerSlot {
		out[i] = p.Keys
	}
	return out
}

// minClusterSamples is how many independent slot samples LooksLikeCluster
// needs before it calls a node a cluster node: with 32 samples spread
// over the whole slot space, the chance that they fill at most six of its
// eight parts is under 0.3%.
const minClusterSamples = 32

// LooksLikeCluster tells a cluster node from a standalone one by where
// its keys fall in the hash slot space, for dumps that do not say (Redis
// before 7.4, Valkey before 8). A standalone server's keys spread over
// all of it; a cluster master holds only its share (a third of the slots
// in a 3-master cluster). Only independent samples count: every key
// without a hash tag, and each distinct hash tag once, because keys
// sharing a tag share a slot whatever the mode (one {bull} tag on every
// key of a standalone BullMQ server is not a cluster). With at least 32
// samples, all keys in db 0, that fill at most six of eight equal parts
// of the slot space, the node is taken for a cluster node; with fewer
// samples it is not (too little evidence to pay the cluster costs for).
func LooksLikeCluster(keys []Key) bool {
	var s ClusterSample
	for i := range keys {
		s.Add(keys[i].DB, keys[i].Key)
	}
	return s.LooksLikeCluster()
}

// ClusterSample is LooksLikeCluster fed one key at a time, for a scan
// that decides while it reads. The zero value is an empty sample.
type ClusterSample struct {
	keys    int
	samples int
	otherDB bool
	parts   [8]bool
	tags    map[string]bool
}

// Add adds one key to the sample.
func (s *ClusterSample) Add(db int, key string) {
	s.keys++
	if db != 0 {
		s.otherDB = true // cluster nodes have db 0 only
		return
	}
	tag, tagged := hashTag(key)
	if tagged {
		if s.tags[tag] {
			return
		}
		if s.tags == nil {
			s.tags = map[string]bool{}
		}
		s.tags[tag] = true
	}
	s.samples++
	s.parts[int(crc16(tag)&(NumSlots-1))*len(s.parts)/NumSlots] = true
}

// Keys is how many keys were added.
func (s *ClusterSample) Keys() int { return s.keys }

// LooksLikeCluster is LooksLikeCluster's verdict on the keys added.
func (s *ClusterSample) LooksLikeCluster() bool {
	if s.otherDB || s.samples < minClusterSamples {
		return false
	}
	n := 0
	for _, p := range s.parts {
		if p {
			n++
		}
	}
	return n <= 6
}
