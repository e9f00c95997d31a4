package aggregate

// Config is how the nodes run, as far as the user told us: a dump records
// neither maxmemory nor the eviction policy, nor which slots a cluster
// node should serve. The zero value knows nothing.
type Config struct {
	// Maxmemory is the maxmemory of every node in bytes, and
	// MaxmemoryByNode overrides it by node name; 0 means unknown (or no
	// limit, which Redis also writes as 0).
	Maxmemory       int64
	MaxmemoryByNode map[string]int64
	// Policy is the nodes' maxmemory-policy; empty means unknown.
	Policy string
	// ClusterNodesFile names the CLUSTER NODES output Cluster was read
	// from; empty when none was given.
	ClusterNodesFile string
	// Cluster is the slot ownership of the cluster's nodes; nil when
	// unknown.
	Cluster []ClusterNode
	// ExpectNodes is how many nodes the run should hold, for fleets
	// without a CLUSTER NODES file; 0 when unknown.
	ExpectNodes int
}

// MaxmemoryOf returns the maxmemory of the node called name: its own if
// one was given, else the one of every node. A nil Config knows none.
func (c *Config) MaxmemoryOf(name string) int64 {
	if c == nil {
		return 0
	}
	if v, ok := c.MaxmemoryByNode[name]; ok {
		return v
	}
	return c.Maxmemory
}

// Settings are what a report's findings were judged with: the nodes'
// Config and the thresholds of the rules, each a Figure with its unit
// (package diagnose names them). They let every view show the same
// maxmemory the findings used.
type Settings struct {
	Config
	Thresholds Figures
}

// MaxmemoryOf returns the maxmemory of the node called name, as
// Config.MaxmemoryOf does; nil Settings know none.
func (s *Settings) MaxmemoryOf(name string) int64 {
	if s == nil {
		return 0
	}
	return s.Config.MaxmemoryOf(name)
}
