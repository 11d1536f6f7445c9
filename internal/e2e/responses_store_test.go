package e2e

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/prompt"
	_ "github.com/mimo2api/mimo2api/plugins/responsesapi"
	_ "github.com/mimo2api/mimo2api/plugins/sieve"
)

// storedToolScenario calls get_weather until a MiMoML tool result is in the query, then
// answers "The tool said: <result>".
func storedToolScenario(req *sim.Received) sim.Reply {
	const open, end = "<|MiMoML|tool_result call_id=\"", "\n</|MiMoML|tool_result>"
	i := strings.LastIndex(req.Query, open)
	if i < 0 {
		return sim.Reply{Frames: []sim.Frame{
			sim.DialogID("77"),
			sim.Message("Let me look.\n<|MiMoML|tool_calls>\n<|MiMoML|invoke name=\"get_weather\">\n"),
			sim.Message("<|MiMoML|parameter name=\"city\">Beijing</|MiMoML|parameter>\n</|MiMoML|invoke>\n</|MiMoML|tool_calls>"),
			sim.Usage(30, 20),
			sim.Finish(),
		}}
	}
	body := req.Query[i:]
	body = body[strings.IndexByte(body, '\n')+1:]
	body, _, _ = strings.Cut(body, end)
	return sim.Reply{Frames: sim.Text("The tool said: ", body)}
}

// hangScenario sends its first delta only after a minute, unless the request is cancelled.
func hangScenario(*sim.Received) sim.Reply {
	return sim.Reply{Frames: sim.Text("never", " seen"), Drip: time.Minute}
}

func startStored(t *testing.T) *env {
	return start(t, setup{
		sim: sim.Options{Scenarios: map[string]sim.Scenario{"stored_tool": storedToolScenario, "hang": hangScenario}},
	})
}

var storedWeather = responses.ToolUnionParam{OfFunction: &responses.FunctionToolParam{
	Name:        "get_weather",
	Description: param.NewOpt("Get the weather of a city."),
	Parameters: map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []string{"city"},
	},
}}

// apiStatus returns the HTTP status and message of an API error.
func apiStatus(t *testing.T, err error) (int, string) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an API error", err)
	}
	return apiErr.StatusCode, apiErr.Message
}

func TestResponsesStoredRoundTrip(t *testing.T) {
	e := startStored(t)
	c := e.client()

	// Turn 1: the model calls get_weather.
	p := responseParams("[sim:stored_tool] What is the weather in Beijing?")
	p.Tools = []responses.ToolUnionParam{storedWeather}
	first, err := c.Responses.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	n := len(first.Output)
	if n == 0 || first.Output[n-1].Type != "function_call" || first.Output[n-1].Name != "get_weather" {
		t.Fatalf("response = %s", first.RawJSON())
	}
	callID := first.Output[n-1].CallID

	// GET returns the same object.
	got, err := c.Responses.Get(t.Context(), first.ID, responses.ResponseGetParams{})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := strings.TrimSpace(first.RawJSON()), strings.TrimSpace(got.RawJSON()); a != b {
		t.Errorf("GET returned\n%s\nwant\n%s", b, a)
	}

	// Turn 2 continues with previous_response_id and the tool's output only.
	p2 := responses.ResponseNewParams{
		Model:              "mimo-v2.5-pro",
		PreviousResponseID: param.NewOpt(first.ID),
		Tools:              []responses.ToolUnionParam{storedWeather},
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfFunctionCallOutput("sunny, 25°C"),
		}},
	}
	p2.Input.OfInputItemList[0].OfFunctionCallOutput.CallID = param.NewOpt(callID)
	second, err := c.Responses.New(t.Context(), p2)
	if err != nil {
		t.Fatal(err)
	}
	if second.OutputText() != "The tool said: sunny, 25°C" || second.PreviousResponseID != first.ID {
		t.Errorf("turn 2: %q previous %q", second.OutputText(), second.PreviousResponseID)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 2 {
		t.Fatalf("upstream got %d requests", len(reqs))
	}
	q := reqs[1].Query
	for _, want := range []string{"What is the weather in Beijing?", `<|MiMoML|invoke name="get_weather">`, "sunny, 25°C"} {
		if !strings.Contains(q, want) {
			t.Errorf("turn 2 query lacks %q:\n%s", want, q)
		}
	}

	// Delete, then GET is a 404 in OpenAI's shape.
	if err := c.Responses.Delete(t.Context(), first.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Responses.Get(t.Context(), first.ID, responses.ResponseGetParams{})
	if status, msg := apiStatus(t, err); status != 404 || msg != "Response with id '"+first.ID+"' not found." {
		t.Errorf("GET after delete: %d %q", status, msg)
	}
	if err := c.Responses.Delete(t.Context(), first.ID); err == nil {
		t.Error("deleted twice")
	}
	// The continued response does not depend on the deleted one.
	if _, err := c.Responses.Get(t.Context(), second.ID, responses.ResponseGetParams{}); err != nil {
		t.Errorf("GET second: %v", err)
	}
}

func TestResponsesInputItems(t *testing.T) {
	e := startStored(t)
	c := e.client()
	var list responses.ResponseInputParam
	for _, s := range []string{"one", "two", "three"} {
		list = append(list, responses.ResponseInputItemParamOfMessage(s, responses.EasyInputMessageRoleUser))
	}
	resp, err := c.Responses.New(t.Context(), responses.ResponseNewParams{
		Model: "mimo-v2.5-pro",
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: list},
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Responses.InputItems.List(t.Context(), resp.ID, responses.InputItemListParams{
		Limit: param.NewOpt(int64(2)), Order: responses.InputItemListParamsOrderAsc,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 || !page.HasMore || itemText(page.Data[0]) != "one" || itemText(page.Data[1]) != "two" {
		t.Fatalf("first page: %s", page.RawJSON())
	}
	next, err := page.GetNextPage()
	if err != nil {
		t.Fatal(err)
	}
	if next == nil || len(next.Data) != 1 || next.HasMore || itemText(next.Data[0]) != "three" {
		t.Fatalf("second page: %+v", next)
	}
	var texts []string
	iter := c.Responses.InputItems.ListAutoPaging(t.Context(), resp.ID, responses.InputItemListParams{Limit: param.NewOpt(int64(1))})
	for iter.Next() {
		texts = append(texts, itemText(iter.Current()))
	}
	if err := iter.Err(); err != nil || strings.Join(texts, ",") != "three,two,one" {
		t.Errorf("desc auto paging: %v %v", texts, err)
	}
	_, err = c.Responses.InputItems.List(t.Context(), resp.ID, responses.InputItemListParams{Limit: param.NewOpt(int64(101))})
	if status, _ := apiStatus(t, err); status != 400 {
		t.Errorf("limit 101: %d", status)
	}
	_, err = c.Responses.InputItems.List(t.Context(), "resp_unknown", responses.InputItemListParams{})
	if status, _ := apiStatus(t, err); status != 404 {
		t.Errorf("unknown response: %d", status)
	}
}

// itemText returns the text of an input message item, whose content is a string or a list
// of parts; the item must have an id.
func itemText(it responses.ResponseItemUnion) string {
	if !strings.HasPrefix(it.ID, "item_") && !strings.HasPrefix(it.ID, "msg_") {
		return "no id: " + it.RawJSON()
	}
	c := gjson.Get(it.RawJSON(), "content")
	if c.Type == gjson.String {
		return c.Str
	}
	return c.Get("0.text").Str
}

func TestResponsesBackground(t *testing.T) {
	e := startStored(t)
	c := e.client()

	p := responseParams("Hello")
	p.Background = param.NewOpt(true)
	queued, err := c.Responses.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if queued.Status != "queued" || !queued.Background {
		t.Errorf("queued: status %q background %v", queued.Status, queued.Background)
	}
	done := poll(t, c, queued.ID)
	if done.Status != "completed" || done.OutputText() != "Hello there!" || !done.Background {
		t.Errorf("final: %s", done.RawJSON())
	}
	// Cancelling a finished background response returns it unchanged.
	again, err := c.Responses.Cancel(t.Context(), queued.ID)
	if err != nil || again.RawJSON() != done.RawJSON() {
		t.Errorf("cancel finished: %v %s", err, again.RawJSON())
	}

	// A foreground response cannot be cancelled.
	fg, err := c.Responses.New(t.Context(), responseParams("Hello"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Responses.Cancel(t.Context(), fg.ID)
	if status, msg := apiStatus(t, err); status != 400 || !strings.Contains(msg, "background") {
		t.Errorf("cancel foreground: %d %q", status, msg)
	}

	// A running one is cancelled.
	p = responseParams("[sim:hang] wait")
	p.Background = param.NewOpt(true)
	running, err := c.Responses.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(e.sim.Requests()) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the background response never reached the upstream")
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	cancelled, err := c.Responses.Cancel(t.Context(), running.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.Status != "cancelled" || cancelled.ID != running.ID {
		t.Errorf("cancelled: %s", cancelled.RawJSON())
	}
	got, err := c.Responses.Get(t.Context(), running.ID, responses.ResponseGetParams{})
	if err != nil || got.Status != "cancelled" {
		t.Errorf("GET cancelled: %v %s", err, got.RawJSON())
	}
}

// poll gets a background response until it has finished.
func poll(t *testing.T, c openai.Client, id string) *responses.Response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := c.Responses.Get(t.Context(), id, responses.ResponseGetParams{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "queued" && r.Status != "in_progress" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("response %s still %s", id, r.Status)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}
