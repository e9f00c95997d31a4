package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/aggregate/history"
	"github.com/rdbscope/rdbscope/internal/objstore"
)

// historyFlags are --history and --cluster-name: where analyze and report
// append tonight's night (docs/history.md), and which cluster it is of.
type historyFlags struct {
	dir     string
	cluster string
}

func addClusterNameFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "cluster-name", "", "the cluster's `NAME` in the history (letters, digits, . _ -; default: the node names' common prefix, e.g. prod-cache for prod-cache-7200...)")
}

func (h *historyFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&h.dir, "history", "", "append this run as one night of the cluster to the history in `DIR` (Parquet by cluster and date, docs/history.md), for rdbscope trend; "+
		"DIR may be a bucket prefix (s3://BUCKET/PREFIX/, gs://, azblob://)")
	addClusterNameFlag(fs, &h.cluster)
}

// check validates the flags before any work is done.
func (h *historyFlags) check() error {
	if h.cluster != "" {
		if err := history.ValidCluster(h.cluster); err != nil {
			return usageError{"--cluster-name: " + err.Error()}
		}
	}
	if objstore.IsURL(h.dir) {
		if _, _, err := historyPrefix(h.dir); err != nil {
			return err
		}
	}
	if h.cluster != "" && h.dir == "" {
		return usageError{"--cluster-name names the cluster in the history: give --history DIR too"}
	}
	return nil
}

// open checks, before the run reads any input, that a history in object
// storage can be written: its bucket exists and takes the credentials. A
// local directory is made when the night is appended.
func (h *historyFlags) open(ctx context.Context) error {
	if !objstore.IsURL(h.dir) {
		return nil
	}
	if err := objstore.CheckBucket(ctx, h.dir); err != nil {
		return fmt.Errorf("--history %w", err)
	}
	return nil
}

// append adds r to the history as one night, and returns where the
// partition was written ("" when no history was asked for).
func (h *historyFlags) append(ctx context.Context, r *aggregate.Report, cfg aggregate.Config, quiet bool, stderr io.Writer) (string, error) {
	if h.dir == "" {
		return "", nil
	}
	name := h.cluster
	if name == "" {
		var err error
		if name, err = deriveClusterName(reportNodeNames(r)); err != nil {
			return "", fmt.Errorf("--history: %w", err)
		}
		if !quiet {
			fmt.Fprintf(stderr, "rdbscope: history: cluster name %s taken from the node names (--cluster-name to choose it)\n", name)
		}
	}
	s, err := history.FromReport(name, r, history.Options{Config: &cfg})
	if err != nil {
		return "", fmt.Errorf("--history: %w", err)
	}
	hist, err := openHistory(ctx, h.dir, stderr)
	if err != nil {
		return "", err
	}
	path, err := hist.Append(s)
	if err != nil {
		return "", fmt.Errorf("--history %s: %w", h.dir, err)
	}
	return path, nil
}

func reportNodeNames(r *aggregate.Report) []string {
	var names []string
	for _, n := range r.Nodes {
		if n != nil {
			names = append(names, n.Name)
		}
	}
	return names
}

// deriveClusterName names a cluster after what its node names share,
// without the node numbers and dates that tell them apart:
// prod-cache-7200, prod-cache-7201 → prod-cache;
// prod-cache-2026-11-26-0001 → prod-cache.
func deriveClusterName(names []string) (string, error) {
	if len(names) == 0 {
		return "", fmt.Errorf("no node to name the cluster after; give --cluster-name")
	}
	prefix := names[0]
	for _, n := range names[1:] {
		i := 0
		for i < len(prefix) && i < len(n) && prefix[i] == n[i] {
			i++
		}
		prefix = prefix[:i]
	}
	prefix = strings.TrimRight(prefix, "0123456789-_.:/ ")
	if history.ValidCluster(prefix) != nil {
		return "", fmt.Errorf("cannot take a cluster name from the node names (%s); give --cluster-name", listNames(names, 4))
	}
	return prefix, nil
}
