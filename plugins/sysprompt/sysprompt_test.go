package sysprompt_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
	"github.com/mimo2api/mimo2api/plugins/sysprompt"
)

func sys(text string) plugin.Message  { return plugin.TextMessage(plugin.RoleSystem, text) }
func user(text string) plugin.Message { return plugin.TextMessage(plugin.RoleUser, text) }
func asst(text string) plugin.Message { return plugin.TextMessage(plugin.RoleAssistant, text) }

func TestHandle(t *testing.T) {
	conversation := []plugin.Message{sys("client 1"), user("hi"), sys("client 2"), asst("hello"), user("bye")}
	tests := []struct {
		name string
		with string
		msgs []plugin.Message
		want []plugin.Message
	}{
		{"default prepends", `{"text":"op"}`, conversation,
			[]plugin.Message{sys("op"), sys("client 1"), user("hi"), sys("client 2"), asst("hello"), user("bye")}},
		{"prepend", `{"text":"op","position":"prepend"}`, []plugin.Message{user("hi")},
			[]plugin.Message{sys("op"), user("hi")}},
		{"append after the last system message", `{"text":"op","position":"append"}`, conversation,
			[]plugin.Message{sys("client 1"), user("hi"), sys("client 2"), sys("op"), asst("hello"), user("bye")}},
		{"append without system messages", `{"text":"op","position":"append"}`, []plugin.Message{user("hi"), asst("hello")},
			[]plugin.Message{sys("op"), user("hi"), asst("hello")}},
		{"replace drops the client's system messages", `{"text":"op","position":"replace"}`, conversation,
			[]plugin.Message{sys("op"), user("hi"), asst("hello"), user("bye")}},
		{"empty conversation", `{"text":"op","position":"replace"}`, nil,
			[]plugin.Message{sys("op")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := plugintest.NewHost(t)
			p := plugintest.Load[*sysprompt.Prompt](t, h, sysprompt.ID, tt.with)
			const body = `{"model":"m","messages":[]}`
			ex := plugintest.NewExchange("/v1/chat/completions", body)
			orig := slices.Clone(tt.msgs)
			ex.Request = &plugin.Request{Model: "m", Messages: tt.msgs}

			var seen []plugin.Message
			next := func(ctx context.Context, ex *plugin.Exchange) error {
				seen = ex.Request.Messages
				return plugintest.Reply(plugin.Event{Kind: plugin.EventText, Text: "ok"})(ctx, ex)
			}
			if err := p.Handle(t.Context(), ex, next); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, seen); diff != "" {
				t.Errorf("messages seen by the rest of the chain (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(orig, tt.msgs); diff != "" {
				t.Errorf("the client's message slice was modified (-before +after):\n%s", diff)
			}
			if string(ex.Body) != body {
				t.Errorf("ex.Body was modified: %q", ex.Body)
			}
			evs, err := plugintest.Collect(ex.Response.Events)
			if text, _ := plugintest.Text(evs); err != nil || text != "ok" {
				t.Errorf("response = %q, %v: the stage must pass the rest of the chain's response through", text, err)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		with string
		want string
	}{
		{"no config", ``, "validate: text is required"},
		{"empty text", `{"text":""}`, "validate: text is required"},
		{"blank text", `{"text":"  \n"}`, "validate: text is required"},
		{"unknown position", `{"text":"op","position":"middle"}`, `validate: position "middle": want prepend, append or replace`},
		{"unknown key", `{"text":"op","postion":"append"}`, `with: json: unknown field "postion"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plugin.Load(sysprompt.ID, []byte(tt.with), plugintest.NewHost(t))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestHandleBeforeDialect(t *testing.T) {
	p := plugintest.Load[*sysprompt.Prompt](t, plugintest.NewHost(t), sysprompt.ID, `{"text":"op"}`)
	ex := plugintest.NewExchange("/v1/chat/completions", `{}`)
	called := false
	err := p.Handle(t.Context(), ex, func(context.Context, *plugin.Exchange) error { called = true; return nil })
	pe, ok := errors.AsType[*plugin.Error](err)
	if !ok || pe.Code != plugin.CodeInternal || called {
		t.Fatalf("err = %v, next called = %v: without a canonical request the stage must fail", err, called)
	}
	if !strings.Contains(pe.Err.Error(), "dialect") {
		t.Errorf("the cause %q should tell the operator to place the stage after the dialect", pe.Err)
	}
}

func TestHandleReturnsNextError(t *testing.T) {
	p := plugintest.Load[*sysprompt.Prompt](t, plugintest.NewHost(t), sysprompt.ID, `{"text":"op"}`)
	ex := plugintest.NewExchange("/v1/chat/completions", `{}`)
	ex.Request = &plugin.Request{Messages: []plugin.Message{user("hi")}}
	want := plugin.Errorf(429, plugin.CodeRateLimited, "slow down")
	if err := p.Handle(t.Context(), ex, plugintest.Fail(want)); err != want {
		t.Fatalf("err = %v, want the rest of the chain's error unchanged", err)
	}
}
