package e2e

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/mimo2api/mimo2api/cmd/mimo2api/mimo2apicmd"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/all"
)

const apiKey = "sk-e2e-test-key"

// accounts are the simulator's accounts, used in order.
var accounts = []conf.Account{
	{UserID: "2001", ServiceToken: "e2e-service-token-2001", PH: "e2e/ph+2001=="},
	{UserID: "2002", ServiceToken: "e2e-service-token-2002", PH: "e2e/ph+2002=="},
}

// env is one gateway in front of one simulator.
type env struct {
	sim    *sim.Server
	simURL string
	gw     *mimo2apicmd.Running
	logs   *syncBuffer
}

type setup struct {
	sim      sim.Options
	accounts int // how many accounts (default 1)
	confDir  string
	mutate   func(*conf.Bootstrap)
}

// start runs the shipped configuration (configs/ unless confDir says otherwise) against a
// fresh simulator. It checks at cleanup that no goroutine was left behind.
func start(t *testing.T, s setup) *env {
	t.Helper()
	base := goroutines()
	n := s.accounts
	if n == 0 {
		n = 1
	}
	for _, a := range accounts[:n] {
		s.sim.Accounts = append(s.sim.Accounts, sim.Account{UserID: a.UserID, ServiceToken: a.ServiceToken, PH: a.PH})
	}
	simulator := sim.New(s.sim)
	simSrv := httptest.NewServer(simulator)
	dir := s.confDir
	if dir == "" {
		dir = "../../configs"
	}
	bc, err := conf.Load(dir, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	bc.Server.Addr = "127.0.0.1:0"
	bc.Upstream.BaseURL = simSrv.URL
	bc.Auth.APIKeys = []string{apiKey}
	bc.Accounts = append([]conf.Account(nil), accounts[:n]...)
	bc.Data.Dir = t.TempDir()
	if s.mutate != nil {
		s.mutate(bc)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gw, err := mimo2apicmd.Start(bc, logger)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sim: simulator, simURL: simSrv.URL, gw: gw, logs: logs}
	t.Cleanup(func() {
		if err := gw.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		simSrv.Close()
		http.DefaultClient.CloseIdleConnections()
		for _, a := range accounts {
			for _, secret := range []string{a.ServiceToken, a.PH} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("a secret appeared in the logs")
				}
			}
		}
		waitGoroutines(t, base)
	})
	return e
}

// client returns an official OpenAI client for the gateway; retries are off so that error
// statuses are observed as the gateway sends them.
func (e *env) client(opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(e.gw.URL + "/v1/"),
		option.WithAPIKey(apiKey),
		option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{Transport: &http.Transport{}}),
	}, opts...)...)
}

// goroutines returns the stacks of the running goroutines, except the calling one and those
// the runtime keeps for the whole process (the signal loop).
func goroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || strings.Contains(g, "os/signal.signal_recv") {
			continue
		}
		out = append(out, g)
	}
	return out
}

// waitGoroutines polls until no more goroutines run than at the start, with a deadline.
func waitGoroutines(t *testing.T, base []string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		now := goroutines()
		if len(now) <= len(base) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines left behind:\n%s", len(now)-len(base), strings.Join(now, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
