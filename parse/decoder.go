package parse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"
)

// This file is the only one that knows the decoder, github.com/hdt3213/rdb:
// it decodes the values the filler (fill.go) leaves to it, one record at a
// time, checks that it read the key the framer framed, and converts the
// value to a Value.

var (
	errDecoderGone = errors.New("decoding side stopped")
	errFramer      = errors.New("framer stopped")
)

// decodeOne decodes one record with the decoder, for a value the filler
// left to it: the decoder is shown the dump's header as it accepts it,
// the record's db and the record, and returns its object. The record is
// complete and validated by the framer. buf is reused scratch.
func decodeOne(hdr []byte, m *meta, rec []byte, key string, buf *[]byte) (obj model.RedisObject, mismatch, err error) {
	b := append((*buf)[:0], hdr...)
	b = append(b, opSelectDB)
	b = appendRDBLen(b, uint64(m.db))
	b = append(b, rec...)
	b = append(b, opEOF)
	*buf = b
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("decoder panic: %v", r)
		}
	}()
	err = core.NewDecoder(bytes.NewReader(b)).Parse(func(o model.RedisObject) bool {
		obj = o
		return false
	})
	if err != nil {
		return nil, nil, err
	}
	switch {
	case obj == nil:
		return nil, fmt.Errorf("the decoder returned no key where the framer framed one at byte %d", m.offset), nil
	case obj.GetDBIndex() != m.db || obj.GetKey() != key:
		return nil, fmt.Errorf("the decoder returned key %s in db %d where the framer framed a %d-byte key in db %d at byte %d",
			strconv.Quote(obj.GetKey()), obj.GetDBIndex(), len(key), m.db, m.offset), nil
	}
	return obj, nil, nil
}

// maxReused bounds the elements whose storage a valueBuf keeps for the
// next record: one huge value must not pin its memory for the whole dump.
const maxReused = 1 << 16

// reuse empties s for the next value, unless it grew past maxReused.
func reuse[T any](s []T) []T {
	if cap(s) > maxReused {
		return nil
	}
	return s[:0]
}

// valueBuf converts the decoder's objects to Values, reusing storage from
// one record to the next.
type valueBuf struct {
	v      Value
	elems  []Elem
	zset   []ZMember
	hash   []HashField
	stream Stream
}

// set converts obj; the Value is valid until the next call.
func (b *valueBuf) set(obj model.RedisObject) *Value {
	b.elems, b.zset, b.hash = reuse(b.elems), reuse(b.zset), reuse(b.hash)
	b.v = Value{}
	switch o := obj.(type) {
	case *model.StringObject:
		b.v.String = ElemOf(o.Value)
	case *model.ListObject:
		b.elems = appendElems(b.elems[:0], o.Values)
		b.v.List = b.elems
	case *model.SetObject:
		b.elems = appendElems(b.elems[:0], o.Members)
		b.v.Set = b.elems
	case *model.ZSetObject:
		b.zset = b.zset[:0]
		for _, e := range o.Entries {
			if e != nil {
				b.zset = append(b.zset, ZMember{Member: elemOfString(e.Member), Score: e.Score})
			}
		}
		b.v.ZSet = b.zset
	case *model.HashObject:
		b.hash = b.hash[:0]
		for f, v := range o.Hash {
			// The decoder says 0 (or, for Valkey, a negative time) for
			// fields without a TTL.
			b.hash = append(b.hash, HashField{Field: elemOfString(f), Value: ElemOf(v), ExpiresAt: max(o.FieldExpirations[f], 0)})
		}
		b.v.Hash = b.hash
	case *model.StreamObject:
		b.v.Stream = b.streamOf(o)
	}
	return &b.v
}

func appendElems(dst []Elem, vals [][]byte) []Elem {
	for _, v := range vals {
		dst = append(dst, ElemOf(v))
	}
	return dst
}

func (b *valueBuf) streamOf(o *model.StreamObject) *Stream {
	s := &b.stream
	s.Nodes = s.Nodes[:0]
	if cap(s.Nodes) > maxReused {
		s.Nodes = nil
	}
	for _, e := range o.Entries {
		if e != nil {
			s.Nodes = append(s.Nodes, streamID(e.FirstMsgId))
		}
	}
	s.Groups = nil
	for _, g := range o.Groups {
		if g == nil {
			continue
		}
		sg := StreamGroup{Name: g.Name}
		for _, p := range g.Pending {
			if p != nil {
				sg.Pending = append(sg.Pending, streamID(p.Id))
			}
		}
		for _, c := range g.Consumers {
			if c == nil {
				continue
			}
			sc := StreamConsumer{Name: c.Name, NameLen: int64(len(c.Name))}
			for _, id := range c.Pending {
				sc.Pending = append(sc.Pending, streamID(id))
			}
			sg.Consumers = append(sg.Consumers, sc)
		}
		s.Groups = append(s.Groups, sg)
	}
	return s
}

// streamID converts a decoded ID; a missing one is 0-0.
func streamID(id *model.StreamId) StreamID {
	var k StreamID
	if id != nil {
		binary.BigEndian.PutUint64(k[:8], id.Ms)
		binary.BigEndian.PutUint64(k[8:], id.Sequence)
	}
	return k
}
