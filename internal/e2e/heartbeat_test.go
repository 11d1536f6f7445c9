package e2e

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// withHeartbeat sets a short heartbeat on every route.
func withHeartbeat(bc *conf.Bootstrap) {
	for i := range bc.Routes {
		bc.Routes[i].Timeouts.Heartbeat = plugin.Duration(20 * time.Millisecond)
	}
}

// rawStream posts body to path and returns the response lines.
func rawStream(t *testing.T, e *env, path, body string, header map[string]string) []string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.gw.URL+path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestHeartbeats checks that a slow upstream gets the client dialect's keep-alives while the
// stream is silent, and that the official client still reads the answer.
func TestHeartbeats(t *testing.T) {
	// The answer's last frames come after a long silence.
	gap := func(*sim.Received) sim.Reply {
		return sim.Reply{Frames: []sim.Frame{sim.DialogID("1"), sim.Message("Hello"), sim.Message(" there!"), sim.Usage(12, 3), sim.Finish()},
			Drip: 250 * time.Millisecond}
	}
	e := start(t, setup{sim: sim.Options{Scenarios: map[string]sim.Scenario{"gap": gap}}, mutate: withHeartbeat})

	lines := rawStream(t, e, "/v1/chat/completions",
		`{"model":"mimo-v2.5","stream":true,"messages":[{"role":"user","content":"[sim:gap] hi"}]}`,
		map[string]string{"Authorization": "Bearer " + apiKey})
	pings := 0
	for _, l := range lines {
		if l == ": ping" {
			pings++
		}
	}
	if pings == 0 || lines[len(lines)-1] != "data: [DONE]" && lines[len(lines)-2] != "data: [DONE]" {
		t.Errorf("OpenAI stream: %d keep-alive comments, lines %q", pings, lines)
	}

	lines = rawStream(t, e, "/v1/messages",
		`{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"[sim:gap] hi"}]}`,
		map[string]string{"x-api-key": apiKey, "anthropic-version": "2023-06-01"})
	pings = 0
	for _, l := range lines {
		if l == "event: ping" {
			pings++
		}
	}
	if pings < 2 {
		t.Errorf("Anthropic stream: %d ping events (one follows message_start, more must keep the stream alive): %q", pings, lines)
	}

	c := e.client()
	stream := c.Chat.Completions.NewStreaming(t.Context(), chatParams("[sim:gap] hi"))
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || acc.Choices[0].Message.Content != "Hello there!" {
		t.Fatalf("the official client over a stream with keep-alives: %q, %v", acc.Choices[0].Message.Content, err)
	}
}
