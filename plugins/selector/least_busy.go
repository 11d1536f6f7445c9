package selector

import (
	"context"
	"sync/atomic"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func init() {
	plugin.Register(plugin.Info{ID: "select.least_busy", New: func() plugin.Plugin { return new(LeastBusy) }})
}

// LeastBusy leases the usable account with the fewest requests in flight; ties go round-robin.
// Like select.round_robin it honours [Preferred] and fails over to another account when an
// attempt fails before the first byte.
type LeastBusy struct {
	// MaxAttempts bounds the attempts of one request, each on a different account (default 3).
	MaxAttempts int `json:"max_attempts"`

	pool plugin.AccountPool
	next atomic.Uint64
}

var (
	_ plugin.Stage       = (*LeastBusy)(nil)
	_ plugin.Provisioner = (*LeastBusy)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*LeastBusy) PluginInfo() plugin.Info {
	return plugin.Info{ID: "select.least_busy", New: func() plugin.Plugin { return new(LeastBusy) }}
}

// Provision implements plugin.Provisioner.
func (s *LeastBusy) Provision(h plugin.Host) error {
	s.pool = h.Accounts()
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 3
	}
	return nil
}

// pick returns the least busy candidate; among equally busy ones it rotates. It runs under the
// pool's lock, so the in-flight counts do not change while it looks.
func (s *LeastBusy) pick(c []*plugin.Account) *plugin.Account {
	least, ties := c[0].InFlight(), 1
	for _, a := range c[1:] {
		switch n := a.InFlight(); {
		case n < least:
			least, ties = n, 1
		case n == least:
			ties++
		}
	}
	k := int((s.next.Add(1) - 1) % uint64(ties))
	for _, a := range c {
		if a.InFlight() == least {
			if k == 0 {
				return a
			}
			k--
		}
	}
	return c[0] // unreachable
}

// Handle implements plugin.Stage.
func (s *LeastBusy) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	return Attempts(ctx, ex, next, s.pool, s.pick, s.MaxAttempts)
}
