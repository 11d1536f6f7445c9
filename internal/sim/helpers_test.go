package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Test credentials; the ph contains characters that need URL encoding.
const (
	testUser  = "1234567"
	testToken = "tok/en+value=="
	testPH    = "ph+a/b=="
)

func start(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// chatCall describes one chat request; zero fields get defaults.
type chatCall struct {
	query    string
	user     string
	token    string
	ph       string // cookie value
	phQuery  string // query parameter value; defaults to ph
	noCookie bool
	thinking bool
	body     string // raw body overriding the generated one
}

func (c chatCall) request(t *testing.T, ctx context.Context, base string) *http.Request {
	t.Helper()
	if c.user == "" {
		c.user = testUser
	}
	if c.token == "" {
		c.token = testToken
	}
	if c.ph == "" {
		c.ph = testPH
	}
	if c.phQuery == "" {
		c.phQuery = c.ph
	}
	body := c.body
	if body == "" {
		b, err := json.Marshal(map[string]any{
			"msgId":          "0123456789abcdef0123456789abcdef",
			"conversationId": "fedcba9876543210fedcba9876543210",
			"query":          c.query,
			"modelConfig": map[string]any{
				"enableThinking":  c.thinking,
				"webSearchStatus": "disabled",
				"model":           "mimo-v2.5-pro",
			},
			"multiMedias": []any{},
			"attachments": []any{},
		})
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	u := base + "/open-apis/bot/chat?xiaomichatbot_ph=" + url.QueryEscape(c.phQuery)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if !c.noCookie {
		req.Header.Set("Cookie", "serviceToken="+c.token+"; userId="+c.user+"; xiaomichatbot_ph="+c.ph)
	}
	return req
}

// do sends the call and returns status, content type and the whole body.
func (c chatCall) do(t *testing.T, base string) (int, string, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(c.request(t, context.Background(), base))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// wireFrame is one parsed SSE frame.
type wireFrame struct{ ID, Event, Data string }

// parseFrames splits an SSE body strictly: only id:, event: and data: lines
// without a space after the colon, frames ended by a blank line.
func parseFrames(t *testing.T, body []byte) []wireFrame {
	t.Helper()
	var (
		out []wireFrame
		cur wireFrame
		has bool
	)
	lines := strings.Split(string(body), "\n")
	if last := lines[len(lines)-1]; last != "" {
		t.Fatalf("body does not end with a newline: %q", last)
	}
	for _, l := range lines[:len(lines)-1] {
		switch {
		case l == "":
			if !has {
				t.Fatalf("empty frame in %q", body)
			}
			out = append(out, cur)
			cur, has = wireFrame{}, false
		case strings.HasPrefix(l, "id:"):
			cur.ID, has = l[3:], true
		case strings.HasPrefix(l, "event:"):
			cur.Event, has = l[6:], true
		case strings.HasPrefix(l, "data:"):
			cur.Data, has = l[5:], true
		default:
			t.Fatalf("unexpected line %q", l)
		}
		if strings.HasPrefix(l, "id: ") || strings.HasPrefix(l, "event: ") || strings.HasPrefix(l, "data: ") {
			t.Fatalf("space after colon in %q", l)
		}
	}
	if has {
		t.Fatalf("unterminated frame %+v", cur)
	}
	return out
}

// answer concatenates the content of every message frame.
func answer(t *testing.T, frames []wireFrame) string {
	t.Helper()
	var sb strings.Builder
	for _, f := range frames {
		if f.Event != "message" {
			continue
		}
		var m struct {
			Type    string `json:"type"`
			Content string `json:"content"`
		}
		if err := json.Unmarshal([]byte(f.Data), &m); err != nil {
			t.Fatalf("message data %q: %v", f.Data, err)
		}
		sb.WriteString(m.Content)
	}
	return sb.String()
}

// authed sends an authenticated request with the test credentials.
func authed(t *testing.T, method, u string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", "serviceToken="+testToken+"; userId="+testUser+"; xiaomichatbot_ph="+testPH)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// phParam is the encoded xiaomichatbot_ph query parameter for the test account.
var phParam = "xiaomichatbot_ph=" + url.QueryEscape(testPH)
