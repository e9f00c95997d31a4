package aggregate

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Finding is one diagnosis about a node, a key or a key family. Package
// diagnose makes them from a report, package diff from two; a report holds
// them, so their type belongs to the model.
type Finding struct {
	Kind     string   `json:"kind"` // e.g. "big-hash", "ttl-starvation"
	Severity Severity `json:"severity"`
	Node     string   `json:"node"`
	Key      KeyName  `json:"key,omitempty"`
	// KeyLen is the full length of Key when the profile holds only its
	// first MaxProfileKey bytes (see KeyInfo.KeyLen); 0 otherwise.
	KeyLen int64  `json:"key_len,omitempty"`
	DB     int    `json:"db,omitempty"`
	Family string `json:"family,omitempty"`
	// Memory is how much memory the finding concerns; findings of the same
	// severity are ordered by it.
	Memory int64 `json:"memory"`
	// Figures are the numbers that triggered the finding, each with its
	// unit.
	Figures     Figures `json:"figures"`
	Title       string  `json:"title"`
	Explanation string  `json:"explanation"`
	Advice      string  `json:"advice"`
}

// Severity ranks findings: a greater Severity is more severe. The zero
// value is no severity at all, which no finding should carry.
type Severity uint8

// Severities, least to most severe.
const (
	SeverityInfo Severity = iota + 1
	SeverityWarning
	SeverityCritical
)

var severityNames = [...]string{SeverityInfo: "info", SeverityWarning: "warning", SeverityCritical: "critical"}

// ParseSeverity reads a severity by its name: info, warning or critical.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && n == s {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, warning or critical)", s)
}

// String returns the severity's name, the one it has in JSON.
func (s Severity) String() string {
	if s.valid() {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

func (s Severity) valid() bool { return s >= SeverityInfo && s <= SeverityCritical }

// MarshalText writes the severity's name; a severity that is none of the
// three is an error rather than a document that schema.json rejects.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("invalid severity %d", uint8(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Unit is what the number of a Figure counts, so that every view prints a
// figure as what it is without guessing from its name.
type Unit uint8

// Units of figures.
const (
	// UnitNone is a plain number: what a figure read back from JSON,
	// which does not record units, has.
	UnitNone Unit = iota
	// UnitBytes is an amount of memory or data.
	UnitBytes
	// UnitCount counts things: keys, elements, nodes, slots.
	UnitCount
	// UnitShare is a part of a whole: 0.25 is a quarter.
	UnitShare
	// UnitRatio is one quantity over another: 2 is twice as much.
	UnitRatio
	// UnitSlot is a hash slot's number (0 to NumSlots-1).
	UnitSlot
	// UnitUnixMillis is a point in time, in Unix milliseconds.
	UnitUnixMillis
	// UnitDays is a span of time in days.
	UnitDays
	// UnitBytesPerDay is a rate of growth.
	UnitBytesPerDay
)

var unitNames = [...]string{UnitNone: "", UnitBytes: "bytes", UnitCount: "count", UnitShare: "share",
	UnitRatio: "ratio", UnitSlot: "slot", UnitUnixMillis: "unix_ms", UnitDays: "days", UnitBytesPerDay: "bytes_per_day"}

// String names the unit; UnitNone has the empty name.
func (u Unit) String() string {
	if int(u) < len(unitNames) {
		return unitNames[u]
	}
	return fmt.Sprintf("Unit(%d)", uint8(u))
}

// Figure is one named number of a finding (or a setting) and its unit.
type Figure struct {
	Name  string
	Value float64
	Unit  Unit
}

// Figures are the numbers of a finding, each named once. In JSON they are
// an object from name to number, ordered by name; units are not written
// (schema version 1 has none).
//
// The methods that add a figure work like append: use their result, as in
// figs = figs.Bytes("memory", n).Share("share", s). A figure of a name
// already there replaces it in place.
type Figures []Figure

// With adds f, or replaces the figure of the same name.
func (fs Figures) With(f Figure) Figures {
	for i := range fs {
		if fs[i].Name == f.Name {
			fs[i] = f
			return fs
		}
	}
	return append(fs, f)
}

// Bytes adds an amount of memory.
func (fs Figures) Bytes(name string, v int64) Figures {
	return fs.With(Figure{Name: name, Value: float64(v), Unit: UnitBytes})
}

// Count adds a count of keys, elements, nodes or slots.
func (fs Figures) Count(name string, v int64) Figures {
	return fs.With(Figure{Name: name, Value: float64(v), Unit: UnitCount})
}

// Share adds a part of a whole (0.25 is a quarter).
func (fs Figures) Share(name string, v float64) Figures {
	return fs.With(Figure{Name: name, Value: v, Unit: UnitShare})
}

// Ratio adds one quantity over another (2 is twice).
func (fs Figures) Ratio(name string, v float64) Figures {
	return fs.With(Figure{Name: name, Value: v, Unit: UnitRatio})
}

// Slot adds a hash slot's number.
func (fs Figures) Slot(name string, slot int) Figures {
	return fs.With(Figure{Name: name, Value: float64(slot), Unit: UnitSlot})
}

// UnixMillis adds a point in time in Unix milliseconds.
func (fs Figures) UnixMillis(name string, ms int64) Figures {
	return fs.With(Figure{Name: name, Value: float64(ms), Unit: UnitUnixMillis})
}

// Get returns the figure called name.
func (fs Figures) Get(name string) (Figure, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Figure{}, false
}

// MarshalJSON writes the figures as an object from name to value (null
// when there are none at all, {} when the list is empty but not nil).
func (fs Figures) MarshalJSON() ([]byte, error) {
	if fs == nil {
		return []byte("null"), nil
	}
	m := make(map[string]float64, len(fs))
	for _, f := range fs {
		m[f.Name] = f.Value
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads an object from name to value; the figures read have
// UnitNone, since the document does not say their units.
func (fs *Figures) UnmarshalJSON(b []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		*fs = nil
		return nil
	}
	out := make(Figures, 0, len(m))
	for name, v := range m {
		out = append(out, Figure{Name: name, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	*fs = out
	return nil
}
