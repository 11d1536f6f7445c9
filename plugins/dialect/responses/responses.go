// Package responses is the dialect.openai_responses plugin: it decodes OpenAI Responses API
// requests (POST /v1/responses) into the canonical plugin.Request and renders the canonical
// event stream and every plugin.Error in the shapes the official OpenAI clients expect: one
// response object, or a stream of typed events (event: <type> / data: <json>) with strictly
// increasing sequence numbers that ends with response.completed, response.incomplete or
// response.failed.
//
// Policies where the gateway cannot honour the API exactly:
//
//   - reasoning.effort "none" and "minimal" (and no reasoning object) leave thinking off: the
//     upstream's lowest level still thinks at length. "xhigh" asks for "high"; "low", "medium"
//     and "high" are sent as is. The thinking text arrives as a reasoning item whose summary
//     holds it.
//   - max_output_tokens is validated, recorded and echoed, but the upstream has no output limit.
//   - text.format json_object and json_schema add a system instruction (with the compact schema
//     for json_schema). The final answer text loses a surrounding ``` fence and any prose around
//     the JSON value when that yields valid JSON; in streams the deltas are sent as produced and
//     the .done events and the final response carry the cleaned text. An answer that does not
//     match the schema is still returned as is, with status "completed" (as the API does for a
//     non-strict schema); the mismatch is recorded as a span event and logged.
//   - store is accepted; responses are stored only when a Store is available (see
//     StoreProvider, StoreKey and NewDBStore), and the response echoes "store": true only
//     then. Without a store previous_response_id fails with 400; with one, an unknown id is a
//     404.
//   - background: true runs the response detached from the client (see Responses.background):
//     the answer is the stored response object in status "queued", and the final object
//     replaces it; clients poll GET /v1/responses/{id} (plugin package responsesapi).
//     Background responses cannot be streamed (400) and need a store. A running background
//     response lives in this process only: a restart leaves it "queued" or "in_progress" in
//     the store, where cancelling it marks it "cancelled".
//   - namespace tools ({"type":"namespace","name","description","tools":[…]}, as the Codex CLI
//     sends its sub-agent and MCP tools) are flattened: their function tools join the
//     canonical tool list under their own names, or as "<namespace>.<name>" when another tool
//     has the same name, and the namespace's description is added to each description. A call
//     of such a tool is rendered as a function_call item with "namespace" and the tool's own
//     "name", and function_call items with a "namespace" in the input map back the same way
//     (an undeclared one becomes "<namespace>.<name>"). tool_choice may name one with
//     "name" and an optional "namespace".
//   - hosted tools (web_search and its dated and preview variants, file_search,
//     code_interpreter, image_generation, mcp) run on the API provider's side, which the
//     gateway cannot do. With hosted_tools "ignore" (the default) they are dropped from the
//     request and from the response's tools echo, and recorded as the span event
//     hosted_tools_ignored and a debug log line; a tool_choice naming a hosted tool type (or
//     "required" when every tool was hosted) becomes "auto", recorded as tool_choice_ignored,
//     and the response echoes "auto". With "reject" they fail with 400 unsupported_value.
//     Client-executed special tools (computer_use_preview, local_shell, shell, apply_patch,
//     custom) are always rejected: they need output item types the gateway does not produce.
//   - prompt templates, conversations and item references are rejected with 400 errors
//     naming the field.
//
// # Stored responses
//
// By default (configuration "store": true) the dialect keeps responses in the gateway's
// persistent store when the host offers one (internal/data/store.Host), with the canonical
// conversation as JSON beside the response object. The database is opened at the first
// stored response, not when the dialect is provisioned, so that a configuration check or a
// deployment that never stores anything does not create it; a store that cannot be opened
// fails the requests that need it (a 500 for previous_response_id and background responses, a
// logged warning after an ordinary response was sent), and the next request tries again. A
// host that is a StoreProvider takes precedence, and StoreKey overrides both per exchange.
package responses

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ID is the plugin's registry id.
const ID = "dialect.openai_responses"

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Responses) }})
}

// Responses is the OpenAI Responses API dialect.
type Responses struct {
	// Store keeps responses in the host's store for retrieval and previous_response_id
	// (default true). False disables the host's stores; StoreKey still applies.
	Store *bool `json:"store,omitempty"`
	// BackgroundTimeout bounds a background response (default 30m).
	BackgroundTimeout plugin.Duration `json:"background_timeout,omitempty"`
	// HostedTools is what to do with hosted tools (web_search, file_search, code_interpreter,
	// image_generation, mcp), which the gateway cannot run: "ignore" (the default) drops them,
	// "reject" refuses the request with a 400 error.
	HostedTools string `json:"hosted_tools,omitempty"`

	store Store
	log   *slog.Logger

	// newID returns a new id with the given prefix; now returns the current time. Tests
	// replace them.
	newID func(prefix string) string
	now   func() time.Time
}

var (
	_ plugin.Dialect     = (*Responses)(nil)
	_ plugin.Provisioner = (*Responses)(nil)
	_ plugin.Validator   = (*Responses)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Responses) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Responses) }}
}

// Provision takes the host's logger and, unless Store is false, the host's response store:
// the StoreProvider's, or else the persistent store of a store.Host, opened at first use.
func (d *Responses) Provision(h plugin.Host) error {
	d.log = h.Logger(ID)
	if d.Store == nil || *d.Store {
		if sp, ok := h.(StoreProvider); ok {
			d.store = sp.ResponseStore()
		} else if sh, ok := h.(store.Host); ok {
			d.store = NewDBStore(sh)
		}
	}
	if d.newID == nil {
		d.newID = newID
	}
	if d.now == nil {
		d.now = time.Now
	}
	return nil
}

// Validate checks the configuration.
func (d *Responses) Validate() error {
	if d.BackgroundTimeout < 0 {
		return errors.New("background_timeout must not be negative")
	}
	switch d.HostedTools {
	case "", hostedIgnore, hostedReject:
	default:
		return fmt.Errorf("hosted_tools must be %q or %q, not %q", hostedIgnore, hostedReject, d.HostedTools)
	}
	return nil
}

// callKey carries what the dialect decoded from the request to the rendering of its response.
var callKey = plugin.NewKey[*call]("dialect.openai_responses.call")

// Handle decodes the request body into ex.Request and runs the rest of the chain. A body that
// is not a valid Responses request fails with a 400 *plugin.Error naming the parameter.
func (d *Responses) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	c, err := decode(ex.Body, options{rejectHosted: d.HostedTools == hostedReject})
	if err != nil {
		return err
	}
	d.reportIgnored(ctx, c)
	if ex.HTTP != nil && !c.req.Stream {
		switch ex.HTTP.URL.Query().Get("stream") {
		case "true", "1":
			c.req.Stream = true
		}
	}
	st := d.storeFor(ex)
	if c.previousID != "" {
		prev, err := loadPrevious(ctx, st, c.previousID)
		if err != nil {
			return err
		}
		c.convo = append(append(make([]plugin.Message, 0, len(prev)+len(c.convo)), prev...), c.convo...)
	}
	if c.store {
		c.st = st
	}
	c.finish()
	ex.Request = c.req
	callKey.Set(ex, c)
	if c.background {
		if c.req.Stream {
			return unsupportedParam("background", "background responses cannot be streamed by this gateway; poll GET /v1/responses/{id} instead")
		}
		return d.background(ctx, ex, c, next)
	}
	return next(ctx, ex)
}

// id returns a new id with prefix.
func (d *Responses) id(prefix string) string {
	if d.newID != nil {
		return d.newID(prefix)
	}
	return newID(prefix)
}

// unix returns the current time in Unix seconds.
func (d *Responses) unix() int64 {
	if d.now != nil {
		return d.now().Unix()
	}
	return time.Now().Unix()
}

// newID returns prefix followed by 32 random hex digits.
func newID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
