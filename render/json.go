package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/rdbscope/rdbscope/aggregate"
)

// JSON writes the report as the documented JSON document (docs/json.md),
// indented for people, with sorted map keys so that two runs diff cleanly.
//
// The document is written a part at a time, each node on its own, so that
// a report of many nodes is never held whole in memory; the bytes are
// those of encoding/json's Encoder with SetIndent("", "  ") on the whole
// report.
func JSON(w io.Writer, r *aggregate.Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	jw := &jsonWriter{w: bw}
	// Everything but the nodes is encoded as encoding/json would, so that
	// a field added to Report needs nothing here; the nodes are written
	// in place of the placeholder, one at a time.
	rest := *r
	rest.Nodes = nil
	doc, err := json.MarshalIndent(&rest, "", "  ")
	if err != nil {
		return err
	}
	before, after, ok := bytes.Cut(doc, []byte("\n  \"nodes\": null"))
	if !ok || r.Nodes == nil {
		jw.raw(string(doc))
		jw.raw("\n")
		return jw.end(bw)
	}
	jw.raw(string(before))
	jw.raw("\n  \"nodes\": ")
	if len(r.Nodes) == 0 {
		jw.raw("[]")
	} else {
		jw.raw("[\n")
		ne := newNodeEncoder("    ")
		for i, n := range r.Nodes {
			jw.raw("    ")
			jw.encoded(ne.encode(n))
			if i < len(r.Nodes)-1 {
				jw.raw(",")
			}
			jw.raw("\n")
		}
		jw.raw("  ]")
	}
	jw.raw(string(after))
	jw.raw("\n")
	return jw.end(bw)
}

func (j *jsonWriter) end(bw *bufio.Writer) error {
	if j.err != nil {
		return j.err
	}
	return bw.Flush()
}

// jsonWriter writes the parts of an indented JSON object, keeping the
// first error.
type jsonWriter struct {
	w   *bufio.Writer
	err error
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

// encoded writes a part encoded elsewhere, or keeps its error.
func (j *jsonWriter) encoded(b []byte, err error) {
	if j.err != nil {
		return
	}
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}

// nodeEncoder encodes node after node into one buffer it reuses, with an
// Encoder that reuses its own: json.MarshalIndent would allocate two
// buffers the size of each node's document, garbage that raises the heap
// (and the RSS) of a report over many nodes.
type nodeEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newNodeEncoder(prefix string) *nodeEncoder {
	e := &nodeEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetIndent(prefix, "  ")
	return e
}

// encode returns v indented as json.MarshalIndent(v, prefix, "  ") would;
// the bytes are valid until the next call.
func (e *nodeEncoder) encode(v any) ([]byte, error) {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), nil
}
