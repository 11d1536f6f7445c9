package telemetry

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/mimo2api/mimo2api/internal/conf"
)

// DefaultMetricsPath is the path of the Prometheus scrape endpoint when telemetry.metrics.path
// is empty.
const DefaultMetricsPath = "/metrics"

// NewMeterProvider returns the meter provider for the configured metrics exporter
// (telemetry.metrics.exporter: "prometheus", the default, "otlp" or "none"), the HTTP handler
// of the Prometheus scrape endpoint (nil for the other exporters), and a cleanup that flushes
// and stops the provider.
//
// The Prometheus exporter writes to its own registry, never to the global one, together with
// the Go runtime and process collectors; the OTLP exporter pushes every minute to
// telemetry.endpoint. Each instrument keeps at most 2000 attribute sets (the SDK's default
// cardinality limit); further ones are folded into an overflow series.
func NewMeterProvider(bc *conf.Bootstrap) (metric.MeterProvider, http.Handler, func(), error) {
	t := bc.Telemetry
	var (
		reader  sdkmetric.Reader
		handler http.Handler
	)
	switch t.Metrics.Exporter {
	case "none":
		return noop.NewMeterProvider(), nil, func() {}, nil
	case "", "prometheus":
		reg := prometheus.NewRegistry()
		if err := reg.Register(collectors.NewGoCollector()); err != nil {
			return nil, nil, nil, err
		}
		if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, nil, nil, err
		}
		exp, err := otelprom.New(otelprom.WithRegisterer(reg))
		if err != nil {
			return nil, nil, nil, err
		}
		reader = exp
		handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	case "otlp":
		opts := []otlpmetrichttp.Option{}
		if t.Endpoint != "" {
			opts = append(opts, otlpmetrichttp.WithEndpoint(t.Endpoint))
		}
		if t.Insecure {
			opts = append(opts, otlpmetrichttp.WithInsecure())
		}
		exp, err := otlpmetrichttp.New(context.Background(), opts...)
		if err != nil {
			return nil, nil, nil, err
		}
		reader = sdkmetric.NewPeriodicReader(exp)
	default:
		return nil, nil, nil, fmt.Errorf("telemetry.metrics.exporter %q: want prometheus, otlp or none", t.Metrics.Exporter)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(newResource(t)))
	cleanup := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		mp.Shutdown(ctx)
	}
	return mp, handler, cleanup, nil
}

// metricsPath returns the configured scrape path.
func metricsPath(m conf.Metrics) (string, error) {
	if m.Path == "" {
		return DefaultMetricsPath, nil
	}
	if !strings.HasPrefix(m.Path, "/") {
		return "", fmt.Errorf("telemetry.metrics.path %q must start with /", m.Path)
	}
	return m.Path, nil
}

// requireKey guards h with "Authorization: Bearer <key>", compared in constant time; an
// empty key leaves h open.
func requireKey(h http.Handler, key string) http.Handler {
	if key == "" {
		return h
	}
	want := sha256.Sum256([]byte(key))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mimo2api metrics"`)
			http.Error(w, "a valid metrics key is required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
