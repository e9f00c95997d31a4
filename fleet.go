package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/diagnose"
)

// This file holds what the commands share about fleets: which nodes a run
// should hold (--cluster-nodes, --expect-nodes), what each node is called
// (--name-regex), and the checks that catch settings that name no node.

// nameRegex is --name-regex: node names taken from part of their file
// names, so that date-stamped dumps (prod-cache-2026-11-26-0001.rdb) keep
// one name from night to night.
type nameRegex struct {
	re    *regexp.Regexp
	group int // the submatch that is the name; 0 for the whole match
}

// parseNameRegex compiles a --name-regex value. The name is the group
// called "name" when there is one, else the first group, else the whole
// match.
func parseNameRegex(s string) (*nameRegex, error) {
	if s == "" {
		return nil, nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, usageError{fmt.Sprintf("--name-regex %q: %v", s, err)}
	}
	nr := &nameRegex{re: re}
	if i := re.SubexpIndex("name"); i > 0 {
		nr.group = i
	} else if re.NumSubexp() > 0 {
		nr.group = 1
	}
	return nr, nil
}

// name returns the node name the regex takes from s, and false when it
// does not match (or matches an empty name): s then keeps its name.
func (nr *nameRegex) name(s string) (string, bool) {
	if nr == nil {
		return s, false
	}
	m := nr.re.FindStringSubmatch(s)
	if m == nil || m[nr.group] == "" {
		return s, false
	}
	return m[nr.group], true
}

// renameAll applies nr to names (in place) except those keep says to
// leave alone, warns on stderr about names it does not match, and refuses
// two nodes ending up with one name: merging a node with itself would
// double it silently.
func (nr *nameRegex) renameAll(names []*string, keep func(string) bool, stderr io.Writer) error {
	if nr == nil {
		return nil
	}
	was := map[string]string{}
	var unmatched []string
	for _, p := range names {
		old := *p
		if keep != nil && keep(old) {
			was[old] = old
			continue
		}
		n, ok := nr.name(old)
		if !ok {
			unmatched = append(unmatched, old)
		}
		if prev, dup := was[n]; dup {
			return fmt.Errorf("--name-regex %s names both %s and %s %q; make the regex tell them apart", nr.re, prev, old, n)
		}
		was[n] = old
		*p = n
	}
	if len(unmatched) > 0 {
		fmt.Fprintf(stderr, "rdbscope: warning: --name-regex %s does not match %s, which %s\n",
			nr.re, listNames(unmatched, 5), plural(len(unmatched), "keeps its name", "keep their names"))
	}
	return nil
}

// renameNodes applies --name-regex to profiles read back from JSON.
func (nr *nameRegex) renameNodes(nodes []*aggregate.Node, stderr io.Writer) error {
	ps := make([]*string, 0, len(nodes))
	for _, n := range nodes {
		if n != nil {
			ps = append(ps, &n.Name)
		}
	}
	return nr.renameAll(ps, nil, stderr)
}

// runFlags are what analyze and report take beside the findings flags:
// --name-regex, and --history with --cluster-name.
type runFlags struct {
	nameRegex string
	history   historyFlags
}

func (f *runFlags) add(fs *pflag.FlagSet) {
	addNameRegexFlag(fs, &f.nameRegex)
	f.history.add(fs)
}

// resolve checks the flags, and warns about settings of c that cannot be
// what the user meant.
func (f *runFlags) resolve(c *aggregate.Config, stderr io.Writer) (*nameRegex, error) {
	warnPolicyWithoutMaxmemory(c, stderr)
	if err := f.history.check(); err != nil {
		return nil, err
	}
	return parseNameRegex(f.nameRegex)
}

// fleetFlags are the flags about which nodes make up the fleet, for the
// commands that do not take the findings flags (diff, trend): analyze and
// report have --cluster-nodes and --expect-nodes among them.
type fleetFlags struct {
	clusterNodes string
	expectNodes  int
	nameRegex    string
}

func addClusterNodesFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "cluster-nodes", "", "CLUSTER NODES output in `FILE`: which node each dump is (by its slots), and a critical missing-node finding (exit 3) for a master or slots no dump holds")
}

func addExpectNodesFlag(fs *pflag.FlagSet, p *int) {
	fs.IntVar(p, "expect-nodes", 0, "the run should hold `N` nodes: fewer is a critical missing-node finding (exit 3); for fleets without a CLUSTER NODES file")
}

func addNameRegexFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "name-regex", "", "name each node by the part of its file name `RE` matches (its group \"name\", else its first group, else the whole match), e.g. 'node-[0-9]+' for dated dump names")
}

// add registers the fleet flags on fs.
func (f *fleetFlags) add(fs *pflag.FlagSet) {
	addClusterNodesFlag(fs, &f.clusterNodes)
	addExpectNodesFlag(fs, &f.expectNodes)
	addNameRegexFlag(fs, &f.nameRegex)
}

// resolve reads --cluster-nodes into cfg and checks --expect-nodes.
func (f *fleetFlags) resolve(cfg *aggregate.Config) (*nameRegex, error) {
	if err := readClusterNodes(f.clusterNodes, cfg); err != nil {
		return nil, err
	}
	if f.expectNodes < 0 {
		return nil, usageError{"--expect-nodes must be at least 1"}
	}
	cfg.ExpectNodes = f.expectNodes
	return parseNameRegex(f.nameRegex)
}

// readClusterNodes reads a --cluster-nodes file into cfg; "" reads none.
func readClusterNodes(path string, cfg *aggregate.Config) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return usageError{"--cluster-nodes: " + err.Error()}
	}
	nodes, err := aggregate.ParseClusterNodes(f)
	f.Close()
	if err != nil {
		return usageError{fmt.Sprintf("--cluster-nodes %s: %v", path, err)}
	}
	cfg.Cluster = nodes
	cfg.ClusterNodesFile = path
	return nil
}

// checkNodeSettings refuses settings given for a node the run does not
// hold (a typo, or a node of another cluster): they would be ignored
// silently, and the node they were meant for judged without them. flag
// names where each per-node setting came from.
func checkNodeSettings(byNode map[string]string, names []string) error {
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	var unknown []string
	for node := range byNode {
		if !have[node] {
			unknown = append(unknown, node)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	node := unknown[0]
	return usageError{fmt.Sprintf("%s names node %s, which the run does not hold (nodes: %s)", byNode[node], node, listNames(sorted, 8))}
}

// warnPolicyWithoutMaxmemory says on stderr when a policy is known but no
// maxmemory is: the findings that need both (ttl-starvation at critical,
// over-maxmemory) then cannot fire, which looks like a clean bill of
// health. The parser's memory limit (--parser-memory-limit, once
// --max-memory) is not the nodes' maxmemory.
func warnPolicyWithoutMaxmemory(c *aggregate.Config, stderr io.Writer) {
	if c.Policy == "" || c.Maxmemory > 0 || len(c.MaxmemoryByNode) > 0 {
		return
	}
	fmt.Fprintf(stderr, "rdbscope: warning: maxmemory-policy %s is given but no maxmemory: findings that compare a node with its "+
		"maxmemory (ttl-starvation, over-maxmemory) cannot fire; give --maxmemory SIZE or --redis-config "+
		"(--parser-memory-limit is rdbscope's own limit, not the nodes')\n", c.Policy)
}

// missingNode reports whether findings say part of the cluster has no
// dump: the run then covers part of it, which is an incomplete run.
func missingNode(fs []aggregate.Finding) bool {
	for _, f := range fs {
		if f.Kind == diagnose.KindMissingNode {
			return true
		}
	}
	return false
}

// listNames shows up to max names, then how many more.
func listNames(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// clusterMembers returns the nodes the merged cluster profile is made of:
// the dumps counted as nodes of the cluster (aggregate.Arrange), without
// AOF bases, standalone or foreign dumps and second dumps of one master,
// whose keys are not (or not again) the cluster's. Their foreign-node and
// duplicate-node findings say so; with no counted node, all are merged.
func clusterMembers(nodes []*aggregate.Node, cluster []aggregate.ClusterNode) []*aggregate.Node {
	l := aggregate.Arrange(nodes, cluster)
	var out []*aggregate.Node
	for _, n := range nodes {
		if m := l.Member(n.Name); m == nil || m.Counted() {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nodes
	}
	return out
}

func addMinSeverityFlag(fs *pflag.FlagSet, p *string, where string) {
	fs.StringVar(p, "min-severity", "", "show findings of this severity or above in "+where+"; the other outputs keep them all")
	choices(fs, "min-severity", "info", "warning", "critical")
}

// parseMinSeverity reads --min-severity: a severity, or nothing for all.
func parseMinSeverity(v string) (aggregate.Severity, error) {
	if v == "" {
		return 0, nil
	}
	s, err := aggregate.ParseSeverity(v)
	if err != nil {
		return 0, usageError{fmt.Sprintf("--min-severity %q: want info, warning or critical", v)}
	}
	return s, nil
}
