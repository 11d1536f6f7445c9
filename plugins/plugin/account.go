package plugin

import (
	"fmt"
	"sync/atomic"
)

// Secret is a credential value. Its String, GoString and JSON forms are masked, so secrets do
// not leak through logs, errors or traces; call Reveal where the value is really sent.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns a masked form.
func (s Secret) String() string { return Mask(string(s)) }

// GoString returns a masked form.
func (s Secret) GoString() string { return fmt.Sprintf("Secret(%q)", Mask(string(s))) }

// Format masks the secret for every fmt verb.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, Mask(string(s))) }

// MarshalText returns a masked form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Mask(string(s))), nil }

// Mask shows at most the first 4 and last 2 characters of v.
func Mask(v string) string {
	if len(v) <= 10 {
		return "***"
	}
	return v[:4] + "…" + v[len(v)-2:]
}

// AccountState is the health of an account.
type AccountState int32

// Account states.
const (
	AccountOK AccountState = iota
	// AccountCooling is rate limited until its cooldown passes.
	AccountCooling
	// AccountInvalid needs a new login.
	AccountInvalid
	// AccountDisabled was restricted upstream or by an operator.
	AccountDisabled
)

// String returns the state's name.
func (s AccountState) String() string {
	switch s {
	case AccountOK:
		return "ok"
	case AccountCooling:
		return "cooling"
	case AccountInvalid:
		return "invalid"
	case AccountDisabled:
		return "disabled"
	}
	return "unknown"
}

// Account is one MiMo web account.
type Account struct {
	// ID is a stable, non-secret label (the MiMo user id).
	ID string
	// UserID is the userId cookie.
	UserID string
	// ServiceToken is the serviceToken cookie.
	ServiceToken Secret
	// PH is the xiaomichatbot_ph cookie and query parameter.
	PH Secret

	inflight atomic.Int32
	state    atomic.Int32
}

// InFlight returns the number of requests running on the account.
func (a *Account) InFlight() int { return int(a.inflight.Load()) }

// AddInFlight adjusts the in-flight count; for pool implementations.
func (a *Account) AddInFlight(d int) int { return int(a.inflight.Add(int32(d))) }

// State returns the account's health.
func (a *Account) State() AccountState { return AccountState(a.state.Load()) }

// SetState sets the account's health; for pool implementations.
func (a *Account) SetState(s AccountState) { a.state.Store(int32(s)) }
