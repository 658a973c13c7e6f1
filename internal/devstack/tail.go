package devstack

import (
	"bytes"
	"sync"
)

// stderrTailSize is how much of a child's stderr is kept for error messages:
// enough for a Go panic with its goroutine dump, small enough not to matter.
const stderrTailSize = 64 << 10

// tailBuffer is an io.Writer that keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTailBuffer(max int) *tailBuffer {
	return &tailBuffer{max: max}
}

// Write never fails, so a chatty child can never block on its stderr.
func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	// Trim only when twice the limit is reached, so the copy is amortised
	// instead of happening on every write.
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

// String returns the kept tail, starting at a line boundary when it was cut.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	tail := b.buf
	if len(tail) > b.max {
		tail = tail[len(tail)-b.max:]
		if i := bytes.IndexByte(tail, '\n'); i >= 0 {
			tail = tail[i+1:]
		}
	}
	return string(bytes.TrimSpace(tail))
}
