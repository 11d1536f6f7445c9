package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"-addr", "127.0.0.1:0", "-scenario", "echo", "-drip", "1ms"}, &logs,
			func(addr string) { addrc <- addr })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-errc:
		t.Fatalf("run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	if !strings.Contains(logs.String(), "listening on http://"+addr) {
		t.Errorf("address not logged: %q", logs.String())
	}

	body := `{"msgId":"m","conversationId":"c","query":"user: ping","modelConfig":{"model":"mimo-v2.5"}}`
	req, err := http.NewRequest("POST", "http://"+addr+"/open-apis/bot/chat?xiaomichatbot_ph=p", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", "serviceToken=secret-token; userId=1; xiaomichatbot_ph=p")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("chat: %d %v", resp.StatusCode, err)
	}
	// The echo default scenario answers "user: ping" in 4-character deltas.
	if !strings.Contains(string(got), `"content":"user"`) || !strings.Contains(string(got), `"content":": pi"`) {
		t.Errorf("echo answer missing in %q", got)
	}
	if strings.Contains(logs.String(), "secret-token") {
		t.Errorf("credentials leaked into logs: %q", logs.String())
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"-addr", "127.0.0.1:0", "-scenario", "nope"}, `unknown scenario "nope"`},
		{"bad duration", []string{"-drip", "soon"}, "invalid value"},
		{"extra argument", []string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			err := run(t.Context(), tt.args, &out, nil)
			if err == nil || !strings.Contains(err.Error()+out.String(), tt.want) {
				t.Errorf("run(%q) = %v (output %q), want an error mentioning %q", tt.args, err, out.String(), tt.want)
			}
		})
	}
}
