package anthropicstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/dialect/anthropic"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Defaults of the message_batches.create configuration.
const (
	DefaultWorkers     = 2
	DefaultLease       = 10 * time.Minute
	DefaultMaxAttempts = 3
	DefaultPath        = "/v1/messages"
)

// Create is the message_batches.create terminal: POST /v1/messages/batches validates and
// stores a batch and answers with the Message Batch object (plus "batch_id", for clients of
// the prior implementation). It owns the workers that run the requests of every batch in the
// store, started when it is provisioned and stopped at cleanup.
//
// Requests present the deployment's first API key (auth.api_keys, MIMO_API_KEYS) to the
// messages route as x-api-key; an auth.apikey entry there with keys of its own must include it.
type Create struct {
	// Workers is how many batch requests run at once in this process; 0 means 2.
	Workers int `json:"workers,omitempty"`
	// Lease is how long a worker owns a claimed request; a request still running after 90% of
	// it fails, and the request of a worker that died is claimed again once its lease expired.
	// 0 means 10m.
	Lease plugin.Duration `json:"lease,omitempty"`
	// MaxAttempts bounds how often a request is tried: failures that may pass (429, 5xx, 529)
	// are tried again after a short pause, and a request whose worker died that often errors.
	// 0 means 3.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// Path is the route each request runs through, with method POST; "" means /v1/messages.
	Path string `json:"path,omitempty"`

	base
	settings func() plugin.Settings
	dialect  *anthropic.Messages
	pool     *pool
}

var (
	_ plugin.Terminal     = (*Create)(nil)
	_ plugin.Provisioner  = (*Create)(nil)
	_ plugin.CleanerUpper = (*Create)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Create) PluginInfo() plugin.Info {
	return plugin.Info{ID: CreateID, New: func() plugin.Plugin { return new(Create) }}
}

// Provision checks the configuration, takes the host's store and dispatcher, and starts the
// workers. The workers claim nothing before the host serves requests.
func (c *Create) Provision(h plugin.Host) error {
	if err := c.provision(h, CreateID); err != nil {
		return err
	}
	disp, ok := h.(Dispatcher)
	if !ok {
		return fmt.Errorf("%s needs a host that dispatches requests in-process", CreateID)
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Lease == 0 {
		c.Lease = plugin.Duration(DefaultLease)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Path == "" {
		c.Path = DefaultPath
	}
	switch {
	case c.Workers < 0 || c.Workers > 64:
		return fmt.Errorf("workers must be between 1 and 64, not %d", c.Workers)
	case c.Lease < plugin.Duration(time.Second):
		return fmt.Errorf("lease must be at least 1s, not %s", c.Lease.Std())
	case c.MaxAttempts < 0:
		return fmt.Errorf("max_attempts must not be negative")
	case !strings.HasPrefix(c.Path, "/"):
		return fmt.Errorf("path %q must start with /", c.Path)
	}
	p, err := plugin.Load(anthropic.ID, nil, h)
	if err != nil {
		return fmt.Errorf("loading %s to validate requests: %w", anthropic.ID, err)
	}
	c.dialect = p.(*anthropic.Messages)
	c.settings = h.Settings
	c.pool = &pool{
		open:        c.host.Store,
		disp:        disp,
		run:         c.runner(disp),
		log:         h.Logger(CreateID),
		lease:       c.Lease.Std(),
		maxAttempts: c.MaxAttempts,
	}
	c.pool.start(c.Workers)
	return nil
}

// Cleanup stops the workers: they claim nothing more and the requests they run finish.
func (c *Create) Cleanup() error {
	if c.pool != nil {
		c.pool.close()
	}
	return nil
}

// runner returns the function that runs one request's params through the messages route,
// authenticated with the deployment's first API key.
func (c *Create) runner(disp Dispatcher) func(ctx context.Context, params []byte) (int, []byte, error) {
	return func(ctx context.Context, params []byte) (int, []byte, error) {
		h := http.Header{
			"Content-Type":      {"application/json"},
			"Anthropic-Version": {"2023-06-01"},
		}
		if keys := c.settings().APIKeys; len(keys) > 0 {
			h.Set("X-Api-Key", keys[0])
		}
		return disp.Dispatch(ctx, http.MethodPost, c.Path, h, params)
	}
}

// Call validates and stores the batch, wakes the workers and answers with the batch.
func (c *Create) Call(ctx context.Context, ex *plugin.Exchange) error {
	var def string
	if ms := c.settings().Models; len(ms) > 0 {
		def = ms[0]
	}
	model, reqs, err := parseBatch(ex.Body, c.dialect.Decode, def)
	if err != nil {
		return err
	}
	st, err := c.open()
	if err != nil {
		return err
	}
	b := store.Batch{ID: "msgbatch_" + randomHex(12), Model: model}
	if err := st.CreateBatch(ctx, b, reqs); err != nil {
		if errors.Is(err, store.ErrExists) { // a random id collided: the client may retry
			return &plugin.Error{Status: http.StatusConflict, Code: plugin.CodeInvalidRequest, Message: "batch id collision; retry", Err: err}
		}
		return storeErr(err, nil)
	}
	c.pool.wake.broadcast()
	if b, err = st.GetBatch(ctx, b.ID); err != nil {
		return storeErr(err, nil) // a batch just created is only gone when deleted at once
	}
	o := newBatchObject(b, baseURL(ex.HTTP))
	o.BatchID = o.ID
	reply(ex, marshal(o))
	return nil
}
