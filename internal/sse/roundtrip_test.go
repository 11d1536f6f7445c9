package sse

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// randomText returns a short string drawn from pieces that stress framing.
func randomText(r *rand.Rand, pieces []string) string {
	var b strings.Builder
	for range r.IntN(6) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// normalizeEOL rewrites CRLF and CR to LF, as a decoder sees the data.
func normalizeEOL(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// TestRoundTrip encodes random events and checks that decoding returns them
// with line breaks in the data normalized to LF.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	namePieces := []string{"message", "a", " ", ":", "data", "\uFEFF", "你好", "\x00", "\t"}
	dataPieces := append(namePieces, "\n", "\r", "\r\n", "\n\n", `{"type":"text","content":"Hi"}`, strings.Repeat("z", 40))
	for i := range 2000 {
		var want []Event
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		for range r.IntN(5) {
			in := Event{
				Event: randomText(r, namePieces),
				ID:    strings.ReplaceAll(randomText(r, namePieces), "\x00", ""),
				Data:  []byte(randomText(r, dataPieces)),
			}
			if r.IntN(4) == 0 {
				if err := e.Comment(randomText(r, dataPieces)); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Encode(in); err != nil {
				t.Fatalf("Encode(%q): %v", in, err)
			}
			want = append(want, ev(in.Event, in.ID, normalizeEOL(string(in.Data))))
		}
		for _, rd := range []*Decoder{
			NewDecoder(bytes.NewReader(buf.Bytes())),
			newDecoderSize(iotest.OneByteReader(bytes.NewReader(buf.Bytes())), minBufSize),
		} {
			got, err := collect(rd)
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("case %d: round trip of %q (-want +got):\n%s", i, buf.String(), diff)
			}
		}
	}
}

// equalEvent and equalEvents compare cheaply; the fuzzer calls cmp.Diff
// only to report a mismatch, since it is slow under coverage instrumentation.
func equalEvent(a, b Event) bool {
	return a.Event == b.Event && a.ID == b.ID && bytes.Equal(a.Data, b.Data)
}

func equalEvents(a, b []Event) bool {
	return slices.EqualFunc(a, b, equalEvent)
}

func FuzzDecoder(f *testing.F) {
	f.Add([]byte("id:" + mimoID + "\nevent:message\ndata:{\"type\":\"text\",\"content\":\"Hello\"}\n\n"))
	f.Add(mimoStream(1))
	f.Add([]byte("event:dialogId\ndata:{\"content\":\"30193626\"}\n\nevent:message\ndata:{\"type\":\"text\",\"content\":\"<thi\"}\n\n"))
	f.Add([]byte("event:error\r\ndata:{\"type\":\"text\",\"content\":\"服务器繁忙，请稍后再试\"}\r\n\r\n"))
	f.Add([]byte("event: usage\rid: 1\rdata: {\"promptTokens\":12}\r\r: ping\r\rdata:[1,2]"))
	f.Add([]byte("\uFEFFdata\ndata:\ndata:  x\nretry:5\nid:a\x00b\n\nevent:e\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want := refDecode(string(in))
		got, err := collect(NewDecoder(bytes.NewReader(in)))
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if !equalEvents(want, got) {
			t.Fatalf("disagrees with reference (-ref +got):\n%s", cmp.Diff(want, got))
		}
		n := 0
		for _, e := range got {
			n += len(e.Data)
		}
		if n > len(in) {
			t.Fatalf("decoded %d data bytes from %d input bytes", n, len(in))
		}

		small, err := collect(newDecoderSize(iotest.OneByteReader(bytes.NewReader(in)), minBufSize))
		if err != nil {
			t.Fatalf("one-byte reader: %v", err)
		}
		if !equalEvents(got, small) {
			t.Fatalf("one-byte reader and tiny buffer differ (-default +small):\n%s", cmp.Diff(got, small))
		}

		const limit = 8
		d := NewDecoder(bytes.NewReader(in))
		d.SetMaxEventSize(limit)
		bounded, err := collect(d)
		if err != nil && err != ErrEventTooLarge {
			t.Fatalf("bounded: %v", err)
		}
		if err == nil && len(bounded) != len(got) || len(bounded) > len(got) {
			t.Fatalf("bounded decoder returned %d events without error, unbounded %d", len(bounded), len(got))
		}
		for i, e := range bounded {
			if len(e.Data) > limit {
				t.Fatalf("bounded event has %d data bytes, limit %d", len(e.Data), limit)
			}
			if !equalEvent(got[i], e) {
				t.Fatalf("bounded event %d differs (-unbounded +bounded):\n%s", i, cmp.Diff(got[i], e))
			}
		}

		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		for _, e := range got {
			if err := enc.Encode(e); err != nil {
				t.Fatalf("Encode(%q): %v", e, err)
			}
		}
		again, err := collect(NewDecoder(&buf))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !equalEvents(got, again) {
			t.Fatalf("encode(decoded) re-decodes differently (-first +second):\n%s", cmp.Diff(got, again))
		}
	})
}
