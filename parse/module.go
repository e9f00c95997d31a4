package parse

import "fmt"

// Module values (RDB_TYPE_MODULE_2) and module-written data (MODULE_AUX,
// Redis 8.6's KEY_META) are a sequence of typed items, each behind a
// module opcode, ended by opcode 0. The framer reads them generically;
// for the one module type whose layout rdbscope knows, Redis 8's
// vectorset, it also builds a Value from the items as they go by.

// Module opcodes (RDB_MODULE_OPCODE_*).
const (
	modEOF    = 0
	modSInt   = 1
	modUInt   = 2
	modFloat  = 3
	modDouble = 4
	modString = 5
)

// moduleItem is one item of module data: its opcode and, for integers,
// the value, for strings the length.
type moduleItem struct {
	op  uint64
	u   uint64 // UINT and SINT items
	len int64  // STRING items: decompressed length
}

// moduleItems frames module data up to its EOF opcode, handing each item
// to fn (which may be nil).
func (f *framer) moduleItems(what string, fn func(moduleItem)) error {
	for {
		at := f.pos()
		op, err := f.readCount(what + " (module opcode)")
		if err != nil {
			return err
		}
		it := moduleItem{op: op}
		switch op {
		case modEOF:
			return nil
		case modSInt, modUInt:
			it.u, err = f.readCount(what + " (module integer)")
		case modFloat:
			_, err = f.readN(4, what+" (module float)")
		case modDouble:
			_, err = f.readN(8, what+" (module double)")
		case modString:
			var s str
			s, err = f.readStr(what+" (module string)", needNone)
			it.len = s.ulen
		default:
			return f.errAt(at, "unknown module opcode %d in %s%s", op, what, f.keyDesc())
		}
		if err != nil {
			return err
		}
		if fn != nil {
			fn(it)
		}
	}
}

// skipModuleOps frames module data (a module value or MODULE_AUX) up to
// its EOF module opcode.
func (f *framer) skipModuleOps(what string) error { return f.moduleItems(what, nil) }

// moduleValue frames a RDB_TYPE_MODULE_2 value. The decoder cannot read
// module values: the Record is built from the framer's meta alone, with
// the Value the framer built for a vector set.
func (f *framer) moduleValue(m *meta) error {
	id, err := f.readCount("the module id")
	if err != nil {
		return err
	}
	m.module = moduleName(id)
	m.undecoded = true
	what := "module value of type " + m.module
	if m.module != "vectorset" || id&1023 != 0 {
		return f.skipModuleOps(what)
	}
	var vb vsetBuilder
	if err := f.moduleItems(what, vb.add); err != nil {
		return err
	}
	if vs, err := vb.done(); err != nil {
		f.rec.warnings = append(f.rec.warnings, "vector set not understood ("+err.Error()+"): memory estimated from its serialized size")
	} else {
		m.value = &Value{VectorSet: vs}
		m.elements = int64(len(vs.Nodes))
	}
	return nil
}

// vsetBuilder builds a VectorSet from the items of a vectorset value
// (encoding version 0, Redis 8.0): dimension, element count, HNSW config
// (quantization in the low byte, M above), save flags (1: projection
// matrix, 2: attributes), [input dimension, matrix], then per element its
// name, [attribute ("" for none)], vector, and a list of UINT parameters:
// node id, level (low byte) and format version (top byte), then per layer
// num_links, max_links, the num_links neighbour ids and, from version 1,
// the worst link, and last the vector's norm and range.
type vsetBuilder struct {
	vs       VectorSet
	step     int // which item comes next, see add
	count    uint64
	flags    uint64
	node     VectorNode
	params   []uint64
	nparams  uint64
	err      error
	finished bool
}

// Steps of vsetBuilder.
const (
	vsDim = iota
	vsCount
	vsConfig
	vsFlags
	vsInputDim
	vsMatrix
	vsItem
	vsAttr
	vsVector
	vsParamCount
	vsParams
	vsEnd
)

func (b *vsetBuilder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format, args...)
	}
}

// add takes the next item.
func (b *vsetBuilder) add(it moduleItem) {
	if b.err != nil {
		return
	}
	wantUint := func() bool {
		if it.op != modUInt {
			b.fail("item %d: opcode %d where an unsigned integer was expected", b.step, it.op)
			return false
		}
		return true
	}
	wantString := func() bool {
		if it.op != modString {
			b.fail("item %d: opcode %d where a string was expected", b.step, it.op)
			return false
		}
		return true
	}
	switch b.step {
	case vsDim:
		if wantUint() {
			b.vs.Dim = int64(min(it.u, 1<<32))
			b.step = vsCount
		}
	case vsCount:
		if wantUint() {
			b.count = it.u
			b.step = vsConfig
		}
	case vsConfig:
		if wantUint() {
			b.vs.Quant = int(it.u & 0xff)
			b.vs.M = int64((it.u >> 8) & 0xffff)
			if b.vs.M == 0 {
				b.vs.M = 16 // dumps from before M was configurable
			}
			b.step = vsFlags
		}
	case vsFlags:
		if wantUint() {
			b.flags = it.u
			if b.flags&1 != 0 {
				b.step = vsInputDim
				return
			}
			b.step = vsItem
			b.nextNode()
		}
	case vsInputDim:
		if wantUint() {
			b.vs.InputDim = int64(min(it.u, 1<<32))
			b.step = vsMatrix
		}
	case vsMatrix:
		if wantString() {
			b.step = vsItem
			b.nextNode()
		}
	case vsItem:
		if wantString() {
			b.node = VectorNode{Item: it.len, FirstLayer: len(b.vs.Layers)}
			b.step = vsVector
			if b.flags&2 != 0 {
				b.step = vsAttr
			}
		}
	case vsAttr:
		if wantString() {
			b.node.Attr = it.len
			b.step = vsVector
		}
	case vsVector:
		if wantString() {
			b.node.Vector = it.len
			b.step = vsParamCount
		}
	case vsParamCount:
		if wantUint() {
			b.nparams = it.u
			b.params = b.params[:0]
			b.step = vsParams
			if b.nparams == 0 {
				b.fail("element %d has no parameters", len(b.vs.Nodes))
			}
		}
	case vsParams:
		if wantUint() {
			b.params = append(b.params, it.u)
			if uint64(len(b.params)) == b.nparams {
				b.endNode()
			}
		}
	case vsEnd:
		b.fail("more items than %d elements", b.count)
	}
}

// nextNode moves to the next element, or to the end.
func (b *vsetBuilder) nextNode() {
	if uint64(len(b.vs.Nodes)) >= b.count {
		b.step = vsEnd
		b.finished = true
	}
}

// endNode reads the layers out of an element's parameters.
func (b *vsetBuilder) endNode() {
	p := b.params
	if len(p) < 2 {
		b.fail("element %d: %d parameters", len(b.vs.Nodes), len(p))
		return
	}
	level := int(p[1] & 0xff)
	worst := 0
	if p[1]>>24 > 0 {
		worst = 1
	}
	i := 2
	for l := 0; l <= level; l++ {
		if i+2 > len(p) {
			b.fail("element %d: layer %d cut short", len(b.vs.Nodes), l)
			return
		}
		links, maxLinks := p[i], p[i+1]
		b.vs.Layers = append(b.vs.Layers, uint32(min(maxLinks, 1<<31)))
		i += 2 + int(min(links, uint64(len(p)))) + worst
	}
	if i+1 != len(p) { // the last one holds the vector's l2 norm and quantization range
		b.fail("element %d: %d parameters for %d layers", len(b.vs.Nodes), len(p), level+1)
		return
	}
	b.node.Level = level
	b.vs.Nodes = append(b.vs.Nodes, b.node)
	b.step = vsItem
	b.nextNode()
}

// done returns the vector set once every item was read.
func (b *vsetBuilder) done() (*VectorSet, error) {
	if b.err != nil {
		return nil, b.err
	}
	if !b.finished {
		return nil, fmt.Errorf("%d of %d elements", len(b.vs.Nodes), b.count)
	}
	return &b.vs, nil
}
