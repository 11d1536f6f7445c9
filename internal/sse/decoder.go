package sse

import (
	"bytes"
	"io"
	"iter"
	"math/bits"
)

const (
	defaultBufSize = 8 << 10
	// minBufSize keeps the longest known field name, its colon and one
	// space ("event: ") inside the first segment of any line.
	minBufSize     = 16
	maxEmptyReads  = 100
	maxCachedName  = 256     // longest event name or id that is cached for reuse
	maxNames       = 16      // event names cached per decoder
	maxRetainedBuf = 1 << 20 // data buffers above this size are not kept between events
)

// field is the field of the line being read.
type field uint8

const (
	fieldNone   field = iota // between lines
	fieldData                // "data"
	fieldEvent               // "event"
	fieldID                  // "id"
	fieldIgnore              // comment, "retry" or unknown field
)

var bom = []byte("\xEF\xBB\xBF")

// A Decoder reads server-sent events from an input stream.
//
// Lines end in LF, CRLF or a lone CR. Lines longer than the internal read
// buffer are streamed into the event instead of being buffered whole, so the
// only memory that grows with the input is the data of the current event,
// which is bounded by [Decoder.SetMaxEventSize].
//
// The ID of a decoded event is the value of the last "id:" line of that
// event only ("" when it has none); unlike a browser, the Decoder does not
// carry the last event ID over to later events.
type Decoder struct {
	r        io.Reader
	buf      []byte // read buffer
	pos, end int    // unread bytes are buf[pos:end]
	scan     int    // buf[pos:scan] is known to hold no line break
	rerr     error  // first error returned by r
	err      error  // sticky error returned by Next
	max      int

	field   field // field of the current line
	skipLF  bool  // the last line ended in CR, so a leading LF is part of it
	started bool  // the byte order mark check is done

	data    []byte // pending data, lines joined with "\n"
	hasData bool   // a data line was seen (data may still be empty)
	event   []byte // pending event name
	id      []byte // pending id
	val     []byte // value of the current event or id line

	names    []string // recently seen event names, reused to avoid allocations
	nextName int
	lastID   string
}

// NewDecoder returns a Decoder that reads from r with the default bound
// [DefaultMaxEventSize].
func NewDecoder(r io.Reader) *Decoder {
	return newDecoderSize(r, defaultBufSize)
}

func newDecoderSize(r io.Reader, size int) *Decoder {
	return &Decoder{r: r, buf: make([]byte, max(size, minBufSize)), max: DefaultMaxEventSize}
}

// Reset discards the decoder's state and makes it read from r, keeping its
// buffers and its bound. It lets one Decoder serve many streams.
func (d *Decoder) Reset(r io.Reader) {
	*d = Decoder{
		r:        r,
		buf:      d.buf,
		max:      d.max,
		data:     d.data[:0],
		event:    d.event[:0],
		id:       d.id[:0],
		val:      d.val[:0],
		names:    d.names,
		nextName: d.nextName,
		lastID:   d.lastID,
	}
}

// SetMaxEventSize sets the upper bound, in bytes, on the data of one event
// and on the value of one event or id line. A value n <= 0 restores
// [DefaultMaxEventSize].
func (d *Decoder) SetMaxEventSize(n int) {
	if n <= 0 {
		n = DefaultMaxEventSize
	}
	d.max = n
}

// Next returns the next event. It returns io.EOF at the clean end of the
// input; an event left without its closing blank line at the end is still
// returned if it has data. Once Next has returned an error (including
// [ErrEventTooLarge]) it returns the same error on every later call.
//
// Event.Data is only valid until the following call to Next.
func (d *Decoder) Next() (Event, error) {
	if d.err != nil {
		return Event{}, d.err
	}
	for {
		seg, eol, err := d.segment()
		if err != nil {
			if err == io.EOF {
				d.endLine()
				if d.hasData {
					ev, _ := d.dispatch()
					return ev, nil
				}
			}
			d.err = err
			return Event{}, err
		}
		if d.field == fieldNone {
			if !d.started {
				d.started = true
				seg = bytes.TrimPrefix(seg, bom)
			}
			if eol && len(seg) == 0 {
				if ev, ok := d.dispatch(); ok {
					return ev, nil
				}
				continue
			}
			seg = d.startLine(seg)
		}
		if err := d.appendValue(seg); err != nil {
			d.err = err
			return Event{}, err
		}
		if eol {
			d.endLine()
		}
	}
}

// All returns an iterator over the remaining events. It stops at the end of
// the input (io.EOF is not yielded) or after yielding the first error.
// Event.Data is only valid until the iteration continues.
func (d *Decoder) All() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := d.Next()
			if err == io.EOF {
				return
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// segment returns the next line, or a part of it. eol reports whether the
// segment ends the line. A segment that does not end its line is the whole
// read buffer, so the first segment of a line always holds the field name of
// any field the decoder knows. At io.EOF an unterminated last line is
// returned as a whole line. The segment aliases the read buffer.
func (d *Decoder) segment() (seg []byte, eol bool, err error) {
	for empty := 0; ; {
		if d.skipLF && d.pos < d.end {
			d.skipLF = false
			if d.buf[d.pos] == '\n' {
				d.pos++
			}
		}
		if start := max(d.pos, d.scan); start < d.end {
			if i := indexEOL(d.buf[start:d.end]); i >= 0 {
				i += start
				seg = d.buf[d.pos:i]
				d.skipLF = d.buf[i] == '\r'
				d.pos = i + 1
				return seg, true, nil
			}
			d.scan = d.end
		}
		if d.rerr != nil {
			if d.rerr == io.EOF && d.pos < d.end {
				seg = d.buf[d.pos:d.end]
				d.pos = d.end
				return seg, true, nil
			}
			return nil, false, d.rerr
		}
		switch {
		case d.pos == d.end:
			d.pos, d.end, d.scan = 0, 0, 0
		case d.end == len(d.buf) && d.pos == 0:
			d.pos = d.end
			return d.buf, false, nil
		case d.end == len(d.buf):
			d.end = copy(d.buf, d.buf[d.pos:d.end])
			d.scan -= d.pos
			d.pos = 0
		}
		n, err := d.r.Read(d.buf[d.end:])
		if n < 0 || n > len(d.buf)-d.end {
			n, err = 0, io.ErrShortBuffer
		}
		d.end += n
		switch {
		case err != nil:
			d.rerr = err
		case n == 0:
			if empty++; empty >= maxEmptyReads {
				d.rerr = io.ErrNoProgress
			}
		}
	}
}

// indexEOL returns the index of the first CR or LF in b, or -1.
func indexEOL(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.IndexByte(b, '\r')
	}
	if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
		return j
	}
	return i
}

// startLine parses the field name at the start of a line, sets d.field and
// returns the start of the value (after the colon and one optional space).
func (d *Decoder) startLine(line []byte) []byte {
	name, value, found := bytes.Cut(line, []byte{':'})
	if found && len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	switch string(name) {
	case "data":
		d.field = fieldData
		if d.hasData {
			d.data = append(d.data, '\n')
		}
		d.hasData = true
	case "event":
		d.field = fieldEvent
		d.val = d.val[:0]
	case "id":
		d.field = fieldID
		d.val = d.val[:0]
	default: // comment (empty name), "retry" or unknown
		d.field = fieldIgnore
	}
	return value
}

// appendValue adds a segment of the current line's value to the event.
func (d *Decoder) appendValue(b []byte) error {
	switch d.field {
	case fieldData:
		if len(d.data)+len(b) > d.max {
			return ErrEventTooLarge
		}
		d.data = d.grow(d.data, len(b))
		d.data = append(d.data, b...)
	case fieldEvent, fieldID:
		if len(d.val)+len(b) > d.max {
			return ErrEventTooLarge
		}
		d.val = d.grow(d.val, len(b))
		d.val = append(d.val, b...)
	}
	return nil
}

// grow makes room for n more bytes in b without going past the bound, so
// that a large event never holds much more memory than its size.
func (d *Decoder) grow(b []byte, n int) []byte {
	need := len(b) + n
	if need <= cap(b) {
		return b
	}
	c := max(2*cap(b), need, 512)
	c = 1 << bits.Len(uint(c-1)) // a power of two: a 16 MiB line fits 16 MiB
	nb := make([]byte, len(b), min(c, d.max))
	copy(nb, b)
	return nb
}

// endLine completes the current line.
func (d *Decoder) endLine() {
	switch d.field {
	case fieldEvent:
		d.event = append(d.event[:0], d.val...)
	case fieldID:
		// As in browsers, an id containing NUL is ignored.
		if bytes.IndexByte(d.val, 0) < 0 {
			d.id = append(d.id[:0], d.val...)
		}
	}
	d.field = fieldNone
}

// dispatch builds the pending event, if there is one to dispatch, and
// clears the pending state.
func (d *Decoder) dispatch() (ev Event, ok bool) {
	if d.hasData || len(d.event) > 0 {
		ev = Event{
			Event: d.name(),
			ID:    d.idString(),
			Data:  d.data[:len(d.data):len(d.data)],
		}
		ok = true
	}
	if cap(d.data) > maxRetainedBuf {
		d.data = nil
	}
	d.data = d.data[:0]
	d.hasData = false
	d.event = d.event[:0]
	d.id = d.id[:0]
	return ev, ok
}

// name returns the pending event name, reusing a recent equal string.
func (d *Decoder) name() string {
	b := d.event
	if len(b) == 0 {
		return ""
	}
	for _, s := range d.names {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	if len(s) <= maxCachedName {
		if len(d.names) < maxNames {
			d.names = append(d.names, s)
		} else {
			d.names[d.nextName] = s
			d.nextName = (d.nextName + 1) % maxNames
		}
	}
	return s
}

// idString returns the pending id, reusing the previous string when equal:
// the MiMo upstream repeats one id on every event of a stream.
func (d *Decoder) idString() string {
	b := d.id
	if len(b) == 0 {
		return ""
	}
	if d.lastID == string(b) {
		return d.lastID
	}
	s := string(b)
	if len(s) <= maxCachedName {
		d.lastID = s
	}
	return s
}
