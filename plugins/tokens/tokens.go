// Package tokens holds the tokens.count terminal, which answers token counting requests such as
// Anthropic's POST /v1/messages/count_tokens without calling the upstream, and Request, the input
// token estimate that dialects also use when the upstream reports no usage.
//
// Counting policy: the host Tokenizer counts the text of every system message, every tool (its
// name, description and JSON schema), and every message's text parts, reasoning, tool calls (name
// and arguments) and tool results. Each message adds MessageOverhead tokens and each tool
// ToolOverhead tokens for the role markers and delimiters the model sees around them; the reply's
// priming adds ReplyOverhead once. Images, audio and files are not counted.
package tokens

import (
	"context"
	"net/http"
	"strconv"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ID is the registry id of the terminal.
const ID = "tokens.count"

// Fixed token costs of the counting policy.
const (
	// MessageOverhead is added per message for its role and delimiters.
	MessageOverhead = 3
	// ToolOverhead is added per declared tool for its framing.
	ToolOverhead = 3
	// ReplyOverhead is added once for the priming of the assistant's reply.
	ReplyOverhead = 3
)

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Count) }})
}

// Count is the tokens.count terminal: it answers {"input_tokens":N} for the request decoded by
// the chain's dialect.
type Count struct {
	// TotalTokens also reports the count as "total_tokens", the field some older clients of the
	// MiMo2API family read.
	TotalTokens bool `json:"total_tokens,omitempty"`

	tok plugin.Tokenizer
}

var (
	_ plugin.Terminal    = (*Count)(nil)
	_ plugin.Provisioner = (*Count)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Count) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Count) }}
}

// Provision takes the host's tokenizer.
func (c *Count) Provision(h plugin.Host) error {
	c.tok = h.Tokenizer()
	return nil
}

// Call counts the input tokens of ex.Request and sets the JSON body of the response.
func (c *Count) Call(_ context.Context, ex *plugin.Exchange) error {
	if ex.Request == nil {
		return &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal,
			Message: "no dialect decoded the request"}
	}
	n := strconv.AppendInt(nil, int64(Request(c.tok, ex.Request)), 10)
	b := make([]byte, 0, 64)
	b = append(b, `{"input_tokens":`...)
	b = append(b, n...)
	if c.TotalTokens {
		b = append(b, `,"total_tokens":`...)
		b = append(b, n...)
	}
	b = append(b, "}\n"...)
	ex.Response.Body = b
	ex.Response.Header = http.Header{"Content-Type": {"application/json"}}
	return nil
}

// Request returns the estimated number of input tokens of r under the package's counting
// policy. A nil tokenizer counts nothing but the fixed overheads.
func Request(tok plugin.Tokenizer, r *plugin.Request) int {
	count := func(s string) int {
		if tok == nil || s == "" {
			return 0
		}
		return tok.Count(s)
	}
	n := ReplyOverhead
	for i := range r.Tools {
		t := &r.Tools[i]
		n += ToolOverhead + count(t.Name) + count(t.Description) + count(string(t.Parameters))
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		n += MessageOverhead + count(m.Reasoning)
		for _, p := range m.Parts {
			if p.Kind == plugin.PartText {
				n += count(p.Text)
			}
		}
		for _, c := range m.ToolCalls {
			n += count(c.Name) + count(c.Arguments)
		}
	}
	return n
}
