package session

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	"github.com/mimo2api/mimo2api/plugins/selector"
	"github.com/mimo2api/mimo2api/plugins/upstream"
)

func user(s string) plugin.Message { return plugin.TextMessage(plugin.RoleUser, s) }
func sys(s string) plugin.Message  { return plugin.TextMessage(plugin.RoleSystem, s) }
func asst(s string, calls ...plugin.ToolCall) plugin.Message {
	m := plugin.TextMessage(plugin.RoleAssistant, s)
	m.ToolCalls = calls
	return m
}
func toolResult(id, s string) plugin.Message {
	m := plugin.TextMessage(plugin.RoleTool, s)
	m.ToolCallID = id
	return m
}

// call is what the fake upstream saw.
type call struct {
	account, conv, query, preferred string
	continued                       bool
}

// fake acts as selector and upstream: it runs on the preferred account (default "A"), creates
// a conversation when none is set and answers with the next reply.
type fake struct {
	mu      sync.Mutex
	calls   []call
	answer  string
	usage   int
	fail    error // a stream error after the first event
	account string
}

func (f *fake) next(_ context.Context, ex *plugin.Exchange) error {
	pref, _ := selector.Preferred.Get(ex)
	acct := pref
	if f.account != "" && f.account != pref {
		if sw, ok := selector.Switched.Get(ex); ok && pref != "" {
			sw(ex)
		}
		acct = f.account
	}
	if acct == "" {
		acct = "A"
	}
	ex.Account = &plugin.Account{ID: acct}
	conv, continued := upstream.ConversationID.Get(ex)
	if !continued {
		conv = mimo.NewID()
		upstream.ConversationID.Set(ex, conv)
	}
	q, ok := upstream.Query.Get(ex)
	if !ok {
		q = mimo.Flatten(ex.Request.Messages)
	}
	f.mu.Lock()
	f.calls = append(f.calls, call{account: acct, conv: conv, query: q, preferred: pref, continued: continued})
	f.mu.Unlock()
	evs := []plugin.Event{{Kind: plugin.EventText, Text: f.answer}}
	if f.fail != nil {
		ex.Response.Events = func(yield func(plugin.Event, error) bool) {
			if yield(evs[0], nil) {
				yield(plugin.Event{}, f.fail)
			}
		}
		return nil
	}
	if f.usage > 0 {
		evs = append(evs, plugin.Event{Kind: plugin.EventUsage, Usage: &plugin.Usage{PromptTokens: f.usage}})
	}
	evs = append(evs, plugin.Event{Kind: plugin.EventFinish, Finish: plugin.FinishStop})
	ex.Response.Events = plugin.Events(evs...)
	return nil
}

func (f *fake) last(t *testing.T) call {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("no upstream call")
	}
	return f.calls[len(f.calls)-1]
}

func load(t *testing.T, with string) *Continuity {
	t.Helper()
	return plugintest.Load[*Continuity](t, plugintest.NewHost(t), ID, with)
}

// turn runs one request with msgs (and an optional session header) through c and f.
func run(t *testing.T, c *Continuity, f *fake, header string, msgs ...plugin.Message) (call, error) {
	t.Helper()
	ex := plugintest.NewExchange("/v1/chat/completions", "{}")
	ex.HTTP.Header.Set("Authorization", "Bearer sk-test")
	if header != "" {
		ex.HTTP.Header.Set(DefaultHeader, header)
	}
	ex.Request = &plugin.Request{Model: "mimo-v2.5-pro", Messages: slices.Clone(msgs)}
	if err := c.Handle(t.Context(), ex, f.next); err != nil {
		return call{}, err
	}
	_, err := plugintest.Collect(ex.Response.Events)
	return f.last(t), err
}

func TestThreeTurnsWithToolRoundTrip(t *testing.T) {
	c := load(t, ``)
	f := &fake{answer: "Let me check the weather."}
	system := sys("You are helpful.")
	u1 := user("Weather in Paris?")
	c1, err := run(t, c, f, "", system, u1)
	if err != nil {
		t.Fatal(err)
	}
	if c1.continued || c1.query != "system: You are helpful.\nuser: Weather in Paris?" {
		t.Fatalf("turn 1 = %+v", c1)
	}

	a1 := asst("Let me check the weather.", plugin.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`})
	t1 := toolResult("call_1", "sunny, 21C")
	f.answer = "It is sunny."
	c2, err := run(t, c, f, "", system, u1, a1, t1)
	if err != nil {
		t.Fatal(err)
	}
	if !c2.continued || c2.conv != c1.conv || c2.preferred != "A" || c2.query != mimo.Flatten([]plugin.Message{t1}) {
		t.Fatalf("turn 2 = %+v, want the tool result alone in conversation %s", c2, c1.conv)
	}

	u3 := user("And tomorrow?")
	c3, err := run(t, c, f, "", system, u1, a1, t1, asst("It is sunny."), u3)
	if err != nil {
		t.Fatal(err)
	}
	if !c3.continued || c3.conv != c1.conv || c3.query != "user: And tomorrow?" {
		t.Fatalf("turn 3 = %+v", c3)
	}
	if c.locks.size() != 0 {
		t.Errorf("%d locks left", c.locks.size())
	}
}

func TestNewConversation(t *testing.T) {
	tests := []struct {
		name   string
		second []plugin.Message
	}{
		{name: "edited first message", second: []plugin.Message{user("Hi!"), asst("Hello, how can I help?"), user("Tell me a joke")}},
		{name: "different answer (another conversation)", second: []plugin.Message{user("Hi"), asst("Good morning"), user("Tell me a joke")}},
		{name: "ends with the answer", second: []plugin.Message{user("Hi"), asst("Hello, how can I help?")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, ``)
			f := &fake{answer: "Hello, how can I help?"}
			c1, err := run(t, c, f, "", user("Hi"))
			if err != nil {
				t.Fatal(err)
			}
			c2, err := run(t, c, f, "", tt.second...)
			if err != nil {
				t.Fatal(err)
			}
			if c2.continued || c2.conv == c1.conv || c2.query != mimo.Flatten(tt.second) {
				t.Errorf("second turn = %+v, want a new conversation with the full history", c2)
			}
		})
	}
}

func TestAnswerReserialised(t *testing.T) {
	c := load(t, ``)
	f := &fake{answer: "Hello,\n  how can I help?"}
	c1, _ := run(t, c, f, "", user("Hi"))
	// The client sends the answer back with other white space and with rendered tool calls.
	c2, err := run(t, c, f, "", user("Hi"), asst("Hello, how can I help? <|MiMoML|tool_calls>…"), user("Joke"))
	if err != nil {
		t.Fatal(err)
	}
	if !c2.continued || c2.conv != c1.conv || c2.query != "user: Joke" {
		t.Errorf("second turn = %+v", c2)
	}
}

func TestExplicitSessionID(t *testing.T) {
	c := load(t, ``)
	f := &fake{answer: "ok"}
	c1, _ := run(t, c, f, "s-1", user("one"))
	c2, _ := run(t, c, f, "s-1", user("one"), asst("ok"), user("two"))
	if !c2.continued || c2.conv != c1.conv || c2.query != "user: two" {
		t.Fatalf("turn 2 = %+v", c2)
	}
	// Another id with the same history is another conversation.
	c3, _ := run(t, c, f, "s-2", user("one"), asst("ok"), user("two"))
	if c3.continued {
		t.Errorf("s-2 continued s-1: %+v", c3)
	}
	// A fork of s-1 (first message edited) replaces its conversation.
	c4, _ := run(t, c, f, "s-1", user("ONE"), asst("ok"), user("two"), asst("ok"), user("three"))
	if c4.continued || c4.conv == c1.conv {
		t.Errorf("fork continued: %+v", c4)
	}
	c5, _ := run(t, c, f, "s-1", user("ONE"), asst("ok"), user("two"), asst("ok"), user("three"), asst("ok"), user("four"))
	if !c5.continued || c5.conv != c4.conv || c5.query != "user: four" {
		t.Errorf("after the fork = %+v", c5)
	}
}

func TestSystemChanged(t *testing.T) {
	c := load(t, ``)
	f := &fake{answer: "ok"}
	run(t, c, f, "", sys("v1"), user("a"))
	c2, _ := run(t, c, f, "", sys("v1"), user("a"), asst("ok"), user("b"))
	if c2.query != "user: b" {
		t.Errorf("unchanged system resent: %q", c2.query)
	}
	c3, _ := run(t, c, f, "", sys("v2"), user("a"), asst("ok"), user("b"), asst("ok"), user("c"))
	if !c3.continued || c3.query != "system: v2\nuser: c" {
		t.Errorf("changed system: %+v", c3)
	}
}

func TestRotation(t *testing.T) {
	c := load(t, `{"rotate_tokens":1000,"rotate_keep":2}`)
	f := &fake{answer: "ok", usage: 400}
	h := []plugin.Message{sys("S"), user("1")}
	c1, _ := run(t, c, f, "", h...)
	h = append(h, asst("ok"), user("2"))
	f.usage = 1200
	c2, _ := run(t, c, f, "", h...)
	if !c2.continued || c2.conv != c1.conv {
		t.Fatalf("turn 2 = %+v", c2)
	}
	h = append(h, asst("ok"), user("3"))
	f.usage = 50
	c3, _ := run(t, c, f, "", h...)
	if c3.continued || c3.conv == c1.conv || c3.query != "system: S\nassistant: ok\nuser: 3" {
		t.Fatalf("turn 3 = %+v, want a rotated conversation", c3)
	}
	h = append(h, asst("ok"), user("4"))
	c4, _ := run(t, c, f, "", h...)
	if !c4.continued || c4.conv != c3.conv || c4.query != "user: 4" {
		t.Fatalf("turn 4 = %+v, want the rotated conversation continued", c4)
	}
}

func TestFailedTurnDoesNotAdvance(t *testing.T) {
	c := load(t, ``)
	f := &fake{answer: "ok"}
	c1, _ := run(t, c, f, "", user("a"))
	h := []plugin.Message{user("a"), asst("ok"), user("b")}
	f.fail = errors.New("cut")
	if _, err := run(t, c, f, "", h...); err == nil {
		t.Fatal("no error")
	}
	f.fail = nil
	// An aborted turn (the client went away) does not advance either.
	ex := plugintest.NewExchange("/", "{}")
	ex.HTTP.Header.Set("Authorization", "Bearer sk-test")
	ex.Request = &plugin.Request{Messages: h}
	if err := c.Handle(t.Context(), ex, f.next); err != nil {
		t.Fatal(err)
	}
	for range ex.Response.Events {
		break
	}
	c3, err := run(t, c, f, "", h...)
	if err != nil {
		t.Fatal(err)
	}
	if !c3.continued || c3.conv != c1.conv || c3.query != "user: b" {
		t.Errorf("retry = %+v, want the turn-1 state continued", c3)
	}
}

func TestSwitchedAccount(t *testing.T) {
	c := load(t, ``)
	f := &fake{answer: "ok"}
	c1, _ := run(t, c, f, "", user("a"))
	f.account = "B" // the preferred account "A" is unusable
	h := []plugin.Message{user("a"), asst("ok"), user("b")}
	c2, _ := run(t, c, f, "", h...)
	if c2.account != "B" || c2.continued || c2.conv == c1.conv || c2.query != mimo.Flatten(h) {
		t.Fatalf("switched turn = %+v, want a new conversation with the full history", c2)
	}
	f.account = ""
	c3, _ := run(t, c, f, "", append(h, asst("ok"), user("c"))...)
	if c3.preferred != "B" || c3.conv != c2.conv || c3.query != "user: c" {
		t.Errorf("next turn = %+v, want B's conversation", c3)
	}
}

// TestSerialised checks that a second request of a conversation waits until the first one's
// answer stream ended, and that waiting respects the context.
func TestSerialised(t *testing.T) {
	c := load(t, ``)
	f := &fake{answer: "ok"}
	run(t, c, f, "", user("a"))
	h := []plugin.Message{user("a"), asst("ok"), user("b")}

	ex1 := plugintest.NewExchange("/", "{}")
	ex1.Request = &plugin.Request{Messages: h}
	if err := c.Handle(t.Context(), ex1, f.next); err != nil {
		t.Fatal(err)
	}
	// The first answer is still streaming: a second request waits.
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		ex2 := plugintest.NewExchange("/", "{}")
		ex2.Request = &plugin.Request{Messages: h}
		done <- c.Handle(t.Context(), ex2, func(ctx context.Context, ex *plugin.Exchange) error {
			close(started)
			return f.next(ctx, ex)
		})
	}()
	select {
	case <-started:
		t.Fatal("the second request ran while the first was streaming")
	case <-time.After(50 * time.Millisecond): // negative check
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ex3 := plugintest.NewExchange("/", "{}")
	ex3.Request = &plugin.Request{Messages: h}
	if err := c.Handle(ctx, ex3, f.next); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	plugintest.Collect(ex1.Response.Events)
	<-started
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestEvictionAndDelete(t *testing.T) {
	acct := &plugin.Account{ID: "A", UserID: "A", ServiceToken: "tok-A-0123456789", PH: "ph-A-0123456789"}
	s := sim.New(sim.Options{Accounts: []sim.Account{{UserID: "A", ServiceToken: "tok-A-0123456789", PH: "ph-A-0123456789"}}})
	srv := httptest.NewServer(s)
	defer srv.Close()
	h := plugintest.NewHost(t)
	h.Pool = data.NewPool([]*plugin.Account{acct}, data.PoolOptions{})
	h.Set.UpstreamURL = srv.URL
	c := plugintest.Load[*Continuity](t, h, ID, `{"max_per_account":2,"ttl":"1h","delete_expired":true}`)
	now := time.Unix(1_700_000_000, 0)
	c.now = func() time.Time { return now }
	f := &fake{answer: "ok"}
	var convs []string
	for _, q := range []string{"one", "two", "three"} {
		cl, _ := run(t, c, f, "", user(q))
		convs = append(convs, cl.conv)
		now = now.Add(time.Minute)
	}
	c.wg.Wait() // the background deletions
	if got := s.DeletedConversations(); !slices.Equal(got, convs[:1]) {
		t.Errorf("deleted %v, want the least recently used %v", got, convs[:1])
	}
	// "two" has expired two hours later; "three" is continued.
	now = now.Add(2 * time.Hour)
	c3, _ := run(t, c, f, "", user("two"), asst("ok"), user("more"))
	if c3.continued {
		t.Errorf("expired conversation continued: %+v", c3)
	}
	c.wg.Wait()
	if got := s.DeletedConversations(); len(got) < 2 || !slices.Contains(got, convs[1]) {
		t.Errorf("deleted %v, want %s among them", got, convs[1])
	}
}

func TestValidate(t *testing.T) {
	for _, with := range []string{`{"rotate_keep":-1}`, `{"max_per_account":-2}`, `{"rotate_tokens":-5}`, `{"bogus":1}`} {
		if _, err := plugin.Load(ID, []byte(with), plugintest.NewHost(t)); err == nil {
			t.Errorf("%s: accepted", with)
		}
	}
}
