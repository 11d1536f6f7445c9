package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecoderFraming(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Event
	}{
		{"mimo no space", "id:" + mimoID + "\nevent:message\ndata:{\"type\":\"text\",\"content\":\"Hello\"}\n\n",
			[]Event{ev("message", mimoID, `{"type":"text","content":"Hello"}`)}},
		{"space after colon", "event: usage\nid: 7\ndata: {\"a\":1}\n\n", []Event{ev("usage", "7", `{"a":1}`)}},
		{"only one space stripped", "data:  x \n\n", []Event{ev("", "", "  x "[1:])}},
		{"CRLF", "event:a\r\ndata:1\r\n\r\ndata:2\r\n\r\n", []Event{ev("a", "", "1"), ev("", "", "2")}},
		{"lone CR", "event:a\rdata:1\r\rdata:2\r\r", []Event{ev("a", "", "1"), ev("", "", "2")}},
		{"mixed endings", "data:1\r\ndata:2\rdata:3\n\r\n", []Event{ev("", "", "1\n2\n3")}},
		{"CR CR LF is two lines", "data:1\r\r\ndata:2\n\n", []Event{ev("", "", "1"), ev("", "", "2")}},
		{"multi-line data", "data:a\ndata:\ndata: c\n\n", []Event{ev("", "", "a\n\nc")}},
		{"comments skipped", ": ping\n\ndata:x\n:mid\ndata:y\n\n:\n\n", []Event{ev("", "", "x\ny")}},
		{"last event name wins", "event:a\nevent:b\ndata:x\n\n", []Event{ev("b", "", "x")}},
		{"id per event", "id:1\ndata:a\n\ndata:b\n\nid:\ndata:c\n\n",
			[]Event{ev("", "1", "a"), ev("", "", "b"), ev("", "", "c")}},
		{"id with NUL ignored", "id:1\nid:2\x003\ndata:a\n\n", []Event{ev("", "1", "a")}},
		{"colon in value", "data:a:b: c\n\n", []Event{ev("", "", "a:b: c")}},
		{"empty data", "data:\n\n", []Event{ev("", "", "")}},
		{"field without colon", "data\n\ndata\ndata\n\n", []Event{ev("", "", ""), ev("", "", "\n")}},
		{"event without data", "event:ping\n\n", []Event{ev("ping", "", "")}},
		{"id only not dispatched", "id:1\n\ndata:x\n\n", []Event{ev("", "", "x")}},
		{"retry and unknown ignored", "retry:10\nfoo:bar\n data:x\nDATA:y\ndata:z\n\n", []Event{ev("", "", "z")}},
		{"blank lines between events", "\n\n\ndata:1\n\n\n\r\n\rdata:2\n\n\n", []Event{ev("", "", "1"), ev("", "", "2")}},
		{"missing blank line at EOF", "data:1\n\ndata:2\n", []Event{ev("", "", "1"), ev("", "", "2")}},
		{"missing newline at EOF", "event:a\ndata:{\"x\":", []Event{ev("a", "", `{"x":`)}},
		{"CR at EOF", "data:x\r", []Event{ev("", "", "x")}},
		{"event name without data at EOF", "data:1\n\nevent:a\nid:2", []Event{ev("", "", "1")}},
		{"empty input", "", nil},
		{"only comments", ": a\n: b\n", nil},
		{"byte order mark", "\uFEFFdata:1\n\n\uFEFFdata:2\n\n", []Event{ev("", "", "1")}},
		{"NUL and UTF-8 kept", "data:\x00你好\n\n", []Event{ev("", "", "\x00你好")}},
		{"long lines", "event:" + strings.Repeat("e", 100) + "\nid:" + strings.Repeat("i", 50) +
			"\n: " + strings.Repeat("c", 70) + "\n" + strings.Repeat("u", 40) + ":x\ndata: " + strings.Repeat("d", 90) + "\n\n",
			[]Event{ev(strings.Repeat("e", 100), strings.Repeat("i", 50), strings.Repeat("d", 90))}},
	}
	for _, tt := range tests {
		for _, rd := range readers() {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				got, err := collect(rd.dec(tt.in))
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("events mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(refDecode(tt.in), got); diff != "" {
					t.Errorf("disagrees with reference decoder (-ref +got):\n%s", diff)
				}
			})
		}
	}
}

func TestDecoderLargeLine(t *testing.T) {
	payload := bytes.Repeat([]byte(`{"type":"text","content":"0123456789abcdef"},`), (16<<20)/43+1)[:16<<20]
	for _, eol := range []string{"\n", "\r\n", "\r"} {
		in := io.MultiReader(strings.NewReader("event:big\ndata:"), bytes.NewReader(payload),
			strings.NewReader(eol+eol+"data:after"+eol+eol))
		d := NewDecoder(in)
		e, err := d.Next()
		if err != nil {
			t.Fatalf("eol %q: Next: %v", eol, err)
		}
		if e.Event != "big" || !bytes.Equal(e.Data, payload) {
			t.Fatalf("eol %q: got event %q with %d data bytes, want %q with %d", eol, e.Event, len(e.Data), "big", len(payload))
		}
		if e, err = d.Next(); err != nil || string(e.Data) != "after" {
			t.Fatalf("eol %q: second event = %q, %v; want \"after\", nil", eol, e.Data, err)
		}
		if _, err := d.Next(); err != io.EOF {
			t.Fatalf("eol %q: got %v, want io.EOF", eol, err)
		}
	}
}

// endless yields "data:" followed by an endless line of x.
type endless struct{ started bool }

func (r *endless) Read(p []byte) (int, error) {
	if !r.started {
		r.started = true
		return copy(p, "data:"), nil
	}
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestDecoderBound(t *testing.T) {
	const limit = 1024
	x := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name    string
		in      string
		want    []Event
		wantErr error
	}{
		{"at bound", "data:" + x(limit) + "\n\n", []Event{ev("", "", x(limit))}, nil},
		{"over bound", "data:1\n\ndata:" + x(limit+1) + "\n\ndata:2\n\n", []Event{ev("", "", "1")}, ErrEventTooLarge},
		{"joined lines over bound", "data:" + x(limit/2) + "\ndata:" + x(limit/2) + "\n\n", nil, ErrEventTooLarge},
		{"over bound at EOF", "data:" + x(limit+1), nil, ErrEventTooLarge},
		{"long event name", "event:" + x(limit+1) + "\ndata:1\n\n", nil, ErrEventTooLarge},
		{"long id", "id:" + x(limit+1) + "\ndata:1\n\n", nil, ErrEventTooLarge},
		{"long comment is fine", ":" + x(4*limit) + "\ndata:1\n\n", []Event{ev("", "", "1")}, nil},
		{"long unknown field is fine", x(4*limit) + ":y\ndata:1\n\n", []Event{ev("", "", "1")}, nil},
	}
	for _, tt := range tests {
		for _, rd := range readers() {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				d := rd.dec(tt.in)
				d.SetMaxEventSize(limit)
				got, err := collect(d)
				if err != tt.wantErr {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("events mismatch (-want +got):\n%s", diff)
				}
				if tt.wantErr != nil {
					if _, err := d.Next(); err != tt.wantErr {
						t.Errorf("error is not sticky: second Next returned %v", err)
					}
				}
			})
		}
	}

	t.Run("endless line", func(t *testing.T) {
		const limit = 1 << 20
		d := NewDecoder(&endless{})
		d.SetMaxEventSize(limit)
		if _, err := d.Next(); err != ErrEventTooLarge {
			t.Fatalf("got %v, want ErrEventTooLarge", err)
		}
		if cap(d.data) > limit {
			t.Errorf("buffered %d bytes, bound is %d", cap(d.data), limit)
		}
	})
	t.Run("non-positive restores default", func(t *testing.T) {
		d := NewDecoder(strings.NewReader(""))
		d.SetMaxEventSize(10)
		d.SetMaxEventSize(0)
		if d.max != DefaultMaxEventSize {
			t.Errorf("max = %d, want %d", d.max, DefaultMaxEventSize)
		}
	})
}

func TestDecoderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data:1\n\ndata:2\n"), &failingReader{boom})
	d := NewDecoder(r)
	got, err := collect(d)
	if err != boom {
		t.Fatalf("got error %v, want %v", err, boom)
	}
	if diff := cmp.Diff([]Event{ev("", "", "1")}, got); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	if _, err := d.Next(); err != boom {
		t.Errorf("error is not sticky: got %v", err)
	}
}

type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestDecoderNoProgress(t *testing.T) {
	if _, err := NewDecoder(zeroReader{}).Next(); err != io.ErrNoProgress {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

// TestDecoderDoesNotReadAhead proves that an event is returned as soon as
// its blank line arrives, even when that line ends in a lone CR and the
// upstream then goes quiet.
func TestDecoderDoesNotReadAhead(t *testing.T) {
	for _, frame := range []string{"data:1\n\n", "data:1\r\n\r\n", "data:1\r\r"} {
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte(frame))
			pw.Write([]byte("\ndata:2\n\n")) // a leading LF after a lone CR is a blank line
			pw.Close()
		}()
		d := NewDecoder(pr)
		done := make(chan Event, 1)
		go func() {
			e, _ := d.Next()
			e.Data = bytes.Clone(e.Data)
			done <- e
		}()
		select {
		case e := <-done:
			if string(e.Data) != "1" {
				t.Fatalf("frame %q: got %q, want %q", frame, e.Data, "1")
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %q: Next blocked waiting for more input", frame)
		}
		got, err := collect(d)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]Event{ev("", "", "2")}, got); diff != "" {
			t.Errorf("frame %q: rest mismatch (-want +got):\n%s", frame, diff)
		}
	}
}

func TestDecoderAll(t *testing.T) {
	in := "data:1\n\ndata:2\n\ndata:3\n\n"
	var got []string
	for e, err := range NewDecoder(strings.NewReader(in)).All() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(e.Data))
		if len(got) == 2 {
			break
		}
	}
	if diff := cmp.Diff([]string{"1", "2"}, got); diff != "" {
		t.Errorf("early break mismatch (-want +got):\n%s", diff)
	}

	boom := errors.New("boom")
	var errs []error
	for _, err := range NewDecoder(io.MultiReader(strings.NewReader(in), &failingReader{boom})).All() {
		errs = append(errs, err)
	}
	if diff := cmp.Diff([]error{nil, nil, nil, boom}, errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}

func TestDecoderReset(t *testing.T) {
	// The first stream is cut in the middle of an event: none of its state
	// may leak into the next stream.
	d := NewDecoder(io.MultiReader(strings.NewReader("event:a\nid:1\ndata:part"), &failingReader{io.ErrUnexpectedEOF}))
	d.SetMaxEventSize(100)
	if _, err := d.Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
	}
	d.Reset(strings.NewReader("data:x\n\n"))
	got, err := collect(d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Event{ev("", "", "x")}, got); diff != "" {
		t.Errorf("after Reset (-want +got):\n%s", diff)
	}
	if d.max != 100 {
		t.Errorf("Reset changed the bound to %d", d.max)
	}
}

func TestDecoderAllocs(t *testing.T) {
	stream := mimoStream(200)
	r := bytes.NewReader(stream)
	d := NewDecoder(r)
	events := 0
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(stream)
		d.Reset(r)
		events = 0
		for {
			if _, err := d.Next(); err != nil {
				break
			}
			events++
		}
	})
	if events != 206 {
		t.Fatalf("decoded %d events, want 206", events)
	}
	if allocs != 0 {
		t.Errorf("decoding a stream of %d events allocated %v times, want 0", events, allocs)
	}
}
