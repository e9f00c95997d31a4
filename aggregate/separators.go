package aggregate

import (
	"slices"
	"strings"
)

// Separator candidates, in the order they are preferred. Strong ones
// separate the segments of a key name and little else; weak ones also
// occur inside words (session_id, user-name, v1.2), which families
// already look into (see appendPiece), so they only count when no strong
// one describes the keys.
var (
	strongSeparators = []string{":", "/", "|", "#"}
	weakSeparators   = []string{".", "_", "-"}
)

const (
	// maxFirstSegment is the longest first segment (the part before the
	// separator) that counts as a namespace: longer ones are data.
	maxFirstSegment = 40
	// A strong separator is used when keys splitting at it into a
	// namespace shared by other keys hold at least this share of the
	// sample's memory (":" with any such keys); a weak one needs
	// weakShare, and only when no strong one describes that much.
	strongShare = 0.05
	weakShare   = 0.5
)

// DetectSeparators returns the separators a node's keys use, judged on a
// sample of its keys weighted by memory: a character separates segments
// when the keys in which it ends a short first segment that other keys
// share (a namespace: "user" in user:1000, "views" in views/products/1)
// hold enough of the memory. Mixed schemes give several (":" for
// queue:default and "/" for views/products/1 in a Rails cache). With no
// evidence it returns ":", the usual convention.
func DetectSeparators(keys []Key) []string {
	var total int64
	for i := range keys {
		total += keyWeight(&keys[i])
	}
	if total == 0 {
		return []string{":"}
	}
	score := func(sep string) int64 {
		// How many keys share each first segment, then the weight of
		// the keys whose first segment is shared.
		firsts := map[string]int{}
		for i := range keys {
			if f, ok := firstSegment(keys[i].Key, sep); ok {
				firsts[f]++
			}
		}
		var w int64
		for i := range keys {
			if f, ok := firstSegment(keys[i].Key, sep); ok && firsts[f] >= 2 {
				w += keyWeight(&keys[i])
			}
		}
		return w
	}
	type cand struct {
		sep string
		w   int64
	}
	var chosen []cand
	var strong int64
	for _, s := range strongSeparators {
		// ":" is the convention: any namespace at all keeps it.
		if w := score(s); float64(w) >= strongShare*float64(total) || s == ":" && w > 0 {
			chosen = append(chosen, cand{s, w})
			strong = max(strong, w)
		}
	}
	if float64(strong) < weakShare*float64(total) {
		for _, s := range weakSeparators {
			if w := score(s); float64(w) >= weakShare*float64(total) && w > strong {
				chosen = append(chosen, cand{s, w})
				break // one is enough: the others stay sub-token delimiters
			}
		}
	}
	if len(chosen) == 0 {
		return []string{":"}
	}
	slices.SortStableFunc(chosen, func(a, b cand) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return 0
	})
	out := make([]string, len(chosen))
	for i, c := range chosen {
		out[i] = c.sep
	}
	return out
}

// firstSegment returns the part of key before its first sep, when sep
// ends a namespace: not at the start, not the key's last character, and
// after at most maxFirstSegment bytes.
func firstSegment(key, sep string) (string, bool) {
	i := strings.Index(key, sep)
	if i <= 0 || i > maxFirstSegment || i+len(sep) >= len(key) {
		return "", false
	}
	return key[:i], true
}

// keyWeight is what a key counts for in DetectSeparators: its memory (at
// least 1, so that a sample of keys without memory still decides).
func keyWeight(k *Key) int64 {
	return max(k.Memory, 1)
}
