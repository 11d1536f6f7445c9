package data

import (
	"slices"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// The operations below change the pool's account set at run time (the admin API). They hold
// p.mu and replace p.accounts with a new slice instead of modifying it (copy on write), so a
// slice obtained from Snapshot stays valid and unchanged.

// Snapshot returns the current accounts in order. The slice is never modified by the pool;
// callers must not modify it either.
func (p *Pool) Snapshot() []*plugin.Account {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accounts
}

// Lookup returns the account with the given id.
func (p *Pool) Lookup(id string) (*plugin.Account, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.index(id)
	if i < 0 {
		return nil, false
	}
	return p.accounts[i], true
}

// Add appends a, or replaces the account with the same ID at its position; replaced reports
// which. Requests running on a replaced account finish on it. Waiting requests are woken.
func (p *Pool) Add(a *plugin.Account) (replaced bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	accts := slices.Clone(p.accounts)
	if i := p.index(a.ID); i >= 0 {
		delete(p.cooling, accts[i])
		accts[i], replaced = a, true
	} else {
		accts = append(accts, a)
	}
	p.accounts = accts
	p.wakeLocked()
	return replaced
}

// Remove takes the account with the given id out of the pool; requests running on it finish.
// ok is false when there is no such account.
func (p *Pool) Remove(id string) (ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.index(id)
	if i < 0 {
		return false
	}
	delete(p.cooling, p.accounts[i])
	p.accounts = slices.Delete(slices.Clone(p.accounts), i, i+1)
	return true
}

// SetEnabled disables an account (state disabled: no new requests) or enables it again (state
// ok, cooldown cleared). ok is false when there is no such account.
func (p *Pool) SetEnabled(id string, enabled bool) (ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.index(id)
	if i < 0 {
		return false
	}
	a := p.accounts[i]
	if !enabled {
		a.SetState(plugin.AccountDisabled)
		return true
	}
	delete(p.cooling, a)
	a.SetState(plugin.AccountOK)
	p.wakeLocked()
	return true
}

// index returns the position of the account with the given id, or -1. p.mu is held.
func (p *Pool) index(id string) int {
	return slices.IndexFunc(p.accounts, func(a *plugin.Account) bool { return a.ID == id })
}

// wakeLocked wakes the requests waiting for an account. p.mu is held.
func (p *Pool) wakeLocked() {
	close(p.wake)
	p.wake = make(chan struct{})
}
