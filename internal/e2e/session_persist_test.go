package e2e

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/cmd/mimo2api/mimo2apicmd"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
)

// startOn runs the shipped configuration with the admin API against simURL, keeping its state
// in dataDir. The caller stops it; several may run one after the other on the same directory.
func startOn(t *testing.T, simURL, dataDir string) (*env, func()) {
	t.Helper()
	bc, err := conf.Load("../../configs", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	bc.Server.Addr = "127.0.0.1:0"
	bc.Upstream.BaseURL = simURL
	bc.Auth.APIKeys = []string{apiKey}
	bc.Accounts = append([]conf.Account(nil), accounts[:1]...)
	bc.Data.Dir = dataDir
	bc.Admin.Key = adminKey
	logs := &syncBuffer{}
	gw, err := mimo2apicmd.Start(bc, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		if err := gw.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		for _, secret := range []string{accounts[0].ServiceToken, accounts[0].PH, adminKey} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a secret appeared in the logs")
			}
		}
	}
	t.Cleanup(stop)
	return &env{simURL: simURL, gw: gw, logs: logs}, stop
}

// adminConversation is a conversation as the admin API lists it.
type adminConversation struct {
	ID      string `json:"id"`
	Account string `json:"account"`
	Model   string `json:"model"`
	Turns   int    `json:"turns"`
}

// listConversations returns the admin API's conversations and whether a session store runs.
func (e *env) listConversations(t *testing.T) ([]adminConversation, bool) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.gw.URL+"/admin/api/conversations", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Conversations []adminConversation `json:"conversations"`
		Available     bool                `json:"available"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list conversations: %d %v", resp.StatusCode, err)
	}
	return out.Conversations, out.Available
}

// TestSessionPersistsAcrossRestart checks that a conversation's second turn continues the same
// upstream conversation, with only the new message, after the gateway stopped and started
// again on the same data directory, and that the admin API lists the conversation.
func TestSessionPersistsAcrossRestart(t *testing.T) {
	base := goroutines()
	a := accounts[0]
	simulator := sim.New(sim.Options{Accounts: []sim.Account{{UserID: a.UserID, ServiceToken: a.ServiceToken, PH: a.PH}}})
	simSrv := httptest.NewServer(simulator)
	defer simSrv.Close()
	dataDir := t.TempDir()

	e, stop := startOn(t, simSrv.URL, dataDir)
	e.sim = simulator
	if convs, ok := e.listConversations(t); !ok || len(convs) != 0 {
		t.Fatalf("conversations before any turn = %+v (available %v)", convs, ok)
	}
	c := e.client()
	r1, err := c.Chat.Completions.New(t.Context(), chatParams("Remember the number 42."))
	if err != nil {
		t.Fatal(err)
	}
	answer := r1.Choices[0].Message.Content
	stop()

	e, stop = startOn(t, simSrv.URL, dataDir)
	e.sim = simulator
	resp, code := postChat(t, e, chatBody("Remember the number 42.", answer, "Which number?"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("turn 2 after the restart: %d %s", resp.StatusCode, code)
	}
	reqs := simulator.Requests()
	if len(reqs) != 2 {
		t.Fatalf("upstream got %d requests, want 2", len(reqs))
	}
	if reqs[1].ConversationID != reqs[0].ConversationID || reqs[1].Query != "user: Which number?" {
		t.Errorf("turn 2 went to %s with %q, want %s with only the new message",
			reqs[1].ConversationID, reqs[1].Query, reqs[0].ConversationID)
	}

	convs, ok := e.listConversations(t)
	want := adminConversation{ID: reqs[0].ConversationID, Account: a.UserID, Model: "mimo-v2.5-pro", Turns: 2}
	if !ok || len(convs) != 1 || convs[0] != want {
		t.Errorf("admin conversations = %+v (available %v), want [%+v]", convs, ok, want)
	}
	stop()
	simSrv.Close()
	http.DefaultClient.CloseIdleConnections()
	waitGoroutines(t, base)
}
