// Package aggregate folds a stream of key records into per-node profiles:
// plain, mergeable Go values that serialize to JSON and are the one model
// every view in package render is drawn from.
//
// The model is the whole report document: node profiles, their merge, and
// the findings a report holds (Finding, with its Severity and Figures that
// carry their Unit) with the Settings they were judged with. Package
// diagnose makes the findings and package diff compares two reports; this
// package only defines what they produce, and reads a report back from JSON
// (DecodeReport). It imports nothing of rdbscope: parse feeds it Keys, and
// everything downstream imports it.
package aggregate

// SchemaVersion is the version of the JSON document written by
// render.JSON. Bump it when a field changes meaning or is removed; adding
// fields does not need a bump.
const SchemaVersion = 1

// Report is the whole result of a run: one profile per node, the merged
// cluster profile when there is more than one node, and the findings.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	Nodes         []*Node   `json:"nodes"`
	Cluster       *Node     `json:"cluster,omitempty"`
	Findings      []Finding `json:"findings"`
	// Settings are what Findings were judged with; nil when unknown (a
	// report read back from JSON, which does not record them yet).
	Settings *Settings `json:"-"`
	// Filter is the key filter of the per-key views (Node.Filtered), nil
	// when there is none. Findings and totals never depend on it.
	Filter *KeyFilter `json:"filter,omitempty"`
}

// Tool records what produced a report.
type Tool struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	ModelVersion string `json:"model_version"`
	GeneratedAt  string `json:"generated_at"` // RFC 3339, UTC
}

// Source is where a node's profile came from and what the dump said about
// itself.
type Source struct {
	Path         string   `json:"path"`
	Member       string   `json:"member,omitempty"`
	Bytes        int64    `json:"bytes"`
	SHA256       string   `json:"sha256"`
	Compression  string   `json:"compression,omitempty"`
	Magic        string   `json:"magic"`
	RDBVersion   int      `json:"rdb_version"`
	RedisVersion string   `json:"redis_version"`
	RedisBits    int      `json:"redis_bits,omitempty"`
	CTime        int64    `json:"ctime"`    // Unix seconds; 0 if the dump has none
	UsedMem      int64    `json:"used_mem"` // bytes; 0 if the dump has none
	AOFBase      bool     `json:"aof_base,omitempty"`
	ReplID       string   `json:"repl_id,omitempty"`
	ReplOffset   int64    `json:"repl_offset,omitempty"`
	DBSizes      []DBSize `json:"db_sizes,omitempty"`
	SlotInfos    int      `json:"slot_infos,omitempty"`
	KeyMetas     int      `json:"key_metas,omitempty"` // keys with Redis 8.6 module metadata (KEY_META), skipped
	Checksum     string   `json:"checksum"`
}

// DBSize is a RESIZEDB hint from the dump.
type DBSize struct {
	DB      int   `json:"db"`
	Keys    int64 `json:"keys"`
	Expires int64 `json:"expires"`
}

// Stat is a count of keys, their estimated memory, serialized size and
// elements.
type Stat struct {
	Keys     int64 `json:"keys"`
	Memory   int64 `json:"memory"`
	RDBBytes int64 `json:"rdb_bytes"`
	Elements int64 `json:"elements"`
}

func (s *Stat) add(k *Key) {
	s.Keys++
	s.Memory += k.Memory
	s.RDBBytes += k.RDBBytes
	s.Elements += k.Elements
}

func (s *Stat) merge(o *Stat) {
	s.Keys += o.Keys
	s.Memory += o.Memory
	s.RDBBytes += o.RDBBytes
	s.Elements += o.Elements
}

// KeysMemory is a count of keys and their memory.
type KeysMemory struct {
	Keys   int64 `json:"keys"`
	Memory int64 `json:"memory"`
	// Allocated is what the server allocates for those keys (see
	// Key.Alloc); set only where the rules use it (the TTL split), else
	// 0. Read it with Alloc.
	Allocated int64 `json:"allocated,omitempty"`
}

// Alloc is the keys' allocated memory: Allocated, or Memory where it is
// not set (tables that do not carry it, reports written before it).
func (s KeysMemory) Alloc() int64 {
	if s.Allocated > 0 {
		return s.Allocated
	}
	return s.Memory
}

// TTLSplit splits a node's keys by whether they carry a TTL.
type TTLSplit struct {
	With    KeysMemory `json:"with"`
	Without KeysMemory `json:"without"`
}

// Bucket is one expiry-horizon bucket.
type Bucket struct {
	Label  string `json:"label"`
	Keys   int64  `json:"keys"`
	Memory int64  `json:"memory"`
}

// Node is the profile of one node's dump (or, merged, of a cluster).
type Node struct {
	Name     string  `json:"name"`
	Source   *Source `json:"source,omitempty"`
	Complete bool    `json:"complete"`
	Error    string  `json:"error"`
	// ErrorOffset is the byte offset of the failure in the decompressed
	// stream when Error is set; -1 if unknown or there is no error.
	ErrorOffset int64    `json:"error_offset"`
	Warnings    []string `json:"warnings"`

	Model     string `json:"model"`
	ModelNote string `json:"model_note"`

	Keys   int64 `json:"keys"`
	Memory int64 `json:"memory"` // sum of per-key estimates (what MEMORY USAGE would sum to)
	// Allocated is the sum of what the server allocates for each key
	// (Key.Alloc): where MEMORY USAGE over- or under-counts (streams
	// with consumer groups, shared integers, ...) it differs from Memory.
	// Shares and findings use it; read it with AllocatedMemory.
	Allocated int64 `json:"allocated,omitempty"`
	RDBBytes  int64 `json:"rdb_bytes"`
	Elements  int64 `json:"elements"`

	// Overhead is the memory the node spends outside its keys' MEMORY
	// USAGE (dict buckets, expires, startup memory, and what its keys
	// allocate beyond their MEMORY USAGE: Allocated - Memory);
	// EstimatedUsedMemory is Memory + Overhead, the model's estimate of
	// what the node allocates, to compare with Source.UsedMem.
	Overhead            int64   `json:"overhead"`
	EstimatedUsedMemory int64   `json:"estimated_used_memory"`
	UsedMem             int64   `json:"used_mem"`
	UsedMemRatio        float64 `json:"used_mem_ratio"` // estimated / used_mem; 0 when used_mem is unknown

	ByType     map[string]*Stat `json:"by_type"`
	ByEncoding map[string]*Stat `json:"by_encoding"` // key "type/encoding", e.g. "hash/listpack"
	ByDB       map[int]*Stat    `json:"by_db"`
	TTL        TTLSplit         `json:"ttl"`
	// ExpiryReference is the Unix time (seconds) the expiry buckets are
	// relative to: the dump's ctime unless --now overrides it.
	ExpiryReference int64    `json:"expiry_reference"`
	Expiry          []Bucket `json:"expiry"`

	TopKeys   []KeyInfo            `json:"top_keys"`
	TopByType map[string][]KeyInfo `json:"top_by_type"`
	// Filtered is what the node holds of the keys Report.Filter selects;
	// nil without a filter.
	Filtered *Filtered `json:"filtered,omitempty"`

	// Families groups keys by pattern (user:*:reminded): the default view
	// of what fills a node. Prefixes is the drill-down, one table per
	// depth (Prefixes[0] is depth 1). Hashtags groups keys that carry a
	// {hashtag} by its content, which is what pins them to one slot.
	// All three are bounded tables: see Groups.
	Families *Groups   `json:"families,omitempty"`
	Prefixes []*Groups `json:"prefixes,omitempty"`
	Hashtags *Groups   `json:"hashtags,omitempty"`
	// Separators are the key segment separators families and prefixes
	// were split with: --sep, or those detected from the node's keys
	// (DetectSeparators); a merged profile has all of its nodes'.
	Separators []string `json:"separators,omitempty"`
	// Slots is where the node's keys fall among the cluster's hash slots.
	Slots *Slots `json:"slots,omitempty"`

	// Nodes lists the names of the nodes merged into this profile; empty
	// for a single node.
	Nodes []string `json:"nodes,omitempty"`
}

// UsedMemory is the memory a node is taken to use against maxmemory: the
// used-mem the dump recorded, which the server measured when it saved,
// when it has one; else the model's estimate of what the node allocates
// (EstimatedUsedMemory). The estimate never overrides a used-mem that
// contradicts it. Every view compares with maxmemory through it, and
// UsedMemorySource names the figure it took.
func UsedMemory(n *Node) int64 {
	switch {
	case n.UsedMem > 0:
		return n.UsedMem
	case n.EstimatedUsedMemory > 0:
		return n.EstimatedUsedMemory
	}
	return n.AllocatedMemory()
}

// Sources of UsedMemory.
const (
	UsedFromDump     = "used_mem"              // the dump's used-mem
	UsedFromEstimate = "estimated_used_memory" // the model's estimate
)

// UsedMemorySource names the figure UsedMemory took for n.
func UsedMemorySource(n *Node) string {
	if n.UsedMem > 0 {
		return UsedFromDump
	}
	return UsedFromEstimate
}

// AllocatedMemory is the memory the node's keys allocate: Allocated, or
// Memory for a profile without it (a report written before it).
func (n *Node) AllocatedMemory() int64 {
	if n.Allocated > 0 {
		return n.Allocated
	}
	return n.Memory
}

// KeyInfo is one key in a top-N list.
type KeyInfo struct {
	DB       int     `json:"db"`
	Key      KeyName `json:"key"`
	Type     string  `json:"type"`
	Encoding string  `json:"encoding"`
	Memory   int64   `json:"memory"`
	// Allocated is what the server allocates for the key when it differs
	// from Memory (MEMORY USAGE); 0 when they agree. Read it with Alloc.
	Allocated int64  `json:"allocated,omitempty"`
	RDBBytes  int64  `json:"rdb_bytes"`
	Elements  int64  `json:"elements"`
	ExpiresAt Millis `json:"expires_at"`
	Node      string `json:"node,omitempty"` // set in merged profiles
	// KeyLen is the full length of a key name longer than MaxProfileKey,
	// whose Key holds only its first MaxProfileKey bytes; 0 otherwise.
	KeyLen int64 `json:"key_len,omitempty"`
}

// Alloc is what the server allocates for the key.
func (k *KeyInfo) Alloc() int64 {
	if k.Allocated > 0 {
		return k.Allocated
	}
	return k.Memory
}

// MaxProfileKey bounds the key names a profile holds (top lists, families,
// prefixes, findings): Redis accepts names of up to 512 MB, and one of
// them copied into every table would make the report gigabytes long.
// Longer names are cut and flagged with KeyInfo.KeyLen; the per-key
// export always has them whole.
const MaxProfileKey = 4096

// Key is the input of a Builder: the facts about one key after memory
// estimation. It is small and flat so that it can cross a process boundary
// cheaply.
type Key struct {
	DB       int
	Key      string
	Type     string // TYPE name; "module:NAME" for module values
	Encoding string // OBJECT ENCODING once loaded
	Memory   int64  // MEMORY USAGE
	// Alloc is what the server allocates for the key (memmodel's
	// Size.Allocated); 0 means the same as Memory.
	Alloc     int64
	RDBBytes  int64
	Elements  int64
	ExpiresAt int64 // Unix ms; 0 = no TTL

	fullLen int64 // set by Builder.Add when Key was cut to MaxProfileKey
}

func (k *Key) info() KeyInfo {
	ki := KeyInfo{
		DB: k.DB, Key: KeyName(k.Key), Type: k.Type, Encoding: k.Encoding,
		Memory: k.Memory, RDBBytes: k.RDBBytes, Elements: k.Elements,
		ExpiresAt: Millis(k.ExpiresAt), KeyLen: k.fullLen,
	}
	if a := k.alloc(); a != k.Memory {
		ki.Allocated = a
	}
	return ki
}

// alloc is what the server allocates for the key.
func (k *Key) alloc() int64 {
	if k.Alloc > 0 {
		return k.Alloc
	}
	return k.Memory
}
