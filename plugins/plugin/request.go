package plugin

import (
	"encoding/json"
	"strings"
)

// Role is the author of a message.
type Role string

// Message roles of the canonical request.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// PartKind says what a content part holds.
type PartKind uint8

// Kinds of content parts.
const (
	PartText PartKind = iota
	PartImage
	PartFile
	PartAudio
)

// Part is one piece of message content.
type Part struct {
	// Kind says what the part holds.
	Kind PartKind
	// Text is the text of a PartText.
	Text string
	// MIME is the media type of binary content, such as "image/png".
	MIME string
	// Data holds inline bytes (decoded from base64 or a data URL).
	Data []byte
	// URL is a remote location of the content when it was not sent inline.
	URL string
	// Name is the file name of a PartFile, when the client gave one.
	Name string
}

// ToolCall is one call of a client tool, in a request's history or in a response.
type ToolCall struct {
	// ID identifies the call, such as "call_…"; a tool result refers to it.
	ID string
	// Index is the 0-based position of the call in its response.
	Index int
	// Name is the declared tool name.
	Name string
	// Arguments is a JSON object, encoded.
	Arguments string
}

// Message is one entry of the conversation.
type Message struct {
	// Role is the message's author.
	Role Role
	// Parts is the content, in order.
	Parts []Part
	// Reasoning is earlier reasoning text of an assistant message, when the client sent it back.
	Reasoning string
	// ToolCalls are the calls an assistant message made.
	ToolCalls []ToolCall
	// ToolCallID links a RoleTool message to the call it answers.
	ToolCallID string
	// IsError marks a tool result that reports a failure.
	IsError bool
}

// Text returns the message's text parts joined with sep.
func (m *Message) Text(sep string) string {
	switch len(m.Parts) {
	case 0:
		return ""
	case 1:
		if m.Parts[0].Kind == PartText {
			return m.Parts[0].Text
		}
		return ""
	}
	var b strings.Builder
	first := true
	for _, p := range m.Parts {
		if p.Kind != PartText {
			continue
		}
		if !first {
			b.WriteString(sep)
		}
		b.WriteString(p.Text)
		first = false
	}
	return b.String()
}

// TextMessage returns a message with a single text part.
func TextMessage(role Role, text string) Message {
	return Message{Role: role, Parts: []Part{{Kind: PartText, Text: text}}}
}

// Tool is a function the client declares.
type Tool struct {
	// Name is the function name the model calls.
	Name string
	// Description tells the model what the tool does.
	Description string
	// Parameters is the JSON schema of the arguments object, or nil.
	Parameters json.RawMessage
}

// ToolChoiceMode says whether and how the model must call tools.
type ToolChoiceMode string

// Tool choice modes.
const (
	ToolChoiceAuto     ToolChoiceMode = "auto"
	ToolChoiceNone     ToolChoiceMode = "none"
	ToolChoiceRequired ToolChoiceMode = "required"
	// ToolChoiceFunction forces the tool named by ToolChoice.Name.
	ToolChoiceFunction ToolChoiceMode = "function"
)

// ToolChoice is the client's tool_choice.
type ToolChoice struct {
	// Mode is auto (the zero value means auto), none, required or function.
	Mode ToolChoiceMode
	// Name is the forced tool of ToolChoiceFunction.
	Name string
}

// Request is the canonical form of a client's generation request, shared by all dialects.
type Request struct {
	// Model is the model the client asked for.
	Model string
	// UpstreamModel is the model sent upstream; a dialect or alias stage may set it. Empty means Model.
	UpstreamModel string
	// Messages is the conversation, system messages included.
	Messages []Message
	// Tools are the functions the client declares.
	Tools []Tool
	// ToolChoice says whether and which tools must be called.
	ToolChoice ToolChoice
	// ParallelToolCalls is false when the client allows at most one call per answer.
	ParallelToolCalls bool
	// Stream asks for an event stream instead of one response body.
	Stream bool
	// IncludeUsage asks for a usage report at the end of a stream.
	IncludeUsage bool
	// Thinking asks the upstream for reasoning; ReasoningEffort is the client's level, if any.
	Thinking bool
	// ReasoningEffort is the client's reasoning level ("low", "medium", "high"), if any.
	ReasoningEffort string
	// MaxTokens is the client's output limit, 0 when absent.
	MaxTokens int
	// Temperature is the client's sampling temperature, when given.
	Temperature *float64
	// TopP is the client's nucleus sampling value, when given.
	TopP *float64
	// Stop lists stop sequences applied by the gateway.
	Stop []string
	// User is the client's end-user id, when given.
	User string
}

// TargetModel returns the model to send upstream.
func (r *Request) TargetModel() string {
	if r.UpstreamModel != "" {
		return r.UpstreamModel
	}
	return r.Model
}
