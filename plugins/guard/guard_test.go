package guard

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	"github.com/mimo2api/mimo2api/plugins/upstream"
)

var acct = &plugin.Account{ID: "7", UserID: "7", ServiceToken: "guard-token-0123456789", PH: "guard-ph-0123456789"}

func setup(t *testing.T, opts sim.Options, with string) (*sim.Server, *QueryLength) {
	t.Helper()
	opts.Accounts = []sim.Account{{UserID: "7", ServiceToken: acct.ServiceToken.Reveal(), PH: acct.PH.Reveal()}}
	s := sim.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	h := plugintest.NewHost(t)
	h.Pool = data.NewPool([]*plugin.Account{acct}, data.PoolOptions{})
	h.Set.UpstreamURL = srv.URL
	return s, plugintest.Load[*QueryLength](t, h, ID, with)
}

func exchange(msgs ...plugin.Message) *plugin.Exchange {
	ex := plugintest.NewExchange("/", "{}")
	ex.Request = &plugin.Request{Model: "mimo-v2.5-pro", Messages: msgs}
	ex.Account = acct
	return ex
}

// final records the keys the terminal sees.
type final struct {
	called      bool
	conv, query string
	hasConv     bool
}

func (f *final) next(_ context.Context, ex *plugin.Exchange) error {
	f.called = true
	f.conv, f.hasConv = upstream.ConversationID.Get(ex)
	f.query, _ = upstream.Query.Get(ex)
	return nil
}

func user(s string) plugin.Message { return plugin.TextMessage(plugin.RoleUser, s) }

func TestFits(t *testing.T) {
	s, g := setup(t, sim.Options{}, `{"max_chars":100}`)
	var f final
	if err := g.Handle(t.Context(), exchange(user("short")), f.next); err != nil || !f.called {
		t.Fatal(err)
	}
	if f.hasConv || f.query != "" || len(s.Requests()) != 0 {
		t.Errorf("a short query was changed: %+v, %d upstream calls", f, len(s.Requests()))
	}
}

func TestReject(t *testing.T) {
	tests := []struct{ name, with string }{
		{"chars", `{"max_chars":100,"mode":"reject"}`},
		{"tokens", `{"max_tokens":10,"mode":"reject"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, g := setup(t, sim.Options{}, tt.with)
			var f final
			err := g.Handle(t.Context(), exchange(user(strings.Repeat("x", 200))), f.next)
			pe := plugin.AsError(err)
			if pe.Status != 400 || pe.Code != plugin.CodeContextLength || f.called {
				t.Errorf("err = %v, terminal called %v", err, f.called)
			}
		})
	}
}

func TestWarmup(t *testing.T) {
	msgs := []plugin.Message{
		plugin.TextMessage(plugin.RoleSystem, "Be brief."),
		user(strings.Repeat("a", 300)),
		plugin.TextMessage(plugin.RoleAssistant, strings.Repeat("b", 300)),
		user(strings.Repeat("长", 700)), // longer than a chunk: sliced
		user("the question"),
	}
	s, g := setup(t, sim.Options{DefaultScenario: "plain"}, `{"max_chars":400}`)
	var f final
	if err := g.Handle(t.Context(), exchange(msgs...), f.next); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) < 3 {
		t.Fatalf("%d warm-ups", len(reqs))
	}
	var parts []string
	for i, r := range reqs {
		if r.ConversationID != f.conv {
			t.Errorf("warm-up %d in conversation %s, want %s", i, r.ConversationID, f.conv)
		}
		if n := utf8.RuneCountInString(r.Query); n > 400 {
			t.Errorf("warm-up %d has %d characters", i, n)
		}
		q, ok := strings.CutSuffix(r.Query, ContinueSuffix)
		if !ok {
			t.Errorf("warm-up %d lacks the continue suffix", i)
		}
		parts = append(parts, q)
	}
	if !strings.HasPrefix(f.query, "system: Be brief.\n") || !strings.HasSuffix(f.query, "user: the question") {
		t.Errorf("real query = %q", f.query)
	}
	// Everything was sent once, in order (slices of one message are not newline-separated).
	got := strings.Join(append(parts, strings.TrimPrefix(f.query, "system: Be brief.\n")), "\n")
	if strings.ReplaceAll(got, "\n", "") != strings.ReplaceAll(mimo.Flatten(msgs), "\n", "") {
		t.Errorf("the chunks do not add up to the query:\n%q", got)
	}
}

func TestWarmupContinuedConversation(t *testing.T) {
	s, g := setup(t, sim.Options{}, `{"max_chars":100}`)
	ex := exchange(user("x"))
	upstream.ConversationID.Set(ex, "conv-1")
	upstream.Query.Set(ex, "tool: "+strings.Repeat("r", 150))
	var f final
	if err := g.Handle(t.Context(), ex, f.next); err != nil {
		t.Fatal(err)
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].ConversationID != "conv-1" || f.conv != "conv-1" {
		t.Errorf("warm-ups %d, conversation %q", len(reqs), f.conv)
	}
}

func TestWarmupRestoresKeysOnFailure(t *testing.T) {
	_, g := setup(t, sim.Options{}, `{"max_chars":100}`)
	ex := exchange(user(strings.Repeat("q", 150)))
	boom := &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Retryable: true}
	err := g.Handle(t.Context(), ex, func(context.Context, *plugin.Exchange) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, ok := upstream.ConversationID.Get(ex); ok {
		t.Error("conversation id left behind")
	}
	if _, ok := upstream.Query.Get(ex); ok {
		t.Error("query left behind")
	}
}

func TestWarmupTooLong(t *testing.T) {
	_, g := setup(t, sim.Options{MaxQueryChars: 50}, `{"max_chars":100}`)
	var f final
	err := g.Handle(t.Context(), exchange(user(strings.Repeat("q", 150))), f.next)
	if pe := plugin.AsError(err); pe.Code != plugin.CodeContextLength || f.called {
		t.Errorf("err = %v", err)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		q     string
		limit int
		want  int
	}{
		{"one unit", "user: hi", 100, 1},
		{"two units", "user: " + strings.Repeat("a", 60) + "\nassistant: " + strings.Repeat("b", 60), 100, 2},
		{"sliced", "user: " + strings.Repeat("é", 250), 100, 4},
		{"newline without role stays", "user: a\nb\nc", 100, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := split(tt.q, tt.limit)
			if len(got) != tt.want {
				t.Fatalf("%d chunks, want %d: %q", len(got), tt.want, got)
			}
			for _, c := range got {
				if !utf8.ValidString(c) || utf8.RuneCountInString(c) > tt.limit {
					t.Errorf("chunk %q", c)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, with := range []string{`{"mode":"drop"}`, `{"max_chars":5}`, `{"max_tokens":-1}`} {
		if _, err := plugin.Load(ID, []byte(with), plugintest.NewHost(t)); err == nil {
			t.Errorf("%s: accepted", with)
		}
	}
}
