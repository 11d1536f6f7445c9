package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEncoder(t *testing.T) {
	tests := []struct {
		name  string
		write func(e *Encoder) error
		want  string
	}{
		{"data only", func(e *Encoder) error { return e.Encode(ev("", "", `{"a":1}`)) }, "data: {\"a\":1}\n\n"},
		{"event and id", func(e *Encoder) error { return e.Encode(ev("message_start", "7", "{}")) },
			"event: message_start\nid: 7\ndata: {}\n\n"},
		{"empty data", func(e *Encoder) error { return e.Encode(Event{Event: "ping"}) }, "event: ping\ndata: \n\n"},
		{"LF in data", func(e *Encoder) error { return e.Data([]byte("a\nb")) }, "data: a\ndata: b\n\n"},
		{"CRLF in data", func(e *Encoder) error { return e.Data([]byte("a\r\nb\r\n")) }, "data: a\ndata: b\ndata: \n\n"},
		{"CR in data", func(e *Encoder) error { return e.Data([]byte("a\rb\r\rc")) }, "data: a\ndata: b\ndata: \ndata: c\n\n"},
		{"leading space kept", func(e *Encoder) error { return e.Data([]byte(" x")) }, "data:  x\n\n"},
		{"done marker", func(e *Encoder) error { return e.Data([]byte("[DONE]")) }, "data: [DONE]\n\n"},
		{"comment", func(e *Encoder) error { return e.Comment("keep-alive") }, ": keep-alive\n\n"},
		{"empty comment", func(e *Encoder) error { return e.Comment("") }, ": \n\n"},
		{"multi-line comment", func(e *Encoder) error { return e.Comment("a\r\nb\rc\n") }, ": a\n: b\n: c\n: \n\n"},
		{"sequence", func(e *Encoder) error {
			return errors.Join(e.Comment("hi"), e.Data([]byte("1")), e.Encode(ev("x", "", "2")))
		}, ": hi\n\ndata: 1\n\nevent: x\ndata: 2\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(NewEncoder(&buf)); err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncoderInvalidField(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
	}{
		{"LF in event", ev("a\nb", "", "x")},
		{"CR in event", ev("a\r", "", "x")},
		{"LF in id", ev("", "1\n", "x")},
		{"NUL in id", ev("", "1\x00", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewEncoder(&buf).Encode(tt.ev); err != ErrInvalidField {
				t.Fatalf("got %v, want ErrInvalidField", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q for an invalid event", buf.String())
			}
		})
	}
}

func TestEncoderWriteError(t *testing.T) {
	boom := errors.New("broken pipe")
	e := NewEncoder(errWriter{boom})
	for i, write := range []func() error{
		func() error { return e.Data([]byte("x")) },
		func() error { return e.Comment("x") },
		func() error { return e.Encode(ev("a", "b", "c")) },
	} {
		if err := write(); !errors.Is(err, boom) {
			t.Errorf("call %d: got %v, want %v", i, err, boom)
		}
	}
}

// flushRecorder records the bytes written so far at every flush.
type flushRecorder struct {
	bytes.Buffer
	flushes []string
	err     error
}

func (w *flushRecorder) Flush() error {
	w.flushes = append(w.flushes, w.String())
	return w.err
}

func TestEncoderFlushesEachEvent(t *testing.T) {
	w := &flushRecorder{}
	e := NewEncoder(w)
	if err := errors.Join(e.Data([]byte("1")), e.Comment("c"), e.Encode(ev("x", "", "2"))); err != nil {
		t.Fatal(err)
	}
	want := []string{"data: 1\n\n", "data: 1\n\n: c\n\n", "data: 1\n\n: c\n\nevent: x\ndata: 2\n\n"}
	if diff := cmp.Diff(want, w.flushes); diff != "" {
		t.Errorf("flushes mismatch (-want +got):\n%s", diff)
	}

	w.err = errors.New("flush failed")
	if err := e.Data([]byte("3")); err != w.err {
		t.Errorf("got %v, want the flush error", err)
	}
}

func TestEncoderBufioWriter(t *testing.T) {
	var out bytes.Buffer
	bw := bufio.NewWriterSize(&out, 64<<10)
	if err := NewEncoder(bw).Data([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if out.String() != "data: x\n\n" {
		t.Errorf("bufio.Writer not flushed: underlying writer has %q", out.String())
	}
}

// plainResponseWriter is an http.ResponseWriter that cannot flush.
type plainResponseWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (w *plainResponseWriter) Header() http.Header         { return w.header }
func (w *plainResponseWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *plainResponseWriter) WriteHeader(int)             {}

// failingFlushWriter is an http.ResponseWriter whose flush fails.
type failingFlushWriter struct {
	plainResponseWriter
	err error
}

func (w *failingFlushWriter) FlushError() error { return w.err }

func TestEncoderResponseWriter(t *testing.T) {
	t.Run("recorder", func(t *testing.T) {
		rec := httptest.NewRecorder()
		if err := NewEncoder(rec).Data([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if !rec.Flushed || rec.Body.String() != "data: x\n\n" {
			t.Errorf("flushed=%v body=%q; want flushed event", rec.Flushed, rec.Body.String())
		}
	})
	t.Run("flush not supported", func(t *testing.T) {
		w := &plainResponseWriter{header: http.Header{}}
		if err := http.NewResponseController(w).Flush(); !errors.Is(err, http.ErrNotSupported) {
			t.Fatalf("test writer can flush (%v); the case would prove nothing", err)
		}
		if err := NewEncoder(w).Data([]byte("x")); err != nil {
			t.Fatalf("got %v, want nil (ErrNotSupported is ignored)", err)
		}
		if w.body.String() != "data: x\n\n" {
			t.Errorf("body = %q", w.body.String())
		}
	})
	t.Run("flush error", func(t *testing.T) {
		boom := errors.New("client gone")
		w := &failingFlushWriter{plainResponseWriter{header: http.Header{}}, boom}
		if err := NewEncoder(w).Data([]byte("x")); err != boom {
			t.Errorf("got %v, want %v", err, boom)
		}
	})
}

// TestEncoderHTTPFlush proves that a client receives each event while the
// handler is still blocked before writing the next one.
func TestEncoderHTTPFlush(t *testing.T) {
	proceed := make(chan struct{})
	handlerErr := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		e := NewEncoder(w)
		if err := e.Encode(ev("message", "1", "first")); err != nil {
			handlerErr <- err
			return
		}
		select {
		case <-proceed:
		case <-r.Context().Done():
			handlerErr <- r.Context().Err()
			return
		}
		handlerErr <- e.Encode(ev("message", "2", "second"))
	}))
	defer srv.Close()

	// The request and the first read run in a goroutine: without a flush
	// even the response headers stay in the server's buffer.
	type result struct {
		resp *http.Response
		dec  *Decoder
		ev   Event
		err  error
	}
	first := make(chan result, 1)
	go func() {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			first <- result{err: err}
			return
		}
		d := NewDecoder(resp.Body)
		e, err := d.Next()
		e.Data = bytes.Clone(e.Data)
		first <- result{resp, d, e, err}
	}()
	var (
		resp *http.Response
		d    *Decoder
	)
	select {
	case r := <-first:
		if r.resp != nil {
			resp, d = r.resp, r.dec
			defer resp.Body.Close()
		}
		if r.err != nil {
			close(proceed)
			t.Fatalf("first event: %v", r.err)
		}
		if diff := cmp.Diff(ev("message", "1", "first"), r.ev); diff != "" {
			close(proceed)
			t.Fatalf("first event mismatch (-want +got):\n%s", diff)
		}
	case <-time.After(10 * time.Second):
		close(proceed)
		t.Fatal("first event not received while the handler was blocked: not flushed")
	}

	close(proceed)
	got, err := collect(d)
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Event{ev("message", "2", "second")}, got); diff != "" {
		t.Errorf("rest mismatch (-want +got):\n%s", diff)
	}
	if err := <-handlerErr; err != nil {
		t.Errorf("handler: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestEncoderAllocs(t *testing.T) {
	e := NewEncoder(io.Discard)
	data := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}`)
	allocs := testing.AllocsPerRun(100, func() {
		e.Encode(Event{Event: "message", ID: "1", Data: data})
		e.Comment("ping")
	})
	if allocs != 0 {
		t.Errorf("Encode allocated %v times per event, want 0", allocs)
	}
}
