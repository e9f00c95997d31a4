package aggregate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// KeyFilter says which keys the per-key views list: the biggest-keys
// lists (Node.Filtered) and the per-key exports. Findings, totals and
// every other table always cover all of a node's keys. The zero value
// selects every key; a key must pass every field that is set.
type KeyFilter struct {
	// Match holds key name patterns, any of which selects a key: a glob
	// as Redis's SCAN MATCH reads it (* ? [abc] [^a-z], \ quotes the next
	// character), or, after "re:", a regular expression (RE2 syntax)
	// that matches anywhere in the name unless anchored.
	Match []string `json:"match,omitempty"`
	// DBs are the databases selected; none means all.
	DBs []int `json:"db,omitempty"`
	// Types are the TYPE names selected (string, list, set, zset, hash,
	// stream, or module for any module type); none means all.
	Types []string `json:"type,omitempty"`
	// MinBytes selects keys whose memory (MEMORY USAGE) is at least
	// this; 0 means any.
	MinBytes int64 `json:"min_bytes,omitempty"`
	// NoTTL selects only keys without a TTL.
	NoTTL bool `json:"no_ttl,omitempty"`
}

// RegexPrefix marks a KeyFilter.Match pattern as a regular expression.
const RegexPrefix = "re:"

// FilterTypes are the type names a KeyFilter accepts.
var FilterTypes = []string{"string", "list", "set", "zset", "hash", "stream", "module"}

// IsZero reports whether f selects every key.
func (f *KeyFilter) IsZero() bool {
	return f == nil || len(f.Match) == 0 && len(f.DBs) == 0 && len(f.Types) == 0 && f.MinBytes == 0 && !f.NoTTL
}

// Equal reports whether f and o select the same keys by the same words.
func (f *KeyFilter) Equal(o *KeyFilter) bool {
	if f.IsZero() || o.IsZero() {
		return f.IsZero() == o.IsZero()
	}
	return slices.Equal(f.Match, o.Match) && slices.Equal(f.DBs, o.DBs) && slices.Equal(f.Types, o.Types) &&
		f.MinBytes == o.MinBytes && f.NoTTL == o.NoTTL
}

// KeyMatcher is a compiled KeyFilter.
type KeyMatcher struct {
	filter KeyFilter
	res    []*regexp.Regexp
}

// Compile checks f and prepares it for matching; its errors quote the
// pattern or type they reject.
func (f KeyFilter) Compile() (*KeyMatcher, error) {
	m := &KeyMatcher{filter: f}
	for _, p := range f.Match {
		expr, isRE := strings.CutPrefix(p, RegexPrefix)
		if !isRE {
			expr = globRegexp(p)
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %v", p, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		m.res = append(m.res, re)
	}
	for _, t := range f.Types {
		if !slices.Contains(FilterTypes, t) {
			return nil, fmt.Errorf("type %q: want one of %s", t, strings.Join(FilterTypes, ", "))
		}
	}
	for _, db := range f.DBs {
		if db < 0 {
			return nil, fmt.Errorf("db %d: want 0 or more", db)
		}
	}
	if f.MinBytes < 0 {
		return nil, fmt.Errorf("min bytes %d: want 0 or more", f.MinBytes)
	}
	return m, nil
}

// Filter is the filter m was compiled from.
func (m *KeyMatcher) Filter() KeyFilter { return m.filter }

// Match reports whether the filter selects k.
func (m *KeyMatcher) Match(k *Key) bool {
	f := &m.filter
	if f.NoTTL && k.ExpiresAt != 0 || k.Memory < f.MinBytes {
		return false
	}
	if len(f.DBs) > 0 && !slices.Contains(f.DBs, k.DB) {
		return false
	}
	if len(f.Types) > 0 {
		t := k.Type
		if strings.HasPrefix(t, "module") {
			t = "module"
		}
		if !slices.Contains(f.Types, t) {
			return false
		}
	}
	if len(m.res) == 0 {
		return true
	}
	for _, re := range m.res {
		if re.MatchString(k.Key) {
			return true
		}
	}
	return false
}

// globRegexp turns a Redis glob into an anchored regular expression that
// matches the same names: * any run of bytes, ? one character, [...] a
// class (^ negates, a-z ranges, \ quotes), \ quotes the next character; a
// [ without its ] is itself.
func globRegexp(glob string) string {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	rs := []rune(glob)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			} else {
				b.WriteString(`\\`)
			}
		case '[':
			class, n, ok := globClass(rs[i+1:])
			if !ok {
				b.WriteString(`\[`)
				continue
			}
			b.WriteString(class)
			i += n
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return b.String()
}

// globClass translates the class after a '[' (rs starts after it) and
// returns it with how many runes it took, ']' included; ok is false when
// the class is not closed.
func globClass(rs []rune) (class string, n int, ok bool) {
	var b strings.Builder
	b.WriteByte('[')
	i := 0
	if i < len(rs) && rs[i] == '^' {
		b.WriteByte('^')
		i++
	}
	empty := true
	for ; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == ']' && !empty:
			b.WriteByte(']')
			return b.String(), i + 1, true
		case c == ']':
			// "[]" matches nothing in Redis; a class of nothing.
			return `[^\x00-\x{10FFFF}]`, i + 1, true
		case c == '\\' && i+1 < len(rs):
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case c == '-' && !empty && i+1 < len(rs) && rs[i+1] != ']':
			b.WriteByte('-')
			continue
		case c == '\\' || c == '[' || c == '^' || c == '-':
			b.WriteString(`\` + string(c))
		default:
			b.WriteString(string(c))
		}
		empty = false
	}
	return "", 0, false
}

// Filtered is what a node holds of the keys a KeyFilter selects: their
// count and memory, and the biggest of them (as Node.TopKeys, at most
// Options.TopN).
type Filtered struct {
	Keys    int64     `json:"keys"`
	Memory  int64     `json:"memory"`
	TopKeys []KeyInfo `json:"top_keys"`
}

// mergeFiltered merges the filtered parts of nodes, nil unless every node
// has one.
func mergeFiltered(n int, nodes []*Node) *Filtered {
	m := &Filtered{}
	top := &topN{n: n}
	for _, nd := range nodes {
		if nd.Filtered == nil {
			return nil
		}
		m.Keys += nd.Filtered.Keys
		m.Memory += nd.Filtered.Memory
		for _, k := range nd.Filtered.TopKeys {
			top.offerInfo(tagged(k, nd))
		}
	}
	m.TopKeys = top.sorted()
	return m
}
