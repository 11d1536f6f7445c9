package sse

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
)

// An Encoder writes server-sent events to an output stream and flushes
// each one.
//
// When the writer is an [http.ResponseWriter], every event is flushed to the
// client through [http.ResponseController]; a writer that cannot flush
// ([http.ErrNotSupported]) is not an error. Other writers are flushed if they
// have a Flush() error method (such as *bufio.Writer) or implement
// [http.Flusher]. An Encoder is not safe for concurrent use.
type Encoder struct {
	bw    *bufio.Writer
	flush func() error // flushes the underlying writer; nil if it cannot
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder {
	e := &Encoder{bw: bufio.NewWriter(w)}
	switch f := w.(type) {
	case http.ResponseWriter:
		e.flush = http.NewResponseController(f).Flush
	case interface{ Flush() error }:
		e.flush = f.Flush
	case http.Flusher:
		e.flush = func() error { f.Flush(); return nil }
	}
	return e
}

// Encode writes ev as one event: "event: X\n" if ev.Event is set,
// "id: Y\n" if ev.ID is set, one "data: " line per line of ev.Data (split at
// LF, CRLF or CR; empty data is one empty line), then a blank line. It then
// flushes. It returns [ErrInvalidField] if the event name or id contains a
// line break, or the id contains NUL, and otherwise the first write or flush
// error.
func (e *Encoder) Encode(ev Event) error {
	if strings.ContainsAny(ev.Event, "\r\n") || strings.ContainsAny(ev.ID, "\r\n\x00") {
		return ErrInvalidField
	}
	if ev.Event != "" {
		e.bw.WriteString("event: ")
		e.bw.WriteString(ev.Event)
		e.bw.WriteByte('\n')
	}
	if ev.ID != "" {
		e.bw.WriteString("id: ")
		e.bw.WriteString(ev.ID)
		e.bw.WriteByte('\n')
	}
	for b := ev.Data; ; {
		i := indexEOL(b)
		e.bw.WriteString("data: ")
		if i < 0 {
			e.bw.Write(b)
			e.bw.WriteByte('\n')
			break
		}
		e.bw.Write(b[:i])
		e.bw.WriteByte('\n')
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	e.bw.WriteByte('\n')
	return e.Flush()
}

// Data writes a data-only event carrying b ("data: <b>\n\n", more data lines
// if b has line breaks) and flushes.
func (e *Encoder) Data(b []byte) error {
	return e.Encode(Event{Data: b})
}

// Comment writes a comment (": text\n\n"), which clients ignore; it serves
// as a heartbeat. A text with line breaks becomes several comment lines.
// It flushes.
func (e *Encoder) Comment(text string) error {
	for {
		i := strings.IndexAny(text, "\r\n")
		e.bw.WriteString(": ")
		if i < 0 {
			e.bw.WriteString(text)
			e.bw.WriteByte('\n')
			break
		}
		e.bw.WriteString(text[:i])
		e.bw.WriteByte('\n')
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
	e.bw.WriteByte('\n')
	return e.Flush()
}

// Flush writes any buffered bytes to the underlying writer and flushes it.
// Encode, Data and Comment call it; it is exported for callers that wrap
// the writer. Once a write has failed, Flush keeps returning that error.
func (e *Encoder) Flush() error {
	if err := e.bw.Flush(); err != nil {
		return err
	}
	if e.flush == nil {
		return nil
	}
	if err := e.flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
