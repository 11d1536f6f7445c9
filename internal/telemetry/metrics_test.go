package telemetry

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/mimo2api/mimo2api/internal/biz"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/service"
	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/all"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

const (
	testKey   = "sk-metrics-test-key"
	testToken = "metrics-service-token-secret"
	testPH    = "metrics-ph-secret=="
)

// newGateway serves the shipped configuration against a simulator, measuring into reader.
func newGateway(t *testing.T, reader sdkmetric.Reader) *httptest.Server {
	t.Helper()
	simSrv := httptest.NewServer(sim.New(sim.Options{}))
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
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	m, err := NewMetrics(mp, d.Pool.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	tp := noop.NewTracerProvider()
	logger := slog.New(slog.DiscardHandler)
	gw, gcleanup, err := service.ProvideGateway(bc, biz.NewHost(bc, d, tp, logger), d, tp, m, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gcleanup)
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, key, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// point is one data point, flattened for comparison: its attributes and its value (the sum
// for a histogram), and the count of a histogram.
type point struct {
	attrs map[string]any
	value float64
	count uint64
}

func collect(t *testing.T, r sdkmetric.Reader) map[string][]point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string][]point{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var ps []point
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					ps = append(ps, point{attrs(dp.Attributes), dp.Sum, dp.Count})
				}
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					ps = append(ps, point{attrs(dp.Attributes), float64(dp.Sum), dp.Count})
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					ps = append(ps, point{attrs(dp.Attributes), float64(dp.Value), 0})
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					ps = append(ps, point{attrs(dp.Attributes), float64(dp.Value), 0})
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = ps
		}
	}
	return out
}

func attrs(s attribute.Set) map[string]any {
	m := map[string]any{}
	for _, kv := range s.ToSlice() {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// find returns the points whose attributes include want.
func find(ps []point, want map[string]any) []point {
	var out []point
next:
	for _, p := range ps {
		for k, v := range want {
			if p.attrs[k] != v {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// TestRuntimeMetrics runs requests through the compiled shipped routes and checks every
// instrument: request durations by route pattern, method and status; token usage by type and
// model; time to first token; upstream attempts; the account gauges; and no secret anywhere.
func TestRuntimeMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	srv := newGateway(t, reader)
	if s := do(t, "POST", srv.URL+"/v1/chat/completions", testKey, `{"model":"mimo-v2.5","stream":true,"messages":[{"role":"user","content":"hi"}]}`); s != 200 {
		t.Fatalf("chat: status %d", s)
	}
	if s := do(t, "POST", srv.URL+"/v1/chat/completions", "sk-wrong", `{}`); s != 401 {
		t.Fatalf("bad key: status %d", s)
	}
	if s := do(t, "GET", srv.URL+"/v1/messages/msg_does_not_exist", testKey, ""); s != 404 {
		t.Fatalf("unknown message: status %d", s)
	}
	got := collect(t, reader)

	tests := []struct {
		name   string
		metric string
		attrs  map[string]any
		count  uint64  // for histograms
		value  float64 // for counters and gauges; -1 = positive
	}{
		{"chat request", MetricRequestDuration, map[string]any{"http.request.method": "POST", "http.route": "/v1/chat/completions", "http.response.status_code": int64(200)}, 1, -1},
		{"refused request", MetricRequestDuration, map[string]any{"http.route": "/v1/chat/completions", "http.response.status_code": int64(401)}, 1, -1},
		{"route pattern, not the raw path", MetricRequestDuration, map[string]any{"http.request.method": "GET", "http.route": "/v1/messages/{id}", "http.response.status_code": int64(404)}, 1, -1},
		{"input tokens", MetricTokenUsage, map[string]any{"gen_ai.token.type": "input", "gen_ai.request.model": "mimo-v2.5"}, 1, -1},
		{"output tokens", MetricTokenUsage, map[string]any{"gen_ai.token.type": "output", "gen_ai.request.model": "mimo-v2.5"}, 1, 3},
		{"time to first token", MetricTimeToFirst, map[string]any{"gen_ai.request.model": "mimo-v2.5"}, 1, -1},
		{"one successful attempt", MetricAttempts, map[string]any{"mimo.account": "3001", "gateway.attempt.outcome": "ok"}, 0, 1},
		{"slot released", MetricInFlight, map[string]any{"mimo.account": "3001"}, 0, 0},
		{"account ok", MetricAccountState, map[string]any{"mimo.account": "3001", "mimo.account.state": "ok"}, 0, 1},
		{"account not cooling", MetricAccountState, map[string]any{"mimo.account": "3001", "mimo.account.state": "cooling"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := find(got[tt.metric], tt.attrs)
			if len(ps) != 1 {
				t.Fatalf("%s points matching %v: %d of %v", tt.metric, tt.attrs, len(ps), got[tt.metric])
			}
			p := ps[0]
			if p.count != tt.count {
				t.Errorf("count = %d, want %d", p.count, tt.count)
			}
			if tt.value < 0 && p.value <= 0 || tt.value >= 0 && p.value != tt.value {
				t.Errorf("value = %v, want %v", p.value, tt.value)
			}
		})
	}
	if n := len(got[MetricAttempts]); n != 1 {
		t.Errorf("attempts: %d series, want 1 (a refused or non-upstream request makes no attempt): %v", n, got[MetricAttempts])
	}
	for name, ps := range got {
		for _, p := range ps {
			for k, v := range p.attrs {
				s, _ := v.(string)
				for _, secret := range []string{testKey, testToken, testPH} {
					if strings.Contains(s, secret) {
						t.Errorf("%s attribute %s holds a secret", name, k)
					}
				}
			}
		}
	}
}

// TestAttemptOutcomes checks the attempt counter's outcome and error.type attributes.
func TestAttemptOutcomes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want map[string]any
	}{
		{"ok", nil, map[string]any{"gateway.attempt.outcome": "ok"}},
		{"retryable", &plugin.Error{Status: 429, Code: plugin.CodeRateLimited, Retryable: true}, map[string]any{"gateway.attempt.outcome": "retryable", "error.type": "rate_limited"}},
		{"error", &plugin.Error{Status: 401, Code: plugin.CodeUpstreamAuth}, map[string]any{"gateway.attempt.outcome": "error", "error.type": string(plugin.CodeUpstreamAuth)}},
		{"cancelled", context.Canceled, map[string]any{"gateway.attempt.outcome": "error", "error.type": string(plugin.CodeClientClosed)}},
		{"plain error", errors.New("boom"), map[string]any{"gateway.attempt.outcome": "error", "error.type": string(plugin.CodeInternal)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader := sdkmetric.NewManualReader()
			m, err := NewMetrics(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), nil)
			if err != nil {
				t.Fatal(err)
			}
			m.Attempt(context.Background(), "4001", tt.err)
			ps := collect(t, reader)[MetricAttempts]
			if len(ps) != 1 || ps[0].value != 1 {
				t.Fatalf("points = %v", ps)
			}
			want := map[string]any{"mimo.account": "4001"}
			for k, v := range tt.want {
				want[k] = v
			}
			if len(ps[0].attrs) != len(want) || len(find(ps, want)) != 1 {
				t.Errorf("attributes = %v, want %v", ps[0].attrs, want)
			}
		})
	}
}

// TestNewMeterProvider checks the exporters: a scrape handler only for prometheus (the
// default), OTLP pushing to its endpoint on shutdown, and refused settings.
func TestNewMeterProvider(t *testing.T) {
	var pushed atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/metrics" {
			pushed.Add(1)
		}
		io.Copy(io.Discard, r.Body)
	}))
	defer collector.Close()
	tests := []struct {
		name     string
		tel      conf.Telemetry
		handler  bool
		wantErr  string
		wantPush bool
	}{
		{name: "default is prometheus", handler: true},
		{name: "prometheus", tel: conf.Telemetry{Metrics: conf.Metrics{Exporter: "prometheus"}}, handler: true},
		{name: "none", tel: conf.Telemetry{Metrics: conf.Metrics{Exporter: "none"}}},
		{name: "otlp", tel: conf.Telemetry{Endpoint: strings.TrimPrefix(collector.URL, "http://"), Insecure: true, Metrics: conf.Metrics{Exporter: "otlp"}}, wantPush: true},
		{name: "unknown exporter", tel: conf.Telemetry{Metrics: conf.Metrics{Exporter: "statsd"}}, wantErr: `"statsd"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pushed.Store(0)
			mp, h, cleanup, err := NewMeterProvider(&conf.Bootstrap{Telemetry: tt.tel})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (h != nil) != tt.handler {
				t.Fatalf("handler = %v, want one: %v", h, tt.handler)
			}
			c, _ := mp.Meter("test").Int64Counter("test.count")
			c.Add(context.Background(), 1)
			if h != nil {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
				if w.Code != 200 || !strings.Contains(w.Body.String(), "test_count_total") || !strings.Contains(w.Body.String(), "go_goroutines") {
					t.Errorf("scrape = %d %q", w.Code, w.Body.String())
				}
			}
			cleanup()
			if got := pushed.Load() > 0; got != tt.wantPush {
				t.Errorf("pushed = %v, want %v", got, tt.wantPush)
			}
		})
	}
}

// TestScrapeEndpoint checks ProvideMetrics' endpoint: the default path, a custom one, the
// bearer key, and none when metrics are off or not scraped.
func TestScrapeEndpoint(t *testing.T) {
	const key = "metrics-scrape-key"
	tests := []struct {
		name     string
		metrics  conf.Metrics
		path     string // "" = no endpoint
		wantErr  bool
		requests map[string]int // Authorization header → status
	}{
		{name: "default", path: "/metrics", requests: map[string]int{"": 200}},
		{name: "custom path", metrics: conf.Metrics{Path: "/internal/metrics"}, path: "/internal/metrics", requests: map[string]int{"": 200}},
		{name: "key", metrics: conf.Metrics{Key: key}, path: "/metrics",
			requests: map[string]int{"": 401, "Bearer wrong": 401, "Basic " + key: 401, "Bearer " + key: 200, "bearer  " + key: 200}},
		{name: "off", metrics: conf.Metrics{Exporter: "none"}},
		{name: "relative path", metrics: conf.Metrics{Path: "metrics"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bc := &conf.Bootstrap{Telemetry: conf.Telemetry{Metrics: tt.metrics}}
			d := &data.Data{Pool: data.NewPool(nil, data.PoolOptions{})}
			m, cleanup, err := ProvideMetrics(bc, d)
			if tt.wantErr {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer cleanup()
			if (m == nil) != (tt.metrics.Exporter == "none") || (RuntimeMetrics(m) == nil) != (m == nil) {
				t.Fatalf("metrics = %v, runtime metrics = %v", m, RuntimeMetrics(m))
			}
			path, h := m.Endpoint()
			if path != tt.path || (h == nil) != (tt.path == "") {
				t.Fatalf("endpoint = %q %v, want %q", path, h, tt.path)
			}
			for auth, want := range tt.requests {
				r := httptest.NewRequest("GET", path, nil)
				if auth != "" {
					r.Header.Set("Authorization", auth)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != want {
					t.Errorf("Authorization %q: status %d, want %d", auth, w.Code, want)
				}
				if w.Code == 401 && strings.Contains(w.Body.String(), key) {
					t.Errorf("the refusal shows the key")
				}
			}
		})
	}
}
