// Package conf defines the gateway's configuration: the bootstrap settings, the routes and
// their plugin chains. It loads a configuration directory with kratos config, decodes it
// strictly (a misspelt key is an error, not a silent default) and applies the MIMO_*
// environment overrides.
package conf

import (
	"encoding/json"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Bootstrap is the whole configuration.
type Bootstrap struct {
	// Server configures the HTTP listener.
	Server Server `json:"server"`
	// Upstream configures the MiMo upstream.
	Upstream Upstream `json:"upstream"`
	// Auth holds client credentials.
	Auth Auth `json:"auth"`
	// Accounts are the MiMo web accounts requests are sent with.
	Accounts []Account `json:"accounts"`
	// Pool tunes the account pool.
	Pool Pool `json:"pool"`
	// Data configures local state.
	Data Data `json:"data"`
	// Telemetry configures tracing and metrics.
	Telemetry Telemetry `json:"telemetry"`
	// Models, when not empty, is the static list of model ids served (the first is the
	// default) and turns upstream discovery off.
	Models []string `json:"models"`
	// Discovery configures model discovery (used when Models is empty).
	Discovery Discovery `json:"discovery"`
	// Admin configures the admin API.
	Admin Admin `json:"admin"`
	// Routes are the HTTP routes and their plugin chains.
	Routes []Route `json:"routes"`

	// Source is the path the configuration was loaded from (for reloads).
	Source string `json:"-"`
	// Overlay, when set, is applied again to every reloaded configuration: settings the process
	// decided at start-up (demo mode's simulator, account and key) survive a reload.
	Overlay func(*Bootstrap) `json:"-"`
}

// Discovery configures model discovery.
type Discovery struct {
	// TTL is how long a discovered model list stays fresh (default 10m).
	TTL plugin.Duration `json:"ttl"`
	// Aliases map client model names to upstream model ids, shared by every dialect.
	Aliases []Alias `json:"aliases"`
}

// Alias maps one client model name to an upstream model id.
type Alias struct {
	// From is the name clients send.
	From string `json:"from"`
	// To is the upstream model id.
	To string `json:"to"`
}

// Admin configures the admin API.
type Admin struct {
	// Key is the bearer key of the admin API under /admin/api/; empty disables the API
	// (MIMO_ADMIN_KEY overrides it).
	Key string `json:"key"`
}

// Server configures the HTTP listener.
type Server struct {
	// Addr is the listen address, such as "127.0.0.1:8080".
	Addr string `json:"addr"`
	// ShutdownTimeout bounds the graceful drain of in-flight requests on shutdown.
	ShutdownTimeout plugin.Duration `json:"shutdown_timeout"`
	// MaxBodyBytes bounds request bodies (default 32 MiB).
	MaxBodyBytes int64 `json:"max_body_bytes"`
}

// Upstream configures the MiMo upstream.
type Upstream struct {
	// BaseURL is the MiMo web origin.
	BaseURL string `json:"base_url"`
	// Demo starts the built-in simulator and uses it as the upstream, with a demo account.
	Demo bool `json:"demo"`
	// DemoScenario is the simulator scenario used by default in demo mode.
	DemoScenario string `json:"demo_scenario"`
}

// Auth holds client credentials.
type Auth struct {
	// APIKeys are the accepted client API keys.
	APIKeys []string `json:"api_keys"`
}

// Account is one MiMo web account's cookie triple.
type Account struct {
	// UserID is the userId cookie.
	UserID string `json:"user_id"`
	// ServiceToken is the serviceToken cookie.
	ServiceToken string `json:"service_token"`
	// PH is the xiaomichatbot_ph cookie.
	PH string `json:"xiaomichatbot_ph"`
}

// Pool tunes the account pool.
type Pool struct {
	// MaxInFlight is the per-account limit of concurrent requests (default 2).
	MaxInFlight int `json:"max_in_flight"`
	// MaxWait bounds how long a request waits for a free account (default 30s).
	MaxWait plugin.Duration `json:"max_wait"`
	// Cooldown is the first cooldown of a rate-limited account (default 30s).
	Cooldown plugin.Duration `json:"cooldown"`
	// ProbeInterval, when positive, turns on the periodic health probe: about this often
	// (with jitter) every account that is not disabled is checked with a throw-away
	// conversation, which is deleted afterwards. A success brings an invalid or cooling
	// account back; rejected credentials make it invalid, a restriction disables it. An
	// account serving requests is skipped. 0 (default) turns probes off.
	ProbeInterval plugin.Duration `json:"probe_interval"`
	// ProbeModel is the model the probe asks (default: the catalog's default chat model).
	ProbeModel string `json:"probe_model"`
}

// Data configures local state.
type Data struct {
	// Dir is where local state lives.
	Dir string `json:"dir"`
}

// Telemetry configures tracing and metrics.
type Telemetry struct {
	// Exporter is "none" (default), "stdout" or "otlp" (OTLP over HTTP).
	Exporter string `json:"exporter"`
	// Endpoint is the OTLP/HTTP endpoint, such as "localhost:4318".
	Endpoint string `json:"endpoint"`
	// Insecure disables TLS towards the OTLP endpoint.
	Insecure bool `json:"insecure"`
	// ServiceName names the service in traces (default "mimo2api").
	ServiceName string `json:"service_name"`
	// SampleRatio is the fraction of traces sampled (default 1).
	SampleRatio *float64 `json:"sample_ratio"`
	// Metrics configures the metrics exporter.
	Metrics Metrics `json:"metrics"`
}

// Metrics configures the process's metrics.
type Metrics struct {
	// Exporter is "prometheus" (default: a scrape endpoint on the server's listener at Path),
	// "otlp" (OTLP over HTTP, pushed every minute to the Telemetry endpoint) or "none".
	Exporter string `json:"exporter"`
	// Path is the URL path of the Prometheus scrape endpoint (default "/metrics"). It is
	// served before the routes, so a route on the same path is shadowed.
	Path string `json:"path"`
	// Key, when set, is the bearer key the scrape endpoint requires ("Authorization: Bearer
	// <key>"). Without it the endpoint is open to whoever reaches server.addr.
	Key string `json:"key"`
}

// Route is one HTTP route and its chain.
type Route struct {
	// Name identifies the route in errors, logs and spans.
	Name string `json:"name"`
	// Method is the HTTP method.
	Method string `json:"method"`
	// Path is the URL path, with {name} wildcards as in net/http patterns.
	Path string `json:"path"`
	// Errors names the dialect plugin that renders errors when the chain has no dialect
	// (default "dialect.openai_chat").
	Errors string `json:"errors"`
	// Timeouts bound the route's requests.
	Timeouts Timeouts `json:"timeouts"`
	// Chain lists the plugins, in data-flow order.
	Chain []Entry `json:"chain"`
}

// Timeouts bound a route's requests; zero means no limit.
type Timeouts struct {
	// FirstByte bounds the wait for the first response event.
	FirstByte plugin.Duration `json:"first_byte"`
	// Idle bounds the gap between two response events.
	Idle plugin.Duration `json:"idle"`
	// Total bounds the whole request.
	Total plugin.Duration `json:"total"`
	// Heartbeat, when set, sends the client dialect's keep-alive (an SSE comment, Anthropic's
	// ping) whenever a committed stream has been silent this long. Heartbeats do not reset Idle.
	Heartbeat plugin.Duration `json:"heartbeat"`
}

// Entry is one plugin in a chain.
type Entry struct {
	// Use is the plugin id.
	Use string `json:"use"`
	// With is the plugin's configuration block.
	With json.RawMessage `json:"with"`
}
