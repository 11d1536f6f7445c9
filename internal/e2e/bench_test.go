package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/cmd/mimo2api/mimo2apicmd"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
)

// benchEnv is a gateway and a simulator for benchmarks.
type benchEnv struct {
	gwURL, simURL string
	client        *http.Client
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	a := accounts[0]
	simSrv := httptest.NewServer(sim.New(sim.Options{KeepRequests: 1}))
	b.Cleanup(simSrv.Close)
	bc, err := conf.Load("../../configs", func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	bc.Server.Addr = "127.0.0.1:0"
	bc.Upstream.BaseURL = simSrv.URL
	bc.Auth.APIKeys = []string{apiKey}
	bc.Accounts = []conf.Account{a}
	bc.Pool.MaxInFlight = 64
	bc.Data.Dir = b.TempDir()
	gw, err := mimo2apicmd.Start(bc, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Stop() })
	return &benchEnv{gwURL: gw.URL, simURL: simSrv.URL, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
}

func (e *benchEnv) do(b *testing.B, req *http.Request) {
	resp, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || n == 0 {
		b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
	}
}

func (e *benchEnv) gatewayReq(stream bool) *http.Request {
	body := `{"model":"mimo-v2.5-pro","messages":[{"role":"user","content":"Hello"}]}`
	if stream {
		body = `{"model":"mimo-v2.5-pro","stream":true,"messages":[{"role":"user","content":"Hello"}]}`
	}
	req, _ := http.NewRequest("POST", e.gwURL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	return req
}

// directReq is the upstream call the gateway makes for the same prompt.
func (e *benchEnv) directReq() *http.Request {
	a := accounts[0]
	body := `{"msgId":"0123456789abcdef0123456789abcdef","conversationId":"0123456789abcdef0123456789abcdef","query":"user: Hello","modelConfig":{"enableThinking":false,"webSearchStatus":"disabled","model":"mimo-v2.5-pro"},"multiMedias":[],"attachments":[]}`
	req, _ := http.NewRequest("POST", e.simURL+"/open-apis/bot/chat?xiaomichatbot_ph="+url.QueryEscape(a.PH), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "serviceToken="+a.ServiceToken+"; userId="+a.UserID+"; xiaomichatbot_ph="+a.PH)
	return req
}

// benchRatio interleaves direct simulator calls and gateway calls and reports both latencies
// and their ratio, so the comparison is made in one run on the same (noisy) machine.
func benchRatio(b *testing.B, stream bool) {
	e := newBenchEnv(b)
	var direct, gateway time.Duration
	for b.Loop() {
		t0 := time.Now()
		e.do(b, e.directReq())
		t1 := time.Now()
		e.do(b, e.gatewayReq(stream))
		gateway += time.Since(t1)
		direct += t1.Sub(t0)
	}
	n := float64(b.N)
	b.ReportMetric(float64(direct.Nanoseconds())/n, "direct-ns/op")
	b.ReportMetric(float64(gateway.Nanoseconds())/n, "gateway-ns/op")
	b.ReportMetric(float64(gateway)/float64(direct), "gateway/direct")
}

// BenchmarkChatNonStream measures one non-streamed chat completion through the full chain
// (auth, dialect, selector, upstream, encoder) against a direct simulator call.
func BenchmarkChatNonStream(b *testing.B) { benchRatio(b, false) }

// BenchmarkChatStream measures one streamed chat completion through the full chain against a
// direct simulator call.
func BenchmarkChatStream(b *testing.B) { benchRatio(b, true) }
