package bulk

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// spool keeps the records of one Ingest call on disk, so that neither the
// upload nor the result correlation nor a lock-failure retry needs them in
// memory. Record i is at offsets[i]:
//
//	uvarint(nfields) { uvarint(field) kind uvarint(len) text }*
type spool struct {
	f       *os.File
	removed bool // the file was unlinked at creation (POSIX)
	w       *bufio.Writer
	off     int64
	offsets []int64
	names   []string       // field dictionary, first spelling wins
	index   map[string]int // lower-case name → dictionary index
	buf     []byte
}

type cell struct {
	field int
	kind  Kind
	text  string
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "sfsync-spool-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	// Unlink the file at once where the system allows removing an open file:
	// the data stays readable through f, and a process killed mid-apply
	// leaves nothing behind in the temporary directory. Elsewhere (Windows)
	// close removes it.
	removed := os.Remove(f.Name()) == nil
	return &spool{f: f, removed: removed, w: bufio.NewWriterSize(f, 256<<10), index: map[string]int{}}, nil
}

func (s *spool) close() {
	s.f.Close()
	if !s.removed {
		os.Remove(s.f.Name())
	}
}

func (s *spool) fieldIndex(name string) int {
	k := strings.ToLower(name)
	if i, ok := s.index[k]; ok {
		return i
	}
	s.names = append(s.names, name)
	s.index[k] = len(s.names) - 1
	return len(s.names) - 1
}

// add appends a record and returns its index and cells.
func (s *spool) add(r Record, cells []cell) (int, []cell, error) {
	cells = cells[:0]
	for name, v := range r {
		if v.kind == kindInvalid {
			return 0, nil, fmt.Errorf("field %s: zero Value (use Null() to clear a field)", name)
		}
		cells = append(cells, cell{field: s.fieldIndex(name), kind: v.kind, text: v.text})
	}
	b := s.buf[:0]
	b = binary.AppendUvarint(b, uint64(len(cells)))
	for _, c := range cells {
		b = binary.AppendUvarint(b, uint64(c.field))
		b = append(b, byte(c.kind))
		b = binary.AppendUvarint(b, uint64(len(c.text)))
		b = append(b, c.text...)
	}
	s.buf = b
	if _, err := s.w.Write(b); err != nil {
		return 0, nil, fmt.Errorf("spool: %w", err)
	}
	s.offsets = append(s.offsets, s.off)
	s.off += int64(len(b))
	return len(s.offsets) - 1, cells, nil
}

// reader reads records back, sequentially or by index.
type spoolReader struct {
	s   *spool
	r   *bufio.Reader
	pos int64
}

func (s *spool) reader() (*spoolReader, error) {
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return &spoolReader{s: s, pos: -1}, nil
}

// read returns record i's cells (valid until the next read).
func (sr *spoolReader) read(i int, cells []cell) ([]cell, error) {
	if sr.s.w.Buffered() > 0 {
		if err := sr.s.w.Flush(); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		sr.r = nil
	}
	off := sr.s.offsets[i]
	if sr.r == nil || sr.pos != off {
		sr.r = bufio.NewReaderSize(io.NewSectionReader(sr.s.f, off, sr.s.off-off), 64<<10)
		sr.pos = off
	}
	n, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	cells = cells[:0]
	next := off
	if i+1 < len(sr.s.offsets) {
		next = sr.s.offsets[i+1]
	} else {
		next = sr.s.off
	}
	for k := uint64(0); k < n; k++ {
		f, err := binary.ReadUvarint(sr.r)
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		kb, err := sr.r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		l, err := binary.ReadUvarint(sr.r)
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(sr.r, b); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		cells = append(cells, cell{field: int(f), kind: Kind(kb), text: string(b)})
	}
	sr.pos = next
	return cells, nil
}
