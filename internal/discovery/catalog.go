package discovery

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultTTL is how long a discovered list is fresh.
const DefaultTTL = 10 * time.Minute

// retryAfterFailure is the shortest gap between discovery attempts after a failure.
const retryAfterFailure = 30 * time.Second

// Options configure a Catalog.
type Options struct {
	// BaseURL is the upstream origin, such as "https://aistudio.xiaomimimo.com".
	BaseURL string
	// HTTP is the client for discovery calls; nil means http.DefaultClient.
	HTTP *http.Client
	// TTL is how long a discovered list is fresh (default DefaultTTL).
	TTL time.Duration
	// Static, when not empty, is served instead of discovery.
	Static []string
	// Aliases map client names to upstream ids.
	Aliases []Alias
	// Logger receives refresh failures; nil discards them.
	Logger *slog.Logger
}

// Catalog is the cached model list. It is safe for concurrent use and needs no cleanup:
// refreshes run only when a stale list is read.
type Catalog struct {
	opts   Options
	static []Model
	now    func() time.Time

	mu      sync.Mutex
	models  []Model
	byID    map[string]Model
	loaded  bool      // a list was ever obtained
	fetched time.Time // when the current list was obtained
	tried   time.Time // when the last attempt ended
	failed  bool      // the last attempt failed
	flight  *flight
}

// flight is one refresh in progress; done closes when it ends.
type flight struct {
	done   chan struct{}
	models []Model
	err    error
}

// New returns a catalog; it does not call the upstream until a list is needed.
func New(opts Options) *Catalog {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{opts: opts, now: time.Now}
	for _, id := range opts.Static {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		m := Model{ID: id, Kind: Classify(id)}
		fill(&m, 0)
		c.static = append(c.static, m)
	}
	if len(c.static) > 0 {
		c.set(c.static)
	}
	return c
}

// Static reports whether the catalog serves a configured list instead of discovery.
func (c *Catalog) Static() bool { return len(c.static) > 0 }

// Models returns the current list. The first call waits for discovery (bounded by
// FetchTimeout); later calls return at once and start a background refresh when the list is
// stale. The result is empty when discovery never succeeded. The caller must not modify it.
func (c *Catalog) Models(ctx context.Context) []Model {
	c.mu.Lock()
	if c.loaded || c.Static() {
		ms := c.models
		c.maybeRefreshLocked()
		c.mu.Unlock()
		return ms
	}
	if c.failed && c.now().Sub(c.tried) < retryAfterFailure {
		c.mu.Unlock()
		return nil
	}
	f := c.startLocked()
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.models
	case <-ctx.Done():
		return nil
	}
}

// Refresh runs discovery now, joining a refresh already in progress, and returns the new list.
// On failure the previous list stays and is returned with the error.
func (c *Catalog) Refresh(ctx context.Context) ([]Model, error) {
	c.mu.Lock()
	if c.Static() {
		ms := c.models
		c.mu.Unlock()
		return ms, nil
	}
	f := c.startLocked()
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.models, f.err
	case <-ctx.Done():
		return c.snapshot(), ctx.Err()
	}
}

// Warm starts a background discovery when the catalog has no fresh list.
func (c *Catalog) Warm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.Static() && !c.loaded {
		c.startLocked()
		return
	}
	c.maybeRefreshLocked()
}

// Lookup returns the served model with the given id.
func (c *Catalog) Lookup(id string) (Model, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maybeRefreshLocked()
	m, ok := c.byID[id]
	return m, ok
}

// Known reports whether the catalog has a list to check model names against; it is false while
// discovery has never succeeded.
func (c *Catalog) Known() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loaded
}

func (c *Catalog) snapshot() []Model {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.models
}

// maybeRefreshLocked starts a background refresh when the list is stale. c.mu is held.
func (c *Catalog) maybeRefreshLocked() {
	if c.Static() || c.flight != nil {
		return
	}
	now := c.now()
	if c.failed && now.Sub(c.tried) < retryAfterFailure {
		return
	}
	if !c.loaded || now.Sub(c.fetched) >= c.opts.TTL {
		c.startLocked()
	}
}

// startLocked returns the refresh in progress or starts one. c.mu is held.
func (c *Catalog) startLocked() *flight {
	if c.flight != nil {
		return c.flight
	}
	f := &flight{done: make(chan struct{})}
	c.flight = f
	go c.run(f)
	return f
}

func (c *Catalog) run(f *flight) {
	ms, err := Fetch(context.Background(), c.opts.HTTP, c.opts.BaseURL)
	c.mu.Lock()
	c.tried = c.now()
	c.failed = err != nil
	if err == nil {
		c.set(ms)
		c.fetched = c.tried
	} else {
		ms = c.models
	}
	c.flight = nil
	c.mu.Unlock()
	if err != nil {
		c.opts.Logger.Warn("model discovery failed; keeping the last list", "error", err, "models", len(ms))
	}
	f.models, f.err = ms, err
	close(f.done)
}

// set replaces the list. c.mu is held (or c is not shared yet).
func (c *Catalog) set(ms []Model) {
	byID := make(map[string]Model, len(ms))
	for _, m := range ms {
		byID[m.ID] = m
	}
	c.models, c.byID, c.loaded = ms, byID, true
}
