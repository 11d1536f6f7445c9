package selector

import (
	"context"
	"slices"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Keys a stage sets before the selector to steer the choice of account.
var (
	// Preferred is the ID of the account a request should run on, such as the account that
	// holds the upstream conversation a session stage continues. The selector waits for a slot
	// on that account (bounded by the pool's wait) and falls back to another account only when
	// the preferred one is unusable: unknown, invalid, disabled or cooling down, or when an
	// attempt on it failed in a retryable way.
	Preferred = plugin.NewKey[string]("selector.preferred")
	// Switched is called by the selector, before it runs the rest of the chain, when it falls
	// back from the Preferred account to another one. The stage that set Preferred installs it
	// to drop what only the preferred account can use (an upstream conversation), so that the
	// attempt starts afresh. It is called at most once per request.
	Switched = plugin.NewKey[func(ex *plugin.Exchange)]("selector.switched")
)

// acquirePreferred leases the account with ID id, waiting for a slot like pool.Acquire does.
// It reports ok=false without an error when the account is unusable (unknown, excluded,
// invalid, disabled or cooling), so that the caller falls back to the other accounts; a busy
// account that stays busy for the pool's whole wait is an error, as for any request.
func acquirePreferred(ctx context.Context, pool plugin.AccountPool, id string, exclude []*plugin.Account) (lease *plugin.Lease, ok bool, err error) {
	all := pool.Accounts()
	i := slices.IndexFunc(all, func(a *plugin.Account) bool { return a.ID == id })
	if i < 0 || slices.Contains(exclude, all[i]) {
		return nil, false, nil
	}
	pref := all[i]
	if pref.State() == plugin.AccountInvalid || pref.State() == plugin.AccountDisabled {
		return nil, false, nil
	}
	others := make([]*plugin.Account, 0, len(all)-1)
	for _, a := range all {
		if a != pref {
			others = append(others, a)
		}
	}
	lease, err = pool.Acquire(ctx, func(c []*plugin.Account) *plugin.Account { return c[0] }, others)
	if err == nil {
		return lease, true, nil
	}
	if ctx.Err() != nil {
		return nil, false, err
	}
	// The pool answers at once when the account cannot be used at all and only after its wait
	// when the account is merely busy; the account's state tells the two apart.
	if pref.State() != plugin.AccountOK {
		return nil, false, nil
	}
	return nil, false, err
}
