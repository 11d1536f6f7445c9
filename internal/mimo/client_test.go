package mimo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Test credentials; the PH has the characters that need URL encoding.
const (
	testToken = "svc-token-SECRET-0123456789"
	testPH    = "ph+SECRET/abc=="
)

func testAccount() *plugin.Account {
	return &plugin.Account{ID: "1001", UserID: "1001", ServiceToken: testToken, PH: testPH}
}

func newSim(t *testing.T, opts sim.Options) (*sim.Server, *httptest.Server) {
	t.Helper()
	s := sim.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// noSecrets fails the test when err's text shows a credential.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, secret := range []string{testToken, testPH, url.QueryEscape(testPH), "SECRET"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows a credential: %v", err)
		}
	}
}

func TestChatWire(t *testing.T) {
	s, srv := newSim(t, sim.Options{DefaultScenario: "plain"})
	c := &Client{BaseURL: srv.URL + "/", HTTP: srv.Client()}
	temp := 0.3
	media := json.RawMessage(`{"mediaType":"image","fileUrl":"https://example.com/a.png"}`)
	stream, err := c.Chat(t.Context(), testAccount(), ChatRequest{
		Query:          "user: <b>Hi</b> & bye",
		ConversationID: "0123456789abcdef0123456789abcdef",
		Model:          "mimo-v2.5-pro",
		Thinking:       true,
		Temperature:    &temp,
		MultiMedias:    []json.RawMessage{media},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := collect(t, stream); r.err != nil || r.text != "Hello there!" {
		t.Fatalf("text %q err %v", r.text, r.err)
	}

	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	got := reqs[0]
	if got.Scenario != "plain" {
		t.Errorf("the simulator rejected the call: scenario %q", got.Scenario)
	}
	if got.Path != "/open-apis/bot/chat" || got.RawQuery != "xiaomichatbot_ph=ph%2BSECRET%2Fabc%3D%3D" {
		t.Errorf("path %q query %q", got.Path, got.RawQuery)
	}
	wantHeader := map[string]string{
		"Accept":       "*/*",
		"Content-Type": "application/json",
		"Origin":       "https://aistudio.xiaomimimo.com",
		"Referer":      "https://aistudio.xiaomimimo.com/",
		"User-Agent":   DefaultUserAgent,
		"X-Timezone":   "Asia/Shanghai",
	}
	for k, v := range wantHeader {
		if g := got.Header.Get(k); g != v {
			t.Errorf("header %s = %q, want %q", k, g, v)
		}
	}
	if want := "serviceToken=" + testToken + "; userId=1001; xiaomichatbot_ph=" + testPH; got.Header.Get("Cookie") != want {
		t.Errorf("Cookie header %q, want %q", got.Header.Get("Cookie"), want)
	}
	wantCookies := map[string]string{"serviceToken": testToken, "userId": "1001", "xiaomichatbot_ph": testPH}
	if diff := cmp.Diff(wantCookies, got.Cookies); diff != "" {
		t.Errorf("cookies (-want +got):\n%s", diff)
	}
	if len(got.MsgID) != 32 || got.ConversationID != "0123456789abcdef0123456789abcdef" {
		t.Errorf("msgId %q conversationId %q", got.MsgID, got.ConversationID)
	}
	if got.Query != "user: <b>Hi</b> & bye" || got.Model != "mimo-v2.5-pro" || !got.EnableThinking ||
		got.ReasoningEffort != "high" || got.WebSearchStatus != "disabled" {
		t.Errorf("fields %+v", got)
	}
	if got.Temperature == nil || *got.Temperature != 0.3 || got.TopP != nil {
		t.Errorf("temperature %v topP %v", got.Temperature, got.TopP)
	}
	if len(got.MultiMedias) != 1 || string(got.MultiMedias[0]) != string(media) {
		t.Errorf("multiMedias %s", got.MultiMedias)
	}
	if strings.Contains(string(got.Body), `\u003c`) {
		t.Errorf("body escapes HTML: %s", got.Body)
	}
}

func TestChatBodyDefaults(t *testing.T) {
	s, srv := newSim(t, sim.Options{DefaultScenario: "plain"})
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client(), UserAgent: "test-agent"}
	stream, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "q", Model: "m", ReasoningEffort: "low"})
	if err != nil {
		t.Fatal(err)
	}
	collect(t, stream)
	got := s.Requests()[0]
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	mc := body["modelConfig"].(map[string]any)
	for _, k := range []string{"reasoning_effort", "temperature", "topP"} {
		if _, ok := mc[k]; ok {
			t.Errorf("modelConfig has %s: %s", k, got.Body)
		}
	}
	if mc["enableThinking"] != false || mc["webSearchStatus"] != "disabled" {
		t.Errorf("modelConfig %v", mc)
	}
	for _, k := range []string{"multiMedias", "attachments"} {
		if v, ok := body[k].([]any); !ok || len(v) != 0 {
			t.Errorf("%s = %v, want []", k, body[k])
		}
	}
	if len(got.ConversationID) != 32 {
		t.Errorf("conversationId %q: want a fresh id", got.ConversationID)
	}
	if ua := got.Header.Get("User-Agent"); ua != "test-agent" {
		t.Errorf("User-Agent %q", ua)
	}
}

func TestChatQuotedCookies(t *testing.T) {
	s, srv := newSim(t, sim.Options{})
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}
	acct := &plugin.Account{ID: "1", UserID: "1", ServiceToken: `"` + testToken + `"`, PH: `"` + testPH + `"`}
	stream, err := c.Chat(t.Context(), acct, ChatRequest{Query: "q"})
	if err != nil {
		t.Fatal(err)
	}
	collect(t, stream)
	if h := s.Requests()[0].Header.Get("Cookie"); strings.Contains(h, `"`) {
		t.Errorf("cookie sent quoted: %q", h)
	}
}

func TestChatStatus(t *testing.T) {
	status := func(code int, header http.Header) sim.Scenario {
		return func(*sim.Received) sim.Reply {
			return sim.Reply{Status: code, Header: header, Body: fmt.Sprintf(`{"code":%d}`, code)}
		}
	}
	redirect := status(http.StatusFound, http.Header{"Location": {"/ok"}})
	scenarios := map[string]sim.Scenario{
		"http302":       redirect,
		"http403":       status(http.StatusForbidden, nil),
		"http429_retry": status(http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}),
		"http451":       status(451, nil),
		"http461":       status(461, nil),
		"http404":       status(http.StatusNotFound, nil),
		"http400":       status(http.StatusBadRequest, nil),
		"json_envelope": func(*sim.Received) sim.Reply {
			return sim.Reply{Status: 200, Body: `{"code":401,"msg":"unauthorized"}`}
		},
		"json_envelope_0": func(*sim.Received) sim.Reply { return sim.Reply{Status: 200, Body: `{"code":0,"msg":"?"}`} },
	}
	_, srv := newSim(t, sim.Options{Scenarios: scenarios})
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}

	auth := plugin.Error{Status: 503, Code: plugin.CodeUpstreamAuth, Retryable: true, Message: "upstream account credentials were rejected"}
	tests := []struct {
		scenario string
		want     plugin.Error
	}{
		{"http401", auth},
		{"http302", auth},
		{"http403", auth},
		{"json_envelope", auth},
		{"http429", plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Retryable: true, Message: "the upstream account is rate limited"}},
		{"http429_retry", plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Retryable: true, RetryAfter: 7 * time.Second, Message: "the upstream account is rate limited"}},
		{"http451", plugin.Error{Status: 503, Code: plugin.CodePermission, Retryable: true, Message: "the upstream account is restricted"}},
		{"http461", plugin.Error{Status: 503, Code: plugin.CodePermission, Retryable: true, Message: "the upstream account is restricted"}},
		{"http500", plugin.Error{Status: 502, Code: plugin.CodeUpstream, Retryable: true, Message: "the upstream failed with HTTP 500"}},
		{"http503", plugin.Error{Status: 502, Code: plugin.CodeUpstream, Retryable: true, Message: "the upstream failed with HTTP 503"}},
		{"http404", plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "the upstream answered HTTP 404"}},
		{"http400", plugin.Error{Status: 502, Code: plugin.CodeUpstream, Message: "the upstream answered HTTP 400"}},
		{"json_envelope_0", plugin.Error{Status: 502, Code: plugin.CodeUpstream, Retryable: true, Message: "the upstream answered with an error instead of a stream"}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			stream, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "[sim:" + tt.scenario + "]"})
			if stream != nil {
				t.Errorf("stream returned with error %v", err)
			}
			e := asError(t, err)
			if e.Err == nil {
				t.Errorf("no cause for logs")
			}
			e.Err = nil
			if diff := cmp.Diff(tt.want, *e); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			noSecrets(t, err)
		})
	}
}

func TestChatErrorBodyBounded(t *testing.T) {
	long := strings.Repeat("界", 1000)
	_, srv := newSim(t, sim.Options{Scenarios: map[string]sim.Scenario{
		"long": func(*sim.Received) sim.Reply { return sim.Reply{Status: 500, Body: long} },
	}})
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}
	_, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "[sim:long]"})
	e := asError(t, err)
	cause := e.Err.Error()
	if !strings.Contains(cause, "界") || len(cause) > 260 || !strings.HasSuffix(cause, "界") {
		t.Errorf("cause %d bytes: %q", len(cause), cause)
	}
	if strings.Contains(e.Message, "界") {
		t.Errorf("body in the client message: %q", e.Message)
	}
}

func TestChatNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c := &Client{BaseURL: base, HTTP: &http.Client{}}
	_, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "q"})
	e := asError(t, err)
	if e.Status != 502 || e.Code != plugin.CodeUpstream || !e.Retryable || e.Err == nil {
		t.Errorf("got %+v", e)
	}
	noSecrets(t, err)
}

func TestChatNoAccount(t *testing.T) {
	c := &Client{}
	_, err := c.Chat(t.Context(), nil, ChatRequest{})
	if e := asError(t, err); e.Code != plugin.CodeNoAccount || e.Status != 503 {
		t.Errorf("got %+v", e)
	}
}

func TestChatStreamErrors(t *testing.T) {
	_, srv := newSim(t, sim.Options{})
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}
	tests := []struct {
		scenario  string
		code      plugin.Code
		retryable bool
		text      string
	}{
		{"error_event", plugin.CodeUpstream, true, ""},
		{"empty", plugin.CodeUpstreamEmpty, true, ""},
		{"cut", plugin.CodeUpstream, false, "Hello there, this answer"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			stream, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "[sim:" + tt.scenario + "]"})
			if err != nil {
				t.Fatal(err)
			}
			r := collect(t, stream)
			e := asError(t, r.err)
			if e.Code != tt.code || e.Retryable != tt.retryable || r.text != tt.text {
				t.Errorf("got %+v text %q, want %s retryable=%v text %q", e, r.text, tt.code, tt.retryable, tt.text)
			}
		})
	}
}

func TestChatScenarios(t *testing.T) {
	_, srv := newSim(t, sim.Options{})
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}
	tests := []struct {
		scenario, text, reasoning string
	}{
		{"reasoning", "The answer is 4.", "Let me add 2 and 2."},
		{"tool_call", toolCallText, ""},
		{"echo", "user:   spaced   out  [sim:echo]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			stream, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "system: x\nuser:   spaced   out  [sim:" + tt.scenario + "]", Thinking: true})
			if err != nil {
				t.Fatal(err)
			}
			r := collect(t, stream)
			if r.err != nil || r.text != tt.text || r.reasoning != tt.reasoning {
				t.Errorf("text %q reasoning %q err %v", r.text, r.reasoning, r.err)
			}
		})
	}
}

func TestChatLarge(t *testing.T) {
	_, srv := newSim(t, sim.Options{})
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}
	stream, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "[sim:large]"})
	if err != nil {
		t.Fatal(err)
	}
	r := collect(t, stream)
	if r.err != nil || len(r.text) != 1<<20 {
		t.Errorf("%d bytes, err %v", len(r.text), r.err)
	}
}

func TestChatCancel(t *testing.T) {
	const drip = 10 * time.Second // far longer than the test may take
	s := sim.New(sim.Options{Drip: drip})
	handlerDone := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, r)
		handlerDone <- r.Context().Err()
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stream, err := c.Chat(ctx, testAccount(), ChatRequest{Query: "[sim:slow]"})
	if err != nil {
		t.Fatal(err)
	}
	// Cancel while the stream is blocked reading between two frames.
	start := time.Now()
	timer := time.AfterFunc(50*time.Millisecond, cancel)
	defer timer.Stop()
	r := collect(t, stream)
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("stream ended with %v, want context.Canceled", r.err)
	}
	if _, ok := errors.AsType[*plugin.Error](r.err); ok {
		t.Errorf("context error converted: %v", r.err)
	}
	if d := time.Since(start); d > drip/2 {
		t.Errorf("stream ended %v after the cancellation", d)
	}
	select {
	case err := <-handlerDone:
		if err == nil {
			t.Error("the simulator's handler ended without seeing the disconnect")
		}
	case <-time.After(drip / 2):
		t.Fatal("the simulator's handler did not see the disconnect")
	}
}

func TestChatReusesConnections(t *testing.T) {
	s := sim.New(sim.Options{})
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(s)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}
	for range 3 {
		stream, err := c.Chat(t.Context(), testAccount(), ChatRequest{Query: "q"})
		if err != nil {
			t.Fatal(err)
		}
		if r := collect(t, stream); r.err != nil {
			t.Fatal(r.err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("%d connections for 3 sequential calls, want 1", conns)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 30 ", 30 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"a\x00b", 10, "ab"},
		{"北京", 4, "北"},
		{"北京", 2, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
