package sim

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuth(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		call   chatCall
		status int
	}{
		{"ok", Options{}, chatCall{}, 200},
		{"no cookies", Options{}, chatCall{noCookie: true}, 401},
		{"ph query differs", Options{}, chatCall{phQuery: "other"}, 401},
		{"quoted cookie values", Options{}, chatCall{token: `"tok"`, ph: `"abc=="`, phQuery: "abc=="}, 200},
		{"listed account", Options{Accounts: []Account{{testUser, testToken, testPH}}}, chatCall{}, 200},
		{"unlisted account", Options{Accounts: []Account{{testUser, "other", testPH}}}, chatCall{}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := start(t, tt.opts)
			status, _, body := tt.call.do(t, ts.URL)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if status == 401 && string(body) != UnauthorizedBody {
				t.Errorf("401 body %s", body)
			}
		})
	}
}

func TestAuthRequiresEncodedPH(t *testing.T) {
	_, ts := start(t, Options{})
	// A raw '+' in the query decodes to a space, so it no longer matches the cookie.
	req := chatCall{}.request(t, t.Context(), ts.URL)
	req.URL.RawQuery = "xiaomichatbot_ph=" + testPH
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("status %d for an unencoded ph, want 401", resp.StatusCode)
	}
}

func TestAuthOnEveryPost(t *testing.T) {
	_, ts := start(t, Options{})
	for _, p := range []string{
		"/open-apis/resource/genUploadInfo",
		"/open-apis/resource/parse",
		"/open-apis/chat/conversation/save",
		"/open-apis/chat/conversation/delete",
	} {
		resp, err := http.Post(ts.URL+p+"?"+phParam, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("%s without cookies: status %d, want 401", p, resp.StatusCode)
		}
	}
}

func TestScenarioSelection(t *testing.T) {
	opts := Options{
		DefaultScenario: "empty",
		UserScenarios:   map[string]string{"401": "http401", "echo": "echo"},
		MaxQueryChars:   40,
	}
	tests := []struct {
		name, user, query, want string
	}{
		{"default", "", "user: hi", "empty"},
		{"directive", "", "user: [sim:reasoning] hi", "reasoning"},
		{"last directive wins", "", "system: [sim:reasoning]\nuser: [sim:tool_call]", "tool_call"},
		{"malformed directive ignored", "", "[sim:echo] [sim:not a name]", "echo"},
		{"user scenario", "401", "user: hi", "http401"},
		{"directive beats user", "401", "[sim:plain]", "plain"},
		{"too long", "echo", strings.Repeat("长", 41), "too_long"},
		{"directive beats length", "", "[sim:plain]" + strings.Repeat("x", 40), "plain"},
	}
	s, ts := start(t, opts)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.Reset()
			chatCall{user: tt.user, query: tt.query}.do(t, ts.URL)
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].Scenario != tt.want {
				t.Fatalf("requests %+v, want one answered by %q", reqs, tt.want)
			}
		})
	}
}

func TestPlainWhenNothingSelects(t *testing.T) {
	s, ts := start(t, Options{})
	chatCall{query: "user: hi"}.do(t, ts.URL)
	if got := s.Requests()[0].Scenario; got != "plain" {
		t.Errorf("scenario %q, want plain", got)
	}
}

func TestUnknownScenario(t *testing.T) {
	s, ts := start(t, Options{})
	status, _, body := chatCall{query: "[sim:nope]"}.do(t, ts.URL)
	if status != 400 || !strings.Contains(string(body), `unknown scenario \"nope\"`) {
		t.Errorf("status %d body %s, want 400 naming the scenario", status, body)
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Scenario != "" {
		t.Errorf("recorded %+v, want one request without scenario", reqs)
	}
}

func TestBadBodies(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not json", "{"},
		{"missing ids", `{"query":"hi"}`},
	}
	_, ts := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, _, body := (chatCall{body: tt.body}).do(t, ts.URL); status != 400 {
				t.Errorf("status %d (%s), want 400", status, body)
			}
		})
	}
}

func TestCustomScenarios(t *testing.T) {
	opts := Options{Scenarios: map[string]Scenario{
		// Overrides the built-in plain scenario.
		"plain": func(req *Received) Reply { return Reply{Frames: Text("model=", req.Model)} },
		"raw": func(*Received) Reply {
			return Reply{Frames: []Frame{DialogID("1"), {Raw: "data: {\"type\":\"text\",\"content\":\"spaced\"}\n\n"}}}
		},
		"json200": func(*Received) Reply {
			return Reply{Status: 200, Body: `{"code":1,"msg":"no"}`, Header: http.Header{"X-Sim": {"yes"}}}
		},
	}}
	_, ts := start(t, opts)

	_, _, body := chatCall{query: "hi"}.do(t, ts.URL)
	if got := answer(t, parseFrames(t, body)); got != "model=mimo-v2.5-pro" {
		t.Errorf("overridden plain answered %q", got)
	}

	_, _, body = chatCall{query: "[sim:raw]"}.do(t, ts.URL)
	if !strings.HasSuffix(string(body), "\ndata: {\"type\":\"text\",\"content\":\"spaced\"}\n\n") {
		t.Errorf("raw frame not written verbatim: %q", body)
	}

	req := chatCall{query: "[sim:json200]"}.request(t, t.Context(), ts.URL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Sim") != "yes" {
		t.Errorf("json200: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestRequestsRecorded(t *testing.T) {
	s, ts := start(t, Options{})
	chatCall{query: "user: 2+2?", thinking: true}.do(t, ts.URL)
	chatCall{noCookie: true, query: "user: denied"}.do(t, ts.URL)

	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests recorded, want 2", len(reqs))
	}
	r := reqs[0]
	got := []any{r.Path, r.MsgID, r.ConversationID, r.Query, r.Model, r.EnableThinking, r.WebSearchStatus,
		r.Scenario, r.Cookies["userId"], r.Cookies["xiaomichatbot_ph"], len(r.MultiMedias), r.Header.Get("Content-Type")}
	want := []any{"/open-apis/bot/chat", "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210",
		"user: 2+2?", "mimo-v2.5-pro", true, "disabled", "plain", testUser, testPH, 0, "application/json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded request (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.RawQuery, "xiaomichatbot_ph=") || len(r.Body) == 0 {
		t.Errorf("raw query %q, body %d bytes", r.RawQuery, len(r.Body))
	}
	if reqs[1].Scenario != "" || reqs[1].Query != "" {
		t.Errorf("rejected request recorded as %+v", reqs[1])
	}

	s.Reset()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests after Reset", n)
	}
}

func TestKeepRequests(t *testing.T) {
	s, ts := start(t, Options{KeepRequests: 2})
	for _, q := range []string{"a", "b", "c", "d", "e"} {
		chatCall{query: q}.do(t, ts.URL)
	}
	var got []string
	for _, r := range s.Requests() {
		got = append(got, r.Query)
	}
	if diff := cmp.Diff([]string{"d", "e"}, got); diff != "" {
		t.Errorf("kept queries (-want +got):\n%s", diff)
	}
}

func TestConcurrentCalls(t *testing.T) {
	s, ts := start(t, Options{})
	const n = 16
	var wg sync.WaitGroup
	for range n {
		req := chatCall{query: "[sim:reasoning]"}.request(t, t.Context(), ts.URL)
		wg.Go(func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != 200 || !strings.HasSuffix(string(body), "[DONE]\",\"usage\":null}\n\n") {
				t.Errorf("status %d, err %v, body %q", resp.StatusCode, err, body)
			}
		})
	}
	wg.Wait()
	if got := len(s.Requests()); got != n {
		t.Errorf("%d requests recorded, want %d", got, n)
	}
}
