package mimo

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// body is an upstream body that records whether it was closed.
type body struct {
	io.Reader
	closed atomic.Bool
}

func newBody(s string) *body { return &body{Reader: strings.NewReader(s)} }

func (b *body) Close() error { b.closed.Store(true); return nil }

// frames renders deltas as a message-event stream; finish adds usage and a finish event.
func frames(finish bool, deltas ...string) string {
	var b strings.Builder
	for _, d := range deltas {
		c, err := json.Marshal(d)
		if err != nil {
			panic(err)
		}
		b.WriteString("event:message\ndata:{\"type\":\"text\",\"content\":")
		b.Write(c)
		b.WriteString("}\n\n")
	}
	if finish {
		b.WriteString("event:usage\ndata:{\"promptTokens\":1,\"completionTokens\":2,\"totalTokens\":3}\n\n")
		b.WriteString("event:finish\ndata:{\"content\":\"[DONE]\"}\n\n")
	}
	return b.String()
}

// result is a collected stream.
type result struct {
	text, reasoning string
	usage           *plugin.Usage
	kinds           []plugin.EventKind
	err             error
}

func collect(t testing.TB, s plugin.Stream) result {
	t.Helper()
	var r result
	var text, reasoning strings.Builder
	for ev, err := range s {
		if err != nil {
			r.err = err
			break
		}
		if r.kinds != nil && r.kinds[len(r.kinds)-1] == plugin.EventFinish {
			t.Fatalf("event %v after finish", ev.Kind)
		}
		r.kinds = append(r.kinds, ev.Kind)
		switch ev.Kind {
		case plugin.EventText:
			if ev.Text == "" {
				t.Errorf("empty text event")
			}
			text.WriteString(ev.Text)
		case plugin.EventReasoning:
			if ev.Text == "" {
				t.Errorf("empty reasoning event")
			}
			reasoning.WriteString(ev.Text)
		case plugin.EventUsage:
			r.usage = ev.Usage
		}
	}
	r.text, r.reasoning = text.String(), reasoning.String()
	return r
}

// decode runs Events over s and checks that the body was closed.
func decode(t testing.TB, s string) result {
	t.Helper()
	b := newBody(s)
	r := collect(t, Events(b))
	if !b.closed.Load() {
		t.Errorf("body not closed")
	}
	return r
}

func asError(t testing.TB, err error) *plugin.Error {
	t.Helper()
	e, ok := errors.AsType[*plugin.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *plugin.Error", err, err)
	}
	return e
}

// finished reports whether the stream ended with usage then finish.
func finished(r result) bool {
	n := len(r.kinds)
	return r.err == nil && n >= 2 && r.kinds[n-1] == plugin.EventFinish && r.kinds[n-2] == plugin.EventUsage
}
