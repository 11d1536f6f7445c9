package responses

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"
)

// checkSDK parses a non-stream response and the event stream of the same answer with the
// official client's types and checks the stream's invariants: event names equal payload types,
// sequence numbers count from 0, items open and close one at a time with stable ids and
// increasing output indexes, deltas add up to the final text and arguments, and the terminal
// event carries the non-stream response.
func checkSDK(t *testing.T, plain, streamed string) {
	t.Helper()
	var resp responses.Response
	if err := json.Unmarshal([]byte(plain), &resp); err != nil {
		t.Fatalf("Response: %v\n%s", err, plain)
	}
	if resp.Object != "response" || !strings.HasPrefix(resp.ID, "resp_") {
		t.Errorf("response header: object %q id %q", resp.Object, resp.ID)
	}
	if got, want := resp.OutputText(), gjson.Get(plain, "output_text").Str; got != want {
		t.Errorf("SDK OutputText() = %q, output_text = %q", got, want)
	}
	for i, tool := range resp.Tools {
		switch tool.Type {
		case "function":
			if tool.AsFunction().Name == "" {
				t.Errorf("tools[%d]: function without a name", i)
			}
		case "namespace":
			ns := tool.AsNamespace()
			if ns.Name == "" || len(ns.Tools) != len(gjson.Get(plain, "tools."+strconv.Itoa(i)+".tools").Array()) {
				t.Errorf("tools[%d]: namespace %q with %d tools", i, ns.Name, len(ns.Tools))
			}
			for j, fn := range ns.Tools {
				if fn.Type != "function" || fn.AsFunction().Name == "" {
					t.Errorf("tools[%d].tools[%d]: %s %q", i, j, fn.Type, fn.Name)
				}
			}
		default:
			t.Errorf("tools[%d]: echoed type %q", i, tool.Type)
		}
	}

	evs := events(t, streamed)
	var (
		open     *responses.ResponseOutputItemUnion
		openIdx  int64 = -1
		nextIdx  int64
		deltas   = map[string]*strings.Builder{}
		added    = map[string]responses.ResponseOutputItemUnion{}
		terminal *responses.ResponseStreamEventUnion
	)
	for i, raw := range evs {
		var ev responses.ResponseStreamEventUnion
		if err := json.Unmarshal([]byte(raw.data), &ev); err != nil {
			t.Fatalf("event %d: %v\n%s", i, err, raw.data)
		}
		if ev.Type != raw.name {
			t.Errorf("event %d: name %q, type %q", i, raw.name, ev.Type)
		}
		if ev.SequenceNumber != int64(i) {
			t.Errorf("event %d: sequence_number %d", i, ev.SequenceNumber)
		}
		if terminal != nil {
			t.Errorf("event %d (%s) after the terminal event", i, ev.Type)
		}
		switch ev.Type {
		case "response.created", "response.in_progress":
			if i > 1 || ev.Response.Status != "in_progress" || ev.Response.ID != resp.ID {
				t.Errorf("event %d %s: status %q id %q", i, ev.Type, ev.Response.Status, ev.Response.ID)
			}
		case "response.output_item.added":
			if open != nil {
				t.Errorf("event %d: item %s added while %s is open", i, ev.Item.ID, open.ID)
			}
			if ev.OutputIndex != nextIdx {
				t.Errorf("event %d: output_index %d, want %d", i, ev.OutputIndex, nextIdx)
			}
			item := ev.Item
			added[item.ID] = item
			open, openIdx = &item, ev.OutputIndex
			nextIdx++
			deltas[item.ID] = new(strings.Builder)
		case "response.output_item.done":
			if open == nil || ev.Item.ID != open.ID || ev.OutputIndex != openIdx {
				t.Errorf("event %d: done for item %s at %d, open %v", i, ev.Item.ID, ev.OutputIndex, open)
			}
			open = nil
		case "response.output_text.delta", "response.reasoning_summary_text.delta", "response.function_call_arguments.delta":
			if open == nil || ev.ItemID != open.ID || ev.OutputIndex != openIdx {
				t.Errorf("event %d: delta for %s at %d does not match the open item", i, ev.ItemID, ev.OutputIndex)
				continue
			}
			deltas[ev.ItemID].WriteString(ev.Delta)
		case "response.content_part.added", "response.content_part.done", "response.output_text.done",
			"response.reasoning_summary_part.added", "response.reasoning_summary_part.done",
			"response.reasoning_summary_text.done", "response.function_call_arguments.done":
			if open == nil || ev.ItemID != open.ID || ev.OutputIndex != openIdx {
				t.Errorf("event %d: %s for %s does not match the open item", i, ev.Type, ev.ItemID)
			}
		case "response.completed", "response.incomplete", "response.failed":
			terminal = &ev
		default:
			t.Errorf("event %d: unexpected type %q", i, ev.Type)
		}
	}
	if terminal == nil {
		t.Fatal("no terminal event")
	}
	if open != nil {
		t.Errorf("item %s never closed", open.ID)
	}
	final := gjson.Get(evs[len(evs)-1].data, "response").Raw
	if final != strings.TrimSuffix(plain, "\n") {
		t.Errorf("terminal response differs from the non-stream response:\n%s\n%s", final, plain)
	}
	jsonFormat := strings.HasPrefix(terminal.Response.Text.Format.Type, "json")
	for _, item := range terminal.Response.Output {
		got := deltas[item.ID]
		if got == nil {
			t.Errorf("output item %s was not streamed", item.ID)
			continue
		}
		var want string
		switch item.Type {
		case "message":
			if jsonFormat {
				continue // the final text is cleaned; the deltas are as produced
			}
			for _, c := range item.Content {
				want += c.Text
			}
		case "reasoning":
			for _, s := range item.Summary {
				want += s.Text
			}
		case "function_call":
			want = item.Arguments.OfString
			if item.CallID == "" || item.Name == "" {
				t.Errorf("function_call %s without call_id or name", item.ID)
			}
			// A namespaced call names its tool the same way from the first event on.
			fc, first := item.AsFunctionCall(), added[item.ID].AsFunctionCall()
			if fc.Namespace != first.Namespace || fc.Name != first.Name || fc.CallID != first.CallID {
				t.Errorf("function_call %s: added as %s/%s %s, completed as %s/%s %s", item.ID,
					first.Namespace, first.Name, first.CallID, fc.Namespace, fc.Name, fc.CallID)
			}
			if fc.JSON.Namespace.Valid() && fc.Namespace == "" {
				t.Errorf("function_call %s: empty namespace", item.ID)
			}
		}
		if got.String() != want {
			t.Errorf("item %s: deltas %q, final %q", item.ID, got.String(), want)
		}
	}
}
