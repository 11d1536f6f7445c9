package biz

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Chain is one compiled route.
type Chain struct {
	usage    UsageRecorder
	metrics  Metrics
	name     string
	paths    []string
	timeouts conf.Timeouts
	maxBody  int64
	logger   *slog.Logger
	tracer   trace.Tracer

	dialect  plugin.Dialect // the chain's own dialect, or nil
	errors   plugin.Dialect // renders errors: the dialect, or the route's error dialect
	terminal stageEntry
	filters  []stageEntry
	first    plugin.Next
}

type stageEntry struct {
	id       string
	index    int
	spanName string
	attrs    trace.SpanStartEventOption

	stage    plugin.Stage
	terminal plugin.Terminal
	filter   plugin.Filter
}

// Name returns the route name.
func (c *Chain) Name() string { return c.name }

// link builds the onion of request stages around the terminal once, at compile time.
func (c *Chain) link(stages []stageEntry) {
	next := c.callTerminal
	for i := len(stages) - 1; i >= 0; i-- {
		next = c.wrapStage(stages[i], next)
	}
	c.first = next
}

func (c *Chain) wrapStage(s stageEntry, next plugin.Next) plugin.Next {
	return func(ctx context.Context, ex *plugin.Exchange) error {
		ctx, span := c.tracer.Start(ctx, s.spanName, s.attrs)
		err := s.stage.Handle(ctx, ex, next)
		endSpan(span, err)
		return err
	}
}

// callTerminal runs the terminal and the response stages and commits late: it pulls the first
// event, so that a failure before the first byte returns as an error that a request stage can
// retry.
func (c *Chain) callTerminal(ctx context.Context, ex *plugin.Exchange) error {
	st := stateKey.get(ex)
	tctx, span := c.tracer.Start(ctx, c.terminal.spanName, c.terminal.attrs)
	ex.Response = plugin.Response{}
	if err := c.terminal.terminal.Call(tctx, ex); err != nil {
		err = st.timeoutErr(ctx, err)
		endSpan(span, err)
		c.attempt(ctx, ex, err)
		return err
	}
	if ex.Response.Events == nil {
		endSpan(span, nil)
		c.attempt(ctx, ex, nil)
		return nil
	}
	s := spanStream(ex.Response.Events, span)
	for _, f := range c.filters {
		fctx, fspan := c.tracer.Start(ctx, f.spanName, f.attrs)
		s = spanStream(f.filter.Filter(fctx, ex, s), fspan)
	}
	rest, err := peek(s)
	if err != nil {
		err = st.timeoutErr(ctx, err)
		c.attempt(ctx, ex, err)
		return err
	}
	st.firstEvent()
	c.attempt(ctx, ex, nil)
	ex.Response.Events = rest
	return nil
}

// ServeHTTP runs one request through the chain.
func (c *Chain) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	if c.timeouts.Total > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, c.timeouts.Total.Std(), errTotalTimeout)
		defer stop()
	}
	ex := &plugin.Exchange{Route: c.name, HTTP: r, Dialect: c.errors, Start: start}
	st := &reqState{cancel: cancel}
	stateKey.set(ex, st)
	if c.timeouts.FirstByte > 0 {
		st.firstByte = time.AfterFunc(c.timeouts.FirstByte.Std(), func() { cancel(errFirstByteTimeout) })
	}
	defer st.stopTimers()
	rw := &trackingWriter{ResponseWriter: w}
	if c.metrics != nil {
		defer c.measure(r, rw, start) // deferred first, so it runs after recoverPanic
	}
	defer c.recoverPanic(rw, ex)

	body, err := readBody(w, r, c.maxBody)
	if err == nil {
		ex.Body = body
		err = c.first(ctx, ex)
	}
	if err != nil {
		c.fail(rw, ex, err)
		return
	}
	if ex.Response.Events == nil {
		writeBody(rw, &ex.Response)
		return
	}
	events := st.guard(ctx, ex.Response.Events, c.timeouts.Idle.Std())
	if hb := c.timeouts.Heartbeat.Std(); hb > 0 && ex.Request != nil && ex.Request.Stream {
		events = heartbeat(events, hb)
	}
	if err := ex.Dialect.WriteStream(rw, ex, events); err != nil {
		c.logger.LogAttrs(ctx, slog.LevelWarn, "response stream failed", slog.String("route", c.name), slog.String("error", plugin.AsError(err).Message))
	}
	c.account(ctx, ex, st)
	if !st.consumed {
		// Make sure the stream's resources (account slot, upstream body) are released even
		// when the dialect did not read it to the end.
		cancel(context.Canceled)
		for range events {
			break
		}
	}
}

func (c *Chain) fail(w *trackingWriter, ex *plugin.Exchange, err error) {
	pe := plugin.AsError(err)
	if pe.Code == plugin.CodeInternal || pe.Status >= 500 && pe.Code != plugin.CodeUpstream {
		c.logger.LogAttrs(context.Background(), slog.LevelError, "request failed", slog.String("route", c.name),
			slog.Int("status", pe.Status), slog.String("code", string(pe.Code)), slog.String("error", pe.Error()))
	}
	if pe.Code == plugin.CodeClientClosed || w.wrote {
		return
	}
	c.errors.WriteError(w, ex, pe)
}

func (c *Chain) recoverPanic(w *trackingWriter, ex *plugin.Exchange) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	c.logger.Error("panic in chain", "route", c.name, "panic", p)
	if !w.wrote {
		c.errors.WriteError(w, ex, &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal, Message: "internal error"})
	}
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, plugin.Errorf(http.StatusRequestEntityTooLarge, plugin.CodeTooLarge, "request body exceeds %d bytes", limit)
		}
		return nil, &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest, Message: "could not read the request body", Err: err}
	}
	return b, nil
}

func writeBody(w http.ResponseWriter, resp *plugin.Response) {
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(resp.Body)
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		pe := plugin.AsError(err)
		span.SetStatus(codes.Error, string(pe.Code))
		span.RecordError(errors.New(pe.Message))
	}
	span.End()
}

// trackingWriter remembers whether the response was committed, and its status.
type trackingWriter struct {
	http.ResponseWriter
	wrote  bool
	status int // the first final (non-1xx) status written
}

func (w *trackingWriter) WriteHeader(code int) {
	w.wrote = true
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// UsageRecorder counts the usage of finished requests.
type UsageRecorder interface {
	// Record counts one request of model on account with its token usage (u may be nil).
	Record(model, account string, u *plugin.Usage)
}

// account records what the response reported: usage counts and the gen_ai span attributes.
func (c *Chain) account(ctx context.Context, ex *plugin.Exchange, st *reqState) {
	if ex.Request == nil {
		return
	}
	model, acct := ex.Request.Model, ""
	if ex.Account != nil {
		acct = ex.Account.ID
	}
	if c.usage != nil {
		c.usage.Record(model, acct, st.usage)
	}
	if c.metrics != nil {
		g := Generation{Model: model, UpstreamModel: ex.Request.TargetModel(), Usage: st.usage}
		if !st.firstTokenAt.IsZero() {
			g.FirstToken = st.firstTokenAt.Sub(ex.Start)
		}
		c.metrics.Generation(ctx, g)
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.request.model", model),
		attribute.String("gen_ai.response.model", ex.Request.TargetModel()),
	}
	if st.finish != "" {
		attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons", []string{string(st.finish)}))
	}
	if u := st.usage; u != nil {
		attrs = append(attrs,
			attribute.Int("gen_ai.usage.input_tokens", u.PromptTokens),
			attribute.Int("gen_ai.usage.output_tokens", u.CompletionTokens),
			attribute.Bool("gateway.usage.estimated", u.Estimated))
	}
	span.SetAttributes(attrs...)
}

// Metrics receives the runtime's measurements. Implementations must be safe for concurrent use
// and cheap: every request calls them.
type Metrics interface {
	// Request records one request served by a route: route is the route's path pattern (such
	// as "/v1/messages/{id}"), never the raw path; status is the final status written, or 499
	// when the client went away before any; d runs from arrival to the end of the response.
	Request(ctx context.Context, route, method string, status int, d time.Duration)
	// Attempt records one call of a route's terminal on an upstream account, up to its first
	// event: err is nil when the attempt succeeded and the error a selector saw otherwise.
	Attempt(ctx context.Context, account string, err error)
	// Generation records what an event-stream response reported.
	Generation(ctx context.Context, g Generation)
}

// Generation is what an event-stream response reported, for [Metrics].
type Generation struct {
	// Model is the model the client asked for.
	Model string
	// UpstreamModel is the upstream model id that served it.
	UpstreamModel string
	// Usage is the token usage, or nil when the stream reported none.
	Usage *plugin.Usage
	// FirstToken is the time from the request's arrival to its first text, reasoning or
	// tool-call event; 0 when there was none.
	FirstToken time.Duration
}

// measure records the request's duration and final status.
func (c *Chain) measure(r *http.Request, w *trackingWriter, start time.Time) {
	route := r.Pattern // set by the runtime's ServeMux: the route's path, with its wildcards
	if route == "" && len(c.paths) > 0 {
		route = c.paths[0]
	}
	status := w.status
	if status == 0 {
		status = 499 // nothing was written: the client went away first
	}
	c.metrics.Request(r.Context(), route, r.Method, status, time.Since(start))
}

// attempt records one terminal call made on an upstream account.
func (c *Chain) attempt(ctx context.Context, ex *plugin.Exchange, err error) {
	if c.metrics != nil && ex.Account != nil {
		c.metrics.Attempt(ctx, ex.Account.ID, err)
	}
}
