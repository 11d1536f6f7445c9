package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/internal/sim"
)

// restartRoutes are the routes of the restart test: the Anthropic messages route with
// messages.store, and the message and batch routes, as configs/config.yaml ships them.
const restartRoutes = `
routes:
  - name: anthropic-messages
    method: POST
    path: /v1/messages
    chain:
      - use: auth.apikey
      - use: dialect.anthropic
      - use: messages.store
      - use: select.round_robin
      - use: upstream.mimo
  - name: anthropic-message-get
    method: GET
    path: /v1/messages/{id}
    errors: dialect.anthropic
    chain:
      - use: auth.apikey
      - use: messages.get
  - name: anthropic-batches-create
    method: POST
    path: /v1/messages/batches
    errors: dialect.anthropic
    chain:
      - use: auth.apikey
      - use: message_batches.create
        with: {workers: 2, lease: 8s}
  - name: anthropic-batches-list
    method: GET
    path: /v1/messages/batches
    errors: dialect.anthropic
    chain:
      - use: auth.apikey
      - use: message_batches.list
  - name: anthropic-batches-get
    method: GET
    path: /v1/messages/batches/{id}
    errors: dialect.anthropic
    chain:
      - use: auth.apikey
      - use: message_batches.get
  - name: anthropic-batches-delete
    method: DELETE
    path: /v1/messages/batches/{id}
    errors: dialect.anthropic
    chain:
      - use: auth.apikey
      - use: message_batches.delete
  - name: anthropic-batches-cancel
    method: POST
    path: /v1/messages/batches/{id}/cancel
    errors: dialect.anthropic
    chain:
      - use: auth.apikey
      - use: message_batches.cancel
  - name: anthropic-batches-results
    method: GET
    path: /v1/messages/batches/{id}/results
    errors: dialect.anthropic
    chain:
      - use: auth.apikey
      - use: message_batches.results
`

// itemID finds the custom_id of a batch request in an upstream query.
var itemID = regexp.MustCompile(`item-\d+`)

// TestRestartBatchSurvivesKill kills the gateway binary (SIGKILL) while a batch runs, with some
// results stored and two requests in flight, restarts it on the same data directory and checks
// that the batch ends with exactly one succeeded result per request and that no request whose
// result was stored before the crash reached the upstream again.
//
// The two requests in flight at the crash lose their lease with the process: they are claimed
// again once it expires (8s here) and sent upstream a second time. That duplicate is the
// documented price of at-least-once delivery after a crash; it is the only one allowed.
func TestRestartBatchSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway binary and kills it")
	}
	bin := buildGateway(t)

	release := make(chan struct{})
	var once sync.Once
	answer := func(req *sim.Received) sim.Reply {
		if strings.Contains(req.Query, "[wait]") {
			<-release
		}
		return sim.Reply{Frames: sim.Text("answer to ", itemID.FindString(req.Query))}
	}
	acct := accounts[0]
	simulator := sim.New(sim.Options{
		DefaultScenario: "batch_restart",
		Scenarios:       map[string]sim.Scenario{"batch_restart": answer},
		Accounts:        []sim.Account{{UserID: acct.UserID, ServiceToken: acct.ServiceToken, PH: acct.PH}},
	})
	simSrv := httptest.NewServer(simulator)
	t.Cleanup(simSrv.Close)
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // runs first: unblocks the handlers

	dir := t.TempDir()
	confDir, dataDir := filepath.Join(dir, "conf"), filepath.Join(dir, "data")
	config := fmt.Sprintf(`server:
  addr: 127.0.0.1:0
upstream:
  base_url: %s
auth:
  api_keys: [%s]
accounts:
  - {user_id: %q, service_token: %q, xiaomichatbot_ph: %q}
models: [mimo-v2.5-pro, mimo-v2.5]
`, simSrv.URL, apiKey, acct.UserID, acct.ServiceToken, acct.PH) + restartRoutes
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(confDir, "config.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	gw := startGateway(t, bin, confDir, dataDir)
	c := restartClient(gw.url)
	var reqs []sdk.MessageBatchNewParamsRequest
	for i := range 10 {
		prompt := fmt.Sprintf("item-%d", i)
		if i >= 4 {
			prompt = "[wait] " + prompt
		}
		reqs = append(reqs, batchRequest(fmt.Sprintf("item-%d", i), prompt))
	}
	b, err := c.Messages.Batches.New(t.Context(), sdk.MessageBatchNewParams{Requests: reqs})
	if err != nil {
		t.Fatalf("create: %v\n%s", err, gw.logs)
	}
	// Requests run in order, two at a time: the first four finish, the next two block.
	waitBatch(t, c, b.ID, func(b *sdk.MessageBatch) bool {
		return b.RequestCounts.Succeeded == 4 && upstreamCalls(simulator)["item-5"] == 1
	})

	gw.kill(t)
	atCrash := upstreamCalls(simulator)
	finished := storedResults(t, dataDir, b.ID)
	if len(finished) != 4 {
		t.Fatalf("results stored before the crash: %v, want item-0 … item-3", finished)
	}
	once.Do(func() { close(release) })

	gw = startGateway(t, bin, confDir, dataDir)
	c = restartClient(gw.url)
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := c.Messages.Batches.Get(t.Context(), b.ID, sdk.MessageBatchGetParams{})
		if err != nil {
			t.Fatalf("get after restart: %v\n%s", err, gw.logs)
		}
		if ended(got) {
			if n := got.RequestCounts; n.Succeeded != 10 {
				t.Errorf("counts after restart %s", got.RawJSON())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the batch did not end within 60s after the restart: %s\n%s", got.RawJSON(), gw.logs)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}

	res := batchResults(t, c, b.ID)
	if len(res) != 10 {
		t.Errorf("%d results, want 10", len(res))
	}
	for _, r := range reqs {
		got, ok := res[r.CustomID]
		m := got.Result.AsSucceeded().Message
		if text, _ := textOf(&m); !ok || got.Result.Type != "succeeded" || text != "answer to "+r.CustomID {
			t.Errorf("%s: %s", r.CustomID, got.RawJSON())
		}
	}
	after := upstreamCalls(simulator)
	for i := range 10 {
		id := fmt.Sprintf("item-%d", i)
		switch {
		case finished[id]:
			if after[id] != atCrash[id] || after[id] != 1 {
				t.Errorf("%s had a stored result at the crash but reached the upstream %d times (%d before)", id, after[id], atCrash[id])
			}
		case atCrash[id] > 0: // in flight at the crash: its lease was lost, one repeat allowed
			if after[id] != atCrash[id]+1 {
				t.Errorf("%s was in flight at the crash: %d upstream calls, want %d", id, after[id], atCrash[id]+1)
			}
		default:
			if after[id] != 1 {
				t.Errorf("%s: %d upstream calls, want 1", id, after[id])
			}
		}
	}
	gw.stop(t)
	for _, secret := range []string{acct.ServiceToken, acct.PH} {
		if strings.Contains(gw.logs.String(), secret) {
			t.Errorf("a secret appeared in the logs")
		}
	}
}

// upstreamCalls counts the upstream chat calls per batch request.
func upstreamCalls(s *sim.Server) map[string]int {
	n := map[string]int{}
	for _, r := range s.Requests() {
		if id := itemID.FindString(r.Query); id != "" {
			n[id]++
		}
	}
	return n
}

// storedResults reads which requests of the batch had a result in the store of the (dead)
// gateway.
func storedResults(t *testing.T, dataDir, batchID string) map[string]bool {
	t.Helper()
	db, err := store.OpenSQLite(filepath.Join(dataDir, data.StoreFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]bool{}
	for r, err := range db.Results(t.Context(), batchID) {
		if err != nil {
			t.Fatal(err)
		}
		out[r.CustomID] = true
	}
	return out
}

func restartClient(url string) sdk.Client {
	return sdk.NewClient(
		aoption.WithBaseURL(url),
		aoption.WithAPIKey(apiKey),
		aoption.WithMaxRetries(0),
		aoption.WithHTTPClient(&http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}),
	)
}

// buildGateway builds the gateway binary into a temporary directory.
func buildGateway(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the gateway: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mimo2api")
	cmd := exec.CommandContext(t.Context(), goBin, "build", "-o", bin, "./cmd/mimo2api")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// gatewayProc is a running gateway binary.
type gatewayProc struct {
	cmd    *exec.Cmd
	url    string
	logs   *procLog
	exited chan struct{}
}

// startGateway runs the binary with the configuration directory and data directory and waits
// until it listens. Environment overrides of the caller (MIMO_*) are removed.
func startGateway(t *testing.T, bin, confDir, dataDir string) *gatewayProc {
	t.Helper()
	logs := &procLog{url: make(chan string, 1)}
	cmd := exec.Command(bin, "-conf", confDir)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MIMO_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "MIMO_HTTP_ADDR=127.0.0.1:0", "MIMO_DATA_DIR="+dataDir)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &gatewayProc{cmd: cmd, logs: logs, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	select {
	case p.url = <-logs.url:
	case <-p.exited:
		t.Fatalf("the gateway exited before listening:\n%s", logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("the gateway did not log its address within 60s:\n%s", logs)
	}
	return p
}

// kill ends the process with SIGKILL and waits for it.
func (p *gatewayProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// stop asks the process to shut down gracefully and waits for it, with a deadline.
func (p *gatewayProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-p.exited:
	case <-ctx.Done():
		t.Errorf("the gateway did not shut down within 30s:\n%s", p.logs)
	}
}

var listening = regexp.MustCompile(`msg="mimo2api listening" url=(http://\S+)`)

// procLog collects a process's output and reports the gateway's URL once it is logged.
type procLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	url  chan string
	sent bool
}

func (l *procLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.sent {
		if m := listening.FindSubmatch(l.buf.Bytes()); m != nil {
			l.url <- string(m[1])
			l.sent = true
		}
	}
	return len(p), nil
}

func (l *procLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
