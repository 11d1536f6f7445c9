package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

const adminKey = "e2e-admin-key-0123456789abcdef"

// adminAccount is an account as the admin API lists it.
type adminAccount struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	InFlight   int    `json:"inFlight"`
	LastTest   string `json:"lastTest"`
	LastTestOK bool   `json:"lastTestOk"`
}

func withAdmin(pool func(*conf.Pool)) func(*conf.Bootstrap) {
	return func(bc *conf.Bootstrap) {
		bc.Admin.Key = adminKey
		if pool != nil {
			pool(&bc.Pool)
		}
	}
}

// listAccounts returns the admin API's accounts by id.
func (e *env) listAccounts(t *testing.T) map[string]adminAccount {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", e.gw.URL+"/admin/api/accounts", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Accounts []adminAccount `json:"accounts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list accounts: %d %v", resp.StatusCode, err)
	}
	m := make(map[string]adminAccount, len(out.Accounts))
	for _, a := range out.Accounts {
		m[a.ID] = a
	}
	return m
}

// waitAccount polls the admin API until the account with the given id satisfies ok, with a
// deadline, and returns its last view.
func (e *env) waitAccount(t *testing.T, id string, what string, ok func(adminAccount) bool) adminAccount {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := e.listAccounts(t)[id]
		if ok(a) {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("account %s never became %s: %+v", id, what, a)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

// servedBy returns the userId cookies of the upstream calls from index from on that a
// scenario answered.
func servedBy(s *sim.Server, from int) []string {
	var ids []string
	for _, r := range s.Requests()[from:] {
		if r.Scenario != "" {
			ids = append(ids, r.Cookies["userId"])
		}
	}
	return ids
}

func TestAccountDisconnectFreesSlot(t *testing.T) {
	e := start(t, setup{sim: sim.Options{Drip: 500 * time.Millisecond}, mutate: withAdmin(nil)})
	id := accounts[0].UserID
	if a := e.listAccounts(t)[id]; a.InFlight != 0 || a.State != "ok" {
		t.Fatalf("before: %+v", a)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := e.client()
	stream := c.Chat.Completions.NewStreaming(ctx, chatParams("Hello [sim:slow]"))
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	if a := e.listAccounts(t)[id]; a.InFlight != 1 {
		t.Errorf("while streaming: %+v, want 1 in flight", a)
	}
	cancel()
	stream.Close()
	a := e.waitAccount(t, id, "free", func(a adminAccount) bool { return a.InFlight == 0 })
	if a.State != "ok" {
		t.Errorf("a client disconnect changed the account's state: %+v", a)
	}
}

func TestAccountCooldownComesBack(t *testing.T) {
	var limited atomic.Bool
	limited.Store(true)
	flaky := func(*sim.Received) sim.Reply {
		if limited.Load() {
			return sim.Reply{Status: http.StatusTooManyRequests, Body: `{"code":429,"msg":"too many requests"}`}
		}
		return sim.Reply{Frames: sim.Text("Hello", " there!")}
	}
	limitedID, otherID := accounts[0].UserID, accounts[1].UserID
	e := start(t, setup{
		accounts: 2,
		sim:      sim.Options{Scenarios: map[string]sim.Scenario{"flaky": flaky}, UserScenarios: map[string]string{limitedID: "flaky"}},
		mutate:   withAdmin(func(p *conf.Pool) { p.Cooldown = plugin.Duration(50 * time.Millisecond) }),
	})
	c := e.client()

	// Round robin reaches the rate-limited account within two requests; each request still
	// succeeds, on the other account.
	for i := 0; i < 2 && !slices.Contains(servedBy(e.sim, 0), limitedID); i++ {
		resp, err := c.Chat.Completions.New(t.Context(), chatParams("Hello"))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got := resp.Choices[0].Message.Content; !strings.HasPrefix(got, "Hello there") {
			t.Fatalf("request %d: content %q", i, got)
		}
	}
	if got := servedBy(e.sim, 0); !slices.Contains(got, limitedID) || got[len(got)-1] != otherID {
		t.Fatalf("upstream calls by %v, want a 429 on %s answered by %s", got, limitedID, otherID)
	}
	accts := e.listAccounts(t)
	if accts[limitedID].State != "cooling" || accts[otherID].State != "ok" {
		t.Fatalf("after the 429: %+v", accts)
	}

	// Once the upstream accepts it and the cooldown has passed, the account serves again.
	limited.Store(false)
	mark := len(e.sim.Requests())
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(servedBy(e.sim, mark), limitedID) {
		if time.Now().After(deadline) {
			t.Fatalf("the cooled-down account never came back; calls by %v", servedBy(e.sim, mark))
		}
		if _, err := c.Chat.Completions.New(t.Context(), chatParams("Hello")); err != nil {
			t.Fatal(err)
		}
	}
	if a := e.listAccounts(t)[limitedID]; a.State != "ok" {
		t.Errorf("after the cooldown: %+v", a)
	}
}

func TestProbeRevivesInvalidAccount(t *testing.T) {
	var rejecting atomic.Bool
	rejecting.Store(true)
	var (
		mu     sync.Mutex
		served []string // conversation ids answered while accepting
	)
	flaky := func(r *sim.Received) sim.Reply {
		if rejecting.Load() {
			return sim.Reply{Status: http.StatusUnauthorized, Body: sim.UnauthorizedBody}
		}
		mu.Lock()
		served = append(served, r.ConversationID)
		mu.Unlock()
		return sim.Reply{Frames: sim.Text("Hello", " there!")}
	}
	id := accounts[0].UserID
	e := start(t, setup{
		sim:    sim.Options{Scenarios: map[string]sim.Scenario{"flaky": flaky}, UserScenarios: map[string]string{id: "flaky"}},
		mutate: withAdmin(func(p *conf.Pool) { p.ProbeInterval = plugin.Duration(20 * time.Millisecond) }),
	})

	c := e.client()

	// The probe finds the rejected credentials.
	e.waitAccount(t, id, "invalid after a failed probe", func(a adminAccount) bool {
		return a.State == "invalid" && a.LastTest != "" && !a.LastTestOK
	})
	if _, err := c.Chat.Completions.New(t.Context(), chatParams("Hello")); err == nil {
		t.Fatal("a request succeeded on an invalid account")
	}

	// The upstream accepts the account again: the next probe brings it back.
	rejecting.Store(false)
	e.waitAccount(t, id, "ok", func(a adminAccount) bool { return a.State == "ok" })
	e.waitAccount(t, id, "tested ok", func(a adminAccount) bool { return a.LastTest != "" && a.LastTestOK })
	mu.Lock()
	first := served[0] // the probe that revived the account; it finished before the state changed
	mu.Unlock()
	if del := e.sim.DeletedConversations(); !slices.Contains(del, first) {
		t.Errorf("the probe's conversation %s was not deleted (deleted: %v)", first, del)
	}
	for _, r := range e.sim.Requests() {
		if r.ConversationID == first && r.Query != mimo.ProbeQuery {
			t.Errorf("the reviving call was not a probe: %q", r.Query)
		}
	}
	resp, err := c.Chat.Completions.New(t.Context(), chatParams("Hello"))
	if err != nil {
		t.Fatalf("request after the revival: %v", err)
	}
	if got := resp.Choices[0].Message.Content; got != "Hello there!" {
		t.Errorf("content %q", got)
	}
}
