package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mimo2api/mimo2api/internal/conf"
)

// scrape GETs the gateway's /metrics with the given Authorization header value.
func scrape(t *testing.T, e *env, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.gw.URL+"/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// series returns the lines of body that start with name and carry every label of labels.
func series(body, name string, labels ...string) []string {
	var out []string
next:
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue next
			}
		}
		out = append(out, line)
	}
	return out
}

// TestMetricsScrape serves the shipped configuration's Prometheus endpoint: after one chat
// request it has the request-duration series labelled by route pattern, method and status,
// the token-usage series by token type and model, a successful upstream attempt and the
// account gauges, and no secret.
func TestMetricsScrape(t *testing.T) {
	e := start(t, setup{})
	c := e.client()
	if _, err := c.Chat.Completions.New(t.Context(), chatParams("Hello")); err != nil {
		t.Fatal(err)
	}
	status, body := scrape(t, e, "")
	if status != 200 {
		t.Fatalf("scrape: status %d", status)
	}
	tests := []struct {
		name   string
		metric string
		labels []string
	}{
		{"request duration", "http_server_request_duration_seconds_count",
			[]string{`http_request_method="POST"`, `http_route="/v1/chat/completions"`, `http_response_status_code="200"`}},
		{"input tokens", "gen_ai_client_token_usage_sum",
			[]string{`gen_ai_token_type="input"`, `gen_ai_request_model="mimo-v2.5-pro"`}},
		{"output tokens", "gen_ai_client_token_usage_sum",
			[]string{`gen_ai_token_type="output"`, `gen_ai_request_model="mimo-v2.5-pro"`}},
		{"time to first token", "gen_ai_server_time_to_first_token_seconds_count",
			[]string{`gen_ai_request_model="mimo-v2.5-pro"`}},
		{"upstream attempt", "gateway_upstream_attempts_total",
			[]string{`gateway_attempt_outcome="ok"`, `mimo_account="` + accounts[0].UserID + `"`}},
		{"in flight", "gateway_account_in_flight",
			[]string{`mimo_account="` + accounts[0].UserID + `"`}},
		{"account state", "gateway_account_state",
			[]string{`mimo_account="` + accounts[0].UserID + `"`, `mimo_account_state="ok"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := series(body, tt.metric, tt.labels...); len(got) != 1 {
				t.Errorf("%s with %v: %d series %q", tt.metric, tt.labels, len(got), got)
			}
		})
	}
	if got := series(body, "gen_ai_client_token_usage_sum", `gen_ai_token_type="output"`); len(got) != 1 || !strings.HasSuffix(got[0], " 3") {
		t.Errorf("output tokens = %q, want a sum of 3", got)
	}
	if got := series(body, "gateway_account_state", `mimo_account_state="ok"`); len(got) != 1 || !strings.HasSuffix(got[0], " 1") {
		t.Errorf("account state = %q, want ok = 1", got)
	}
	for _, secret := range []string{apiKey, accounts[0].ServiceToken, accounts[0].PH} {
		if strings.Contains(body, secret) {
			t.Errorf("the scrape holds a secret")
		}
	}
}

// TestMetricsKey protects the scrape endpoint with telemetry.metrics.key and serves it on a
// custom path; the API routes are unaffected.
func TestMetricsKey(t *testing.T) {
	const key = "e2e-metrics-key"
	e := start(t, setup{mutate: func(bc *conf.Bootstrap) { bc.Telemetry.Metrics.Key = key }})
	tests := []struct {
		name string
		auth string
		want int
	}{
		{"no key", "", 401},
		{"the API key", "Bearer " + apiKey, 401},
		{"the metrics key", "Bearer " + key, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := scrape(t, e, tt.auth)
			if status != tt.want {
				t.Errorf("status %d, want %d", status, tt.want)
			}
			if status == 200 && !strings.Contains(body, "go_goroutines") {
				t.Errorf("scrape body %.200q", body)
			}
		})
	}
	c := e.client()
	if _, err := c.Chat.Completions.New(t.Context(), chatParams("Hello")); err != nil {
		t.Errorf("chat beside a protected metrics endpoint: %v", err)
	}
}

// TestMetricsOff serves no scrape endpoint when metrics are off: /metrics falls through to
// the routes and gets their 404.
func TestMetricsOff(t *testing.T) {
	e := start(t, setup{mutate: func(bc *conf.Bootstrap) { bc.Telemetry.Metrics.Exporter = "none" }})
	if status, body := scrape(t, e, ""); status != 404 || strings.Contains(body, "go_goroutines") {
		t.Errorf("scrape with metrics off: %d %.200q", status, body)
	}
}

// TestMetricsFailover counts a failed attempt on a rejected account and the successful one on
// the next, and reports the rejected account's state.
func TestMetricsFailover(t *testing.T) {
	e := start(t, setup{accounts: 2, sim: simOptions(map[string]string{accounts[0].UserID: "http401"})})
	c := e.client()
	if _, err := c.Chat.Completions.New(t.Context(), chatParams("Hello")); err != nil {
		t.Fatal(err)
	}
	_, body := scrape(t, e, "")
	bad, good := `mimo_account="`+accounts[0].UserID+`"`, `mimo_account="`+accounts[1].UserID+`"`
	tests := []struct {
		name   string
		metric string
		labels []string
		value  string
	}{
		{"failed attempt", "gateway_upstream_attempts_total", []string{bad, `gateway_attempt_outcome="retryable"`, `error_type="upstream_auth"`}, "1"},
		{"successful attempt", "gateway_upstream_attempts_total", []string{good, `gateway_attempt_outcome="ok"`}, "1"},
		{"rejected account invalid", "gateway_account_state", []string{bad, `mimo_account_state="invalid"`}, "1"},
		{"rejected account not ok", "gateway_account_state", []string{bad, `mimo_account_state="ok"`}, "0"},
		{"one request", "http_server_request_duration_seconds_count", []string{`http_response_status_code="200"`}, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := series(body, tt.metric, tt.labels...)
			if len(got) != 1 || !strings.HasSuffix(got[0], " "+tt.value) {
				t.Errorf("%s with %v = %q, want one series of %s", tt.metric, tt.labels, got, tt.value)
			}
		})
	}
}
