package data

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func adminIDs(as []*plugin.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func TestPoolAdmin(t *testing.T) {
	a, b := &plugin.Account{ID: "a"}, &plugin.Account{ID: "b"}
	p := NewPool([]*plugin.Account{a}, PoolOptions{})
	before := p.Snapshot()
	if p.Add(b) {
		t.Fatal("adding a new account reported a replacement")
	}
	if got := adminIDs(p.Snapshot()); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("accounts = %v", got)
	}
	if got := adminIDs(before); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("an earlier snapshot changed: %v", got)
	}
	a2 := &plugin.Account{ID: "a"}
	if !p.Add(a2) {
		t.Fatal("re-adding a reported no replacement")
	}
	if got, _ := p.Lookup("a"); got != a2 || len(p.Snapshot()) != 2 {
		t.Fatal("the replacement is not in place")
	}

	if !p.SetEnabled("a", false) || a2.State() != plugin.AccountDisabled {
		t.Fatal("disable failed")
	}
	l, err := p.Acquire(t.Context(), first, nil)
	if err != nil || l.Account != b {
		t.Fatalf("a disabled account was picked: %v, %v", l, err)
	}
	l.Release(nil)
	if !p.SetEnabled("a", true) || a2.State() != plugin.AccountOK {
		t.Fatal("enable failed")
	}
	if p.SetEnabled("zz", true) || p.Remove("zz") {
		t.Fatal("unknown ids must report false")
	}
	if !p.Remove("a") {
		t.Fatal("remove failed")
	}
	if got := adminIDs(p.Snapshot()); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after remove: %v", got)
	}
}

// TestPoolAddWakesWaiters checks that a request waiting on a busy pool gets a newly added account.
func TestPoolAddWakesWaiters(t *testing.T) {
	a := &plugin.Account{ID: "a"}
	p := NewPool([]*plugin.Account{a}, PoolOptions{MaxInFlight: 1, MaxWait: time.Minute})
	held, err := p.Acquire(t.Context(), first, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release(nil)
	got := make(chan *plugin.Lease, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		l, err := p.Acquire(context.Background(), first, nil)
		if err != nil {
			t.Error(err)
			got <- nil
			return
		}
		got <- l
	})
	b := &plugin.Account{ID: "b"}
	p.Add(b)
	l := <-got
	wg.Wait()
	if l == nil || l.Account != b {
		t.Fatalf("waiter got %v, want the new account", l)
	}
	l.Release(nil)
}
