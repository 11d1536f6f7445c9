package responses

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/internal/sse"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

const testTime = 1760000000

// newDialect loads the dialect with deterministic ids ("<prefix>test<n>") and a fixed clock.
func newDialect(t testing.TB) *Responses {
	t.Helper()
	d := plugintest.Load[*Responses](t, plugintest.NewHost(t), ID, `{}`)
	var (
		mu sync.Mutex
		n  int
	)
	d.newID = func(prefix string) string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("%stest%04d", prefix, n)
	}
	d.now = func() time.Time { return time.Unix(testTime, 0) }
	return d
}

// run decodes body with d, replays evs as the terminal and renders the result.
func run(t testing.TB, d *Responses, body string, evs plugin.Stream) (*http.Response, string) {
	t.Helper()
	ex := plugintest.NewExchange("/v1/responses", body)
	err := d.Handle(t.Context(), ex, func(_ context.Context, ex *plugin.Exchange) error {
		ex.Response.Events = evs
		return nil
	})
	resp := plugintest.Write(t, d, ex, err)
	return resp, plugintest.Body(t, resp)
}

// sseEvent is one decoded server-sent event of a response stream.
type sseEvent struct {
	name string
	data string
}

// events decodes an SSE body.
func events(t testing.TB, body string) []sseEvent {
	t.Helper()
	dec := sse.NewDecoder(strings.NewReader(body))
	var out []sseEvent
	for ev, err := range dec.All() {
		if err != nil {
			t.Fatalf("decode SSE: %v", err)
		}
		out = append(out, sseEvent{name: ev.Event, data: string(ev.Data)})
	}
	return out
}

func text(s string) plugin.Event      { return plugin.Event{Kind: plugin.EventText, Text: s} }
func reasoning(s string) plugin.Event { return plugin.Event{Kind: plugin.EventReasoning, Text: s} }
func finish(r plugin.FinishReason) plugin.Event {
	return plugin.Event{Kind: plugin.EventFinish, Finish: r}
}
func usage(p, c, r int) plugin.Event {
	return plugin.Event{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: p, CompletionTokens: c, ReasoningTokens: r}}
}
func toolCall(id, name, args string) plugin.Event {
	return plugin.Event{Kind: plugin.EventToolCall, Call: &plugin.ToolCall{ID: id, Name: name, Arguments: args}}
}

// failAfter yields evs, then err.
func failAfter(err error, evs ...plugin.Event) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		for _, ev := range evs {
			if !yield(ev, nil) {
				return
			}
		}
		yield(plugin.Event{}, err)
	}
}
