package telemetry

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/mimo2api/mimo2api/internal/biz"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Metric names. The first three follow the OpenTelemetry semantic conventions; the gateway's
// own are under "gateway.".
const (
	MetricRequestDuration = "http.server.request.duration"
	MetricTokenUsage      = "gen_ai.client.token.usage"
	MetricTimeToFirst     = "gen_ai.server.time_to_first_token"
	MetricAttempts        = "gateway.upstream.attempts"
	MetricInFlight        = "gateway.account.in_flight"
	MetricAccountState    = "gateway.account.state"
)

// Attribute keys. Accounts are labelled by their id (the MiMo user id, not a secret), as on
// spans; cookies never become attributes.
const (
	keyMethod       = attribute.Key("http.request.method")
	keyRoute        = attribute.Key("http.route")
	keyStatus       = attribute.Key("http.response.status_code")
	keyTokenType    = attribute.Key("gen_ai.token.type")
	keyRequestModel = attribute.Key("gen_ai.request.model")
	keyUpstream     = attribute.Key("gen_ai.response.model")
	keyAccount      = attribute.Key("mimo.account")
	keyState        = attribute.Key("mimo.account.state")
	keyOutcome      = attribute.Key("gateway.attempt.outcome")
	keyErrorType    = attribute.Key("error.type")
)

// Histogram buckets: the semantic conventions' advice, stretched for answers that stream for
// minutes and an upstream that can take seconds before its first token.
var (
	durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300}
	firstBuckets    = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 30, 60}
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576}
)

// accountStates are the states reported by gateway.account.state.
var accountStates = []plugin.AccountState{plugin.AccountOK, plugin.AccountCooling, plugin.AccountInvalid, plugin.AccountDisabled}

// Metrics holds the gateway's instruments. It implements [biz.Metrics] for the runtime and
// observes the account pool; with the Prometheus exporter it also carries the scrape endpoint.
type Metrics struct {
	duration metric.Float64Histogram
	tokens   metric.Int64Histogram
	first    metric.Float64Histogram
	attempts metric.Int64Counter

	path    string
	handler http.Handler
}

var _ biz.Metrics = (*Metrics)(nil)

// NewMetrics creates the instruments on mp. accounts, when not nil, returns the pool's
// accounts; they are observed at every collection for gateway.account.in_flight and
// gateway.account.state.
func NewMetrics(mp metric.MeterProvider, accounts func() []*plugin.Account) (*Metrics, error) {
	meter := mp.Meter(TracerName)
	m := &Metrics{}
	var err error
	if m.duration, err = meter.Float64Histogram(MetricRequestDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP server requests, to the end of the response."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return nil, err
	}
	if m.tokens, err = meter.Int64Histogram(MetricTokenUsage, metric.WithUnit("{token}"),
		metric.WithDescription("Tokens used per generation, by token type."),
		metric.WithExplicitBucketBoundaries(tokenBuckets...)); err != nil {
		return nil, err
	}
	if m.first, err = meter.Float64Histogram(MetricTimeToFirst, metric.WithUnit("s"),
		metric.WithDescription("Time from the request's arrival to its first text, reasoning or tool-call event."),
		metric.WithExplicitBucketBoundaries(firstBuckets...)); err != nil {
		return nil, err
	}
	if m.attempts, err = meter.Int64Counter(MetricAttempts, metric.WithUnit("{attempt}"),
		metric.WithDescription("Upstream attempts on an account, by outcome up to the first event: ok, retryable or error.")); err != nil {
		return nil, err
	}
	if accounts == nil {
		return m, nil
	}
	inFlight, err := meter.Int64ObservableGauge(MetricInFlight, metric.WithUnit("{request}"),
		metric.WithDescription("Requests running on an upstream account."))
	if err != nil {
		return nil, err
	}
	state, err := meter.Int64ObservableGauge(MetricAccountState,
		metric.WithDescription("1 for an upstream account's current state, 0 for the others."))
	if err != nil {
		return nil, err
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, a := range accounts() {
			id := keyAccount.String(a.ID)
			o.ObserveInt64(inFlight, int64(a.InFlight()), metric.WithAttributes(id))
			cur := a.State()
			for _, s := range accountStates {
				v := int64(0)
				if s == cur {
					v = 1
				}
				o.ObserveInt64(state, v, metric.WithAttributes(id, keyState.String(s.String())))
			}
		}
		return nil
	}, inFlight, state)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Request implements [biz.Metrics].
func (m *Metrics) Request(ctx context.Context, route, method string, status int, d time.Duration) {
	m.duration.Record(ctx, d.Seconds(), metric.WithAttributes(
		keyMethod.String(method), keyRoute.String(route), keyStatus.Int(status)))
}

// Attempt implements [biz.Metrics]: the outcome is "ok", "retryable" (another account may
// succeed) or "error", with the error code as error.type.
func (m *Metrics) Attempt(ctx context.Context, account string, err error) {
	if err == nil {
		m.attempts.Add(ctx, 1, metric.WithAttributes(keyAccount.String(account), keyOutcome.String("ok")))
		return
	}
	pe := plugin.AsError(err)
	outcome := "error"
	if pe.Retryable {
		outcome = "retryable"
	}
	m.attempts.Add(ctx, 1, metric.WithAttributes(keyAccount.String(account), keyOutcome.String(outcome), keyErrorType.String(string(pe.Code))))
}

// Generation implements [biz.Metrics].
func (m *Metrics) Generation(ctx context.Context, g biz.Generation) {
	req, up := keyRequestModel.String(g.Model), keyUpstream.String(g.UpstreamModel)
	if u := g.Usage; u != nil {
		m.tokens.Record(ctx, int64(u.PromptTokens), metric.WithAttributes(keyTokenType.String("input"), req, up))
		m.tokens.Record(ctx, int64(u.CompletionTokens), metric.WithAttributes(keyTokenType.String("output"), req, up))
	}
	if g.FirstToken > 0 {
		m.first.Record(ctx, g.FirstToken.Seconds(), metric.WithAttributes(req, up))
	}
}

// Endpoint returns the scrape endpoint's path and handler; h is nil when there is none (no
// Prometheus exporter, or m is nil).
func (m *Metrics) Endpoint() (path string, h http.Handler) {
	if m == nil {
		return "", nil
	}
	return m.path, m.handler
}

// ProvideMetrics builds the process's meter provider (see [NewMeterProvider]) and the
// gateway's instruments over d's account pool. It returns nil when metrics are off
// (telemetry.metrics.exporter: none).
func ProvideMetrics(bc *conf.Bootstrap, d *data.Data) (*Metrics, func(), error) {
	if bc.Telemetry.Metrics.Exporter == "none" {
		return nil, func() {}, nil
	}
	path, err := metricsPath(bc.Telemetry.Metrics)
	if err != nil {
		return nil, nil, err
	}
	mp, h, cleanup, err := NewMeterProvider(bc)
	if err != nil {
		return nil, nil, err
	}
	m, err := NewMetrics(mp, d.Pool.Snapshot)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	if h != nil {
		m.path, m.handler = path, requireKey(h, bc.Telemetry.Metrics.Key)
	}
	return m, cleanup, nil
}

// RuntimeMetrics returns m as the runtime's [biz.Metrics]: a nil interface when m is nil, so
// that the runtime skips metrics entirely.
func RuntimeMetrics(m *Metrics) biz.Metrics {
	if m == nil {
		return nil
	}
	return m
}
