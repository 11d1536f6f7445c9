package service

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mimo2api/mimo2api/internal/biz"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/sim"
	_ "github.com/mimo2api/mimo2api/plugins/all"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

const (
	testKey   = "sk-trace-test-key"
	testToken = "trace-service-token-secret"
	testPH    = "trace-ph-secret=="
)

// newGateway serves the shipped configuration against a simulator, tracing into exp.
func newGateway(t *testing.T, exp *tracetest.InMemoryExporter) (*httptest.Server, *Gateway, *conf.Bootstrap) {
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
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(t.Context()) })
	logger := slog.New(slog.DiscardHandler)
	gw, gcleanup, err := NewGateway(bc, biz.NewHost(bc, d, tp, logger), d, tp, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gcleanup)
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return srv, gw, bc
}

func chat(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestStreamSpans checks the span sequence of one streamed chat request: a server span, one
// span per chain stage named after the plugin id with route and index attributes, the upstream
// span ending when the stream ends, the incoming trace context honoured, and no secret anywhere.
func TestStreamSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	srv, _, bc := newGateway(t, exp)
	status, body := chat(t, srv.URL, `{"model":"mimo-v2.5","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if status != 200 || !strings.Contains(body, "data: [DONE]") {
		t.Fatalf("got %d %q", status, body)
	}
	var spans tracetest.SpanStubs
	deadline := time.Now().Add(5 * time.Second)
	for len(spans) < 5 && time.Now().Before(deadline) {
		spans = exp.GetSpans()
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	byName := map[string]tracetest.SpanStub{}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
		byName[s.Name] = s
	}
	// The request stages and the terminal of the shipped chat route, in chain order.
	var ids []string
	for _, r := range bc.Routes {
		if r.Name == "openai-chat" {
			for _, e := range r.Chain {
				ids = append(ids, e.Use)
				if e.Use == "upstream.mimo" {
					break
				}
			}
		}
	}
	if len(ids) < 4 || ids[len(ids)-1] != "upstream.mimo" {
		t.Fatalf("unexpected shipped chat chain %v", ids)
	}
	for _, id := range ids {
		if _, ok := byName["plugin "+id]; !ok {
			t.Fatalf("spans = %v, missing %q", names, "plugin "+id)
		}
	}
	server, ok := byName["POST /v1/chat/completions"]
	if !ok {
		t.Fatalf("spans = %v, missing the server span", names)
	}
	if server.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("the incoming traceparent was not honoured: trace %s", server.SpanContext.TraceID())
	}
	if server.Attributes == nil || attrMap(server.Attributes)["gen_ai.usage.output_tokens"] != int64(3) {
		t.Errorf("server span attributes = %v, want gen_ai usage", attrMap(server.Attributes))
	}
	// Request stages nest in chain order; the terminal is a child of the last request stage.
	parent := server
	for i, id := range ids {
		s := byName["plugin "+id]
		if s.Parent.SpanID() != parent.SpanContext.SpanID() {
			t.Errorf("plugin %s is not a child of %s", id, parent.Name)
		}
		parent = s
		attrs := attrMap(s.Attributes)
		if attrs["gateway.route"] != "openai-chat" || attrs["gateway.plugin.id"] != id || attrs["gateway.plugin.index"] != int64(i) {
			t.Errorf("span %s attributes = %v", s.Name, attrs)
		}
	}
	// The upstream span covers the stream: it ends after the request stages returned.
	up, sel := byName["plugin upstream.mimo"], byName["plugin "+ids[len(ids)-2]]
	if up.EndTime.Before(sel.EndTime) {
		t.Errorf("upstream span ended at %v, before the stage before it returned at %v: stream spans must end with the stream", up.EndTime, sel.EndTime)
	}
	for _, s := range spans {
		for _, kv := range s.Attributes {
			v := kv.Value.Emit()
			for _, secret := range []string{testKey, testToken, testPH} {
				if strings.Contains(v, secret) {
					t.Errorf("span %s attribute %s holds a secret", s.Name, kv.Key)
				}
			}
		}
	}
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// TestReload swaps the routes atomically and refuses a broken configuration.
func TestReload(t *testing.T) {
	srv, gw, bc := newGateway(t, tracetest.NewInMemoryExporter())
	if status, _ := chat(t, srv.URL, `{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`); status != 200 {
		t.Fatalf("status %d", status)
	}
	broken := *bc
	broken.Routes = []conf.Route{{Name: "x", Method: "GET", Path: "/x", Chain: []conf.Entry{{Use: "auth.apikey"}}}}
	if err := gw.Reload(&broken); err == nil || !strings.Contains(err.Error(), `route "x": chain has no terminal`) {
		t.Fatalf("reload of a broken config: %v", err)
	}
	if status, _ := chat(t, srv.URL, `{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`); status != 200 {
		t.Fatalf("a refused reload must keep the running routes: status %d", status)
	}
	smaller := *bc
	smaller.Routes = bc.Routes[1:] // drop the chat route
	if err := gw.Reload(&smaller); err != nil {
		t.Fatal(err)
	}
	if status, _ := chat(t, srv.URL, `{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`); status != 404 {
		t.Fatalf("after reload without the chat route: status %d, want 404", status)
	}
}

// TestReloadKeepsOverlay checks that settings the process decided at start-up (demo mode's
// key and upstream) are applied again to a reloaded configuration.
func TestReloadKeepsOverlay(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	srv, gw, bc := newGateway(t, exp)
	gw.overlay = func(b *conf.Bootstrap) {
		b.Auth.APIKeys = []string{testKey}
		b.Upstream.BaseURL = bc.Upstream.BaseURL
	}
	fresh, err := conf.Load("../../configs", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// The fresh load has no API key and the public upstream; the overlay restores both.
	if err := gw.Reload(fresh); err != nil {
		t.Fatalf("reload without the overlay's key: %v", err)
	}
	if status, body := chat(t, srv.URL, `{"model":"mimo-v2.5","messages":[{"role":"user","content":"hi"}]}`); status != 200 {
		t.Fatalf("after reload: %d %s", status, body)
	}
}

// TestHealth checks /healthz and that /readyz fails once no account can take requests.
func TestHealth(t *testing.T) {
	srv, gw, _ := newGateway(t, tracetest.NewInMemoryExporter())
	get := func(path string) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 200 {
		t.Fatal("a fresh gateway is not healthy and ready")
	}
	for _, a := range gw.host.Accounts().Accounts() {
		a.SetState(plugin.AccountInvalid)
	}
	if get("/healthz") != 200 || get("/readyz") != 503 {
		t.Fatal("with every account invalid the gateway must stay healthy but not ready")
	}
}
