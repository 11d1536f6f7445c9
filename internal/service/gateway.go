package service

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/biz"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
)

// Gateway serves the routes of the current configuration.
type Gateway struct {
	host   *biz.Host
	logger *slog.Logger
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	opts   biz.Options

	overlay func(*conf.Bootstrap) // re-applied to reloaded configurations (demo mode)

	mu      sync.Mutex // serialises reloads
	current atomic.Pointer[generation]
}

// generation is one compiled runtime and the requests still running on it.
type generation struct {
	rt      *biz.Runtime
	refs    atomic.Int64
	retired atomic.Bool
	once    sync.Once
	drained chan struct{} // closed once retired and no request runs on it
}

func newGeneration(rt *biz.Runtime) *generation {
	return &generation{rt: rt, drained: make(chan struct{})}
}

func (gen *generation) release() {
	if gen.refs.Add(-1) == 0 && gen.retired.Load() {
		gen.once.Do(func() { close(gen.drained) })
	}
}

// retire marks the generation as replaced; drained closes when its last request ends.
func (gen *generation) retire() {
	gen.retired.Store(true)
	if gen.refs.Load() == 0 {
		gen.once.Do(func() { close(gen.drained) })
	}
}

// NewGateway compiles the configured routes, without metrics.
func NewGateway(bc *conf.Bootstrap, host *biz.Host, d *data.Data, tp trace.TracerProvider, logger *slog.Logger) (*Gateway, func(), error) {
	return ProvideGateway(bc, host, d, tp, nil, logger)
}

// ProvideGateway compiles the configured routes; m, when not nil, receives the runtime's
// measurements, on this configuration and every reloaded one.
func ProvideGateway(bc *conf.Bootstrap, host *biz.Host, d *data.Data, tp trace.TracerProvider, m biz.Metrics, logger *slog.Logger) (*Gateway, func(), error) {
	g := &Gateway{
		host:    host,
		logger:  logger,
		tracer:  tp.Tracer(biz.TracerName),
		prop:    propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		opts:    biz.Options{MaxBodyBytes: bc.Server.MaxBodyBytes, Logger: logger, Usage: d.Usage, Metrics: m},
		overlay: bc.Overlay,
	}
	rt, err := biz.Compile(bc.Routes, host, g.opts)
	if err != nil {
		return nil, nil, err
	}
	g.current.Store(newGeneration(rt))
	host.SetDispatcher(g.Dispatch)
	cleanup := func() {
		host.StopDispatch() // cancels in-process requests, which would hold the drain up
		gen := g.current.Load()
		gen.retire()
		<-gen.drained
		if err := gen.rt.Cleanup(); err != nil {
			logger.Warn("cleanup failed", "error", err)
		}
	}
	return g, cleanup, nil
}

// Reload compiles bc's routes and swaps them in. Requests already running finish on the old
// routes, whose plugins are cleaned up afterwards. On error the current routes stay.
func (g *Gateway) Reload(bc *conf.Bootstrap) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.overlay != nil {
		g.overlay(bc)
	}
	prev := g.host.Settings()
	g.host.Update(bc)
	rt, err := biz.Compile(bc.Routes, g.host, g.opts)
	if err != nil {
		g.host.Restore(prev)
		return fmt.Errorf("reload: %w", err)
	}
	old := g.current.Swap(newGeneration(rt))
	old.retire()
	go func() {
		<-old.drained
		if err := old.rt.Cleanup(); err != nil {
			g.logger.Warn("cleanup of the previous configuration failed", "error", err)
		}
	}()
	g.logger.Info("configuration reloaded", "routes", len(rt.Chains()))
	return nil
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.serveHealth(w, r) {
		return
	}
	ctx := g.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := g.tracer.Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
	defer span.End()
	gen := g.acquire()
	defer gen.release()
	gen.rt.ServeHTTP(w, r.WithContext(ctx))
}

func (g *Gateway) acquire() *generation {
	for {
		gen := g.current.Load()
		gen.refs.Add(1)
		if g.current.Load() == gen {
			return gen
		}
		gen.release()
	}
}
