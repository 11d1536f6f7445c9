package responses

import (
	"encoding/json"
	"fmt"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// conversationVersion is the version of the stored conversation format. Readers refuse other
// versions rather than misread them.
const conversationVersion = 1

// The stored form of a conversation: a versioned object with explicit member names, so that
// renaming a Go field of the SDK cannot corrupt stored data. Binary data is base64.
type (
	wireConversation struct {
		Version  int           `json:"v"`
		Messages []wireMessage `json:"messages"`
	}
	wireMessage struct {
		Role       plugin.Role `json:"role"`
		Parts      []wirePart  `json:"parts,omitempty"`
		Reasoning  string      `json:"reasoning,omitempty"`
		ToolCalls  []wireCall  `json:"tool_calls,omitempty"`
		ToolCallID string      `json:"tool_call_id,omitempty"`
		IsError    bool        `json:"is_error,omitempty"`
	}
	wirePart struct {
		Kind string `json:"kind"`
		Text string `json:"text,omitempty"`
		MIME string `json:"mime,omitempty"`
		Data []byte `json:"data,omitempty"`
		URL  string `json:"url,omitempty"`
		Name string `json:"name,omitempty"`
	}
	wireCall struct {
		ID        string `json:"id"`
		Index     int    `json:"index"`
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	}
)

// partKinds names the part kinds in the stored form, indexed by plugin.PartKind.
var partKinds = [...]string{plugin.PartText: "text", plugin.PartImage: "image", plugin.PartFile: "file", plugin.PartAudio: "audio"}

// encodeConversation returns the stored form of msgs.
func encodeConversation(msgs []plugin.Message) ([]byte, error) {
	w := wireConversation{Version: conversationVersion, Messages: make([]wireMessage, len(msgs))}
	for i, m := range msgs {
		wm := wireMessage{Role: m.Role, Reasoning: m.Reasoning, ToolCallID: m.ToolCallID, IsError: m.IsError}
		if len(m.Parts) > 0 {
			wm.Parts = make([]wirePart, len(m.Parts))
			for j, p := range m.Parts {
				if int(p.Kind) >= len(partKinds) {
					return nil, fmt.Errorf("message %d part %d: unknown part kind %d", i, j, p.Kind)
				}
				wm.Parts[j] = wirePart{Kind: partKinds[p.Kind], Text: p.Text, MIME: p.MIME, Data: p.Data, URL: p.URL, Name: p.Name}
			}
		}
		if len(m.ToolCalls) > 0 {
			wm.ToolCalls = make([]wireCall, len(m.ToolCalls))
			for j, c := range m.ToolCalls {
				wm.ToolCalls[j] = wireCall(c)
			}
		}
		w.Messages[i] = wm
	}
	return json.Marshal(w)
}

// decodeConversation parses the stored form of a conversation. An empty input is an empty
// conversation.
func decodeConversation(b []byte) ([]plugin.Message, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var w wireConversation
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("stored conversation: %w", err)
	}
	if w.Version != conversationVersion {
		return nil, fmt.Errorf("stored conversation: unknown version %d", w.Version)
	}
	msgs := make([]plugin.Message, len(w.Messages))
	for i, wm := range w.Messages {
		m := plugin.Message{Role: wm.Role, Reasoning: wm.Reasoning, ToolCallID: wm.ToolCallID, IsError: wm.IsError}
		if len(wm.Parts) > 0 {
			m.Parts = make([]plugin.Part, len(wm.Parts))
			for j, p := range wm.Parts {
				kind, ok := partKind(p.Kind)
				if !ok {
					return nil, fmt.Errorf("stored conversation: message %d part %d: unknown kind %q", i, j, p.Kind)
				}
				m.Parts[j] = plugin.Part{Kind: kind, Text: p.Text, MIME: p.MIME, Data: p.Data, URL: p.URL, Name: p.Name}
			}
		}
		if len(wm.ToolCalls) > 0 {
			m.ToolCalls = make([]plugin.ToolCall, len(wm.ToolCalls))
			for j, c := range wm.ToolCalls {
				m.ToolCalls[j] = plugin.ToolCall(c)
			}
		}
		msgs[i] = m
	}
	return msgs, nil
}

// partKind returns the kind named s.
func partKind(s string) (plugin.PartKind, bool) {
	for k, name := range partKinds {
		if name == s {
			return plugin.PartKind(k), true
		}
	}
	return 0, false
}
