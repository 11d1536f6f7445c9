// Package anthropic is the dialect.anthropic plugin: it decodes Anthropic Messages API requests
// (POST /v1/messages, also with ?beta=true, and POST /v1/messages/count_tokens) into the
// canonical plugin.Request and renders the canonical event stream and every plugin.Error in the
// shapes the official Anthropic clients expect: one Message object, or the message_start …
// message_stop server-sent event stream.
//
// Policies the Anthropic API leaves to the server:
//
//   - max_tokens is required on /v1/messages and must be at least 1; it is recorded in
//     Request.MaxTokens but not enforced, because the MiMo web upstream ignores output limits.
//     count_tokens requests need no max_tokens.
//   - thinking {type: enabled} turns reasoning on; budget_tokens picks the reasoning effort:
//     below 4096 "low", below 16384 "medium", otherwise "high" (no budget: the upstream's
//     default). {type: adaptive} turns reasoning on without a level.
//   - Server tools (a tools entry whose type is neither absent nor "custom", such as
//     web_search_20250305) are dropped: the gateway cannot run them, and refusing them would
//     break clients that add them opportunistically.
//   - thinking blocks of earlier assistant turns become Message.Reasoning; redacted_thinking
//     blocks are opaque and dropped. Their signatures are not checked.
//   - Model names: the configured aliases first, then `-YYYYMMDD` and `-latest` suffixes are
//     stripped and the aliases are tried again; `claude-*` names containing "opus" map to
//     mimo-v2.5-pro, other `claude-*` names to mimo-v2.5; `mimo-*` names must be among the
//     host's models. Any other name is a 404 not_found_error before the upstream is called.
//   - Stop sequences are applied by the gateway in both modes: the text is cut before the first
//     occurrence, the stop reason is stop_sequence and the upstream call is abandoned.
//   - overloaded and no_account errors are sent as 529 overloaded_error, which Anthropic
//     clients treat as a temporary capacity problem and retry.
//
// A request stage that keeps responses (for GET /v1/messages/{id} or batches) sets MessageHook
// on the exchange before calling next; the dialect calls it with the final Message JSON.
package anthropic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ID is the plugin's registry id.
const ID = "dialect.anthropic"

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Messages) }})
}

// MessageHook, when a request stage sets it on an exchange, is called by WriteStream with the
// final Message object (the JSON of a non-streaming response, also for streamed answers) once
// the answer completed without error. The slice must not be retained after the call returns;
// copy it to keep it.
var MessageHook = plugin.NewKey[func(message []byte)]("anthropic.message_hook")

// Alias maps one client model name to an upstream model.
type Alias struct {
	// From is the client's model name, compared case-insensitively.
	From string `json:"from"`
	// To is the upstream model sent instead.
	To string `json:"to"`
}

// Messages is the Anthropic Messages API dialect.
type Messages struct {
	// Aliases map client model names to upstream models; they take precedence over the
	// built-in claude-* rules.
	Aliases []Alias `json:"aliases,omitempty"`

	models  []string
	catalog *discovery.Catalog // the process's model catalog, when the host shares one
	tok     plugin.Tokenizer
	// newID returns 24 hex digits for message and request ids; tests replace it.
	newID func() string
}

var (
	_ plugin.Dialect     = (*Messages)(nil)
	_ plugin.Provisioner = (*Messages)(nil)
	_ plugin.Validator   = (*Messages)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Messages) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Messages) }}
}

// Provision takes the host's model catalog (or its static model list) and tokenizer.
func (m *Messages) Provision(h plugin.Host) error {
	m.models = h.Settings().Models
	if ch, ok := h.(discovery.CatalogHost); ok {
		m.catalog = ch.Catalog()
	}
	m.tok = h.Tokenizer()
	if m.newID == nil {
		m.newID = randomHex
	}
	return nil
}

// Validate checks the aliases.
func (m *Messages) Validate() error {
	seen := make(map[string]bool, len(m.Aliases))
	for i, a := range m.Aliases {
		if a.From == "" || a.To == "" {
			return fmt.Errorf("aliases[%d]: from and to must not be empty", i)
		}
		k := strings.ToLower(a.From)
		if seen[k] {
			return fmt.Errorf("aliases[%d]: duplicate from %q", i, a.From)
		}
		seen[k] = true
	}
	return nil
}

// Handle decodes the request body into ex.Request and runs the rest of the chain. A path ending
// in /count_tokens is decoded as a token counting request, which needs no max_tokens. An invalid
// body fails with a 400 *plugin.Error naming the parameter; an unknown model with a 404.
func (m *Messages) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	count := ex.HTTP != nil && strings.HasSuffix(ex.HTTP.URL.Path, "/count_tokens")
	req, err := m.decode(ex.Body, count)
	if err != nil {
		return err
	}
	ex.Request = req
	return next(ctx, ex)
}

// Decode decodes a Messages API request body (the body of POST /v1/messages, or the params of a
// batch request) and resolves its model, as Handle does. Errors are *plugin.Error values.
func (m *Messages) Decode(body []byte) (*plugin.Request, error) {
	req, err := m.decode(body, false)
	if err != nil {
		return nil, err
	}
	return req, nil
}

func (m *Messages) decode(body []byte, count bool) (*plugin.Request, *plugin.Error) {
	req, err := decode(body, count)
	if err != nil {
		return nil, err
	}
	if req.UpstreamModel, err = m.resolve(req.Model); err != nil {
		return nil, err
	}
	return req, nil
}

// id returns 24 hex digits.
func (m *Messages) id() string {
	if m.newID != nil {
		return m.newID()
	}
	return randomHex()
}

func randomHex() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// errNil stands in for a nil error so that nothing renders an empty body.
var errNil = errors.New("nil error")
