package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"

	_ "github.com/mimo2api/mimo2api/plugins/dialect/anthropic"
	_ "github.com/mimo2api/mimo2api/plugins/tokens"
)

// startAnthropic starts a gateway with the Anthropic routes.
func startAnthropic(t *testing.T) *env {
	t.Helper()
	return start(t, setup{}) // the shipped configuration serves /v1/messages
}

// anthropicClient returns an official Anthropic client for the gateway, without retries.
func (e *env) anthropicClient(opts ...aoption.RequestOption) sdk.Client {
	return sdk.NewClient(append([]aoption.RequestOption{
		aoption.WithBaseURL(e.gw.URL),
		aoption.WithAPIKey(apiKey),
		aoption.WithMaxRetries(0),
		aoption.WithHTTPClient(&http.Client{Transport: &http.Transport{}}),
	}, opts...)...)
}

func messageParams(model, prompt string) sdk.MessageNewParams {
	return sdk.MessageNewParams{
		Model:     sdk.Model(model),
		MaxTokens: 1024,
		Messages:  []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock(prompt))},
	}
}

// textOf returns the concatenated text blocks of m and its thinking.
func textOf(m *sdk.Message) (text, thinking string) {
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			text += b.Text
		case "thinking":
			thinking += b.Thinking
		}
	}
	return text, thinking
}

func TestAnthropicPlain(t *testing.T) {
	e := startAnthropic(t)
	c := e.anthropicClient()
	msg, err := c.Messages.New(t.Context(), messageParams("claude-sonnet-4-5-20250929", "Hello"))
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := textOf(msg); text != "Hello there!" {
		t.Errorf("text = %q", text)
	}
	if !strings.HasPrefix(msg.ID, "msg_") || len(msg.ID) != 28 || msg.Model != "claude-sonnet-4-5-20250929" || msg.StopReason != sdk.StopReasonEndTurn {
		t.Errorf("id %q model %q stop %q", msg.ID, msg.Model, msg.StopReason)
	}
	if msg.Usage.InputTokens != 12 || msg.Usage.OutputTokens != 3 {
		t.Errorf("usage = %+v", msg.Usage)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 1 || reqs[0].Model != "mimo-v2.5" || reqs[0].Query != "user: Hello" || reqs[0].EnableThinking {
		t.Fatalf("upstream requests = %+v", reqs)
	}
}

func TestAnthropicThinking(t *testing.T) {
	e := startAnthropic(t)
	c := e.anthropicClient()
	p := messageParams("claude-opus-4-1", "[sim:reasoning] What is 2+2?")
	p.Thinking = sdk.ThinkingConfigParamOfEnabled(2048)
	msg, err := c.Messages.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	text, thinking := textOf(msg)
	if text != "The answer is 4." || thinking != "Let me add 2 and 2." {
		t.Errorf("text %q thinking %q", text, thinking)
	}
	if len(msg.Content) != 2 || msg.Content[0].Type != "thinking" || msg.Content[0].Signature == "" {
		t.Errorf("content = %+v", msg.Content)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 1 || reqs[0].Model != "mimo-v2.5-pro" || !reqs[0].EnableThinking || reqs[0].ReasoningEffort != "low" {
		t.Fatalf("upstream requests = %+v", reqs)
	}
}

func TestAnthropicStream(t *testing.T) {
	e := startAnthropic(t)
	c := e.anthropicClient()
	p := messageParams("claude-opus-4-1", "[sim:reasoning] What is 2+2?")
	p.Thinking = sdk.ThinkingConfigParamOfEnabled(20000)
	stream := c.Messages.NewStreaming(t.Context(), p)
	var acc sdk.Message
	var types []string
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if err := acc.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	text, thinking := textOf(&acc)
	if text != "The answer is 4." || thinking != "Let me add 2 and 2." {
		t.Errorf("text %q thinking %q", text, thinking)
	}
	if acc.StopReason != sdk.StopReasonEndTurn || acc.Usage.InputTokens != 20 || acc.Usage.OutputTokens != 14 {
		t.Errorf("stop %q usage %+v", acc.StopReason, acc.Usage)
	}
	if len(acc.Content) != 2 || acc.Content[0].Signature == "" {
		t.Errorf("content = %+v", acc.Content)
	}
	if len(types) < 8 || types[0] != "message_start" || types[len(types)-1] != "message_stop" {
		t.Errorf("event types = %v", types)
	}
	if r := e.sim.Requests(); len(r) != 1 || r[0].ReasoningEffort != "high" {
		t.Errorf("upstream requests = %+v", r)
	}
}

func TestAnthropicStopSequences(t *testing.T) {
	for _, streaming := range []bool{false, true} {
		name := "message"
		if streaming {
			name = "stream"
		}
		t.Run(name, func(t *testing.T) {
			e := startAnthropic(t)
			c := e.anthropicClient()
			p := messageParams("mimo-v2.5", "[sim:echo] alpha beta STOP gamma delta")
			p.StopSequences = []string{"STOP", "never"}
			var msg *sdk.Message
			if streaming {
				stream := c.Messages.NewStreaming(t.Context(), p)
				msg = new(sdk.Message)
				for stream.Next() {
					if err := msg.Accumulate(stream.Current()); err != nil {
						t.Fatal(err)
					}
				}
				if err := stream.Err(); err != nil {
					t.Fatal(err)
				}
			} else {
				var err error
				if msg, err = c.Messages.New(t.Context(), p); err != nil {
					t.Fatal(err)
				}
			}
			text, _ := textOf(msg)
			if !strings.HasSuffix(text, "alpha beta ") || strings.Contains(text, "gamma") {
				t.Errorf("text = %q", text)
			}
			if msg.StopReason != sdk.StopReasonStopSequence || msg.StopSequence != "STOP" {
				t.Errorf("stop %q sequence %q", msg.StopReason, msg.StopSequence)
			}
		})
	}
}

func TestAnthropicCountTokens(t *testing.T) {
	e := startAnthropic(t)
	c := e.anthropicClient()
	count := func(prompt string) int64 {
		t.Helper()
		res, err := c.Messages.CountTokens(t.Context(), sdk.MessageCountTokensParams{
			Model:    sdk.Model("claude-sonnet-4-5"),
			Messages: []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock(prompt))},
			System:   sdk.MessageCountTokensParamsSystemUnion{OfTextBlockArray: []sdk.TextBlockParam{{Text: "You are terse."}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res.InputTokens
	}
	short, long := count("Hello"), count("Hello, please tell me a long story about a dragon and a knight.")
	if short <= 0 || long <= short {
		t.Errorf("counts: short %d long %d", short, long)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("count_tokens reached the upstream %d times", n)
	}
}

func TestAnthropicErrors(t *testing.T) {
	e := startAnthropic(t)
	tests := []struct {
		name   string
		client sdk.Client
		model  string
		status int
		typ    string
		msg    string
	}{
		{"bad key", e.anthropicClient(aoption.WithAPIKey("sk-wrong")), "claude-sonnet-4-5", 401, "authentication_error", ""},
		{"unknown model", e.anthropicClient(), "gpt-4o", 404, "not_found_error", "model: gpt-4o"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.Messages.New(t.Context(), messageParams(tt.model, "Hello"))
			var apiErr *sdk.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an API error", err)
			}
			if apiErr.StatusCode != tt.status || string(apiErr.Type()) != tt.typ || (tt.msg != "" && apiErr.Message != tt.msg) {
				t.Errorf("status %d type %q message %q", apiErr.StatusCode, apiErr.Type(), apiErr.Message)
			}
			if apiErr.RequestID == "" {
				t.Error("no request-id header")
			}
		})
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("rejected requests reached the upstream %d times", n)
	}
}
