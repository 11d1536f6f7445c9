package biz

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/plugin/plugintest"
)

// testAccount puts an account on the exchange, as a selector does, and signals accountSet.
type testAccount struct{}

var accountSet = make(chan struct{}, 1)

func (*testAccount) PluginInfo() plugin.Info { return plugin.Info{ID: "test.account"} }
func (*testAccount) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	ex.Account = &plugin.Account{ID: "acct-1"}
	select {
	case accountSet <- struct{}{}:
	default:
	}
	return next(ctx, ex)
}

func init() {
	plugin.Register(plugin.Info{ID: "test.account", New: func() plugin.Plugin { return new(testAccount) }})
}

// recorder is a Metrics that keeps what it was given; requests signals each Request.
type recorder struct {
	mu          sync.Mutex
	reqs        []string
	attempts    []string
	generations []Generation
	requests    chan struct{}
}

func (r *recorder) Request(_ context.Context, route, method string, status int, d time.Duration) {
	r.mu.Lock()
	r.reqs = append(r.reqs, fmt.Sprintf("%s %s %d", method, route, status))
	if d <= 0 {
		r.reqs = append(r.reqs, "no duration")
	}
	r.mu.Unlock()
	r.requests <- struct{}{}
}

func (r *recorder) Attempt(_ context.Context, account string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	outcome := "ok"
	if err != nil {
		outcome = string(plugin.AsError(err).Code)
	}
	r.attempts = append(r.attempts, account+" "+outcome)
}

func (r *recorder) Generation(_ context.Context, g Generation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.generations = append(r.generations, g)
}

func serveMetered(t *testing.T, rec *recorder, routes ...conf.Route) *httptest.Server {
	t.Helper()
	rt, err := Compile(routes, plugintest.NewHost(t), Options{Metrics: rec})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(func() { srv.Close(); rt.Cleanup() })
	return srv
}

// wait waits for n Request calls, with a deadline.
func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.requests:
		case <-time.After(5 * time.Second):
			t.Fatal("no request was recorded")
		}
	}
}

// TestMetricsHooks checks what the runtime reports: the route's pattern and final status, one
// attempt per terminal call on an account, and the generation with its time to first token.
func TestMetricsHooks(t *testing.T) {
	tests := []struct {
		name         string
		route        conf.Route
		path         string
		cancel       bool // the client goes away before the answer
		wantReq      string
		wantAttempts []string
		wantGen      bool
	}{
		{
			name:         "retried",
			route:        route("r", entry("test.dialect", ""), entry("test.account", ""), entry("test.retry", ""), entry("test.terminal", `{"fail":2,"text":"ok"}`)),
			path:         "/r",
			wantReq:      "POST /r 200",
			wantAttempts: []string{"acct-1 upstream", "acct-1 upstream", "acct-1 ok"},
			wantGen:      true,
		},
		{
			name:    "no account, no attempt",
			route:   route("r", entry("test.dialect", ""), entry("test.terminal", `{"text":"ok"}`)),
			path:    "/r",
			wantReq: "POST /r 200",
			wantGen: true,
		},
		{
			name: "pattern, not the raw path",
			route: conf.Route{Name: "w", Method: "POST", Path: "/w/{id}", Errors: "test.dialect",
				Chain: []conf.Entry{entry("test.dialect", ""), entry("test.terminal", `{"text":"ok"}`)}},
			path:    "/w/secret-looking-id-42",
			wantReq: "POST /w/{id} 200",
			wantGen: true,
		},
		{
			name:         "failed",
			route:        route("r", entry("test.dialect", ""), entry("test.account", ""), entry("test.terminal", `{"fail":1}`)),
			path:         "/r",
			wantReq:      "POST /r 502",
			wantAttempts: []string{"acct-1 upstream"},
		},
		{
			name:         "client gone",
			route:        route("r", entry("test.dialect", ""), entry("test.account", ""), entry("test.terminal", `{"hang":true}`)),
			path:         "/r",
			cancel:       true,
			wantReq:      "POST /r 499",
			wantAttempts: []string{"acct-1 client_closed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{requests: make(chan struct{}, 1)}
			srv := serveMetered(t, rec, tt.route)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+tt.path, strings.NewReader("{}"))
			for len(accountSet) > 0 {
				<-accountSet
			}
			if tt.cancel {
				go func() {
					select { // the terminal hangs until the client leaves
					case <-accountSet:
						cancel()
					case <-ctx.Done():
					}
				}()
			}
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
			rec.wait(t, 1)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if diff := cmp.Diff([]string{tt.wantReq}, rec.reqs); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAttempts, rec.attempts); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			if got := len(rec.generations) == 1; got != tt.wantGen {
				t.Fatalf("generations = %+v, want one: %v", rec.generations, tt.wantGen)
			}
			if tt.wantGen {
				if g := rec.generations[0]; g.Model != "m" || g.UpstreamModel != "m" || g.FirstToken <= 0 {
					t.Errorf("generation = %+v", g)
				}
			}
		})
	}
}
