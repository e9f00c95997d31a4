package worker

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// An input the parent streams to a child travels as chunks: a uvarint
// length and that many bytes, then a zero length and how the input ended,
// so that the child's parser reports a read error of the parent's input
// (a corrupt compressed archive) as it would have reported it reading the
// input itself, not as a dump cut short.
const (
	endEOF        = 0 // the input ended
	endUnexpected = 1 // io.ErrUnexpectedEOF: the input was cut short
	endError      = 2 // any other error, whose message follows (uvarint length, bytes)
)

// writeInput copies r to w as chunks. Its error is w's.
func writeInput(w io.Writer, r io.Reader) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	buf := make([]byte, 256<<10)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			var hdr [binary.MaxVarintLen64]byte
			if _, err := bw.Write(hdr[:binary.PutUvarint(hdr[:], uint64(n))]); err != nil {
				return err
			}
			if _, err := bw.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == nil {
			continue
		}
		end := []byte{0, endEOF}
		switch {
		case rerr == io.EOF:
		case rerr == io.ErrUnexpectedEOF:
			end[1] = endUnexpected
		default:
			end[1] = endError
			end = binary.AppendUvarint(end, uint64(len(rerr.Error())))
			end = append(end, rerr.Error()...)
		}
		if _, err := bw.Write(end); err != nil {
			return err
		}
		return bw.Flush()
	}
}

// inputReader reads what writeInput wrote.
type inputReader struct {
	c    io.Closer
	br   *bufio.Reader
	left uint64 // bytes left in the current chunk
	err  error  // how the input ended, once known
}

func newInputReader(rc io.ReadCloser) *inputReader {
	return &inputReader{c: rc, br: bufio.NewReaderSize(rc, 64<<10)}
}

func (r *inputReader) Read(p []byte) (int, error) {
	for r.left == 0 {
		if r.err != nil {
			return 0, r.err
		}
		n, err := binary.ReadUvarint(r.br)
		if err != nil {
			// The parent went away without saying how the input ended.
			r.err = io.ErrUnexpectedEOF
			continue
		}
		if n > 0 {
			r.left = n
			break
		}
		r.err = r.end()
	}
	if uint64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.br.Read(p)
	r.left -= uint64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// end reads how the input ended.
func (r *inputReader) end() error {
	kind, err := r.br.ReadByte()
	if err != nil {
		return io.ErrUnexpectedEOF
	}
	switch kind {
	case endEOF:
		return io.EOF
	case endUnexpected:
		return io.ErrUnexpectedEOF
	}
	n, err := binary.ReadUvarint(r.br)
	if err != nil || n > 1<<16 {
		return io.ErrUnexpectedEOF
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r.br, msg); err != nil {
		return io.ErrUnexpectedEOF
	}
	return errors.New(string(msg))
}

func (r *inputReader) Close() error { return r.c.Close() }
