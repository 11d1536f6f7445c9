// Package telemetry builds the process's OpenTelemetry TracerProvider and MeterProvider from
// configuration, and the gateway's metric instruments.
package telemetry

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/google/wire"

	"github.com/mimo2api/mimo2api/internal/conf"
)

// TracerName is the instrumentation name of the gateway's spans.
const TracerName = "github.com/mimo2api/mimo2api"

// NewTracerProvider returns the tracer provider for the configured exporter ("none", "stdout"
// or "otlp") and a cleanup that flushes and stops it. It also installs the W3C trace-context
// propagator.
func NewTracerProvider(bc *conf.Bootstrap) (trace.TracerProvider, func(), error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t := bc.Telemetry
	var exp sdktrace.SpanExporter
	switch t.Exporter {
	case "", "none":
		return noop.NewTracerProvider(), func() {}, nil
	case "stdout":
		e, err := stdouttrace.New(stdouttrace.WithWriter(os.Stdout))
		if err != nil {
			return nil, nil, err
		}
		exp = e
	case "otlp":
		opts := []otlptracehttp.Option{}
		if t.Endpoint != "" {
			opts = append(opts, otlptracehttp.WithEndpoint(t.Endpoint))
		}
		if t.Insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		e, err := otlptracehttp.New(context.Background(), opts...)
		if err != nil {
			return nil, nil, err
		}
		exp = e
	default:
		return nil, nil, fmt.Errorf("telemetry.exporter %q: want none, stdout or otlp", t.Exporter)
	}
	ratio := 1.0
	if t.SampleRatio != nil {
		ratio = *t.SampleRatio
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
		sdktrace.WithResource(newResource(t)),
	)
	cleanup := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tp.Shutdown(ctx)
	}
	return tp, cleanup, nil
}

// newResource describes the process to the exporters: its service.name.
func newResource(t conf.Telemetry) *resource.Resource {
	name := t.ServiceName
	if name == "" {
		name = "mimo2api"
	}
	return resource.NewSchemaless(attribute.String("service.name", name))
}

// ProviderSet provides the tracer provider and the metrics.
var ProviderSet = wire.NewSet(NewTracerProvider, ProvideMetrics, RuntimeMetrics)
