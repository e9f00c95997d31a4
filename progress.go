package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/rdbscope/rdbscope/aggregate"
	"github.com/rdbscope/rdbscope/internal/bytesize"
	"github.com/rdbscope/rdbscope/internal/tty"
	"github.com/rdbscope/rdbscope/parse"
)

// progress shows the scan on stderr. A few nodes get one bar each: stored
// bytes read of the dump's size. A fleet (more nodes than fit the
// terminal, or than fleetBars) gets one overall bar (nodes done, bytes
// read, rate, ETA) and a bar for each node in flight only, as many as
// fit the terminal, each gone when its node ends. Where the cursor may
// not move (TERM=dumb, or not a terminal with --progress always) it
// writes one plain line per node as the node ends instead.
type progress struct {
	p    *mpb.Progress
	bars []*nodeBar
	// fleet mode: overall is the overall bar; slots bounds the node bars
	// shown at once.
	overall *mpb.Bar
	slots   chan struct{}
	nameW   int
	mu      sync.Mutex   // orders the overall bar's updates
	total   int64        // bytes the overall bar expects
	read    atomic.Int64 // bytes read, all nodes
	done    atomic.Int64 // nodes ended
}

// fleetBars is the most nodes shown one bar each for the whole run.
const fleetBars = 12

// nodeBar is one node's bar; a nil *nodeBar does nothing.
type nodeBar struct {
	bar   *mpb.Bar
	total int64
	// line mode: no bar, one line on w when the node ends.
	name string
	w    *lockedWriter
	read int64
	// remote: an object, whose rate is shown (a network read, unlike a
	// file's, is worth watching); start is when its first byte came.
	remote bool
	start  time.Time
	// fleet mode: the run's progress, and whether this node was left
	// without a bar of its own (none free when it started).
	fleet *progress
	size  int64
	noBar bool
	mu    sync.Mutex
}

// lockedWriter serializes the lines of nodes that end at once.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// addProgressFlag adds --progress (analyze, and diff for dumps) to fs.
func addProgressFlag(fs *pflag.FlagSet, p *string, usage string) {
	fs.StringVar(p, "progress", "auto", usage)
	choices(fs, "progress", "auto", "always", "never")
}

// checkProgress validates the value of --progress.
func checkProgress(mode string) error {
	switch mode {
	case "auto", "always", "never":
		return nil
	}
	return usageError{fmt.Sprintf("--progress %q: want auto, always or never", mode)}
}

func newProgress(mode string, stderr io.Writer, inputs []parse.Input) *progress {
	caps := tty.Of(stderr, os.Getenv)
	show := mode == "always" || mode == "auto" && caps.Terminal
	if !show {
		return &progress{}
	}
	if !caps.Cursor {
		lw := &lockedWriter{w: stderr}
		pr := &progress{}
		for _, in := range inputs {
			pr.bars = append(pr.bars, &nodeBar{name: in.Name, w: lw, remote: in.Remote})
		}
		return pr
	}
	// The overall bar, a line for the prompt and one to spare.
	budget := fleetBars
	if caps.Rows > 0 {
		budget = min(budget, caps.Rows-3)
	}
	if len(inputs) > max(budget, 1) {
		return newFleetProgress(stderr, inputs, max(budget, 1))
	}
	p := mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(40), mpb.WithAutoRefresh())
	pr := &progress{p: p}
	width := 0
	for _, in := range inputs {
		width = max(width, len(in.Name))
	}
	for _, in := range inputs {
		total := in.Size
		after := []decor.Decorator{decor.Counters(decor.SizeB1024(0), "% .1f / % .1f"), decor.Name(" "), decor.OnComplete(decor.Percentage(), "done")}
		if in.Remote {
			after = append(after, decor.Name(" "), decor.AverageSpeed(decor.SizeB1024(0), "% .1f"))
		}
		b := p.New(total, mpb.BarStyle(),
			mpb.PrependDecorators(decor.Name(in.Name, decor.WC{W: width + 1, C: decor.DindentRight})),
			mpb.AppendDecorators(after...),
		)
		pr.bars = append(pr.bars, &nodeBar{bar: b, total: total})
	}
	return pr
}

// newFleetProgress is the progress of a fleet on w: the overall bar, and
// at most budget node bars at once.
func newFleetProgress(w io.Writer, inputs []parse.Input, budget int) *progress {
	pr := &progress{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(30), mpb.WithAutoRefresh()), slots: make(chan struct{}, budget)}
	var total int64
	for _, in := range inputs {
		total += in.Size
		pr.nameW = max(pr.nameW, len(in.Name))
	}
	pr.total = max(total, 1) + 1
	n := int64(len(inputs))
	// One byte more than the dumps' sizes: the bar completes with the
	// last node, never on its bytes alone.
	pr.overall = pr.p.New(pr.total, mpb.BarStyle(), mpb.BarPriority(-1),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			return fmt.Sprintf("%d/%d nodes", pr.done.Load(), n)
		}, decor.WC{W: pr.nameW + 1, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.Counters(decor.SizeB1024(0), "% .1f / % .1f"), decor.Name("  "),
			decor.AverageSpeed(decor.SizeB1024(0), "% .1f"), decor.Name("  ETA "),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_MMSS), "done")),
	)
	for _, in := range inputs {
		pr.bars = append(pr.bars, &nodeBar{name: in.Name, fleet: pr, size: in.Size})
	}
	return pr
}

func (p *progress) bar(i int) *nodeBar {
	if p == nil || i >= len(p.bars) {
		return nil
	}
	return p.bars[i]
}

// writer is where other messages go while the bars are drawn: above
// them, or w when there are none.
func (p *progress) writer(w io.Writer) io.Writer {
	if p != nil && p.p != nil {
		return p.p
	}
	return w
}

func (p *progress) wait() {
	if p != nil && p.p != nil {
		p.p.Wait()
	}
}

func (b *nodeBar) set(n int64) {
	if b == nil {
		return
	}
	if b.w != nil {
		if b.start.IsZero() {
			b.start = time.Now()
		}
		b.read = n
		return
	}
	if b.fleet != nil {
		b.setFleet(n)
		return
	}
	if b.total <= 0 || n > b.total {
		b.total = n + 1
		b.bar.SetTotal(b.total, false)
	}
	b.bar.SetCurrent(n)
}

// setFleet counts a node's progress in the overall bar, and shows it on
// a bar of its own when one is free.
func (b *nodeBar) setFleet(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.fleet
	if d := n - b.read; d > 0 {
		f.advance(d)
	}
	b.read = max(b.read, n)
	if b.bar == nil && !b.noBar {
		select {
		case f.slots <- struct{}{}:
			b.total = max(b.size, 1)
			b.bar = f.p.New(b.total, mpb.BarStyle(), mpb.BarRemoveOnComplete(),
				mpb.PrependDecorators(decor.Name(b.name, decor.WC{W: f.nameW + 1, C: decor.DindentRight})),
				mpb.AppendDecorators(decor.Counters(decor.SizeB1024(0), "% .1f / % .1f"), decor.Name(" "), decor.Percentage()),
			)
		default:
			b.noBar = true
		}
	}
	if b.bar != nil {
		if n > b.total {
			b.total = n + 1
			b.bar.SetTotal(b.total, false)
		}
		b.bar.SetCurrent(n)
	}
}

// advance adds d bytes read to the overall bar, whose total grows when
// dumps turn out bigger than their files (stdin, archives).
func (p *progress) advance(d int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	read := p.read.Add(d)
	if read >= p.total {
		p.total = read + 1
		p.overall.SetTotal(p.total, false)
	}
	p.overall.SetCurrent(read)
}

func (b *nodeBar) finish(err error) {
	if b == nil {
		return
	}
	if b.w != nil {
		b.w.mu.Lock()
		defer b.w.mu.Unlock()
		status := "done"
		if err != nil {
			status = "failed"
		}
		rate := ""
		if d := time.Since(b.start); b.remote && !b.start.IsZero() && d > 0 {
			rate = fmt.Sprintf(" (%s/s)", bytesize.Format(int64(float64(b.read)/d.Seconds()), bytesize.Table))
		}
		fmt.Fprintf(b.w.w, "%s: %s, %s read%s\n", aggregate.EscapeKey(b.name), status, bytesize.Format(b.read, bytesize.Table), rate)
		return
	}
	if b.fleet != nil {
		b.finishFleet()
		return
	}
	if err != nil {
		b.bar.Abort(false)
		return
	}
	b.bar.SetTotal(-1, true)
}

// finishFleet removes the node's bar and counts the node done; the
// overall bar ends with the last node.
func (b *nodeBar) finishFleet() {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.fleet
	if bar := b.bar; bar != nil {
		// The slot is free once the bar is off the screen, not when it
		// is asked to go: nodes that end within one refresh would
		// otherwise stack more bars than the terminal has rows.
		bar.Abort(true)
		b.bar = nil
		go func() {
			bar.Wait()
			<-f.slots
		}()
	}
	b.noBar = true
	// What the node's file size promised and was not read (a failed
	// node) is counted, so the overall bar and its ETA stay true.
	if d := b.size - b.read; d > 0 {
		f.advance(d)
		b.read = b.size
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done.Add(1) == int64(len(f.bars)) {
		f.overall.SetTotal(-1, true)
	}
}

// terminalRows is the height of the terminal w writes to, less one line
// for the shell's prompt; 0 when w is not a terminal (a pipe, a file, a
// cron job's mail), whose reader scrolls.
func terminalRows(w io.Writer) int {
	rows := tty.Of(w, os.Getenv).Rows
	if rows < 2 {
		return 0
	}
	return rows - 1
}
