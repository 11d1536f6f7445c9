package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

var toolEvents = []plugin.Event{
	reasoning("The user wants weather. "), reasoning("Call the tool."),
	text("Checking."),
	call("call_a", "get_weather", `{"city":"北京"}`),
	call("call_b", "get_time", `{"tz":"Asia/Shanghai"}`),
	usage(12, 30, 7),
	finish(plugin.FinishStop),
}

// TestSDKUnmarshal parses the produced bytes with the official client's types.
func TestSDKUnmarshal(t *testing.T) {
	c := newChat(t, `{}`)

	_, body := render(t, c, &plugin.Request{Model: "mimo-v2.5"}, plugin.Events(toolEvents...))
	var comp oai.ChatCompletion
	if err := json.Unmarshal([]byte(body), &comp); err != nil {
		t.Fatalf("ChatCompletion: %v\n%s", err, body)
	}
	if comp.ID != testID || comp.Object != "chat.completion" || comp.Created != testCreated || comp.Model != "mimo-v2.5" || len(comp.Choices) != 1 {
		t.Fatalf("completion header %+v", comp)
	}
	checkMessage(t, comp.Choices[0].Message.Content, comp.Choices[0].Message.JSON.ExtraFields["reasoning_content"].Raw(),
		comp.Choices[0].FinishReason, comp.Choices[0].Message.ToolCalls)
	if u := comp.Usage; u.PromptTokens != 12 || u.CompletionTokens != 30 || u.TotalTokens != 42 || u.CompletionTokensDetails.ReasoningTokens != 7 {
		t.Errorf("usage = %+v", u)
	}

	_, body = render(t, c, &plugin.Request{Model: "mimo-v2.5", Stream: true, IncludeUsage: true}, plugin.Events(toolEvents...))
	var (
		acc       oai.ChatCompletionAccumulator
		reasoning string
	)
	for _, p := range frames(t, body) {
		if p == "[DONE]" {
			break
		}
		var ck oai.ChatCompletionChunk
		if err := json.Unmarshal([]byte(p), &ck); err != nil {
			t.Fatalf("ChatCompletionChunk: %v\n%s", err, p)
		}
		if len(ck.Choices) > 0 {
			if raw := ck.Choices[0].Delta.JSON.ExtraFields["reasoning_content"].Raw(); raw != "" {
				var s string
				if err := json.Unmarshal([]byte(raw), &s); err != nil {
					t.Fatal(err)
				}
				reasoning += s
			}
		}
		if !acc.AddChunk(ck) {
			t.Fatalf("accumulator rejected chunk %s", p)
		}
	}
	if len(acc.Choices) != 1 {
		t.Fatalf("accumulated %d choices", len(acc.Choices))
	}
	rc, _ := json.Marshal(reasoning)
	checkMessage(t, acc.Choices[0].Message.Content, string(rc), acc.Choices[0].FinishReason, acc.Choices[0].Message.ToolCalls)
	if u := acc.Usage; u.PromptTokens != 12 || u.TotalTokens != 42 || u.CompletionTokensDetails.ReasoningTokens != 7 {
		t.Errorf("accumulated usage = %+v", u)
	}
}

func checkMessage(t *testing.T, content, reasoningRaw, finish string, calls []oai.ChatCompletionMessageToolCallUnion) {
	t.Helper()
	if content != "Checking." {
		t.Errorf("content = %q", content)
	}
	if reasoningRaw != `"The user wants weather. Call the tool."` {
		t.Errorf("reasoning_content = %s", reasoningRaw)
	}
	if finish != "tool_calls" {
		t.Errorf("finish_reason = %q", finish)
	}
	if len(calls) != 2 {
		t.Fatalf("tool calls = %+v", calls)
	}
	want := [][3]string{{"call_a", "get_weather", `{"city":"北京"}`}, {"call_b", "get_time", `{"tz":"Asia/Shanghai"}`}}
	for i, tc := range calls {
		if got := [3]string{tc.ID, tc.Function.Name, tc.Function.Arguments}; got != want[i] || tc.Type != "function" {
			t.Errorf("tool call %d = %v (type %q), want %v", i, got, tc.Type, want[i])
		}
	}
}

// serve runs the dialect behind a loopback server whose chain ends in next.
func serve(t *testing.T, c *Chat, next plugin.Next) *oai.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
			return
		}
		ex := &plugin.Exchange{HTTP: r, Body: body, Dialect: c}
		if err := c.Handle(r.Context(), ex, next); err != nil {
			c.WriteError(w, ex, plugin.AsError(err))
			return
		}
		c.WriteStream(w, ex, ex.Response.Events)
	}))
	t.Cleanup(srv.Close)
	client := oai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("sk-test"), option.WithMaxRetries(0))
	return &client
}

func weatherParams() oai.ChatCompletionNewParams {
	return oai.ChatCompletionNewParams{
		Model:    "mimo-v2.5",
		Messages: []oai.ChatCompletionMessageParamUnion{oai.SystemMessage("be brief"), oai.UserMessage("weather in Beijing?")},
		Tools: []oai.ChatCompletionToolUnionParam{
			oai.ChatCompletionFunctionTool(oai.FunctionDefinitionParam{Name: "get_weather", Parameters: oai.FunctionParameters{"type": "object"}}),
			oai.ChatCompletionFunctionTool(oai.FunctionDefinitionParam{Name: "get_time"}),
		},
		StreamOptions: oai.ChatCompletionStreamOptionsParam{IncludeUsage: oai.Bool(true)},
	}
}

// TestSDKClient drives the dialect with the official client over loopback.
func TestSDKClient(t *testing.T) {
	c := newChat(t, `{"reasoning_field":"reasoning_content"}`)
	var seen *plugin.Request
	client := serve(t, c, func(ctx context.Context, ex *plugin.Exchange) error {
		seen = ex.Request
		ex.Response.Events = plugin.Events(toolEvents...)
		return nil
	})
	ctx := context.Background()

	comp, err := client.Chat.Completions.New(ctx, weatherParams())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if seen == nil || len(seen.Tools) != 2 || len(seen.Messages) != 2 || seen.Messages[0].Role != plugin.RoleSystem {
		t.Errorf("decoded request = %+v", seen)
	}
	m := comp.Choices[0].Message
	checkMessage(t, m.Content, m.JSON.ExtraFields["reasoning_content"].Raw(), comp.Choices[0].FinishReason, m.ToolCalls)

	stream := client.Chat.Completions.NewStreaming(ctx, weatherParams())
	var acc oai.ChatCompletionAccumulator
	n := 0
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("accumulator rejected chunk %s", stream.Current().RawJSON())
		}
		n++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if !seen.Stream || !seen.IncludeUsage {
		t.Errorf("stream request decoded as %+v", seen)
	}
	if n != 8 { // role, 2 reasoning, text, 2 calls, finish, usage
		t.Errorf("got %d chunks, want 8", n)
	}
	if acc.Choices[0].Message.Content != "Checking." || acc.Choices[0].FinishReason != "tool_calls" || len(acc.Choices[0].Message.ToolCalls) != 2 || acc.Usage.TotalTokens != 42 {
		t.Errorf("accumulated %+v", acc.ChatCompletion)
	}
}

func TestSDKErrors(t *testing.T) {
	c := newChat(t, `{}`)
	ctx := context.Background()

	client := serve(t, c, plugintest.Fail(&plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Message: "slow down"}))
	_, err := client.Chat.Completions.New(ctx, weatherParams())
	var apiErr *oai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Type != "rate_limit_error" || apiErr.Code != "rate_limit_exceeded" || apiErr.Message != "slow down" {
		t.Errorf("rate limit error = %#v", err)
	}

	params := weatherParams()
	params.ToolChoice = oai.ChatCompletionToolChoiceOptionUnionParam{OfFunctionToolChoice: &oai.ChatCompletionNamedToolChoiceParam{
		Function: oai.ChatCompletionNamedToolChoiceFunctionParam{Name: "missing"}}}
	_, err = client.Chat.Completions.New(ctx, params)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Type != "invalid_request_error" || apiErr.Param != "tool_choice" {
		t.Errorf("bad request error = %#v", err)
	}

	client = serve(t, c, func(ctx context.Context, ex *plugin.Exchange) error {
		ex.Response.Events = func(yield func(plugin.Event, error) bool) {
			if yield(text("partial"), nil) {
				yield(plugin.Event{}, &plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "upstream failed"})
			}
		}
		return nil
	})
	stream := client.Chat.Completions.NewStreaming(ctx, weatherParams())
	var content string
	for stream.Next() {
		if ch := stream.Current().Choices; len(ch) > 0 {
			content += ch[0].Delta.Content
		}
	}
	if content != "partial" || stream.Err() == nil {
		t.Errorf("mid-stream error: content %q, err %v", content, stream.Err())
	}
}
