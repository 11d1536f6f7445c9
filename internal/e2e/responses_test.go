package e2e

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/dialect/responses"
)

func responseParams(prompt string) responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model: "mimo-v2.5-pro",
		Input: responses.ResponseNewParamsInputUnion{OfString: param.NewOpt(prompt)},
	}
}

func TestResponsesPlain(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	p := responseParams("Hello")
	p.Instructions = param.NewOpt("Be kind.")
	p.Metadata = shared.Metadata{"trace": "t-1"}
	resp, err := c.Responses.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.OutputText(); got != "Hello there!" {
		t.Errorf("output text = %q", got)
	}
	if resp.Status != "completed" || resp.Model != "mimo-v2.5-pro" || !strings.HasPrefix(resp.ID, "resp_") {
		t.Errorf("status %q model %q id %q", resp.Status, resp.Model, resp.ID)
	}
	if len(resp.Output) != 1 || resp.Output[0].Type != "message" || !strings.HasPrefix(resp.Output[0].ID, "msg_") {
		t.Errorf("output = %+v", resp.Output)
	}
	if u := resp.Usage; u.InputTokens != 12 || u.OutputTokens != 3 || u.TotalTokens != 15 {
		t.Errorf("usage = %+v", u)
	}
	if resp.Metadata["trace"] != "t-1" || resp.Instructions.OfString != "Be kind." {
		t.Errorf("echo: metadata %v instructions %q", resp.Metadata, resp.Instructions.OfString)
	}
	r := e.sim.Requests()[0]
	if !strings.Contains(r.Query, "Be kind.") || !strings.Contains(r.Query, "Hello") || r.EnableThinking {
		t.Errorf("upstream query = %q thinking = %v", r.Query, r.EnableThinking)
	}
}

func TestResponsesStream(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	stream := c.Responses.NewStreaming(t.Context(), responseParams("Hello"))
	var (
		text  strings.Builder
		types []string
		final responses.Response
		seq   int64
	)
	for stream.Next() {
		ev := stream.Current()
		if ev.SequenceNumber != seq {
			t.Errorf("%s: sequence_number %d, want %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq++
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			text.WriteString(ev.Delta)
		case "response.completed":
			final = ev.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"}
	if len(types) < len(want)+4 || strings.Join(types[:len(want)], ",") != strings.Join(want, ",") || types[len(types)-1] != "response.completed" {
		t.Errorf("event types = %v", types)
	}
	if text.String() != "Hello there!" || final.OutputText() != "Hello there!" || final.Status != "completed" {
		t.Errorf("deltas %q, final %q (%s)", text.String(), final.OutputText(), final.Status)
	}
	if final.Usage.TotalTokens != 15 {
		t.Errorf("usage = %+v", final.Usage)
	}
}

func TestResponsesReasoning(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	p := responseParams("[sim:reasoning] what is 2+2?")
	p.Reasoning = shared.ReasoningParam{Effort: shared.ReasoningEffortHigh}
	resp, err := c.Responses.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Output) != 2 || resp.Output[0].Type != "reasoning" || resp.Output[1].Type != "message" {
		t.Fatalf("output = %+v", resp.Output)
	}
	if s := resp.Output[0].Summary; len(s) != 1 || s[0].Text != "Let me add 2 and 2." {
		t.Errorf("reasoning summary = %+v", s)
	}
	if resp.OutputText() != "The answer is 4." {
		t.Errorf("output text = %q", resp.OutputText())
	}
	if r := e.sim.Requests()[0]; !r.EnableThinking || r.ReasoningEffort != "high" {
		t.Errorf("upstream thinking = %v effort = %q", r.EnableThinking, r.ReasoningEffort)
	}

	stream := c.Responses.NewStreaming(t.Context(), p)
	var reasoning, text strings.Builder
	for stream.Next() {
		switch ev := stream.Current(); ev.Type {
		case "response.reasoning_summary_text.delta":
			reasoning.WriteString(ev.Delta)
		case "response.output_text.delta":
			text.WriteString(ev.Delta)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if reasoning.String() != "Let me add 2 and 2." || text.String() != "The answer is 4." {
		t.Errorf("streamed reasoning %q text %q", reasoning.String(), text.String())
	}
}

func TestResponsesJSONSchema(t *testing.T) {
	city := func(*sim.Received) sim.Reply {
		return sim.Reply{Frames: sim.Text("```json\n{\"name\": \"Beijing\",", " \"population\": 21540000}\n```")}
	}
	e := start(t, setup{sim: sim.Options{Scenarios: map[string]sim.Scenario{"city": city}}})
	c := e.client()
	p := responseParams("[sim:city] Name a big city.")
	p.Text = responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigUnionParam{
		OfJSONSchema: &responses.ResponseFormatTextJSONSchemaConfigParam{
			Name:   "city",
			Strict: param.NewOpt(true),
			Schema: map[string]any{
				"type":                 "object",
				"properties":           map[string]any{"name": map[string]any{"type": "string"}, "population": map[string]any{"type": "integer"}},
				"required":             []string{"name", "population"},
				"additionalProperties": false,
			},
		},
	}}
	resp, err := c.Responses.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Name       string `json:"name"`
		Population int    `json:"population"`
	}
	if err := json.Unmarshal([]byte(resp.OutputText()), &got); err != nil {
		t.Fatalf("output text %q is not the JSON answer: %v", resp.OutputText(), err)
	}
	if got.Name != "Beijing" || got.Population != 21540000 {
		t.Errorf("answer = %+v", got)
	}
	if resp.Text.Format.Type != "json_schema" || resp.Text.Format.Name != "city" {
		t.Errorf("text echo = %+v", resp.Text.Format)
	}
	if q := e.sim.Requests()[0].Query; !strings.Contains(q, `"population":{"type":"integer"}`) {
		t.Errorf("the schema was not sent upstream: %q", q)
	}
}

func TestResponsesToolResult(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	out := responses.ResponseInputItemParamOfFunctionCallOutput("sunny, 25°C")
	out.OfFunctionCallOutput.CallID = param.NewOpt("call_7")
	p := responses.ResponseNewParams{
		Model: "mimo-v2.5-pro",
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage("[sim:tool_result] weather in Beijing?", responses.EasyInputMessageRoleUser),
			responses.ResponseInputItemParamOfFunctionCall(`{"city":"Beijing"}`, "call_7", "get_weather"),
			out,
		}},
		Tools: []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{
			Name:       "get_weather",
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		}}},
	}
	resp, err := c.Responses.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.OutputText(); got != "The tool said: sunny, 25°C" {
		t.Errorf("output text = %q", got)
	}
	if len(resp.Tools) != 1 || resp.Tools[0].Name != "get_weather" {
		t.Errorf("tools echo = %+v", resp.Tools)
	}
}

func TestResponsesErrors(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	tests := []struct {
		name   string
		opts   []option.RequestOption
		status int
		param  string
	}{
		{"client-executed tool", []option.RequestOption{option.WithJSONSet("tools", []any{map[string]any{"type": "local_shell"}})}, 400, "tools[0].type"},
		{"bad item", []option.RequestOption{option.WithJSONSet("input", []any{map[string]any{"type": "computer_call"}})}, 400, "input[0].type"},
		{"unknown previous response", []option.RequestOption{option.WithJSONSet("previous_response_id", "resp_1")}, 404, "previous_response_id"},
		{"bad effort", []option.RequestOption{option.WithJSONSet("reasoning", map[string]any{"effort": "max"})}, 400, "reasoning.effort"},
		{"upstream failure", []option.RequestOption{option.WithJSONSet("input", "[sim:http500] hi")}, 502, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Responses.New(t.Context(), responseParams("hi"), tt.opts...)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an API error", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Param != tt.param || apiErr.Message == "" {
				t.Errorf("status %d param %q message %q, want %d %q", apiErr.StatusCode, apiErr.Param, apiErr.Message, tt.status, tt.param)
			}
		})
	}
	if n := len(e.sim.Requests()); n != 1 {
		t.Errorf("upstream got %d requests, want 1 (only the upstream failure case)", n)
	}
}

// TestResponsesStreamFailure checks that a failure after the stream started ends it with a
// response.failed event.
func TestResponsesStreamFailure(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	stream := c.Responses.NewStreaming(t.Context(), responseParams("[sim:cut] hi"))
	var last responses.ResponseStreamEventUnion
	for stream.Next() {
		last = stream.Current()
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if last.Type != "response.failed" || last.Response.Status != "failed" || last.Response.Error.Message == "" || last.Response.Error.Code == "" {
		t.Errorf("last event = %s status %q error %+v", last.Type, last.Response.Status, last.Response.Error)
	}
}
