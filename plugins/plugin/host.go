package plugin

import (
	"context"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/trace"
)

// Host gives plugins their dependencies. Plugins receive it in Provision and never reach for
// globals.
type Host interface {
	// Logger returns a logger whose records carry the plugin id.
	Logger(id string) *slog.Logger
	// Tracer returns the process tracer.
	Tracer() trace.Tracer
	// HTTPClient returns the shared, pooled HTTP client for upstream calls.
	HTTPClient() *http.Client
	// Accounts returns the shared upstream account pool.
	Accounts() AccountPool
	// Tokenizer returns the shared token counter.
	Tokenizer() Tokenizer
	// Settings returns the deployment settings.
	Settings() Settings
}

// Settings are deployment-wide values plugins may default to.
type Settings struct {
	// UpstreamURL is the MiMo base URL, such as "https://aistudio.xiaomimimo.com".
	UpstreamURL string
	// APIKeys are the client API keys accepted by default.
	APIKeys []string
	// DataDir is where stores keep their files.
	DataDir string
	// Models lists the model ids served, in order; the first is the default.
	Models []string
}

// Tokenizer counts tokens.
type Tokenizer interface {
	// Count returns the number of tokens of text.
	Count(text string) int
}

// AccountPool is the shared set of upstream accounts and their health.
type AccountPool interface {
	// Accounts returns every account, in configuration order.
	Accounts() []*Account
	// Acquire takes an in-flight slot on an account chosen by pick among the usable accounts,
	// skipping those in exclude. It waits (bounded, cancellable by ctx) while all are busy.
	Acquire(ctx context.Context, pick Picker, exclude []*Account) (*Lease, error)
}

// Picker chooses one account among candidates (never empty); selector plugins provide it.
type Picker func(candidates []*Account) *Account

// Lease is an in-flight slot on an account. Release must be called exactly once.
type Lease struct {
	// Account is the leased account.
	Account *Account
	release func(err error)
}

// NewLease returns a lease whose Release calls release; for pool implementations.
func NewLease(a *Account, release func(err error)) *Lease {
	return &Lease{Account: a, release: release}
}

// Release frees the slot and reports the attempt's outcome (nil for success) to the pool.
func (l *Lease) Release(err error) {
	if l.release != nil {
		l.release(err)
		l.release = nil
	}
}
