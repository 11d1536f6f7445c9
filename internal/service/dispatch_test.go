package service

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/mimo2api/mimo2api/internal/biz"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/sim"
)

// dispatchGateway serves the shipped configuration against a simulator built with opts. The
// caller stops the gateway with the returned function.
func dispatchGateway(t *testing.T, opts sim.Options) (*Gateway, *biz.Host, *sim.Server, func()) {
	t.Helper()
	simulator := sim.New(opts)
	simSrv := httptest.NewServer(simulator)
	t.Cleanup(simSrv.Close)
	bc, err := conf.Load("../../configs", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	bc.Upstream.BaseURL = simSrv.URL
	bc.Auth.APIKeys = []string{testKey}
	bc.Accounts = []conf.Account{{UserID: "3001", ServiceToken: testToken, PH: testPH}}
	bc.Data.Dir = t.TempDir()
	d, cleanup, err := data.NewData(bc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	tp := noop.NewTracerProvider()
	logger := slog.New(slog.DiscardHandler)
	host := biz.NewHost(bc, d, tp, logger)
	gw, stop, err := NewGateway(bc, host, d, tp, logger)
	if err != nil {
		t.Fatal(err)
	}
	return gw, host, simulator, stop
}

func TestDispatch(t *testing.T) {
	gw, host, _, stop := dispatchGateway(t, sim.Options{})
	t.Cleanup(stop)
	select {
	case <-host.DispatchReady():
	default:
		t.Fatal("the host is not ready to dispatch after NewGateway")
	}
	auth := http.Header{"Authorization": {"Bearer " + testKey}}
	for _, tc := range []struct {
		name     string
		dispatch biz.DispatchFunc
		method   string
		path     string
		header   http.Header
		body     string
		status   int
		want     string
	}{
		{"chat", gw.Dispatch, "POST", "/v1/chat/completions", auth,
			`{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`, 200, `"content":"Hello there!"`},
		{"through the host", host.Dispatch, "POST", "/v1/chat/completions", auth,
			`{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`, 200, `"content":"Hello there!"`},
		{"stream", gw.Dispatch, "POST", "/v1/chat/completions", auth,
			`{"model":"mimo-v2.5","stream":true,"messages":[{"role":"user","content":"hi"}]}`, 200, "data: [DONE]"},
		{"no key", gw.Dispatch, "POST", "/v1/chat/completions", nil,
			`{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`, 401, "missing API key"},
		{"no route", gw.Dispatch, "GET", "/v1/nothing", auth, "", 404, "no route for GET /v1/nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := tc.dispatch(t.Context(), tc.method, tc.path, tc.header, []byte(tc.body))
			if err != nil || status != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("got %d %s (%v), want %d with %q", status, body, err, tc.status, tc.want)
			}
		})
	}
}

func TestDispatchCancelledByShutdown(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	blocked := func(*sim.Received) sim.Reply {
		<-release
		return sim.Reply{Frames: sim.Text("late")}
	}
	_, host, simulator, stop := dispatchGateway(t, sim.Options{DefaultScenario: "blocked", Scenarios: map[string]sim.Scenario{"blocked": blocked}})
	t.Cleanup(func() { once.Do(func() { close(release) }) })

	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		status, _, err := host.Dispatch(context.Background(), "POST", "/v1/chat/completions",
			http.Header{"Authorization": {"Bearer " + testKey}}, []byte(`{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`))
		done <- result{status, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(simulator.Requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request did not reach the upstream")
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case r := <-done:
		if !errors.Is(r.err, biz.ErrDispatchStopped) {
			t.Errorf("dispatch during shutdown: %d %v", r.status, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the shutdown did not cancel the in-process request")
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the shutdown did not finish")
	}
	select {
	case <-host.DispatchStopped():
	default:
		t.Error("DispatchStopped is open after the shutdown")
	}
	if _, _, err := host.Dispatch(t.Context(), "GET", "/v1/models", nil, nil); !errors.Is(err, biz.ErrDispatchStopped) {
		t.Errorf("dispatch after shutdown: %v", err)
	}
}

func TestDispatchWithoutGateway(t *testing.T) {
	bc := &conf.Bootstrap{}
	d, cleanup, err := data.NewData(bc)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	host := biz.NewHost(bc, d, noop.NewTracerProvider(), slog.New(slog.DiscardHandler))
	if _, _, err := host.Dispatch(t.Context(), "GET", "/v1/models", nil, nil); !errors.Is(err, biz.ErrNoDispatcher) {
		t.Errorf("dispatch without a gateway: %v", err)
	}
	select {
	case <-host.DispatchReady():
		t.Error("a host without a gateway reports ready")
	default:
	}
}
