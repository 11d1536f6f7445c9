package biz

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// DefaultErrorDialect renders errors of routes whose chain has no dialect.
const DefaultErrorDialect = "dialect.openai_chat"

// CompileError reports a configuration mistake in a chain.
type CompileError struct {
	// Route is the route's name.
	Route string
	// Index is the chain entry's position, or -1 when the problem concerns the whole route.
	Index int
	// Plugin is the entry's plugin id.
	Plugin string
	// Err is what is wrong.
	Err error
}

// Error implements error.
func (e *CompileError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("route %q: %v", e.Route, e.Err)
	}
	return fmt.Sprintf("route %q: chain[%d] (%s): %v", e.Route, e.Index, e.Plugin, e.Err)
}

// Unwrap returns the cause.
func (e *CompileError) Unwrap() error { return e.Err }

// Options tune compiled chains.
type Options struct {
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// Logger receives one record per failed request.
	Logger *slog.Logger
	// Usage, when set, counts the usage of every request that produced a response stream.
	Usage UsageRecorder
	// Metrics, when set, records request durations, upstream attempts, token usage and time
	// to first token.
	Metrics Metrics
}

// Compile provisions every plugin of every route and links the chains. On error every plugin
// provisioned so far is cleaned up.
func Compile(routes []conf.Route, h plugin.Host, opts Options) (_ *Runtime, err error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 32 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	rt := &Runtime{mux: http.NewServeMux(), logger: opts.Logger}
	defer func() {
		if err != nil {
			err = errors.Join(err, rt.Cleanup())
		}
	}()
	names := map[string]bool{}
	paths := map[string]*pathRoutes{}
	var order []string
	for _, r := range routes {
		if r.Name == "" {
			return nil, &CompileError{Route: r.Path, Index: -1, Err: errors.New("route has no name")}
		}
		if names[r.Name] {
			return nil, &CompileError{Route: r.Name, Index: -1, Err: errors.New("duplicate route name")}
		}
		names[r.Name] = true
		c, err := compileChain(rt, r, h, opts)
		if err != nil {
			return nil, err
		}
		method := strings.ToUpper(r.Method)
		if method == "" {
			return nil, &CompileError{Route: r.Name, Index: -1, Err: errors.New("route has no method")}
		}
		if !strings.HasPrefix(r.Path, "/") {
			return nil, &CompileError{Route: r.Name, Index: -1, Err: fmt.Errorf("path %q must start with /", r.Path)}
		}
		pr := paths[r.Path]
		if pr == nil {
			pr = &pathRoutes{byMethod: map[string]*Chain{}}
			paths[r.Path] = pr
			order = append(order, r.Path)
		}
		if pr.byMethod[method] != nil {
			return nil, &CompileError{Route: r.Name, Index: -1, Err: fmt.Errorf("%s %s is already served by route %q", method, r.Path, pr.byMethod[method].name)}
		}
		pr.byMethod[method] = c
		c.paths = append(c.paths, r.Path)
		pr.methods = append(pr.methods, method)
		rt.chains = append(rt.chains, c)
	}
	for _, p := range order {
		if err := register(rt.mux, p, paths[p]); err != nil {
			return nil, &CompileError{Route: paths[p].any().name, Index: -1, Err: err}
		}
	}
	rt.mux.Handle("/", http.HandlerFunc(rt.notFound))
	return rt, nil
}

func register(mux *http.ServeMux, path string, pr *pathRoutes) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("path %q: %v", path, p)
		}
	}()
	mux.Handle(path, pr)
	return nil
}

func compileChain(rt *Runtime, r conf.Route, h plugin.Host, opts Options) (*Chain, error) {
	c := &Chain{usage: opts.Usage, metrics: opts.Metrics, name: r.Name, timeouts: r.Timeouts, maxBody: opts.MaxBodyBytes, logger: opts.Logger, tracer: h.Tracer()}
	var (
		stages   []stageEntry
		terminal = -1
	)
	if len(r.Chain) == 0 {
		return nil, &CompileError{Route: r.Name, Index: -1, Err: errors.New("chain is empty")}
	}
	for i, e := range r.Chain {
		cerr := func(err error) error { return &CompileError{Route: r.Name, Index: i, Plugin: e.Use, Err: err} }
		p, err := plugin.Load(e.Use, e.With, h)
		if err != nil {
			return nil, cerr(err)
		}
		rt.plugins = append(rt.plugins, p)
		attrs := trace.WithAttributes(
			attribute.String("gateway.route", r.Name),
			attribute.String("gateway.plugin.id", e.Use),
			attribute.Int("gateway.plugin.index", i),
		)
		entry := stageEntry{id: e.Use, index: i, spanName: "plugin " + e.Use, attrs: attrs}
		switch p := p.(type) {
		case plugin.Terminal:
			if terminal >= 0 {
				return nil, cerr(fmt.Errorf("a chain has exactly one terminal, and chain[%d] (%s) is already one", terminal, c.terminal.id))
			}
			terminal = i
			entry.terminal = p
			c.terminal = entry
			continue
		case plugin.Stage:
			if terminal >= 0 {
				return nil, cerr(fmt.Errorf("is a request stage: place it before the terminal %s", c.terminal.id))
			}
			if d, ok := p.(plugin.Dialect); ok {
				if c.dialect != nil {
					return nil, cerr(errors.New("a chain has at most one dialect"))
				}
				c.dialect = d
			}
			entry.stage = p
			stages = append(stages, entry)
		case plugin.Filter:
			if terminal < 0 {
				return nil, cerr(errors.New("is a response stage: place it after the terminal"))
			}
			entry.filter = p
			c.filters = append(c.filters, entry)
		default:
			return nil, cerr(errors.New("is neither a request stage, a terminal nor a response stage"))
		}
	}
	if terminal < 0 {
		return nil, &CompileError{Route: r.Name, Index: -1, Err: errors.New("chain has no terminal (such as upstream.mimo)")}
	}
	c.errors = c.dialect
	if c.errors == nil {
		id := r.Errors
		if id == "" {
			id = DefaultErrorDialect
		}
		p, err := plugin.Load(id, nil, h)
		if err != nil {
			return nil, &CompileError{Route: r.Name, Index: -1, Plugin: id, Err: fmt.Errorf("errors: %w", err)}
		}
		rt.plugins = append(rt.plugins, p)
		d, ok := p.(plugin.Dialect)
		if !ok {
			return nil, &CompileError{Route: r.Name, Index: -1, Err: fmt.Errorf("errors: %s is not a dialect", id)}
		}
		c.errors = d
	}
	c.link(stages)
	return c, nil
}
