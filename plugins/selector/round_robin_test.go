package selector

import (
	"context"
	"errors"
	"testing"

	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

func hostWith(t *testing.T, n int) (*plugintest.Host, []*plugin.Account) {
	h := plugintest.NewHost(t)
	var accts []*plugin.Account
	for i := range n {
		id := string(rune('a' + i))
		accts = append(accts, &plugin.Account{ID: id})
	}
	h.Pool = data.NewPool(accts, data.PoolOptions{})
	return h, accts
}

func TestRoundRobinRotates(t *testing.T) {
	h, accts := hostWith(t, 3)
	s := plugintest.Load[*RoundRobin](t, h, "select.round_robin", ``)
	var seen []string
	for range 6 {
		ex := plugintest.NewExchange("/", "{}")
		err := s.Handle(context.Background(), ex, func(_ context.Context, ex *plugin.Exchange) error {
			seen = append(seen, ex.Account.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := seen[0] + seen[1] + seen[2] + seen[3] + seen[4] + seen[5]; got != "abcabc" {
		t.Fatalf("order = %s", got)
	}
	for _, a := range accts {
		if a.InFlight() != 0 {
			t.Fatalf("leaked slot on %s", a.ID)
		}
	}
}

func TestFailoverAndLeaseUntilStreamEnds(t *testing.T) {
	h, accts := hostWith(t, 2)
	s := plugintest.Load[*RoundRobin](t, h, "select.round_robin", `{"max_attempts":2}`)
	ex := plugintest.NewExchange("/", "{}")
	var tried []string
	err := s.Handle(context.Background(), ex, func(ctx context.Context, ex *plugin.Exchange) error {
		tried = append(tried, ex.Account.ID)
		if len(tried) == 1 {
			return &plugin.Error{Status: 503, Code: plugin.CodeUpstreamAuth, Retryable: true}
		}
		return plugintest.Reply(plugin.Event{Kind: plugin.EventText, Text: "ok"})(ctx, ex)
	})
	if err != nil || len(tried) != 2 || tried[0] == tried[1] {
		t.Fatalf("err = %v tried = %v", err, tried)
	}
	winner := ex.Account
	if winner.InFlight() != 1 {
		t.Fatal("the lease must be held while the stream is open")
	}
	if _, err := plugintest.Collect(ex.Response.Events); err != nil {
		t.Fatal(err)
	}
	if winner.InFlight() != 0 {
		t.Fatal("the lease must be released when the stream ends")
	}
	if accts[0].State() != plugin.AccountInvalid && accts[1].State() != plugin.AccountInvalid {
		t.Fatal("the failed account was not marked invalid")
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	h, _ := hostWith(t, 2)
	s := plugintest.Load[*RoundRobin](t, h, "select.round_robin", ``)
	calls := 0
	want := plugin.BadRequest("bad")
	err := s.Handle(context.Background(), plugintest.NewExchange("/", "{}"), func(context.Context, *plugin.Exchange) error {
		calls++
		return want
	})
	if !errors.Is(err, want) || calls != 1 {
		t.Fatalf("err = %v calls = %d", err, calls)
	}
}
