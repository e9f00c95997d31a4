package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/bytesize"
	"github.com/rdbscope/rdbscope/parse"
)

// An append-only file is not a snapshot. Redis 7 keeps it as a directory
// (appendonlydir): a base written at the last rewrite (an RDB,
// appendonly.aof.N.base.rdb, which rdbscope reads), the commands logged
// since (appendonly.aof.N.incr.aof, which it cannot), and a manifest
// naming them; older servers write one appendonly.aof that starts with an
// RDB preamble. Either way the keys written after the base are missing
// from the report, and the node says so.

// aofEntry is one file of an AOF manifest.
type aofEntry struct {
	name, kind string // kind: b base, h history, i incr
}

// readAOFManifest reads a Redis 7 AOF manifest: one file per line, as
// "file NAME seq N type T" (NAME quoted when it has spaces).
func readAOFManifest(path string) ([]aofEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var es []aofEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := manifestFields(sc.Text())
		var e aofEntry
		for i := 0; i+1 < len(fields); i += 2 {
			switch fields[i] {
			case "file":
				e.name = fields[i+1]
			case "type":
				e.kind = fields[i+1]
			}
		}
		if e.name != "" {
			es = append(es, e)
		}
	}
	return es, sc.Err()
}

// manifestFields splits a manifest line at spaces, a "quoted name" being
// one field.
func manifestFields(line string) []string {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			if end := strings.IndexByte(line[1:], '"'); end >= 0 {
				out = append(out, line[1:1+end])
				line = line[2+end:]
				continue
			}
		}
		f, rest, _ := strings.Cut(line, " ")
		out = append(out, f)
		line = rest
	}
	return out
}

// aofWarning is the warning of a node read from in whose dump says it is
// an AOF base (aofBase), or that the manifest beside it lists as one; ""
// for a dump that is no AOF base.
func aofWarning(in parse.Input, aofBase bool) string {
	if in.Path != "-" && in.Member == "" && !in.Remote {
		dir, base := filepath.Split(in.Path)
		manifests, _ := filepath.Glob(filepath.Join(dir, "*.manifest"))
		for _, m := range manifests {
			es, err := readAOFManifest(m)
			if err != nil {
				continue
			}
			if w, listed := aofManifestWarning(dir, base, filepath.Base(m), es); listed {
				return w
			}
		}
	}
	if aofBase {
		return "this dump is the RDB base of an append-only file (it says aof-base): the keys written after the last " +
			"AOF rewrite, which the AOF logs as commands, are not included, so the node holds more than this report shows"
	}
	return ""
}

// aofManifestWarning is the warning for the file base of dir when the
// manifest (named manifest, entries es) lists it (listed): "" for the
// current base with nothing logged after it, which holds all the data.
func aofManifestWarning(dir, base, manifest string, es []aofEntry) (warning string, listed bool) {
	var kind string
	var incr []string
	var incrBytes int64
	current := ""
	for _, e := range es {
		switch {
		case e.name == base:
			kind = e.kind
		case e.kind == "i":
			incr = append(incr, e.name)
			if fi, err := os.Stat(filepath.Join(dir, e.name)); err == nil {
				incrBytes += fi.Size()
			}
		}
		if e.kind == "b" {
			current = e.name
		}
	}
	switch {
	case kind == "h":
		return fmt.Sprintf("%s is an old base of the append-only file that %s describes, replaced by %s: "+
			"its keys are those of an earlier rewrite, and every write since is missing", base, manifest, current), true
	case kind != "b":
		return "", false
	case incrBytes == 0:
		return "", true
	}
	return fmt.Sprintf("%s is the base of a multi-part append-only file (%s): the keys written after it, logged as "+
		"commands in %s (%s), are not included, so the node holds more than this report shows; "+
		"analyze an RDB snapshot (BGSAVE) for all of them", base, manifest, strings.Join(incr, ", "),
		bytesize.Format(incrBytes, bytesize.Table)), true
}

// addAOFWarnings warns on every node whose dump is an AOF base.
func addAOFWarnings(inputs []parse.Input, nodes []*aggregate.Node) {
	for i, n := range nodes {
		if n == nil || i >= len(inputs) {
			continue
		}
		if w := aofWarning(inputs[i], n.Source != nil && n.Source.AOFBase); w != "" {
			n.Warnings = append(n.Warnings, w)
		}
	}
}
