package openai

import (
	"io"
	"net/http"
	"testing"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

const benchRequest = `{"model":"mimo-v2.5-pro","stream":true,"stream_options":{"include_usage":true},"temperature":0.7,
"messages":[
 {"role":"system","content":"You are a helpful assistant. Answer concisely and cite sources when you can."},
 {"role":"user","content":"What is the weather like in Beijing today? I am planning a walk in the afternoon."},
 {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Beijing\"}"}}]},
 {"role":"tool","tool_call_id":"call_1","content":"{\"temp\":21,\"sky\":\"clear\",\"wind\":\"light\"}"},
 {"role":"user","content":[{"type":"text","text":"Great, and what should I wear?"}]}],
"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}`

func BenchmarkDecode(b *testing.B) {
	body := []byte(benchRequest)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// discardWriter is a ResponseWriter that drops the body.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Flush()                      {}

var _ io.Writer = (*discardWriter)(nil)

func BenchmarkStreamEncode(b *testing.B) {
	c := newChat(b, `{}`)
	evs := make([]plugin.Event, 0, 202)
	for range 200 {
		evs = append(evs, plugin.Event{Kind: plugin.EventText, Text: "token "})
	}
	evs = append(evs, plugin.Event{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: 100, CompletionTokens: 200}},
		plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop})
	ex := &plugin.Exchange{Request: &plugin.Request{Model: "mimo-v2.5", Stream: true, IncludeUsage: true}}
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteStream(w, ex, plugin.Events(evs...)); err != nil {
			b.Fatal(err)
		}
	}
}
