package mimo

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func FuzzEvents(f *testing.F) {
	for _, s := range []string{
		plainTranscript, reasoningTranscript, toolCallTranscript, errorTranscript,
		frames(true, "<thi", "nk>\x00a(citation:", "1)</think>b"),
		frames(false, "(", "<", "webSearch"),
		"data: {\"type\":\"text\",\"content\":\"\\u0000x\"}\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &body{Reader: bytes.NewReader(data)}
		var last plugin.EventKind
		ended := false
		for ev, err := range Events(b) {
			if ended {
				t.Fatal("value after the end of the stream")
			}
			if err != nil {
				ended = true
				continue
			}
			if last == plugin.EventFinish {
				t.Fatal("event after finish")
			}
			last = ev.Kind
			if (ev.Kind == plugin.EventText || ev.Kind == plugin.EventReasoning) &&
				(ev.Text == "" || strings.IndexByte(ev.Text, 0) >= 0) {
				t.Fatalf("bad %v delta %q", ev.Kind, ev.Text)
			}
		}
		if !b.closed.Load() {
			t.Fatal("body not closed")
		}
	})
}

var _ io.ReadCloser = (*body)(nil)
