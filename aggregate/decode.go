package aggregate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
)

// MaxReportBytes bounds the JSON report DecodeReport reads: reports are
// bounded by design (top lists, bounded tables), a few MB per node, so
// anything far larger is not a report and must not be read into memory
// whole.
const MaxReportBytes = 1 << 30

// MaxFigure bounds every number of a profile, and MaxNodes the nodes one
// report merges, so that no sum over nodes can overflow an int64 (2^50 ×
// 2^13 = 2^63): a profile's figures are bytes and counts of one server,
// and 1 PiB is beyond any.
const (
	MaxFigure = 1 << 50
	MaxNodes  = 1 << 13
)

// notSummed are the integer fields of a profile that are never added up
// across nodes (times, offsets), which may exceed MaxFigure.
var notSummed = map[string]bool{"ctime": true, "repl_offset": true, "error_offset": true, "expiry_reference": true, "expires_at": true}

// checkFigures refuses a profile holding an integer beyond MaxFigure in
// magnitude where figures are added up: no dump can have produced it, and
// the sums of a report would overflow silently.
func checkFigures(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkFigures(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || notSummed[name] {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if err := checkFigures(v.Field(i), path+"."+name); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := checkFigures(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := checkFigures(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key())); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n := v.Int(); n > MaxFigure || n < -MaxFigure {
			return fmt.Errorf("%s is %d, beyond 2^50: not a profile rdbscope wrote, or a corrupt one", strings.TrimPrefix(path, "."), n)
		}
	case reflect.Float64, reflect.Float32:
		if f := v.Float(); math.Abs(f) > MaxFigure {
			return fmt.Errorf("%s is %g, beyond 2^50: not a profile rdbscope wrote, or a corrupt one", strings.TrimPrefix(path, "."), f)
		}
	}
	return nil
}

// DecodeReport reads the JSON report (as render.JSON writes it) that r
// holds; name says where it comes from in errors. It checks the schema
// version before trusting any other field, and every node: a node with no
// name or negative totals, or a merged profile where a node should be, is
// an error; what a hand-edited or truncated report may lack (maps, top
// lists) is filled in, so that merging and rendering never meet a nil map.
//
// The report's findings are read with their figures' units unknown
// (UnitNone) and its Settings nil: the document records neither.
func DecodeReport(name string, r io.Reader) (*Report, error) {
	data, err := io.ReadAll(io.LimitReader(bufio.NewReader(r), MaxReportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxReportBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes: not an rdbscope profile", name, MaxReportBytes)
	}
	var head struct {
		SchemaVersion *int   `json:"schema_version"`
		Kind          string `json:"kind"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not an rdbscope JSON profile: %v", name, err)
	}
	// A report has no kind; other rdbscope documents (a diff) say theirs.
	if other, ok := strings.CutPrefix(head.Kind, "rdbscope-"); ok {
		return nil, fmt.Errorf("%s: is an rdbscope %s, not a profile", name, other)
	}
	if head.SchemaVersion == nil {
		return nil, fmt.Errorf("%s: not an rdbscope JSON profile (no schema_version)", name)
	}
	switch v := *head.SchemaVersion; {
	case v > SchemaVersion:
		return nil, fmt.Errorf("%s: schema_version %d is newer than this rdbscope understands (%d); upgrade rdbscope", name, v, SchemaVersion)
	case v < 1:
		return nil, fmt.Errorf("%s: schema_version %d is not a valid rdbscope schema version", name, v)
	}
	// Version 1 is the only version there has been, so there is nothing
	// older to convert; a future version 2 reader converts 1 here.
	var rep Report
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&rep); err != nil {
		return nil, fmt.Errorf("%s: bad rdbscope profile: %v", name, err)
	}
	for i, n := range rep.Nodes {
		if n == nil || n.Name == "" {
			return nil, fmt.Errorf("%s: node %d has no name", name, i)
		}
		if err := checkNode(n); err != nil {
			return nil, fmt.Errorf("%s: node %s: %v", name, n.Name, err)
		}
		if err := checkFigures(reflect.ValueOf(n), ""); err != nil {
			return nil, fmt.Errorf("%s: node %s: %v", name, n.Name, err)
		}
	}
	return &rep, nil
}

// checkNode fills what a node read from JSON may lack and rejects what
// cannot be one node's profile.
func checkNode(n *Node) error {
	if n.Keys < 0 || n.Memory < 0 {
		return errors.New("negative keys or memory")
	}
	if n.ByType == nil {
		n.ByType = map[string]*Stat{}
	}
	if n.ByEncoding == nil {
		n.ByEncoding = map[string]*Stat{}
	}
	if n.ByDB == nil {
		n.ByDB = map[int]*Stat{}
	}
	if n.TopByType == nil {
		n.TopByType = map[string][]KeyInfo{}
	}
	if n.TopKeys == nil {
		n.TopKeys = []KeyInfo{}
	}
	for _, m := range []map[string]*Stat{n.ByType, n.ByEncoding} {
		for k, s := range m {
			if s == nil {
				m[k] = &Stat{}
			}
		}
	}
	for k, s := range n.ByDB {
		if s == nil {
			n.ByDB[k] = &Stat{}
		}
	}
	if len(n.Nodes) > 0 {
		return errors.New("is a merged profile, not a node (profiles hold per-node profiles under \"nodes\")")
	}
	return nil
}
