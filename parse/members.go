package parse

import (
	"archive/tar"
	"fmt"
	"io"
)

// Members reads once, from start to end, the archive that ins are members
// of, and calls fn for each of them, in archive order, with an Input that
// streams the member as the archive is read (see Ref.Stream). It is the
// way to read several members of a compressed archive, each of which
// Ref.Open can only reach by decompressing everything before it. fn must
// be done with the Input when it returns. ins must share one Path and be
// in archive order, as Expand returns them; a member the archive does not
// hold (any more) is passed as an Input whose Open fails, as Ref.Open
// would.
func Members(ins []Input, fn func(i int, in Input)) {
	if len(ins) == 0 {
		return
	}
	path := ins[0].Path
	next := 0
	fail := func(err error) {
		for ; next < len(ins); next++ {
			fn(next, failing(ins[next], err))
		}
	}
	tr, done, err := openArchive(ins[0])
	if err != nil {
		fail(err)
		return
	}
	defer done()
	for idx := 0; next < len(ins); idx++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			for ; next < len(ins); next++ {
				fn(next, failing(ins[next], fmt.Errorf("member %s not found in %s", ins[next].Member, path)))
			}
			return
		}
		if err != nil {
			fail(err)
			return
		}
		for next < len(ins) && ins[next].Index < idx {
			// Its index went by under another name: the archive changed
			// since it was listed.
			fn(next, failing(ins[next], fmt.Errorf("member %s not found in %s", ins[next].Member, path)))
			next++
		}
		if next < len(ins) && ins[next].Index == idx && hdr.Name == ins[next].Member {
			in := ins[next]
			fn(next, in.Ref.Stream(in.Name, io.NopCloser(tr)))
			next++
		}
	}
}

// failing is in with an Open that fails with err.
func failing(in Input, err error) Input {
	in.open = func() (io.ReadCloser, error) { return nil, err }
	return in
}

// openArchive reads the archive in is a member of from its start.
func openArchive(in Input) (*tar.Reader, func(), error) {
	if in.archive == nil {
		tr, _, done, err := openTar(in.Path)
		return tr, done, err
	}
	rc, err := in.archive()
	if err != nil {
		return nil, nil, err
	}
	return openTarStream(rc)
}
