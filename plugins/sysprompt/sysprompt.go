// Package sysprompt provides prompt.system, a request stage that enforces an operator's system
// prompt on every request of a route, whatever the client sends.
//
//	chain:
//	  - use: auth.apikey
//	  - use: dialect.openai_chat
//	  - use: prompt.system
//	    with: {text: "Answer in French.", position: append}
//	  - use: select.round_robin
//	  - use: upstream.mimo
//
// It edits the canonical request (never the client's raw body), so it works the same for every
// client API. Place it right after the chain's dialect and before prompt.mimoml: that stage adds
// the tool instructions as a trailing system message, which "replace" would otherwise drop.
package sysprompt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ID is the plugin's id in a route's chain.
const ID = "prompt.system"

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Prompt) }})
}

// Positions of the operator's system prompt.
const (
	// Prepend puts the operator's prompt before every message of the client.
	Prepend = "prepend"
	// Append puts the operator's prompt after the client's last system message.
	Append = "append"
	// Replace drops the client's system messages and puts the operator's prompt first.
	Replace = "replace"
)

// Prompt is the prompt.system stage.
type Prompt struct {
	// Text is the operator's system prompt. It is required.
	Text string `json:"text"`
	// Position is where the prompt goes: "prepend" (the default) puts it before the client's
	// messages, "append" right after the client's last system message (first when there is
	// none), and "replace" drops the client's system messages and puts it first.
	Position string `json:"position,omitempty"`
}

var (
	_ plugin.Stage       = (*Prompt)(nil)
	_ plugin.Provisioner = (*Prompt)(nil)
	_ plugin.Validator   = (*Prompt)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Prompt) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Prompt) }}
}

// Provision fills in the default position.
func (p *Prompt) Provision(plugin.Host) error {
	if p.Position == "" {
		p.Position = Prepend
	}
	return nil
}

// Validate refuses an empty prompt and an unknown position.
func (p *Prompt) Validate() error {
	if strings.TrimSpace(p.Text) == "" {
		return errors.New("text is required")
	}
	switch p.Position {
	case Prepend, Append, Replace:
		return nil
	}
	return fmt.Errorf("position %q: want prepend, append or replace", p.Position)
}

// Handle puts the operator's prompt into the canonical request and runs the rest of the chain.
func (p *Prompt) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	if ex.Request == nil {
		return &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal,
			Message: "internal error", Err: errors.New(ID + " runs before the chain's dialect: place it after dialect.*")}
	}
	ex.Request.Messages = p.apply(ex.Request.Messages)
	return next(ctx, ex)
}

// apply returns a new message list holding the operator's prompt; msgs is not modified.
func (p *Prompt) apply(msgs []plugin.Message) []plugin.Message {
	sys := plugin.TextMessage(plugin.RoleSystem, p.Text)
	out := make([]plugin.Message, 0, len(msgs)+1)
	switch p.Position {
	case Append:
		at := 0
		for i := range msgs {
			if msgs[i].Role == plugin.RoleSystem {
				at = i + 1
			}
		}
		out = append(out, msgs[:at]...)
		out = append(out, sys)
		return append(out, msgs[at:]...)
	case Replace:
		out = append(out, sys)
		for _, m := range msgs {
			if m.Role != plugin.RoleSystem {
				out = append(out, m)
			}
		}
		return out
	}
	out = append(out, sys)
	return append(out, msgs...)
}
