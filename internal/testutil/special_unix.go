//go:build unix

package testutil

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// CharDevice makes a character device node of major 1 (minor 3 behaves as
// /dev/null, 7 as /dev/full) in a temporary directory, so that tests of
// special destinations never put the machine's own devices at stake. It
// skips the test where nodes cannot be made (not root).
func CharDevice(t testing.TB, name string, minor int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|minor); err != nil {
		t.Skipf("cannot make a character device node (needs root): %v", err)
	}
	return p
}

// FIFO makes a FIFO in a temporary directory.
func FIFO(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	return p
}

// ReadFIFO reads the FIFO at path, once a writer opens it, and delivers
// everything written (nil if it cannot be opened).
func ReadFIFO(path string) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	return got
}
