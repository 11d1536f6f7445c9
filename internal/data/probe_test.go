package data

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// fakeProber answers probes with a fixed error per account id. When gate is set, each probe
// announces itself on started and waits for gate (or its context).
type fakeProber struct {
	errs    map[string]error
	gate    chan struct{}
	started chan string

	mu     sync.Mutex
	calls  []string
	models []string
}

func (f *fakeProber) Probe(ctx context.Context, a *plugin.Account, model string) (string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, a.ID)
	f.models = append(f.models, model)
	f.mu.Unlock()
	if f.gate != nil {
		f.started <- a.ID
		select {
		case <-f.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if err := f.errs[a.ID]; err != nil {
		return "", err
	}
	return "Hello", nil
}

func (f *fakeProber) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

var (
	errAuth     = &plugin.Error{Status: 503, Code: plugin.CodeUpstreamAuth, Message: "upstream account credentials were rejected"}
	errRestrict = &plugin.Error{Status: 503, Code: plugin.CodePermission, Message: "the upstream account is restricted"}
	errLimited  = &plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Message: "the upstream account is rate limited"}
	errUpstream = &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "the upstream failed with HTTP 500"}
)

func TestProbeOutcome(t *testing.T) {
	tests := []struct {
		name   string
		before plugin.AccountState
		err    error
		after  plugin.AccountState
		probed bool
	}{
		{name: "ok stays ok", before: plugin.AccountOK, after: plugin.AccountOK, probed: true},
		{name: "invalid comes back", before: plugin.AccountInvalid, after: plugin.AccountOK, probed: true},
		{name: "cooling comes back", before: plugin.AccountCooling, after: plugin.AccountOK, probed: true},
		{name: "rejected credentials", before: plugin.AccountOK, err: errAuth, after: plugin.AccountInvalid, probed: true},
		{name: "restricted", before: plugin.AccountOK, err: errRestrict, after: plugin.AccountDisabled, probed: true},
		{name: "rate limited", before: plugin.AccountOK, err: errLimited, after: plugin.AccountCooling, probed: true},
		{name: "upstream failure keeps state", before: plugin.AccountInvalid, err: errUpstream, after: plugin.AccountInvalid, probed: true},
		{name: "disabled is not probed", before: plugin.AccountDisabled, after: plugin.AccountDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accts := accounts(1)
			pool := NewPool(accts, PoolOptions{Cooldown: time.Hour})
			if tt.before == plugin.AccountCooling {
				// Cool the account down the way a request does.
				l, err := pool.Acquire(t.Context(), first, nil)
				if err != nil {
					t.Fatal(err)
				}
				l.Release(errLimited)
			}
			accts[0].SetState(tt.before)
			fp := &fakeProber{errs: map[string]error{"a": tt.err}}
			pr := NewProber(pool, fp, ProberOptions{Interval: time.Hour, Model: "mimo-test"})
			pr.round(t.Context())

			if got := accts[0].State(); got != tt.after {
				t.Errorf("state = %s, want %s", got, tt.after)
			}
			if n := accts[0].InFlight(); n != 0 {
				t.Errorf("in flight = %d after the probe", n)
			}
			res, ok := pr.Last("a")
			if ok != tt.probed || len(fp.called()) != map[bool]int{true: 1}[tt.probed] {
				t.Fatalf("probed = %v (%v), want %v", ok, fp.called(), tt.probed)
			}
			if !tt.probed {
				return
			}
			if res.OK != (tt.err == nil) || res.At.IsZero() || (tt.err != nil && res.Error != plugin.AsError(tt.err).Message) {
				t.Errorf("result = %+v", res)
			}
			if tt.err == nil {
				// A revived account serves requests again.
				l, err := pool.Acquire(t.Context(), first, nil)
				if err != nil {
					t.Fatalf("acquire after a successful probe: %v", err)
				}
				l.Release(nil)
			}
		})
	}
}

func TestProbeSkipsBusyAccount(t *testing.T) {
	accts := accounts(2)
	pool := NewPool(accts, PoolOptions{MaxInFlight: 2})
	l, err := pool.Acquire(t.Context(), first, nil) // "a" is serving a request
	if err != nil {
		t.Fatal(err)
	}
	fp := &fakeProber{}
	pr := NewProber(pool, fp, ProberOptions{Interval: time.Hour, Model: "m"})
	pr.round(t.Context())
	if got := fp.called(); !slices.Equal(got, []string{"b"}) {
		t.Errorf("probed %v while a was busy, want [b]", got)
	}
	l.Release(nil)
	pr.round(t.Context())
	if got := fp.called(); !slices.Equal(got, []string{"b", "a", "b"}) {
		t.Errorf("probed %v, want [b a b]", got)
	}
}

// A running probe holds a slot: with one slot per account, a request waits for it.
func TestProbeHoldsSlot(t *testing.T) {
	accts := accounts(1)
	pool := NewPool(accts, PoolOptions{MaxInFlight: 1, MaxWait: time.Minute})
	fp := &fakeProber{gate: make(chan struct{}), started: make(chan string, 1)}
	pr := NewProber(pool, fp, ProberOptions{Interval: time.Hour, Model: "m"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		pr.round(t.Context())
	}()
	<-fp.started
	if n := accts[0].InFlight(); n != 1 {
		t.Errorf("in flight during the probe = %d, want 1", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	_, err := pool.Acquire(ctx, first, nil)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire during the probe = %v, want a wait", err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := pool.Acquire(t.Context(), first, nil)
		if err == nil {
			l.Release(nil)
		}
		got <- err
	}()
	close(fp.gate)
	if err := <-got; err != nil {
		t.Errorf("acquire after the probe: %v", err)
	}
	<-done
}

func TestProberRunStops(t *testing.T) {
	accts := accounts(1)
	pool := NewPool(accts, PoolOptions{})
	fp := &fakeProber{gate: make(chan struct{}), started: make(chan string)}
	pr := NewProber(pool, fp, ProberOptions{Interval: time.Millisecond, Model: "m"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		pr.Run(ctx)
	}()
	// Two rounds run one after the other.
	for range 2 {
		<-fp.started
		fp.gate <- struct{}{}
	}
	<-fp.started // the third probe is running: cancelling interrupts it
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if n := accts[0].InFlight(); n != 0 || accts[0].State() != plugin.AccountOK {
		t.Errorf("after shutdown: in flight %d, state %s", n, accts[0].State())
	}
	if res, ok := pr.Last("a"); !ok || !res.OK {
		t.Errorf("last = %+v, %v; the interrupted probe must not count", res, ok)
	}
}

func TestProberPause(t *testing.T) {
	pr := NewProber(NewPool(nil, PoolOptions{}), &fakeProber{}, ProberOptions{Interval: time.Second})
	seen := map[time.Duration]bool{}
	for range 100 {
		d := pr.pause()
		if d < 900*time.Millisecond || d > 1100*time.Millisecond {
			t.Fatalf("pause %v outside [0.9s, 1.1s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Error("pauses carry no jitter")
	}
}

func TestProberForgetsRemovedAccounts(t *testing.T) {
	pool := NewPool(accounts(2), PoolOptions{})
	pr := NewProber(pool, &fakeProber{}, ProberOptions{Interval: time.Hour, Model: "m"})
	pr.round(t.Context())
	pool.Remove("b")
	pr.round(t.Context())
	if _, ok := pr.Last("b"); ok {
		t.Error("a removed account keeps its probe result")
	}
	if _, ok := pr.Last("a"); !ok {
		t.Error("no result for a")
	}
}

// Against the simulator: the probe's conversation is deleted, and the upstream's verdicts
// reach the accounts' states.
func TestProberUpstream(t *testing.T) {
	s := sim.New(sim.Options{UserScenarios: map[string]string{"b": "http401", "c": "http429"}})
	up := httptest.NewServer(s)
	defer up.Close()
	var accts []*plugin.Account
	for _, id := range []string{"a", "b", "c"} {
		accts = append(accts, &plugin.Account{ID: id, UserID: id, ServiceToken: plugin.Secret("token-" + id), PH: plugin.Secret("ph-" + id)})
	}
	accts[0].SetState(plugin.AccountInvalid)
	pool := NewPool(accts, PoolOptions{})
	pr := NewProber(pool, &mimo.Client{BaseURL: up.URL, HTTP: up.Client()}, ProberOptions{Interval: time.Hour, Model: "mimo-v2.5"})
	pr.round(t.Context())

	want := []plugin.AccountState{plugin.AccountOK, plugin.AccountInvalid, plugin.AccountCooling}
	for i, a := range accts {
		if a.State() != want[i] {
			t.Errorf("%s: state %s, want %s", a.ID, a.State(), want[i])
		}
	}
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d upstream chats, want 3", len(reqs))
	}
	if reqs[0].Query != mimo.ProbeQuery || reqs[0].Model != "mimo-v2.5" {
		t.Errorf("probe request = %q on %q", reqs[0].Query, reqs[0].Model)
	}
	if del := s.DeletedConversations(); !slices.Contains(del, reqs[0].ConversationID) {
		t.Errorf("deleted %v, want the probe's conversation %s", del, reqs[0].ConversationID)
	}
}

func TestNewDataProber(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		want     bool
	}{
		{name: "off by default"},
		{name: "on", interval: time.Hour, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bc := &conf.Bootstrap{Data: conf.Data{Dir: t.TempDir()}, Models: []string{"mimo-v2.5"}}
			bc.Pool.ProbeInterval = plugin.Duration(tt.interval)
			d, cleanup, err := NewData(bc)
			if err != nil {
				t.Fatal(err)
			}
			if (d.Prober != nil) != tt.want {
				t.Errorf("prober = %v, want %v", d.Prober != nil, tt.want)
			}
			stopped := make(chan struct{})
			go func() {
				cleanup() // stops the prober and waits for it
				close(stopped)
			}()
			select {
			case <-stopped:
			case <-time.After(10 * time.Second):
				t.Fatal("cleanup did not stop the prober")
			}
		})
	}
}

var _ AccountProber = (*mimo.Client)(nil)
