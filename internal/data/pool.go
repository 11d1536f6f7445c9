package data

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// PoolOptions tune an account pool.
type PoolOptions struct {
	// MaxInFlight is the per-account limit of concurrent requests (default 2).
	MaxInFlight int
	// MaxWait bounds how long Acquire waits for a free slot (default 30s).
	MaxWait time.Duration
	// Cooldown is the first cooldown after a rate limit; it doubles per repeat up to 10 minutes (default 30s).
	Cooldown time.Duration
}

// Pool is the shared account pool. It implements plugin.AccountPool.
type Pool struct {
	opts     PoolOptions
	accounts []*plugin.Account
	now      func() time.Time

	mu      sync.Mutex
	wake    chan struct{} // closed and replaced whenever a slot frees up
	cooling map[*plugin.Account]coolState
}

type coolState struct {
	until   time.Time
	strikes int
}

var _ plugin.AccountPool = (*Pool)(nil)

// NewPool returns a pool over accounts.
func NewPool(accounts []*plugin.Account, opts PoolOptions) *Pool {
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 2
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 30 * time.Second
	}
	if opts.Cooldown <= 0 {
		opts.Cooldown = 30 * time.Second
	}
	return &Pool{opts: opts, accounts: accounts, now: time.Now, wake: make(chan struct{}), cooling: map[*plugin.Account]coolState{}}
}

// Accounts returns every account in configuration order (a snapshot; see Snapshot).
func (p *Pool) Accounts() []*plugin.Account { return p.Snapshot() }

// Acquire implements plugin.AccountPool.
func (p *Pool) Acquire(ctx context.Context, pick plugin.Picker, exclude []*plugin.Account) (*plugin.Lease, error) {
	var timer *time.Timer
	for {
		p.mu.Lock()
		cands, busy, soonest := p.candidates(exclude)
		if len(cands) > 0 {
			a := pick(cands)
			a.AddInFlight(1)
			p.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			return plugin.NewLease(a, func(err error) { p.release(a, err) }), nil
		}
		wake := p.wake
		p.mu.Unlock()
		if !busy {
			if !soonest.IsZero() {
				return nil, &plugin.Error{Status: http.StatusTooManyRequests, Code: plugin.CodeRateLimited,
					Message: "all upstream accounts are rate limited", RetryAfter: soonest.Sub(p.now()).Round(time.Second) + time.Second}
			}
			return nil, &plugin.Error{Status: http.StatusServiceUnavailable, Code: plugin.CodeNoAccount,
				Message: "no usable upstream account is configured"}
		}
		if timer == nil {
			timer = time.NewTimer(p.opts.MaxWait)
			defer timer.Stop()
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, &plugin.Error{Status: http.StatusTooManyRequests, Code: plugin.CodeRateLimited,
				Message: "all upstream accounts are busy", RetryAfter: time.Second}
		}
	}
}

// candidates returns the accounts that can take a request now, whether some usable account is
// merely busy, and the earliest end of a cooldown. p.mu is held.
func (p *Pool) candidates(exclude []*plugin.Account) (cands []*plugin.Account, busy bool, soonest time.Time) {
	now := p.now()
next:
	for _, a := range p.accounts {
		for _, x := range exclude {
			if x == a {
				continue next
			}
		}
		switch a.State() {
		case plugin.AccountInvalid, plugin.AccountDisabled:
			continue
		case plugin.AccountCooling:
			cs := p.cooling[a]
			if now.Before(cs.until) {
				if soonest.IsZero() || cs.until.Before(soonest) {
					soonest = cs.until
				}
				continue
			}
			a.SetState(plugin.AccountOK)
		}
		if a.InFlight() >= p.opts.MaxInFlight {
			busy = true
			continue
		}
		cands = append(cands, a)
	}
	return cands, busy, soonest
}

func (p *Pool) release(a *plugin.Account, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a.AddInFlight(-1)
	var pe *plugin.Error
	switch {
	case err == nil:
		delete(p.cooling, a)
	case errors.As(err, &pe) && pe.Code == plugin.CodeUpstreamAuth:
		a.SetState(plugin.AccountInvalid)
	case errors.As(err, &pe) && pe.Code == plugin.CodePermission:
		a.SetState(plugin.AccountDisabled)
	case errors.As(err, &pe) && pe.Code == plugin.CodeRateLimited:
		cs := p.cooling[a]
		d := p.opts.Cooldown << min(cs.strikes, 5)
		d = min(d, 10*time.Minute)
		if pe.RetryAfter > d {
			d = pe.RetryAfter
		}
		p.cooling[a] = coolState{until: p.now().Add(d), strikes: cs.strikes + 1}
		a.SetState(plugin.AccountCooling)
	}
	close(p.wake)
	p.wake = make(chan struct{})
}
