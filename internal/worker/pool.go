package worker

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/scan"
	"github.com/rdbscope/rdbscope/parse"
)

// Config says how Nodes scans its inputs.
type Config struct {
	Jobs    int  // nodes scanned at once; < 1 means 1
	Isolate bool // each node in a child process (Run), else in this one (scan.Run)
	// MaxMemory bounds the address space each child may add; 0 = none.
	MaxMemory int64
	Scan      scan.Options
	// NodeScan, if set, adapts Scan to the node called name: nodes may
	// run with different server configurations (scan.Options.Config).
	NodeScan func(name string, o scan.Options) scan.Options
	Profile  aggregate.Options
	// Keys, if set, gets every key of every node.
	Keys scan.KeyWriter
	// Progress, if set, gets the stored bytes read of input i from time
	// to time; Done, if set, is called once input i is scanned, with its
	// error.
	Progress func(i int, stored int64)
	Done     func(i int, err error)
	// ParserCPUProfile, if set, has each parser process (Isolate) write a
	// Go CPU profile of its scan, for performance work: the process of
	// input i to this path followed by "." and i, one that follows a
	// process that died to that followed by ".resume" and its number.
	// The parent's own profile (analyze --cpuprofile) has none of the
	// parsing then.
	ParserCPUProfile string
}

// Nodes scans inputs, cfg.Jobs at a time, and returns their profiles in
// input order. Nodes start in input order, so that one job is sequential
// and reproducible. The members of a compressed archive are read as the
// archive is, once: one after the other, in archive order.
func Nodes(ctx context.Context, inputs []parse.Input, cfg Config) []*aggregate.Node {
	nodes := make([]*aggregate.Node, len(inputs))
	sem := make(chan struct{}, max(1, cfg.Jobs))
	var wg sync.WaitGroup
	us := units(inputs)
	if cfg.Scan.Workers == 0 {
		cfg.Scan.Workers = shareOfCores(runtime.GOMAXPROCS(0), cfg.Jobs, len(us))
	}
	for _, u := range us {
		// Taking the slot before starting the goroutine starts nodes in
		// input order.
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if !inArchive(inputs[u[0]]) {
				nodes[u[0]] = cfg.node(ctx, u[0], inputs[u[0]])
				return
			}
			ins := make([]parse.Input, len(u))
			for j, i := range u {
				ins[j] = inputs[i]
			}
			parse.Members(ins, func(j int, in parse.Input) {
				nodes[u[j]] = cfg.node(ctx, u[j], in)
			})
		}()
	}
	wg.Wait()
	return nodes
}

// shareOfCores is how many decoding goroutines each node gets when jobs
// of units nodes are scanned side by side on cores: nodes running at once
// share the cores, so that N nodes on N cores do not run N² decoding
// goroutines (measured in docs/performance.md).
func shareOfCores(cores, jobs, units int) int {
	return max(1, cores/max(1, min(jobs, units)))
}

// units groups inputs into what one job scans: one input, or every
// member of one compressed archive.
func units(inputs []parse.Input) [][]int {
	var us [][]int
	archive := map[string]int{} // path -> its unit
	for i, in := range inputs {
		if !inArchive(in) {
			us = append(us, []int{i})
			continue
		}
		u, ok := archive[in.Path]
		if !ok {
			u = len(us)
			archive[in.Path] = u
			us = append(us, nil)
		}
		us[u] = append(us[u], i)
	}
	return us
}

// inArchive reports whether in is a member of an archive that can only
// be read from its start.
func inArchive(in parse.Input) bool { return in.Member != "" && !in.Direct() }

// node scans input i.
func (cfg *Config) node(ctx context.Context, i int, in parse.Input) *aggregate.Node {
	var progress func(int64)
	if cfg.Progress != nil {
		progress = func(n int64) { cfg.Progress(i, n) }
	}
	c := scan.NewCollector(in, cfg.Profile, cfg.Keys, progress)
	opts := cfg.Scan
	if cfg.NodeScan != nil {
		opts = cfg.NodeScan(in.Name, opts)
	}
	var err error
	if cfg.Isolate {
		ch := child{maxMemory: cfg.MaxMemory}
		if cfg.ParserCPUProfile != "" {
			ch.cpuProfile = fmt.Sprintf("%s.%d", cfg.ParserCPUProfile, i)
		}
		err = ch.run(ctx, in, opts, c)
	} else {
		err = scan.Run(ctx, in, opts, c)
	}
	if cfg.Done != nil {
		cfg.Done(i, err)
	}
	return c.Node(err)
}
