package render

import (
	"bufio"
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
	jw.raw("{\n")
	jw.field("schema_version", r.SchemaVersion, false)
	jw.field("tool", r.Tool, false)
	jw.key("nodes")
	switch {
	case r.Nodes == nil:
		jw.raw("null")
	case len(r.Nodes) == 0:
		jw.raw("[]")
	default:
		jw.raw("[\n")
		for i, n := range r.Nodes {
			jw.raw("    ")
			jw.value(n, "    ")
			if i < len(r.Nodes)-1 {
				jw.raw(",")
			}
			jw.raw("\n")
		}
		jw.raw("  ]")
	}
	jw.raw(",\n")
	if r.Cluster != nil {
		jw.field("cluster", r.Cluster, false)
	}
	jw.field("findings", r.Findings, true)
	jw.raw("}\n")
	if jw.err != nil {
		return jw.err
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

// key writes a member name of the top-level object.
func (j *jsonWriter) key(name string) { j.raw("  \"" + name + "\": ") }

// field writes a member of the top-level object.
func (j *jsonWriter) field(name string, v any, last bool) {
	j.key(name)
	j.value(v, "  ")
	if last {
		j.raw("\n")
	} else {
		j.raw(",\n")
	}
}

// value writes v indented as it sits at nesting prefix.
func (j *jsonWriter) value(v any, prefix string) {
	if j.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}
