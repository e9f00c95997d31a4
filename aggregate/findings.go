package aggregate

// Severities of a finding, least to most severe.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// Finding is one diagnosis about a node, a key or a key family.
type Finding struct {
	Kind     string  `json:"kind"`     // e.g. "big-hash", "ttl-starvation"
	Severity string  `json:"severity"` // info, warning or critical
	Node     string  `json:"node"`
	Key      KeyName `json:"key,omitempty"`
	// KeyLen is the full length of Key when the profile holds only its
	// first MaxProfileKey bytes (see KeyInfo.KeyLen); 0 otherwise.
	KeyLen int64  `json:"key_len,omitempty"`
	DB     int    `json:"db,omitempty"`
	Family string `json:"family,omitempty"`
	// Memory is how much memory the finding concerns; findings of the same
	// severity are ordered by it.
	Memory int64 `json:"memory"`
	// Figures are the numbers that triggered the finding, by name.
	Figures     map[string]float64 `json:"figures"`
	Title       string             `json:"title"`
	Explanation string             `json:"explanation"`
	Advice      string             `json:"advice"`
}
