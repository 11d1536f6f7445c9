package e2e

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/prompt"
	_ "github.com/mimo2api/mimo2api/plugins/sieve"
)

// toolsPath serves a copy of the openai-chat route with prompt.mimoml after the dialect and
// sieve.tools after upstream.mimo.
const toolsPath = "/tools/v1/chat/completions"

func withToolRoute(bc *conf.Bootstrap) {
	for _, r := range bc.Routes {
		if r.Name != "openai-chat" {
			continue
		}
		r.Name, r.Path = "openai-chat-tools", toolsPath
		var chain []conf.Entry
		for _, e := range r.Chain {
			switch e.Use {
			case "prompt.mimoml", "sieve.tools":
				continue // re-inserted below, at the documented positions
			case "session.continuity":
				continue // these tests assert full-history turns; session_test covers continuation
			}
			chain = append(chain, e)
			switch e.Use {
			case "dialect.openai_chat":
				chain = append(chain, conf.Entry{Use: "prompt.mimoml"})
			case "upstream.mimo":
				chain = append(chain, conf.Entry{Use: "sieve.tools"})
			}
		}
		r.Chain = chain
		bc.Routes = append(bc.Routes, r)
		return
	}
	panic("no openai-chat route")
}

// toolResultScenario replaces the simulator's tool_result scenario, which reads only the
// "tool: [tool_result id=…] text" form of Flatten: it answers with the A.10 get_weather call
// until a MiMoML tool result follows the last user turn, then with "The tool said: <result>".
func toolResultScenario(req *sim.Received) sim.Reply {
	const open, close = "<|MiMoML|tool_result call_id=\"", "</|MiMoML|tool_result>"
	q := req.Query
	if i := strings.LastIndex(q, "\nuser: "); i >= 0 {
		q = q[i:]
	}
	start := strings.LastIndex(q, open)
	if start < 0 {
		return sim.Reply{Frames: []sim.Frame{
			sim.DialogID("42"),
			sim.Message("I'll check.\n<|MiM"),
			sim.Message("oML|tool_calls>\n  <|MiMoML|invoke name=\"get_weather\">\n    <|MiMoML|parameter name=\"city\"><![CDATA[北"),
			sim.Message("京]]></|MiMoML|parameter>\n    <|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n  </|MiMoML|invoke>\n</|MiMoML|tool_calls>"),
			sim.Usage(410, 60),
			sim.Finish(),
		}}
	}
	body := q[start:]
	body = body[strings.IndexByte(body, '\n')+1:]
	body, _, _ = strings.Cut(body, "\n"+close)
	return sim.Reply{Frames: sim.Text("The tool said: ", body)}
}

func startTools(t *testing.T) *env {
	return start(t, setup{
		sim:    sim.Options{Scenarios: map[string]sim.Scenario{"tool_result": toolResultScenario}},
		mutate: withToolRoute,
	})
}

func (e *env) toolsClient() openai.Client {
	return e.client(option.WithBaseURL(e.gw.URL + "/tools/v1/"))
}

var toolsWeather = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Get the weather forecast for a city."),
	Parameters: shared.FunctionParameters{
		"type": "object",
		"properties": map[string]any{
			"city": map[string]any{"type": "string"},
			"days": map[string]any{"type": "integer"},
		},
		"required": []string{"city"},
	},
})

func toolParams(msgs ...openai.ChatCompletionMessageParamUnion) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "mimo-v2.5-pro",
		Messages: msgs,
		Tools:    []openai.ChatCompletionToolUnionParam{toolsWeather},
	}
}

const weatherPrompt = "[sim:tool_result] What is the weather in 北京 for the next 3 days?"

// checkWeatherCall checks the client's view of turn 1.
func checkWeatherCall(t *testing.T, msg openai.ChatCompletionMessage, finish string) {
	t.Helper()
	if finish != "tool_calls" {
		t.Errorf("finish_reason = %q, want tool_calls", finish)
	}
	if len(msg.ToolCalls) != 1 {
		t.Fatalf("tool calls = %+v, want one", msg.ToolCalls)
	}
	c := msg.ToolCalls[0]
	if c.Function.Name != "get_weather" || !strings.HasPrefix(c.ID, "call_") || len(c.ID) != 29 {
		t.Errorf("call = %+v", c)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(c.Function.Arguments), &args); err != nil {
		t.Fatalf("arguments %q: %v", c.Function.Arguments, err)
	}
	if diff := cmp.Diff(map[string]any{"city": "北京", "days": 3.0}, args); diff != "" {
		t.Errorf("arguments (-want +got):\n%s", diff)
	}
	if strings.Contains(msg.Content, "MiMoML") {
		t.Errorf("content leaks markup: %q", msg.Content)
	}
}

// checkTurn2Query checks what the upstream received for turn 2.
func checkTurn2Query(t *testing.T, e *env, callID string) {
	t.Helper()
	reqs := e.sim.Requests()
	if len(reqs) != 2 {
		t.Fatalf("upstream got %d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		if !strings.HasPrefix(r.Query, "system: # Tool configuration (set by the application)") ||
			!strings.Contains(r.Query, "- get_weather: Get the weather forecast for a city.") {
			t.Errorf("turn %d query lacks the tool prompt:\n%s", i+1, r.Query)
		}
	}
	q := reqs[1].Query
	wantCall := "\nassistant: I'll check.\n<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"get_weather\">\n" +
		"<|MiMoML|parameter name=\"city\"><![CDATA[北京]]></|MiMoML|parameter>\n" +
		"<|MiMoML|parameter name=\"days\">3</|MiMoML|parameter>\n</|MiMoML|invoke>\n</|MiMoML|tool_calls>\n"
	wantResult := "\ntool: <|MiMoML|tool_result call_id=\"" + callID + "\">\n22°C, sunny\n</|MiMoML|tool_result>"
	if !strings.Contains(q, wantCall) || !strings.HasSuffix(q, wantResult) {
		t.Errorf("turn 2 query lacks the rendered call or result:\n%s", q)
	}
	if strings.Contains(q, "[tool_call") || strings.Contains(q, "[tool_result") {
		t.Errorf("turn 2 query renders the history twice:\n%s", q)
	}
}

func TestToolRoundTrip(t *testing.T) {
	e := startTools(t)
	c := e.toolsClient()
	user := openai.UserMessage(weatherPrompt)

	resp, err := c.Chat.Completions.New(t.Context(), toolParams(user))
	if err != nil {
		t.Fatal(err)
	}
	msg := resp.Choices[0].Message
	checkWeatherCall(t, msg, resp.Choices[0].FinishReason)
	if t.Failed() {
		return
	}
	callID := msg.ToolCalls[0].ID

	resp, err = c.Chat.Completions.New(t.Context(), toolParams(user, msg.ToParam(), openai.ToolMessage("22°C, sunny", callID)))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "The tool said: 22°C, sunny" || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("turn 2: content %q finish %q", got, resp.Choices[0].FinishReason)
	}
	checkTurn2Query(t, e, callID)
}

func TestToolRoundTripStream(t *testing.T) {
	e := startTools(t)
	c := e.toolsClient()
	user := openai.UserMessage(weatherPrompt)

	turn := func(msgs ...openai.ChatCompletionMessageParamUnion) openai.ChatCompletionAccumulator {
		t.Helper()
		stream := c.Chat.Completions.NewStreaming(t.Context(), toolParams(msgs...))
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			chunk := stream.Current()
			if len(chunk.Choices) > 1 {
				t.Errorf("chunk with %d choices", len(chunk.Choices))
			}
			acc.AddChunk(chunk)
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		return acc
	}
	acc := turn(user)
	msg := acc.Choices[0].Message
	checkWeatherCall(t, msg, acc.Choices[0].FinishReason)
	if t.Failed() {
		return
	}
	callID := msg.ToolCalls[0].ID

	acc = turn(user, msg.ToParam(), openai.ToolMessage("22°C, sunny", callID))
	if got := acc.Choices[0].Message.Content; got != "The tool said: 22°C, sunny" || acc.Choices[0].FinishReason != "stop" {
		t.Errorf("turn 2: content %q finish %q", got, acc.Choices[0].FinishReason)
	}
	checkTurn2Query(t, e, callID)
}

// TestToolChoiceNone: tool_choice "none" injects nothing and no call is extracted.
func TestToolChoiceNone(t *testing.T) {
	e := startTools(t)
	p := toolParams(openai.UserMessage(weatherPrompt))
	p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("none")}
	c := e.toolsClient()
	resp, err := c.Chat.Completions.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices[0].Message.ToolCalls) != 0 || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("message %+v finish %q", resp.Choices[0].Message, resp.Choices[0].FinishReason)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 1 || reqs[0].Query != "user: "+weatherPrompt {
		t.Errorf("upstream query = %q, want only the user line", reqs[0].Query)
	}
}

// TestToolChoiceRequiredUnmet: a required call the model does not make is a 422.
func TestToolChoiceRequiredUnmet(t *testing.T) {
	e := startTools(t)
	p := toolParams(openai.UserMessage("Hello"))
	p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	c := e.toolsClient()
	_, err := c.Chat.Completions.New(t.Context(), p)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 422 {
		t.Fatalf("err = %v, want a 422", err)
	}
	if !strings.Contains(apiErr.Message, "did not call a tool") {
		t.Errorf("message = %q", apiErr.Message)
	}
}
