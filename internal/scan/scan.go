// Package scan turns one node's dump into its profile: it parses the
// input, chooses the memory model once, estimates every key with it,
// decides whether the node runs in cluster mode, and sums what the node
// spends outside its keys. What it finds goes to a Sink, key by key, so
// that the same scan can fold a profile in this process (Collector) or
// stream it from a parser child process to its parent (package worker).
//
// The per-key path is parse.Record → memmodel estimate → aggregate.Key →
// Sink: each key is estimated once, with the model of the node's final
// cluster mode.
package scan

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/memmodel"
	"github.com/rdbscope/rdbscope/parse"
)

// Options say how to scan a node. They carry no command-line meaning, and
// they survive a trip through JSON (a parser child gets them that way).
type Options struct {
	// NoVerify goes on past a CRC64 mismatch (see parse.Options).
	NoVerify bool `json:"no_verify,omitempty"`
	// Model names the memory model to use instead of the one the dump's
	// version implies, e.g. "7.2" or "valkey-8.0" (see memmodel.ForSource);
	// empty means the dump's.
	Model string `json:"model,omitempty"`
	// Cluster says whether the node runs in cluster mode.
	Cluster ClusterMode `json:"cluster"`
	// MaxKeyBytes is the serialized size above which a key is not decoded
	// (see parse.Options); 0 means no limit.
	MaxKeyBytes int64 `json:"max_key_bytes,omitempty"`
	// MaxKeyName names that limit in warnings (see parse.Options).
	MaxKeyName string `json:"max_key_name,omitempty"`
	// Config is the configuration of the server that loads the dump
	// (encoding limits, list compression, integer sharing); the zero value
	// is the server's defaults.
	Config memmodel.Config `json:"config"`
	// Workers is how many goroutines decode and estimate keys side by
	// side; 0 means GOMAXPROCS. The figures do not depend on it.
	Workers int `json:"workers,omitempty"`
	// Resume continues the scan of a node whose parser process died
	// decoding a record; nil for a whole scan.
	Resume *Resume `json:"resume,omitempty"`
}

// Resume says where a scan takes up a node whose parser process died
// decoding a record (of memory, on a huge key), after the keys received
// from it. The dump is read again from its start, so that its checksum
// covers all of it, but what was received is not decoded again.
type Resume struct {
	// Keys is how many keys, from the first, were received: they are
	// framed and counted (for the node overhead and the cluster
	// decision), neither decoded nor sent.
	Keys int64 `json:"keys"`
	// Extra is what those keys allocate beyond their MEMORY USAGE, for
	// the node overhead.
	Extra int64 `json:"extra"`
	// Lost holds the offsets (parse.Record.Offset) of the records a
	// parser process died decoding: each is framed, not decoded, and sent
	// without figures, with a warning.
	Lost []int64 `json:"lost"`
}

// BigRecorder is a Sink that is told of the key records that may be too
// large to decode (see parse.Options.OnBigRecord), before they are
// decoded, with their index among the dump's keys and their offset: the
// Resume of a scan whose process dies decoding one.
type BigRecorder interface {
	Sink
	BigRecord(index, offset int64)
}

// Sink receives what scanning one node finds, in this order: Start once
// the dump's header is read (never if it cannot be), Key for every key,
// and End once, last, whatever happened. Progress comes at any time, from
// another goroutine than the other calls.
type Sink interface {
	Start(h *Header) error
	// Key receives one key; k and its strings are valid only during the
	// call.
	Key(k *aggregate.Key) error
	// Progress says how many stored bytes have been read so far.
	Progress(stored int64)
	End(s *Summary) error
}

// Holder is a Sink that is told of the keys a scan holds while it
// decides whether the node runs in cluster mode (see Options.Cluster).
// Held keys reach Key once the scan decides, in dump order, before any
// later key, and Hold is never called after that. A scan that ends
// without deciding — its parser process died, on a key too large for its
// memory — never sends them: a Sink in another process keeps what Hold
// told it in a HeldKeys and decides with the same rule.
type Holder interface {
	Sink
	// Hold receives a held key with its figures as a standalone node's
	// in k and as a cluster node's in cluster; k and its strings are
	// valid only during the call.
	Hold(k *aggregate.Key, cluster Figures) error
}

// Figures are a key's memory figures in one cluster mode, as
// aggregate.Key carries them.
type Figures struct {
	Encoding      string
	Memory, Alloc int64
}

// Header is what is known of a node once its dump's header is read.
type Header struct {
	Source    *aggregate.Source `json:"source"` // as far as the header tells
	Model     string            `json:"model"`  // the memory model's name, e.g. "redis-7.2"
	ModelNote string            `json:"model_note,omitempty"`
}

// Summary is what is known of a node once its scan is over.
type Summary struct {
	// Source is what the dump said about itself, nil when the input could
	// not be read at all.
	Source *aggregate.Source `json:"source,omitempty"`
	// ModelNote says how the memory model and the cluster mode were
	// chosen, when that needs saying.
	ModelNote string `json:"model_note,omitempty"`
	// Warnings are the node's warnings: about keys (at most
	// maxKeyWarnings), about the dump as a whole, a checksum mismatch
	// that Options.NoVerify let pass, keys outside db 0 of a cluster node.
	Warnings []string `json:"warnings,omitempty"`
	// Overhead is what the node spends outside its keys' MEMORY USAGE:
	// startup memory, dict buckets, expires, allocator rounding.
	Overhead int64 `json:"overhead"`
	// Paths counts the keys by the way the parser described their values
	// (see parse.Source.Paths): for performance work, not in reports.
	Paths map[string]parse.Paths `json:"paths,omitempty"`
}

// maxKeyWarnings bounds the key warnings of one node: a dump with a
// problem in every key would otherwise make a report of warnings.
const maxKeyWarnings = 100

// Run scans in and sends what it finds to sink. It returns the node's
// error: the parse error (a *parse.Error names the file and the byte
// offset), or the first error of sink. The Summary sent to sink's End
// covers everything read before an error.
//
// Keys are estimated on Options.Workers goroutines side by side and reach
// sink in dump order, with the same figures whatever the number of
// workers.
func Run(ctx context.Context, in parse.Input, opts Options, sink Sink) error {
	s := &scanner{opts: opts, sink: sink, keysPerDB: map[int]int64{}, expiresPerDB: map[int]int64{}}
	popts := parse.Options{
		NoVerify:      opts.NoVerify,
		MaxKeyBytes:   opts.MaxKeyBytes,
		MaxKeyName:    opts.MaxKeyName,
		LongElemLimit: opts.Config.HashValueLimit(),
		LZFSizes:      opts.Config.CompressesLists(),
		Progress:      sink.Progress,
		OnSource:      s.start,
		// The model sizes packed containers from their blobs: decoding
		// them would only cost time (most of the decoder's, measured in
		// docs/performance.md).
		SkipDecode: func(typ, enc string, elements int64) bool {
			return s.base != nil && !s.base.NeedsValue(typ, enc, elements)
		},
	}
	if br, ok := sink.(BigRecorder); ok {
		popts.OnBigRecord = br.BigRecord
	}
	if r := opts.Resume; r != nil {
		popts.SkipRecords, popts.FrameOnly = r.Keys, r.Lost
		s.extra = r.Extra
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	src, err := parse.ParseWith(ctx, in, popts, workers, s.estimate, s.record)
	if ferr := s.settle(); ferr != nil && err == nil {
		err = ferr
	}
	if eerr := sink.End(s.summary(src, err)); eerr != nil && err == nil {
		err = eerr
	}
	return err
}

// scanner is one call of Run.
type scanner struct {
	opts Options
	sink Sink

	// The models keys are estimated with, chosen from the dump's header;
	// read by the decoding goroutines, never changed after start.
	base      *memmodel.Model // the node's model as the header tells
	clustered *memmodel.Model // base in cluster mode, while that is undecided and changes each key's figures
	decided   atomic.Int32    // modeUndecided, then modeStandalone or modeCluster: which of the two keys need

	model *memmodel.Model // the node's model as decided so far
	note  string          // why the model was chosen, when it is a fallback

	cluster clusterState

	key      aggregate.Key // reused for every key sent
	warnings []string      // about keys
	records  int64         // keys read so far, in dump order

	// What the node overhead depends on, besides the model.
	keysPerDB    map[int]int64
	expiresPerDB map[int]int64
	slotKeys     []int64 // keys per hash slot
	extra        int64   // what the keys allocate beyond MEMORY USAGE
}

// Values of scanner.decided.
const (
	modeUndecided = iota
	modeStandalone
	modeCluster
)

// estimate is what the model says of one key, made on a decoding
// goroutine: with the node's model and, while cluster mode is undecided
// on a server where it changes each key's figures, with the cluster
// node's model too.
type estimate struct {
	size, cluster memmodel.Size
	both          bool
	slot          int
}

// pick is the key's figures in the mode decided.
func (e *estimate) pick(cluster bool) memmodel.Size {
	if e.both && cluster {
		return e.cluster // made while undecided
	}
	return e.size
}

// start chooses the memory model from the dump's header, settles cluster
// mode when the header or the options tell, and starts the sink.
func (s *scanner) start(src *parse.Source) error {
	s.model, s.note = memmodel.ForSource(src, s.opts.Model)
	s.model = s.model.WithConfig(s.opts.Config)
	if s.opts.Cluster == ClusterOn {
		s.model = s.model.WithCluster(true)
	}
	s.cluster.fromHeader(s.opts.Cluster, src.SlotInfos > 0)
	s.base = s.model
	if !s.cluster.decided && s.model.ClusterKeyBytes() != 0 {
		s.clustered = s.model.WithCluster(true)
	}
	// The overhead of a cluster node depends on how its keys spread over
	// the slots (memmodel.Model.NodeOverhead). Even a node said to be
	// standalone is costed as a cluster node when SLOT_INFO shows up
	// later in its dump.
	s.slotKeys = make([]int64, aggregate.NumSlots)
	h := &Header{Source: toSource(src), Model: s.model.Name(), ModelNote: s.note}
	if s.cluster.decided {
		h.ModelNote = joinNote(s.note, s.cluster.why)
	}
	return s.sink.Start(h)
}

// estimate sizes one key; it runs on the decoding goroutines, in no
// particular order.
func (s *scanner) estimate(r *parse.Record, e *estimate) {
	e.slot = aggregate.Slot(r.Key)
	if s.base == nil {
		return // parse calls OnSource before the first record
	}
	switch {
	case s.clustered == nil:
		e.size = s.base.Size(r)
	case s.decided.Load() == modeStandalone:
		e.size = s.base.Size(r)
	case s.decided.Load() == modeCluster:
		e.size = s.clustered.Size(r)
	default:
		e.size, e.cluster, e.both = s.base.Size(r), s.clustered.Size(r), true
	}
}

// record takes one key from the parser, in dump order. Under ClusterAuto,
// on servers where cluster mode changes what each key costs, the first
// keys are held until they tell whether the node is a cluster node, and
// then sent with the figures of the mode decided.
func (s *scanner) record(r *parse.Record, e *estimate) error {
	if s.model == nil {
		// parse calls OnSource before the first record.
		return errors.New("internal error: a record before the dump's header")
	}
	for _, w := range r.Warnings {
		if len(s.warnings) < maxKeyWarnings {
			s.warnings = append(s.warnings, fmt.Sprintf("key %s: %s", aggregate.EscapeKey(r.Key), w))
		}
	}
	s.key = s.keyOf(r)
	received := false
	if rs := s.opts.Resume; rs != nil {
		received = s.records < rs.Keys
		if slices.Contains(rs.Lost, r.Offset) {
			s.lost(r, e)
		}
	}
	s.records++
	c := &s.cluster
	if c.decided {
		return s.deliver(&s.key, e, received)
	}
	c.sample.Add(r.DB, r.Key)
	if s.clustered == nil || received {
		// Cluster mode does not change this server's per-key figures, or
		// the key was received from an earlier scan (which held nothing
		// before it): only the node overhead waits for the decision.
		if c.full() {
			s.decide()
			if err := s.release(); err != nil {
				return err
			}
		}
		return s.deliver(&s.key, e, received)
	}
	if !c.full() && c.hold(&s.key, e) {
		if h, ok := s.sink.(Holder); ok {
			// A copy with the standalone figures: the held key keeps none.
			k := c.held[len(c.held)-1].key
			k.Encoding, k.Memory, k.Alloc = e.size.Encoding, e.size.Memory, e.size.Allocated
			return h.Hold(&k, Figures{Encoding: e.cluster.Encoding, Memory: e.cluster.Memory, Alloc: e.cluster.Allocated})
		}
		return nil
	}
	s.decide()
	if err := s.release(); err != nil {
		return err
	}
	return s.send(&s.key, e)
}

// lost gives the record a parser process died decoding no figures, and
// says so.
func (s *scanner) lost(r *parse.Record, e *estimate) {
	e.size, e.cluster = memmodel.Size{Encoding: e.size.Encoding}, memmodel.Size{Encoding: e.cluster.Encoding}
	// Past maxKeyWarnings too: the node's figures lack this key.
	s.warnings = append(s.warnings, fmt.Sprintf("key %s: not estimated: the parser ran out of memory on it (%d bytes serialized); the keys after it were read by a new parser process",
		aggregate.EscapeKey(r.Key), r.RDBBytes))
}

// deliver sends a key, or only counts it when it was received from an
// earlier scan (see Resume).
func (s *scanner) deliver(k *aggregate.Key, e *estimate, received bool) error {
	if received {
		s.count(k, e)
		return nil
	}
	return s.send(k, e)
}

// keyOf is the key of r, without its figures.
func (s *scanner) keyOf(r *parse.Record) aggregate.Key {
	typ := r.Type
	if r.Type == parse.TypeModule {
		typ = "module:" + r.Module
	}
	return aggregate.Key{DB: r.DB, Key: r.Key, Type: typ, RDBBytes: r.RDBBytes, Elements: r.Elements, ExpiresAt: r.ExpiresAt}
}

// settle decides cluster mode for nodes with fewer keys than the sample,
// and for dumps that failed before their header, and sends the keys
// still held.
func (s *scanner) settle() error {
	if s.cluster.decided {
		return nil
	}
	s.decide()
	return s.release()
}

// decide settles ClusterAuto on the keys sampled so far.
func (s *scanner) decide() {
	s.cluster.decide()
	if s.cluster.on && s.model != nil {
		s.model = s.model.WithCluster(true)
	}
	if s.cluster.on {
		s.decided.Store(modeCluster)
	} else {
		s.decided.Store(modeStandalone)
	}
}

// release sends the keys held while cluster mode was undecided.
func (s *scanner) release() error {
	held := s.cluster.held
	s.cluster.held = nil
	for i := range held {
		if err := s.send(&held[i].key, &held[i].est); err != nil {
			return err
		}
	}
	return nil
}

// send gives a key the figures of the node's mode and sends it.
func (s *scanner) send(k *aggregate.Key, e *estimate) error {
	sz := e.pick(s.cluster.on)
	// What the keys allocate beyond (or below) MEMORY USAGE belongs to the
	// node total, not to the per-key figure users compare with MEMORY USAGE.
	s.extra += sz.Allocated - sz.Memory
	k.Encoding, k.Memory, k.Alloc = sz.Encoding, sz.Memory, sz.Allocated
	s.count(k, e)
	return s.sink.Key(k)
}

// count adds a key to what the node overhead depends on.
func (s *scanner) count(k *aggregate.Key, e *estimate) {
	s.keysPerDB[k.DB]++
	if k.ExpiresAt != 0 {
		s.expiresPerDB[k.DB]++
	}
	if s.slotKeys != nil {
		s.slotKeys[e.slot]++
	}
}

// summary is the Summary of a scan that returned src and err.
func (s *scanner) summary(src *parse.Source, err error) *Summary {
	sum := &Summary{Source: toSource(src), ModelNote: joinNote(s.note, s.cluster.why)}
	sum.Warnings = slices.Clone(s.warnings)
	if src != nil {
		sum.Paths = src.Paths
		sum.Warnings = append(sum.Warnings, src.Warnings...)
		if src.Checksum == parse.ChecksumMismatch && err == nil {
			// Only NoVerify gets here with a mismatch: say it everywhere
			// the figures are shown.
			sum.Warnings = append(sum.Warnings, "CRC64 checksum mismatch: the dump is corrupt and these figures are unverified (--no-verify)")
		}
	}
	if s.cluster.on {
		if db := maxDB(s.keysPerDB); db != 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("treated as a cluster node, but it has keys in db %d: cluster nodes have db 0 only", db))
		}
	}
	m := s.model
	switch {
	case m == nil && src != nil:
		// The dump failed before its header was complete: what it did
		// tell still gives the startup memory of a server of its kind.
		m, _ = memmodel.ForSource(src, s.opts.Model)
		m = m.WithConfig(s.opts.Config)
	case m != nil && src != nil && src.SlotInfos > 0:
		// SLOT_INFO came after the first key (see start).
		m = m.WithCluster(true)
	}
	if m != nil {
		var slots []int64
		for _, n := range s.slotKeys {
			if n > 0 {
				slots = append(slots, n)
			}
		}
		sum.Overhead = m.NodeOverhead(s.keysPerDB, s.expiresPerDB, slots) + s.extra
	}
	return sum
}

func maxDB(keysPerDB map[int]int64) int {
	db := 0
	for d := range keysPerDB {
		if d > db {
			db = d
		}
	}
	return db
}

// toSource copies what the report shows of a parse.Source.
func toSource(s *parse.Source) *aggregate.Source {
	if s == nil {
		return nil
	}
	out := &aggregate.Source{
		Path: s.Path, Member: s.Member, Bytes: s.Bytes, SHA256: s.SHA256, Compression: s.Compression,
		Magic: s.Magic, RDBVersion: s.RDBVersion, RedisVersion: s.RedisVersion, RedisBits: s.RedisBits,
		CTime: s.CTime, UsedMem: s.UsedMem, AOFBase: s.AOFBase, ReplID: s.ReplID, ReplOffset: s.ReplOffset,
		SlotInfos: s.SlotInfos, KeyMetas: s.KeyMetas, Checksum: s.Checksum,
	}
	for _, d := range s.DBSizes {
		out.DBSizes = append(out.DBSizes, aggregate.DBSize{DB: d.DB, Keys: d.Keys, Expires: d.Expires})
	}
	return out
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
