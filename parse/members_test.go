package parse

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Members reads a compressed archive once and hands each member, in
// archive order, as a stream that parses as the member opened directly.
func TestMembers(t *testing.T) {
	for _, kind := range []string{"gzip", "zstd"} {
		t.Run(kind, func(t *testing.T) {
			path, _ := archive(t, t.TempDir(), kind)
			ins, err := Expand([]string{path}, nil)
			require.NoError(t, err)
			require.Len(t, ins, 2)
			var order []int
			Members(ins, func(i int, in Input) {
				order = append(order, i)
				assert.Equal(t, ins[i].Ref, in.Ref)
				assert.Equal(t, ins[i].Name, in.Name)
				wantSrc, wantKeys := parseSummary(t, ins[i])
				src, keys := parseSummary(t, in)
				assert.Equal(t, wantKeys, keys)
				assert.Equal(t, wantSrc, src)
			})
			assert.Equal(t, []int{0, 1}, order)
		})
	}
}

// A member the archive no longer holds, or an archive gone, fails when it
// is opened, naming what is missing; the other members are still read.
func TestMembersMissing(t *testing.T) {
	dir := t.TempDir()
	path, _ := archive(t, dir, "gzip")
	ins, err := Expand([]string{path}, nil)
	require.NoError(t, err)
	require.Len(t, ins, 2)
	ins[0].Member = "a/renamed.rdb"
	ins = append(ins, Input{Name: "ghost", Ref: Ref{Path: path, Member: "ghost.rdb", Index: 9}})
	var errs []string
	Members(ins, func(i int, in Input) {
		rc, err := in.Open()
		if err != nil {
			errs = append(errs, err.Error())
			return
		}
		rc.Close()
		errs = append(errs, "")
	})
	assert.Equal(t, []string{
		"member a/renamed.rdb not found in " + path,
		"",
		"member ghost.rdb not found in " + path,
	}, errs)

	require.NoError(t, os.Remove(path))
	n := 0
	Members(ins, func(i int, in Input) {
		_, err := in.Open()
		assert.ErrorIs(t, err, os.ErrNotExist)
		n++
	})
	assert.Equal(t, 3, n)
	Members(nil, func(int, Input) { t.Fatal("no input, no call") })
}
