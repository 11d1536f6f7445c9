package data

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func accounts(n int) []*plugin.Account {
	var out []*plugin.Account
	for i := range n {
		id := string(rune('a' + i))
		out = append(out, &plugin.Account{ID: id, UserID: id})
	}
	return out
}

func first(c []*plugin.Account) *plugin.Account { return c[0] }

func TestPoolSaturation(t *testing.T) {
	p := NewPool(accounts(1), PoolOptions{MaxInFlight: 2, MaxWait: 20 * time.Millisecond})
	ctx := context.Background()
	l1, err := p.Acquire(ctx, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := p.Acquire(ctx, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Acquire(ctx, first, nil)
	pe, ok := errors.AsType[*plugin.Error](err)
	if !ok || pe.Status != http.StatusTooManyRequests || pe.RetryAfter <= 0 {
		t.Fatalf("saturated pool: %v", err)
	}
	// A waiter gets the slot as soon as one is released.
	got := make(chan error, 1)
	p.opts.MaxWait = time.Minute
	go func() {
		l, err := p.Acquire(ctx, first, nil)
		if err == nil {
			l.Release(nil)
		}
		got <- err
	}()
	l1.Release(nil)
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	l2.Release(nil)
	if n := p.Accounts()[0].InFlight(); n != 0 {
		t.Fatalf("in flight = %d after all releases", n)
	}
}

func TestPoolWaitCancelled(t *testing.T) {
	p := NewPool(accounts(1), PoolOptions{MaxInFlight: 1, MaxWait: time.Minute})
	l, _ := p.Acquire(context.Background(), first, nil)
	defer l.Release(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := p.Acquire(ctx, first, nil); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestPoolHealth(t *testing.T) {
	now := time.Unix(1000, 0)
	p := NewPool(accounts(2), PoolOptions{Cooldown: 10 * time.Second})
	p.now = func() time.Time { return now }
	ctx := context.Background()
	a, b := p.Accounts()[0], p.Accounts()[1]

	l, _ := p.Acquire(ctx, first, nil)
	l.Release(&plugin.Error{Code: plugin.CodeUpstreamAuth})
	if a.State() != plugin.AccountInvalid {
		t.Fatalf("401 → state %v", a.State())
	}
	l, _ = p.Acquire(ctx, first, nil)
	if l.Account != b {
		t.Fatal("an invalid account was picked")
	}
	l.Release(&plugin.Error{Code: plugin.CodeRateLimited})
	if b.State() != plugin.AccountCooling {
		t.Fatalf("429 → state %v", b.State())
	}
	_, err := p.Acquire(ctx, first, nil)
	if pe, ok := errors.AsType[*plugin.Error](err); !ok || pe.Code != plugin.CodeRateLimited || pe.RetryAfter < 10*time.Second {
		t.Fatalf("all unusable: %v", err)
	}
	now = now.Add(11 * time.Second)
	l, err = p.Acquire(ctx, first, nil)
	if err != nil || l.Account != b || b.State() != plugin.AccountOK {
		t.Fatalf("a cooled-down account must come back: %v %v", err, b.State())
	}
	l.Release(nil)
	a.SetState(plugin.AccountDisabled)
	b.SetState(plugin.AccountDisabled)
	_, err = p.Acquire(ctx, first, nil)
	if pe, ok := errors.AsType[*plugin.Error](err); !ok || pe.Code != plugin.CodeNoAccount {
		t.Fatalf("no usable account: %v", err)
	}
}

func TestPoolExclude(t *testing.T) {
	p := NewPool(accounts(2), PoolOptions{})
	l, err := p.Acquire(context.Background(), first, []*plugin.Account{p.Accounts()[0]})
	if err != nil || l.Account != p.Accounts()[1] {
		t.Fatalf("exclude ignored: %v", err)
	}
	l.Release(nil)
}

func TestTokenizerOffline(t *testing.T) {
	tok := NewTokenizer()
	if n := tok.Count("Hello, world!"); n != 4 {
		t.Fatalf("cl100k_base count = %d, want 4", n)
	}
	if tok.Count("") != 0 {
		t.Fatal("empty text has tokens")
	}
}

func TestStoreOpenedLazily(t *testing.T) {
	dir := t.TempDir()
	d, cleanup, err := NewData(&conf.Bootstrap{Data: conf.Data{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, StoreFile)); !os.IsNotExist(err) {
		t.Fatalf("the store file exists before first use: %v", err)
	}
	s, err := d.Store()
	if err != nil {
		t.Fatal(err)
	}
	if s2, _ := d.Store(); s2 != s {
		t.Fatal("Store opened the database twice")
	}
	cleanup()
	if _, err := os.Stat(filepath.Join(dir, StoreFile)); err != nil {
		t.Fatalf("no store file after first use: %v", err)
	}
}
