package plugin

import (
	"context"
	"net/http"
)

// Plugin is implemented by every plugin value. Its behaviour comes from the role interfaces
// [Stage], [Terminal] and [Filter], and the optional life-cycle interfaces [Provisioner],
// [Validator] and [CleanerUpper].
type Plugin interface {
	// PluginInfo returns the registry entry of the plugin.
	PluginInfo() Info
}

// Next runs the rest of a chain: the following request stages, the terminal and the response
// stages. When it returns nil, ex.Response holds the response; a stream has already yielded its
// first event successfully, so a failure before the first byte comes back as Next's error and a
// stage may call Next again (for example on another account).
type Next func(ctx context.Context, ex *Exchange) error

// Stage is a request stage: it sits before the terminal and may act before and after next.
type Stage interface {
	Plugin
	Handle(ctx context.Context, ex *Exchange, next Next) error
}

// Terminal produces the response of a chain: it sets ex.Response.Events or ex.Response.Body.
// A chain has exactly one terminal.
type Terminal interface {
	Plugin
	Call(ctx context.Context, ex *Exchange) error
}

// Filter is a response stage: it transforms the event stream produced by the terminal. Filters
// run in the order the chain lists them. A filter must not range over s more than once.
type Filter interface {
	Plugin
	Filter(ctx context.Context, ex *Exchange, s Stream) Stream
}

// Dialect decodes requests of one client API family and renders responses and errors in its
// shape. A dialect is also a request stage (it decodes ex.Body into ex.Request); the runtime
// finds the dialect of a chain when it compiles the chain, so even stages placed before it
// report errors in the client's shape.
type Dialect interface {
	Stage
	// WriteError writes err as a complete HTTP response; nothing has been committed yet.
	WriteError(w http.ResponseWriter, ex *Exchange, err *Error)
	// WriteStream writes the response events: as the API's event stream when the client asked for
	// streaming, otherwise aggregated into one body. Errors yielded by s after the first event are
	// rendered in the dialect's in-stream error form (or as an error response when non-streaming
	// and nothing was written yet).
	WriteStream(w http.ResponseWriter, ex *Exchange, s Stream) error
}

// Provisioner is implemented by plugins that need dependencies from the host.
type Provisioner interface {
	Provision(h Host) error
}

// Validator is implemented by plugins that check their configuration after provisioning.
type Validator interface {
	Validate() error
}

// CleanerUpper is implemented by plugins that hold resources. Cleanup is called when a later
// life-cycle step fails and when the configuration the plugin belongs to is replaced.
type CleanerUpper interface {
	Cleanup() error
}
