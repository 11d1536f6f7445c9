package sse

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkDecoder(b *testing.B) {
	stream := mimoStream(200)
	b.Run("mimo", func(b *testing.B) {
		r := bytes.NewReader(stream)
		d := NewDecoder(r)
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(stream)
			d.Reset(r)
			for {
				if _, err := d.Next(); err != nil {
					break
				}
			}
		}
	})
	b.Run("mimo-new-decoder", func(b *testing.B) {
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		for b.Loop() {
			d := NewDecoder(bytes.NewReader(stream))
			for {
				if _, err := d.Next(); err != nil {
					break
				}
			}
		}
	})
	b.Run("16MiB-line", func(b *testing.B) {
		line := append(append([]byte("data:"), bytes.Repeat([]byte("x"), 16<<20)...), "\n\n"...)
		r := bytes.NewReader(line)
		d := NewDecoder(r)
		b.SetBytes(int64(len(line)))
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(line)
			d.Reset(r)
			if _, err := d.Next(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncoder(b *testing.B) {
	// Decode the realistic stream once and re-encode its events.
	var events []Event
	for e, err := range NewDecoder(bytes.NewReader(mimoStream(200))).All() {
		if err != nil {
			b.Fatal(err)
		}
		e.Data = bytes.Clone(e.Data)
		events = append(events, e)
	}
	var out bytes.Buffer
	e := NewEncoder(&out)
	for _, ev := range events {
		e.Encode(ev)
	}
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	e = NewEncoder(io.Discard)
	for b.Loop() {
		for _, ev := range events {
			if err := e.Encode(ev); err != nil {
				b.Fatal(err)
			}
		}
	}
}
