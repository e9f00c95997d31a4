package worker

import (
	"os"
	"syscall"
)

// pipeSize is the capacity asked for the pipe of a child's frames. With
// the default 64 KiB, a child that has framed 64 KiB of keys waits for
// the parent to take them, and the parent, busy with the batch before,
// lets the child's core idle: the two processes ran in lockstep.
const pipeSize = 1 << 20

// growPipe asks for a bigger pipe buffer; the kernel may give less (up to
// /proc/sys/fs/pipe-max-size) or refuse, which only costs speed.
func growPipe(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETPIPE_SZ, pipeSize)
		})
	}
}
