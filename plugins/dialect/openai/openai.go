// Package openai is the dialect.openai_chat plugin: it decodes OpenAI Chat Completions requests
// (POST /v1/chat/completions) into the canonical plugin.Request and renders the canonical event
// stream and every plugin.Error in the shapes the official OpenAI clients expect, as a
// chat.completion object or as a stream of chat.completion.chunk server-sent events.
package openai

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ID is the plugin's registry id.
const ID = "dialect.openai_chat"

var info = plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Chat) }}

func init() { plugin.Register(info) }

// Reasoning field settings of Chat.ReasoningField.
const (
	ReasoningBoth    = "both"
	ReasoningContent = "reasoning_content"
	ReasoningPlain   = "reasoning"
)

// Chat is the OpenAI Chat Completions dialect.
type Chat struct {
	// ReasoningField names the field that carries reasoning text in stream deltas and in the
	// final message: "reasoning_content" (DeepSeek style), "reasoning" (OpenRouter style) or
	// "both" (the default), which sends the text under both names.
	ReasoningField string `json:"reasoning_field,omitempty"`

	// newID returns a completion id; now returns the creation time. Tests replace them.
	newID func() string
	now   func() time.Time
}

var _ plugin.Dialect = (*Chat)(nil)

// PluginInfo implements plugin.Plugin.
func (*Chat) PluginInfo() plugin.Info { return info }

// Provision implements plugin.Provisioner.
func (c *Chat) Provision(plugin.Host) error {
	if c.ReasoningField == "" {
		c.ReasoningField = ReasoningBoth
	}
	if c.newID == nil {
		c.newID = newCompletionID
	}
	if c.now == nil {
		c.now = time.Now
	}
	return nil
}

// Validate implements plugin.Validator.
func (c *Chat) Validate() error {
	switch c.ReasoningField {
	case ReasoningBoth, ReasoningContent, ReasoningPlain:
		return nil
	}
	return fmt.Errorf("reasoning_field must be %q, %q or %q, not %q",
		ReasoningBoth, ReasoningContent, ReasoningPlain, c.ReasoningField)
}

// Handle decodes the request body into ex.Request and runs the rest of the chain. A body that
// is not a valid Chat Completions request fails with a 400 *plugin.Error naming the parameter.
func (c *Chat) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	req, err := decode(ex.Body)
	if err != nil {
		return err
	}
	ex.Request = req
	return next(ctx, ex)
}

// newCompletionID returns "chatcmpl-" and 24 random hex digits.
func newCompletionID() string {
	var b [12]byte
	rand.Read(b[:])
	return "chatcmpl-" + hex.EncodeToString(b[:])
}
