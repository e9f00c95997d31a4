package parse

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestZZTime(t *testing.T) {
	dir := os.Getenv("FUZZDIR")
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		raw, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		lines := strings.Split(string(raw), "\n")
		s := strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")
		b, err := strconv.Unquote(s)
		if err != nil { t.Fatal(err) }
		t0 := time.Now()
		_, _, err = parseAll(t, []byte(b), Options{NoVerify: true})
		if d := time.Since(t0); d > 50*time.Millisecond {
			fmt.Println(e.Name(), len(b), d, err)
		}
	}
}
