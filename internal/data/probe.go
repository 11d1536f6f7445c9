package data

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// AccountProber checks one account upstream with a throw-away conversation that it deletes
// afterwards; *mimo.Client implements it.
type AccountProber interface {
	Probe(ctx context.Context, acct *plugin.Account, model string) (reply string, err error)
}

// ProberOptions configure a Prober.
type ProberOptions struct {
	// Interval is the pause between two probe rounds; each pause is randomised by ±10% so
	// that gateways started together do not probe in step. It must be positive.
	Interval time.Duration
	// Timeout bounds one probe (default 60s).
	Timeout time.Duration
	// Model is the model the probes ask; empty means Catalog's default chat model.
	Model string
	// Catalog supplies the default model; nil means fallbackProbeModel.
	Catalog *discovery.Catalog
}

// fallbackProbeModel is asked when neither the options nor the catalog name a model.
const fallbackProbeModel = "mimo-v2.5"

// ProbeResult is the outcome of an account's latest periodic probe.
type ProbeResult struct {
	// At is when the probe finished.
	At time.Time
	// OK reports whether the account answered.
	OK bool
	// Error is the failure's client-safe message; empty when OK.
	Error string
}

// Prober probes the pool's accounts periodically (see Run). A probe runs only on an idle
// account and holds one of its slots while it runs, so probes never add to the load of an
// account that is serving requests, and a request arriving meanwhile counts the probe against
// the account's limit. Disabled accounts are never probed: an operator or an upstream
// restriction disabled them, and only an operator enables them again.
//
// The outcome feeds the account's state the way a request's does (rejected credentials make it
// invalid, a restriction disables it, a rate limit cools it down) and, in addition, a success
// brings an invalid or cooling account back into service.
type Prober struct {
	pool *Pool
	up   AccountProber
	o    ProberOptions

	mu   sync.Mutex
	last map[string]ProbeResult
}

// NewProber returns a prober of pool's accounts through up.
func NewProber(pool *Pool, up AccountProber, o ProberOptions) *Prober {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	return &Prober{pool: pool, up: up, o: o, last: map[string]ProbeResult{}}
}

// Run probes every account once per round, one account at a time, pausing about
// o.Interval before each round, until ctx is done. The first round starts after the first
// pause, so a process that stops at once (such as `validate`) probes nothing. Without a
// positive interval it returns at once.
func (p *Prober) Run(ctx context.Context) {
	if p.o.Interval <= 0 {
		return
	}
	t := time.NewTimer(p.pause())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.round(ctx)
		t.Reset(p.pause())
	}
}

// Last returns the result of the latest periodic probe of the account with the given id.
func (p *Prober) Last(id string) (ProbeResult, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.last[id]
	return r, ok
}

// pause returns o.Interval randomised to [0.9, 1.1) of its value.
func (p *Prober) pause() time.Duration {
	d := p.o.Interval
	return d - d/10 + rand.N(d/5+1)
}

// round probes each account of the pool once and forgets the results of removed accounts.
func (p *Prober) round(ctx context.Context) {
	accts := p.pool.Snapshot()
	p.forgetExcept(accts)
	var model string
	for _, a := range accts {
		if ctx.Err() != nil {
			return
		}
		release, ok := p.pool.probeSlot(a)
		if !ok {
			continue
		}
		if model == "" {
			model = p.model(ctx)
		}
		pctx, cancel := context.WithTimeout(ctx, p.o.Timeout)
		_, err := p.up.Probe(pctx, a, model)
		cancel()
		if err != nil && ctx.Err() != nil {
			release(ctx.Err()) // shutting down: the failure says nothing about the account
			return
		}
		release(err)
		p.record(a.ID, err)
	}
}

// record stores the outcome of a probe of the account id.
func (p *Prober) record(id string, err error) {
	r := ProbeResult{At: time.Now(), OK: err == nil}
	if err != nil {
		r.Error = plugin.AsError(err).Message
	}
	p.mu.Lock()
	p.last[id] = r
	p.mu.Unlock()
}

// forgetExcept drops the results of accounts not in accts.
func (p *Prober) forgetExcept(accts []*plugin.Account) {
	p.mu.Lock()
	defer p.mu.Unlock()
next:
	for id := range p.last {
		for _, a := range accts {
			if a.ID == id {
				continue next
			}
		}
		delete(p.last, id)
	}
}

// model returns the configured model or the catalog's default chat model.
func (p *Prober) model(ctx context.Context) string {
	if p.o.Model != "" {
		return p.o.Model
	}
	if p.o.Catalog == nil {
		return fallbackProbeModel
	}
	first := ""
	for _, m := range p.o.Catalog.Models(ctx) {
		if m.Kind != discovery.KindChat {
			continue
		}
		if m.Default {
			return m.ID
		}
		if first == "" {
			first = m.ID
		}
	}
	if first == "" {
		return fallbackProbeModel
	}
	return first
}

// probeSlot takes a slot on a for a probe when a is still in the pool, not disabled and idle.
// The returned release frees the slot and applies the probe's outcome: like a request's (see
// release) and, on success, bringing an invalid or cooling account back to ok.
func (p *Pool) probeSlot(a *plugin.Account) (release func(error), ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := p.index(a.ID); i < 0 || p.accounts[i] != a || a.State() == plugin.AccountDisabled || a.InFlight() > 0 {
		return nil, false
	}
	a.AddInFlight(1)
	return func(err error) {
		if err == nil {
			p.mu.Lock()
			if s := a.State(); s == plugin.AccountInvalid || s == plugin.AccountCooling {
				a.SetState(plugin.AccountOK)
			}
			p.mu.Unlock()
		}
		p.release(a, err)
	}, true
}
