package sse

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing/iotest"
)

// ev builds an Event with non-nil Data, the form collect returns.
func ev(name, id, data string) Event {
	return Event{Event: name, ID: id, Data: []byte(data)}
}

// collect decodes every event of d, copying Data (which Next reuses) and
// making it non-nil so that results compare with cmp.Diff.
func collect(d *Decoder) ([]Event, error) {
	var evs []Event
	for e, err := range d.All() {
		if err != nil {
			return evs, err
		}
		e.Data = append([]byte{}, e.Data...)
		evs = append(evs, e)
	}
	return evs, nil
}

// readers returns the ways the tests feed an input to a decoder: each
// splits the input differently and some force the long-line path.
func readers() []struct {
	name string
	dec  func(s string) *Decoder
} {
	return []struct {
		name string
		dec  func(s string) *Decoder
	}{
		{"whole", func(s string) *Decoder { return NewDecoder(strings.NewReader(s)) }},
		{"one-byte", func(s string) *Decoder { return NewDecoder(iotest.OneByteReader(strings.NewReader(s))) }},
		{"half", func(s string) *Decoder { return NewDecoder(iotest.HalfReader(strings.NewReader(s))) }},
		{"data-err", func(s string) *Decoder { return NewDecoder(iotest.DataErrReader(strings.NewReader(s))) }},
		{"tiny-buffer", func(s string) *Decoder { return newDecoderSize(strings.NewReader(s), minBufSize) }},
		{"tiny-buffer-one-byte", func(s string) *Decoder {
			return newDecoderSize(iotest.OneByteReader(strings.NewReader(s)), minBufSize)
		}},
	}
}

// mimoID is the id the MiMo upstream repeats on every event of a stream.
const mimoID = "5f1c0a9e2b7d4c3a8e6f1b2c3d4e5f60"

// mimoStream returns a realistic MiMo upstream answer: a dialogId event,
// n small text deltas (with thinking tags and NUL escapes), usage and finish.
func mimoStream(n int) []byte {
	var b bytes.Buffer
	frame := func(event, data string) {
		fmt.Fprintf(&b, "id:%s\nevent:%s\ndata:%s\n\n", mimoID, event, data)
	}
	frame("dialogId", `{"content":"8170797"}`)
	frame("message", `{"type":"text","content":""}`)
	frame("message", `{"type":"text","content":"<think>\u0000"}`)
	words := []string{"Hello", " there", ",", " 你好", " world", "(citation:1)", " the", " quick", " brown", " fox\n"}
	for i := range n {
		frame("message", fmt.Sprintf(`{"type":"text","content":"%s"}`, words[i%len(words)]))
	}
	frame("message", `{"type":"text","content":"</think>\u0000"}`)
	frame("usage", `{"promptTokens":142,"completionTokens":200,"totalTokens":342,"nativeUsage":{"prompt_tokens":142,"completion_tokens":200,"total_tokens":342}}`)
	frame("finish", `{"type":null,"content":"[DONE]","usage":null}`)
	return b.Bytes()
}

// refDecode is a deliberately naive decoder of a whole input, written
// straight from the parsing rules; the fuzzer checks Decoder against it.
func refDecode(in string) []Event {
	in = strings.TrimPrefix(in, "\uFEFF")
	var lines []string
	for in != "" {
		i := strings.IndexAny(in, "\r\n")
		if i < 0 {
			lines = append(lines, in)
			break
		}
		lines = append(lines, in[:i])
		if strings.HasPrefix(in[i:], "\r\n") {
			i++
		}
		in = in[i+1:]
	}
	var (
		evs         []Event
		data        []string
		name, id    string
		seenData    bool
		dispatchRef = func(atEOF bool) {
			if seenData || (!atEOF && name != "") {
				evs = append(evs, ev(name, id, strings.Join(data, "\n")))
			}
			data, name, id, seenData = nil, "", "", false
		}
	)
	for _, line := range lines {
		if line == "" {
			dispatchRef(false)
			continue
		}
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "data":
			data = append(data, value)
			seenData = true
		case "event":
			name = value
		case "id":
			if !strings.Contains(value, "\x00") {
				id = value
			}
		}
	}
	dispatchRef(true)
	return evs
}

// errWriter fails every write.
type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

var _ io.Writer = errWriter{}
