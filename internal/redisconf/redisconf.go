// Package redisconf reads a Redis (or Valkey) server's configuration from
// what a user can get hold of: its redis.conf, the output of CONFIG GET *
// (redis-cli's numbered form or the raw one), or an INFO capture (which
// has maxmemory and the policy but no encoding limits). It only reads
// settings; what they mean is up to the caller (memmodel.ConfigFrom).
package redisconf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Formats a File can be read from.
const (
	FormatConf      = "redis.conf"
	FormatConfigGet = "CONFIG GET"
	FormatInfo      = "INFO"
)

// File is one configuration as read.
type File struct {
	Path   string
	Format string            // one of the Format* constants
	values map[string]string // setting name (lower case, dashes) → value
}

// Get returns a setting by its redis.conf name (e.g. "maxmemory-policy").
// The last occurrence wins, as in redis.conf.
func (f *File) Get(name string) (string, bool) {
	if f == nil {
		return "", false
	}
	v, ok := f.values[strings.ToLower(name)]
	return v, ok
}

// Len is the number of settings read.
func (f *File) Len() int { return len(f.values) }

// maxFile bounds what is read: a configuration is a few KB.
const maxFile = 16 << 20

// maxIncludes bounds redis.conf include nesting.
const maxIncludes = 8

// Load reads the configuration in path, whatever its format.
func Load(path string) (*File, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, b, 0)
}

func readFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	if fi.Size() > maxFile {
		return nil, fmt.Errorf("%s: %d bytes is too large for a server configuration", path, fi.Size())
	}
	return os.ReadFile(path)
}

// parse reads b (from path) in the format it looks like.
func parse(path string, b []byte, depth int) (*File, error) {
	lines := splitLines(b)
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: empty: want a redis.conf, CONFIG GET * output or an INFO capture", path)
	}
	switch {
	case looksLikeInfo(lines):
		return parseInfo(path, lines), nil
	case looksLikeConfigGet(lines):
		return parseConfigGet(path, lines)
	}
	return parseConf(path, lines, depth)
}

// splitLines returns the lines of b without line ends, dropping blank
// lines and a UTF-8 byte order mark.
func splitLines(b []byte) []string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), maxFile)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// looksLikeInfo: INFO prints "# Section" headers and "name:value" lines.
func looksLikeInfo(lines []string) bool {
	var kv, other int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "#"):
		case strings.Contains(l, ":") && !strings.ContainsAny(l[:strings.Index(l, ":")], " \t\""):
			kv++
		default:
			other++
		}
	}
	return kv > 0 && other == 0
}

func parseInfo(path string, lines []string) *File {
	f := &File{Path: path, Format: FormatInfo, values: map[string]string{}}
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			continue
		}
		k, v, _ := strings.Cut(l, ":")
		// INFO spells settings with underscores (maxmemory_policy).
		f.values[strings.ReplaceAll(strings.ToLower(k), "_", "-")] = v
	}
	return f
}

// numbered strips redis-cli's "1) " prefix and the quotes of its
// interactive output; ok says the line had the prefix.
func numbered(l string) (string, bool) {
	i := 0
	for i < len(l) && l[i] >= '0' && l[i] <= '9' {
		i++
	}
	if i == 0 || !strings.HasPrefix(l[i:], ") ") {
		return l, false
	}
	return unquote(strings.TrimSpace(l[i+2:])), true
}

// looksLikeConfigGet: CONFIG GET * returns name, value, name, value...;
// redis-cli prints each on its own line, numbered and quoted when
// interactive. Names are single words, and maxmemory is always one.
func looksLikeConfigGet(lines []string) bool {
	if _, ok := numbered(lines[0]); ok {
		return true
	}
	if len(lines)%2 != 0 {
		// Empty values are blank lines, which splitLines dropped: only
		// the numbered form keeps them.
		return false
	}
	sawMaxmemory := false
	for i := 0; i < len(lines); i += 2 {
		if !isName(lines[i]) {
			return false
		}
		if lines[i] == "maxmemory" {
			sawMaxmemory = true
		}
	}
	return sawMaxmemory
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func parseConfigGet(path string, lines []string) (*File, error) {
	f := &File{Path: path, Format: FormatConfigGet, values: map[string]string{}}
	var items []string
	for _, l := range lines {
		v, _ := numbered(l)
		items = append(items, v)
	}
	if len(items)%2 != 0 {
		return nil, fmt.Errorf("%s: CONFIG GET output with an odd number of items (%d)", path, len(items))
	}
	for i := 0; i < len(items); i += 2 {
		f.values[strings.ToLower(items[i])] = items[i+1]
	}
	return f, nil
}

// parseConf reads redis.conf: "name value..." lines, # comments, quoted
// arguments, and include directives (relative to the including file).
func parseConf(path string, lines []string, depth int) (*File, error) {
	f := &File{Path: path, Format: FormatConf, values: map[string]string{}}
	for n, l := range lines {
		if strings.HasPrefix(l, "#") {
			continue
		}
		name, rest, _ := strings.Cut(l, " ")
		if i := strings.IndexByte(name, '\t'); i >= 0 {
			name, rest = l[:i], l[i+1:]
		}
		name = strings.ToLower(name)
		if !isName(name) {
			return nil, fmt.Errorf("%s: line %d: %q is not a setting: want a redis.conf, CONFIG GET * output or an INFO capture", path, n+1, cut(l, 40))
		}
		rest = strings.TrimSpace(rest)
		if name == "include" {
			if err := f.include(path, rest, depth); err != nil {
				return nil, err
			}
			continue
		}
		f.values[name] = unquote(rest)
	}
	return f, nil
}

// include reads the files an include directive names into f.
func (f *File) include(from, pattern string, depth int) error {
	if depth >= maxIncludes {
		return fmt.Errorf("%s: includes nested more than %d deep", from, maxIncludes)
	}
	pattern = unquote(pattern)
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(filepath.Dir(from), pattern)
	}
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) == 0 {
		return fmt.Errorf("%s: include %s: no such file", from, pattern)
	}
	for _, p := range paths {
		b, err := readFile(p)
		if err != nil {
			return fmt.Errorf("%s: include: %w", from, err)
		}
		inc, err := parseConf(p, splitLines(b), depth+1)
		if err != nil {
			return err
		}
		for k, v := range inc.values {
			f.values[k] = v
		}
	}
	return nil
}

// unquote removes the double or single quotes around a value.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Spec is one --redis-config value: a file for every node, or NODE=FILE
// for one node.
type Spec struct {
	Node string // "" for every node
	Path string
}

// ParseSpec reads a --redis-config value. A value whose part before '='
// is a node name (no path separator) and which is not itself an existing
// file names a node.
func ParseSpec(s string) (Spec, error) {
	if s == "" {
		return Spec{}, errors.New("empty: want FILE or NODE=FILE")
	}
	if node, path, ok := strings.Cut(s, "="); ok && node != "" && !strings.ContainsAny(node, `/\`) {
		if _, err := os.Stat(s); err != nil {
			if path == "" {
				return Spec{}, fmt.Errorf("%q: want NODE=FILE", s)
			}
			return Spec{Node: node, Path: path}, nil
		}
	}
	return Spec{Path: s}, nil
}

// Set is the configurations of a run: one for every node and one per
// node that has its own.
type Set struct {
	All    *File
	ByNode map[string]*File
}

// LoadAll reads --redis-config values. A later value for the same node
// (or for every node) replaces an earlier one.
func LoadAll(specs []string) (*Set, error) {
	s := &Set{ByNode: map[string]*File{}}
	for _, v := range specs {
		sp, err := ParseSpec(v)
		if err != nil {
			return nil, err
		}
		f, err := Load(sp.Path)
		if err != nil {
			return nil, err
		}
		if sp.Node == "" {
			s.All = f
		} else {
			s.ByNode[sp.Node] = f
		}
	}
	return s, nil
}

// For returns the configuration of the node called name, nil if none.
func (s *Set) For(name string) *File {
	if s == nil {
		return nil
	}
	if f, ok := s.ByNode[name]; ok {
		return f
	}
	return s.All
}
