package aggregate

// FamilyNamer names the family of each key of one node the way the node's
// profile does (Pattern, with the node's separators, on at most
// MaxProfileKey bytes of the name), reusing one buffer: it is for the
// per-key export, which names every key.
type FamilyNamer struct {
	split *splitter
	buf   []byte
}

// NewFamilyNamer names families with separators seps: the node's --sep,
// or DetectSeparators over its first SeparatorSample keys, as a Builder
// decides them.
func NewFamilyNamer(seps []string) *FamilyNamer {
	return &FamilyNamer{split: newSplitter(seps)}
}

// Family returns the family of key, valid until the next call.
func (f *FamilyNamer) Family(key string) []byte {
	if len(key) > MaxProfileKey {
		key = key[:MaxProfileKey]
	}
	f.buf = appendPattern(f.buf[:0], key, f.split)
	return f.buf
}
