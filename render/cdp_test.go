package render

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A minimal client of the Chrome DevTools Protocol over
// --remote-debugging-pipe (commands on the browser's fd 3, answers on its
// fd 4, each message a JSON object ended by a NUL byte): enough to open a
// page at a given viewport, which --window-size cannot do below 500 px
// wide, evaluate an expression in it and take a screenshot. No network,
// no port: the browser talks to the test alone.
type cdpBrowser struct {
	t       *testing.T
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	w       *os.File
	r       *bufio.Reader
	next    int
	session string
	events  map[string]bool
}

func newCDPBrowser(t *testing.T) *cdpBrowser {
	t.Helper()
	needChromium(t)
	cmdR, cmdW, err := os.Pipe()
	require.NoError(t, err)
	resR, resW, err := os.Pipe()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--hide-scrollbars",
		"--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe")
	cmd.ExtraFiles = []*os.File{cmdR, resW}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	cmdR.Close()
	resW.Close()
	b := &cdpBrowser{t: t, cmd: cmd, cancel: cancel, w: cmdW, r: bufio.NewReader(resR), events: map[string]bool{}}
	t.Cleanup(func() {
		b.w.Close()
		cancel()
		_ = cmd.Wait()
		resR.Close()
	})
	var target struct{ TargetID string }
	b.call("Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var att struct{ SessionID string }
	b.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att)
	b.session = att.SessionID
	b.call("Page.enable", nil, nil)
	return b
}

// call sends one command (to the attached page once there is one) and
// decodes its result into out; events that arrive meanwhile are noted.
func (b *cdpBrowser) call(method string, params any, out any) {
	b.t.Helper()
	b.next++
	msg := map[string]any{"id": b.next, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	raw, err := json.Marshal(msg)
	require.NoError(b.t, err)
	_, err = b.w.Write(append(raw, 0))
	require.NoError(b.t, err, "write to chromium")
	for {
		line, err := b.r.ReadBytes(0)
		require.NoError(b.t, err, "read from chromium")
		var m struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		require.NoError(b.t, json.Unmarshal(line[:len(line)-1], &m))
		if m.ID == 0 {
			b.events[m.Method] = true
			continue
		}
		if m.ID != b.next {
			continue
		}
		require.Nil(b.t, m.Error, "%s: %v", method, m.Error)
		if out != nil {
			require.NoError(b.t, json.Unmarshal(m.Result, out), method)
		}
		return
	}
}

// open loads url in a viewport of w×h CSS pixels (as a phone when
// mobile), waits for the load event and lets scripts settle.
func (b *cdpBrowser) open(url string, w, h int, mobile bool) {
	b.t.Helper()
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile}, nil)
	delete(b.events, "Page.loadEventFired")
	b.call("Page.navigate", map[string]any{"url": url}, nil)
	for deadline := time.Now().Add(time.Minute); !b.events["Page.loadEventFired"]; {
		require.True(b.t, time.Now().Before(deadline), "page did not load")
		b.call("Runtime.evaluate", map[string]any{"expression": "1"}, nil)
		time.Sleep(50 * time.Millisecond)
	}
	// Charts draw in the load's task; one more round trip lets the
	// browser lay out what they changed.
	b.eval("new Promise(r => requestAnimationFrame(() => r(1)))", nil)
}

// eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its JSON value into out.
func (b *cdpBrowser) eval(expr string, out any) {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	require.Nil(b.t, res.ExceptionDetails, "eval %s", expr)
	if out != nil {
		require.NoError(b.t, json.Unmarshal(res.Result.Value, out), "eval %s: %s", expr, res.Result.Value)
	}
}

// screenshot writes the viewport as a PNG file.
func (b *cdpBrowser) screenshot(path string) {
	b.t.Helper()
	var res struct{ Data string }
	b.call("Page.captureScreenshot", map[string]any{"format": "png"}, &res)
	png, err := base64.StdEncoding.DecodeString(res.Data)
	require.NoError(b.t, err)
	require.NoError(b.t, os.WriteFile(path, png, 0o644), fmt.Sprintf("write %s", path))
}
