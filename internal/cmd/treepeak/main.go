//go:build linux

// Command treepeak runs a command and reports its wall time, its CPU time
// and the peak resident memory of its whole process tree, for the
// end-to-end runs of docs/performance.md (docs/perf/e2e.sh):
//
//	treepeak [-interval 10ms] [-o FILE] [-procs] NAME CMD [ARG...]
//
// prints one line, "NAME wall_s user_s sys_s tree_peak_mib", to FILE or
// else to standard output, and exits with the command's exit code. With
// -procs it also prints, to standard error, each process's own peak
// ("pid name peak_mib"): which of them makes the tree's peak. The
// command's standard output and error are those of treepeak.
//
// It replaces a shell loop of pstree and awk, which forked several
// processes every 20 ms: that stole a core's worth of time from commands
// that keep both cores busy, and so lengthened their wall time and not
// that of single-threaded ones. Sampling here costs a few small reads of
// /proc per tick. User and system time are those wait4 reports: the
// command's and those of the descendants it waited for.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

func main() {
	interval := flag.Duration("interval", 10*time.Millisecond, "sampling `period` of the tree's memory")
	out := flag.String("o", "", "write the report line to `file` instead of standard output")
	procs := flag.Bool("procs", false, "also print each process's peak RSS to standard error")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: treepeak [-interval D] [-o FILE] [-procs] NAME CMD [ARG...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 2 {
		flag.Usage()
		os.Exit(2)
	}
	name, args := flag.Arg(0), flag.Args()[1:]
	var peaks map[int]*procPeak
	if *procs {
		peaks = map[int]*procPeak{}
	}
	line, code, err := run(name, args, *interval, peaks)
	if err != nil {
		fmt.Fprintln(os.Stderr, "treepeak:", err)
		os.Exit(2)
	}
	if *out == "" {
		fmt.Println(line)
	} else if err := os.WriteFile(*out, []byte(line+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "treepeak:", err)
		os.Exit(2)
	}
	for _, pid := range slices.Sorted(maps.Keys(peaks)) {
		fmt.Fprintf(os.Stderr, "%d %s %d\n", pid, peaks[pid].name, peaks[pid].rss>>20)
	}
	os.Exit(code)
}

// procPeak is one process's own peak RSS, for -procs.
type procPeak struct {
	name string
	rss  int64
}

// run runs args and returns the report line and the command's exit code;
// peaks, if not nil, gets each process's own peak.
func run(name string, args []string, interval time.Duration, peaks map[int]*procPeak) (string, int, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	page := int64(os.Getpagesize())
	root := cmd.Process.Pid
	var peak int64
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var waitErr error
	for running := true; running; {
		if rss := treeRSS(root, page, peaks); rss > peak {
			peak = rss
		}
		select {
		case waitErr = <-done:
			running = false
		case <-tick.C:
		}
	}
	wall := time.Since(start)
	st := cmd.ProcessState
	if st == nil {
		return "", 0, waitErr
	}
	line := fmt.Sprintf("%s %.2f %.2f %.2f %d", name, wall.Seconds(),
		st.UserTime().Seconds(), st.SystemTime().Seconds(), peak>>20)
	return line, st.ExitCode(), nil
}

// treeRSS is the resident memory in bytes of root and its descendants
// alive now. Descendants have larger pids than root unless pids wrapped
// around, which a measured run does not live long enough to see; only
// those are read. peaks, if not nil, gets each process's own peak.
func treeRSS(root int, page int64, peaks map[int]*procPeak) int64 {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	in := map[int]bool{root: true}
	parent := map[int]int{}
	var pids []int
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid <= root {
			continue
		}
		if pp, ok := ppid(pid); ok {
			parent[pid] = pp
			pids = append(pids, pid)
		}
	}
	// A child has a larger pid than its parent (no wrap-around), so one
	// pass in pid order finds every descendant.
	slices.Sort(pids)
	total := sample(root, page, peaks)
	for _, pid := range pids {
		if in[parent[pid]] {
			in[pid] = true
			total += sample(pid, page, peaks)
		}
	}
	return total
}

// sample is pid's resident memory, kept in peaks if it is pid's largest.
func sample(pid int, page int64, peaks map[int]*procPeak) int64 {
	rss := residentBytes(pid, page)
	if peaks == nil {
		return rss
	}
	p := peaks[pid]
	if p == nil {
		p = &procPeak{}
		peaks[pid] = p
	}
	if p.name == "" || rss > p.rss {
		// Named again as its peak rises: a child forked a moment ago
		// still bears its parent's name until it execs.
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); err == nil {
			p.name = string(bytes.TrimSpace(b))
		}
	}
	p.rss = max(p.rss, rss)
	return rss
}

// ppid is the parent of pid, from /proc/pid/stat.
func ppid(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: the fields
	// after its last ')' are the state and the parent's pid.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(string(f[1]))
	return pp, err == nil
}

// residentBytes is pid's resident memory (statm's second field, in pages).
func residentBytes(pid int, page int64) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return n * page
}
