// Package selector provides account selection plugins: they lease an upstream account for each
// attempt and fail over to another account when an attempt fails before the first byte.
package selector

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func init() {
	plugin.Register(plugin.Info{ID: "select.round_robin", New: func() plugin.Plugin { return new(RoundRobin) }})
}

// RoundRobin leases accounts in turn, skipping unhealthy and saturated ones.
type RoundRobin struct {
	// MaxAttempts bounds the attempts of one request, each on a different account (default 3).
	MaxAttempts int `json:"max_attempts"`

	pool plugin.AccountPool
	next atomic.Uint64
}

var (
	_ plugin.Stage       = (*RoundRobin)(nil)
	_ plugin.Provisioner = (*RoundRobin)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*RoundRobin) PluginInfo() plugin.Info {
	return plugin.Info{ID: "select.round_robin", New: func() plugin.Plugin { return new(RoundRobin) }}
}

// Provision implements plugin.Provisioner.
func (s *RoundRobin) Provision(h plugin.Host) error {
	s.pool = h.Accounts()
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 3
	}
	return nil
}

func (s *RoundRobin) pick(c []*plugin.Account) *plugin.Account {
	return c[int((s.next.Add(1)-1)%uint64(len(c)))]
}

// Handle implements plugin.Stage.
func (s *RoundRobin) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	return Attempts(ctx, ex, next, s.pool, s.pick, s.MaxAttempts)
}

// Attempts runs next with leased accounts until an attempt succeeds, fails in a way another
// account cannot fix, or maxAttempts accounts were tried. The first attempt runs on the
// [Preferred] account when the exchange names a usable one; an attempt on any other account
// after that calls [Switched] first. A successful stream keeps its lease until the stream ends
// or its consumer stops.
func Attempts(ctx context.Context, ex *plugin.Exchange, next plugin.Next, pool plugin.AccountPool, pick plugin.Picker, maxAttempts int) error {
	var tried []*plugin.Account
	span := trace.SpanFromContext(ctx)
	var lastErr error
	pref, _ := Preferred.Get(ex)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		var lease *plugin.Lease
		var err error
		if pref != "" && attempt == 0 {
			var ok bool
			lease, ok, err = acquirePreferred(ctx, pool, pref, tried)
			if err != nil {
				return err
			}
			if !ok {
				span.AddEvent("preferred account unusable", trace.WithAttributes(attribute.String("mimo.account", pref)))
			}
		}
		if lease == nil {
			lease, err = pool.Acquire(ctx, pick, tried)
			if err != nil {
				if lastErr != nil {
					return lastErr
				}
				return err
			}
		}
		if pref != "" && lease.Account.ID != pref {
			if f, ok := Switched.Get(ex); ok && f != nil {
				f(ex)
			}
			pref = ""
		}
		tried = append(tried, lease.Account)
		ex.Account = lease.Account
		span.AddEvent("attempt", trace.WithAttributes(attribute.Int("attempt", attempt+1), attribute.String("mimo.account", lease.Account.ID)))
		err = next(ctx, ex)
		if err == nil {
			if ex.Response.Events == nil {
				lease.Release(nil)
				return nil
			}
			ex.Response.Events = releaseAtEnd(ex.Response.Events, lease)
			return nil
		}
		lease.Release(err)
		lastErr = err
		if !plugin.IsRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return lastErr
}

// releaseAtEnd releases lease with the stream's outcome when s ends or is stopped.
func releaseAtEnd(s plugin.Stream, lease *plugin.Lease) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		var failed error
		defer func() { lease.Release(failed) }()
		for ev, err := range s {
			if err != nil {
				failed = err
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}
