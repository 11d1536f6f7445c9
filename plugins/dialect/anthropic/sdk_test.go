package anthropic

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/internal/sse"
)

// sseEvent is one decoded event of a rendered stream.
type sseEvent struct {
	name string
	data string
}

func decodeSSE(t *testing.T, body string) []sseEvent {
	t.Helper()
	dec := sse.NewDecoder(strings.NewReader(body))
	var out []sseEvent
	for {
		ev, err := dec.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("decode stream: %v", err)
		}
		out = append(out, sseEvent{ev.Event, string(ev.Data)})
	}
}

// checkGrammar checks the Anthropic event grammar: message_start, at least one ping, blocks
// opened with increasing indexes and closed before the next opens, deltas matching their
// block's type, then message_delta and message_stop, or an error event as the last event.
func checkGrammar(evs []sseEvent) error {
	if len(evs) < 2 || evs[0].name != "message_start" || evs[1].name != "ping" {
		return fmt.Errorf("stream must open with message_start and ping")
	}
	open, next, state := "", 0, "blocks"
	for i, ev := range evs {
		var v struct {
			Type         string `json:"type"`
			Index        *int   `json:"index"`
			ContentBlock struct {
				Type string `json:"type"`
			} `json:"content_block"`
			Delta struct {
				Type string `json:"type"`
			} `json:"delta"`
		}
		if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
			return fmt.Errorf("event %d: %v", i, err)
		}
		if v.Type != ev.name {
			return fmt.Errorf("event %d: name %q but type %q", i, ev.name, v.Type)
		}
		if state == "done" {
			return fmt.Errorf("event %d (%s) after the end", i, ev.name)
		}
		switch ev.name {
		case "message_start", "ping":
			if i > 1 && ev.name == "message_start" {
				return fmt.Errorf("second message_start")
			}
		case "content_block_start":
			if open != "" || state != "blocks" || v.Index == nil || *v.Index != next {
				return fmt.Errorf("event %d: block start with %q open, index %v, want %d", i, open, v.Index, next)
			}
			open = v.ContentBlock.Type
		case "content_block_delta":
			want := map[string]string{"text_delta": "text", "thinking_delta": "thinking", "signature_delta": "thinking", "input_json_delta": "tool_use"}[v.Delta.Type]
			if v.Index == nil || *v.Index != next || open != want {
				return fmt.Errorf("event %d: %s delta for block %v (%q open)", i, v.Delta.Type, v.Index, open)
			}
		case "content_block_stop":
			if v.Index == nil || *v.Index != next || open == "" {
				return fmt.Errorf("event %d: stop of block %v", i, v.Index)
			}
			open, next = "", next+1
		case "message_delta":
			if open != "" || next == 0 {
				return fmt.Errorf("event %d: message_delta with block %q open or no block", i, open)
			}
			state = "delta"
		case "message_stop":
			if state != "delta" {
				return fmt.Errorf("message_stop without message_delta")
			}
			state = "done"
		case "error":
			if open != "" {
				return fmt.Errorf("error with block %q open", open)
			}
			state = "done"
		default:
			return fmt.Errorf("unknown event %q", ev.name)
		}
	}
	if state != "done" {
		return fmt.Errorf("stream did not end with message_stop or error")
	}
	return nil
}

// TestSDKAccumulate renders every golden case in both modes, accumulates the stream with the
// official SDK and compares the result with the SDK's parse of the non-streaming Message.
func TestSDKAccumulate(t *testing.T) {
	m := newMessages(t, `{}`)
	for _, c := range loadGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			_, streamBody := c.run(t, m, true)
			evs := decodeSSE(t, streamBody)
			if err := checkGrammar(evs); err != nil {
				t.Fatalf("grammar: %v\n%s", err, streamBody)
			}
			var acc sdk.Message
			var streamErr string
			for _, ev := range evs {
				if ev.name == "error" {
					streamErr = ev.data
					break
				}
				var u sdk.MessageStreamEventUnion
				if err := json.Unmarshal([]byte(ev.data), &u); err != nil {
					t.Fatalf("sdk cannot parse %s: %v", ev.data, err)
				}
				if err := acc.Accumulate(u); err != nil {
					t.Fatalf("accumulate %s: %v", ev.data, err)
				}
			}

			status, body := c.run(t, m, false)
			if streamErr != "" {
				var e sdk.Error
				if err := e.UnmarshalJSON([]byte(streamErr)); err != nil || e.Type() == "" {
					t.Errorf("stream error %s: type %q, %v", streamErr, e.Type(), err)
				}
				if status < 400 {
					t.Errorf("non-streaming status %d for a failing stream", status)
				}
				return
			}
			var msg sdk.Message
			if err := json.Unmarshal([]byte(body), &msg); err != nil {
				t.Fatalf("sdk cannot parse %s: %v", body, err)
			}
			if msg.ID == "" || msg.StopReason == "" || len(msg.Content) == 0 {
				t.Errorf("incomplete message %s", body)
			}
			for _, b := range msg.Content {
				if b.Type == "thinking" && b.Signature == "" {
					t.Errorf("thinking block without signature")
				}
			}
			if diff := cmp.Diff(summary(msg), summary(acc)); diff != "" {
				t.Errorf("accumulated stream differs from the message (-message +stream):\n%s", diff)
			}
			if !json.Valid([]byte(acc.RawJSON())) {
				t.Errorf("accumulated raw JSON is invalid: %s", acc.RawJSON())
			}
		})
	}
}

// messageSummary is the comparable content of an SDK Message.
type messageSummary struct {
	ID, Model, StopReason, StopSequence string
	Input, Output                       int64
	Blocks                              []blockSummary
}

type blockSummary struct {
	Type, Text, Thinking, Signature, ID, Name, Input string
}

func summary(m sdk.Message) messageSummary {
	s := messageSummary{ID: m.ID, Model: string(m.Model), StopReason: string(m.StopReason), StopSequence: m.StopSequence,
		Input: m.Usage.InputTokens, Output: m.Usage.OutputTokens}
	for _, b := range m.Content {
		bs := blockSummary{Type: b.Type, Text: b.Text, Thinking: b.Thinking, Signature: b.Signature, ID: b.ID, Name: b.Name}
		if b.Type == "tool_use" {
			var v any
			if err := json.Unmarshal(b.Input, &v); err != nil {
				bs.Input = "invalid: " + string(b.Input)
			} else {
				norm, _ := json.Marshal(v)
				bs.Input = string(norm)
			}
		}
		s.Blocks = append(s.Blocks, bs)
	}
	return s
}
