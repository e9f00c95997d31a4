package main

import (
	"os"
	"syscall"
)

// fileID identifies a file by device and inode, so that an output path
// that is a link to an input is recognised as the input.
func fileID(fi os.FileInfo) [2]uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return [2]uint64{uint64(st.Dev), uint64(st.Ino)}
	}
	return [2]uint64{}
}
