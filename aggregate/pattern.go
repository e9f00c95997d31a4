package aggregate

import "strings"

// splitter finds separators in keys. Separators are usually one byte, so a
// table of first bytes rejects almost every position without a compare.
type splitter struct {
	first  [256]bool
	seps   []string
	single bool // every separator is one byte: first says it all
	lone   bool // one separator only, of one byte: sep
	sep    byte
}

func newSplitter(seps []string) *splitter {
	s := &splitter{}
	for _, p := range seps {
		if p == "" {
			continue
		}
		s.first[p[0]] = true
		s.seps = append(s.seps, p)
	}
	if len(s.seps) == 0 {
		s.first[':'] = true
		s.seps = []string{":"}
	}
	s.single = true
	for _, p := range s.seps {
		s.single = s.single && len(p) == 1
	}
	if s.single && len(s.seps) == 1 {
		s.lone, s.sep = true, s.seps[0][0]
	}
	return s
}

// next returns where the first separator at or after key[i] starts and
// its length, or -1 and 0. A lone one-byte separator (the usual ':') is
// found by strings.IndexByte, which skips many bytes at a time.
func (s *splitter) next(key string, i int) (int, int) {
	if s.lone {
		if j := strings.IndexByte(key[i:], s.sep); j >= 0 {
			return i + j, 1
		}
		return -1, 0
	}
	for ; i < len(key); i++ {
		if n := s.at(key, i); n > 0 {
			return i, n
		}
	}
	return -1, 0
}

// at returns the length of the separator starting at key[i], or 0.
func (s *splitter) at(key string, i int) int {
	if !s.first[key[i]] {
		return 0
	}
	if s.single {
		return 1
	}
	for _, p := range s.seps {
		if strings.HasPrefix(key[i:], p) {
			return len(p)
		}
	}
	return 0
}

// Pattern returns the family of a key: its segments that look like
// identifiers (numbers, UUIDs, hex and base64 ids, dates, timestamps, IP
// addresses, long digit runs) replaced by '*', {hashtag} braces kept. seps
// are the segment separators (":" if none; a node's are
// Node.Separators). See docs/families.md.
func Pattern(key string, seps ...string) string {
	return string(appendPattern(nil, key, newSplitter(seps)))
}

// appendPattern writes the family of key to dst; it is the per-key hot path,
// so it works on bytes and allocates only when dst must grow.
func appendPattern(dst []byte, key string, sp *splitter) []byte {
	start := 0
	for start < len(key) {
		i, n := sp.next(key, start)
		if i < 0 {
			break
		}
		dst = appendSegment(dst, key[start:i])
		dst = append(dst, key[i:i+n]...)
		start = i + n
	}
	return appendSegment(dst, key[start:])
}

// maxCuts is how many separators a keyItem holds the places of: keys of
// more fall back on the splitter.
const maxCuts = 8

// cuts finds where the separators of key are when every separator is one
// byte long: in order, into at, returning how many; ok is false when
// some separator is longer or key has more than maxCuts of them. One pass
// over the key then serves its family (appendPatternCuts) and every
// prefix depth (prefixEndsCuts), which each scanned it before, one of
// them in each group of tables. A byte at a time: key names are short,
// and most of their segments shorter than what strings.IndexByte pays
// per call.
func (s *splitter) cuts(key string, at *[maxCuts]uint16) (n uint8, ok bool) {
	if !s.single || len(key) > MaxProfileKey {
		return 0, false
	}
	for i := 0; i < len(key); i++ {
		if s.first[key[i]] {
			if n == maxCuts {
				return 0, false
			}
			at[n] = uint16(i)
			n++
		}
	}
	return n, true
}

// appendPatternCuts is appendPattern of a key whose one-byte separators
// start at at (see cuts).
func appendPatternCuts(dst []byte, key string, at []uint16) []byte {
	start := 0
	for _, c := range at {
		dst = appendSegment(dst, key[start:c])
		dst = append(dst, key[c])
		start = int(c) + 1
	}
	return appendSegment(dst, key[start:])
}

// appendSegment generalizes one segment. A segment that is an id as a
// whole becomes '*'. Otherwise braces split it into pieces ({1000123} →
// {*}), and each piece is looked at in sub-tokens split by - _ . so that
// order-12345 → order-* while billing-run stays.
func appendSegment(dst []byte, s string) []byte {
	if plainSegment(s) {
		return append(dst, s...)
	}
	if isID(s) {
		return append(dst, '*')
	}
	if strings.IndexByte(s, '{') < 0 && strings.IndexByte(s, '}') < 0 {
		return appendSubs(dst, s) // s is its only piece, and no id
	}
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '{' || c == '}' {
			dst = appendPiece(dst, s[start:i])
			dst = append(dst, c)
			start = i + 1
		}
	}
	return appendPiece(dst, s[start:])
}

// plainSegment reports a segment that appendSegment writes as it is, told
// in one pass: without a digit nothing in it is an id (every id but a
// UUID has one, and sub-tokens keep their letters), and without braces or
// the length of a UUID no piece of it is a UUID. Most segments that are
// not ids are such words (user, profile, views).
func plainSegment(s string) bool {
	if len(s) == 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; isDigit(c) || c == '{' || c == '}' {
			return false
		}
	}
	return true
}

func appendPiece(dst []byte, s string) []byte {
	if isID(s) {
		return append(dst, '*')
	}
	return appendSubs(dst, s)
}

// appendSubs writes the sub-tokens of a piece that is not an id.
func appendSubs(dst []byte, s string) []byte {
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !isSubDelim(s[i]) {
			continue
		}
		dst = appendSub(dst, s[start:i])
		if i < len(s) {
			dst = append(dst, s[i])
		}
		start = i + 1
	}
	return dst
}

func isSubDelim(c byte) bool { return c == '-' || c == '_' || c == '.' }

// appendSub handles a sub-token: a long digit run or id becomes '*', and
// letters followed by 4 or more digits keep the letters (user1000123 →
// user*). Short digit runs stay (v1, utf-8, s3, 2025w2) because they are
// part of names far more often than ids.
func appendSub(dst []byte, t string) []byte {
	if t == "" {
		return dst
	}
	digits := 0
	for i := 0; i < len(t); i++ {
		digits += int(charClass[t[i]] & cDigit)
	}
	if digits == len(t) && digits >= 4 || digits > 0 && (isHexID(t) || isBase64ID(t)) {
		return append(dst, '*')
	}
	j := len(t)
	for j > 0 && isDigit(t[j-1]) {
		j--
	}
	if len(t)-j >= 4 && j > 0 && isLetter(t[j-1]) {
		dst = append(dst, t[:j]...)
		return append(dst, '*')
	}
	return append(dst, t...)
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isHex(c byte) bool    { return charClass[c]&cHex != 0 }

// Classes of bytes, as the id tests read them: one table lookup per
// byte where comparisons would branch on each class.
const (
	cDigit = 1 << iota // 0-9: must be 1, counted by adding it
	cHex               // 0-9 a-f A-F
	cUpper             // A-Z
	cLower             // a-z
	cB64P              // + / = - _, the punctuation of base64 and base64url
)

var charClass = func() (t [256]uint8) {
	for c := range t {
		b := byte(c)
		switch {
		case b >= '0' && b <= '9':
			t[c] = cDigit | cHex
		case b >= 'A' && b <= 'Z':
			t[c] = cUpper
		case b >= 'a' && b <= 'z':
			t[c] = cLower
		case b == '+' || b == '/' || b == '=' || b == '-' || b == '_':
			t[c] = cB64P
		}
		if b|0x20 >= 'a' && b|0x20 <= 'f' {
			t[c] |= cHex
		}
	}
	return t
}()

// isID reports whether a whole segment (or the inside of braces) is an
// identifier rather than a name.
func isID(s string) bool {
	if s == "" {
		return false
	}
	return isNumberish(s) || isUUID(s) || isHexID(s) || isBase64ID(s)
}

// isNumberish: integers, decimals, dates (2026-11-27), ISO timestamps,
// dotted IPs: a digit first, at least half digits, and otherwise only the
// punctuation and letters those formats use.
func isNumberish(s string) bool {
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	if s == "" || !isDigit(s[0]) {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case c == '.' || c == '-' || c == ':' || c == '/' || c == '+' || c == '_' || c == 'T' || c == 'Z' || c == ',':
		default:
			return false
		}
	}
	return 2*digits >= len(s)
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isHexID: 8 or more hex digits with at least one decimal digit, so that
// hex-letter words (deadbeef, facade, added) stay words.
func isHexID(s string) bool {
	if len(s) < 8 {
		return false
	}
	var seen uint8
	for i := 0; i < len(s); i++ {
		c := charClass[s[i]]
		if c&cHex == 0 {
			return false
		}
		seen |= c
	}
	return seen&cDigit != 0
}

// isBase64ID: 16 or more characters of the base64/base64url alphabet that
// mix digits with both letter cases (random tokens do, names seldom do), or
// 16 or more letters and digits with at least 3 digits (ULIDs, base32 ids).
func isBase64ID(s string) bool {
	if len(s) < 16 {
		return false
	}
	var seen uint8
	digit := 0
	for i := 0; i < len(s); i++ {
		c := charClass[s[i]]
		if c&(cDigit|cUpper|cLower|cB64P) == 0 {
			return false
		}
		seen |= c
		digit += int(c & cDigit)
	}
	if seen&cDigit != 0 && seen&cUpper != 0 && seen&cLower != 0 {
		return true
	}
	return seen&cB64P == 0 && digit >= 3 && seen&(cUpper|cLower) != 0
}

// prefixEnds sets ends[d-1] to the end of the depth-d prefix of key: the
// first d segments and the separator after them, or, when the key has d
// segments or fewer, its segments up to the last separator. A key without
// a separator is its own prefix. So at every depth each key belongs to
// exactly one prefix, and the prefixes of one depth add up to the node.
// One pass serves every depth.
func prefixEnds(key string, sp *splitter, ends []int) {
	cuts := 0
	for i := 0; i < len(key) && cuts < len(ends); {
		j, n := sp.next(key, i)
		if j < 0 {
			break
		}
		i = j + n
		if i == len(key) {
			break
		}
		ends[cuts] = i
		cuts++
	}
	fillEnds(key, ends, cuts)
}

// prefixEndsCuts is prefixEnds of a key whose one-byte separators start
// at at (see cuts).
func prefixEndsCuts(key string, at []uint16, ends []int) {
	cuts := 0
	for _, c := range at {
		i := int(c) + 1
		if cuts == len(ends) || i == len(key) {
			break
		}
		ends[cuts] = i
		cuts++
	}
	fillEnds(key, ends, cuts)
}

// fillEnds sets the ends of the depths past cuts, which the key does not
// reach: its segments up to the last separator, or the whole key.
func fillEnds(key string, ends []int, cuts int) {
	last := len(key)
	if cuts > 0 {
		last = ends[cuts-1]
	}
	for d := cuts; d < len(ends); d++ {
		ends[d] = last
	}
}
