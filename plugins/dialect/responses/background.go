package responses

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// DefaultBackgroundTimeout bounds a background response when the configuration does not.
const DefaultBackgroundTimeout = 30 * time.Minute

var (
	// errCancelled is the cause of a background response cancelled through CancelBackground.
	errCancelled = errors.New("the response was cancelled")
	// errBackgroundTimeout is the cause of a background response that ran out of time.
	errBackgroundTimeout = errors.New("background response timeout")
)

// job is one background response running in this process.
type job struct {
	cancel context.CancelCauseFunc
	done   chan struct{} // closed once the final state is stored
}

// jobs are the background responses running in this process, by response id. The registry is
// process-wide rather than per plugin instance: a running response outlives a configuration
// reload, and the cancel route, served by another plugin, finds it here.
var jobs = struct {
	sync.Mutex
	m map[string]*job
}{m: make(map[string]*job)}

// CancelBackground cancels the background response id when it runs in this process. It returns
// a channel that is closed once the response's final state (normally "cancelled") is stored,
// and false when no background response with that id runs here.
func CancelBackground(id string) (done <-chan struct{}, ok bool) {
	jobs.Lock()
	j := jobs.m[id]
	jobs.Unlock()
	if j == nil {
		return nil, false
	}
	j.cancel(errCancelled)
	return j.done, true
}

// background answers at once with the response object in status "queued", which it stores,
// and runs the rest of the chain detached from the client: with a context that the client's
// disconnection and the route's timeouts do not cancel, bounded by the background timeout and
// cancellable through CancelBackground. The final object replaces the stored one.
//
// The chain continues on a new exchange: values that stages placed before the dialect set on
// the client's exchange are not carried over.
func (d *Responses) background(ctx context.Context, ex *plugin.Exchange, c *call, next plugin.Next) error {
	if c.st == nil {
		return unsupportedParam("background", "background responses must be stored, and stored responses are not enabled on this gateway")
	}
	bex := &plugin.Exchange{Route: ex.Route, Body: ex.Body, Request: ex.Request, Dialect: d, Start: ex.Start}
	callKey.Set(bex, c)
	r := d.newWriter(bex, c)
	r.snap.status, r.snap.stored = statusQueued, true
	id := r.snap.id

	bctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	bctx, stop := context.WithTimeoutCause(bctx, d.backgroundTimeout(), errBackgroundTimeout)
	if ex.HTTP != nil {
		bex.HTTP = ex.HTTP.WithContext(bctx)
	}
	// Register before storing, so that a cancel never finds a stored queued response that is
	// about to start.
	j := &job{cancel: cancel, done: make(chan struct{})}
	jobs.Lock()
	jobs.m[id] = j
	jobs.Unlock()
	end := func() {
		stop()
		cancel(nil)
		jobs.Lock()
		delete(jobs.m, id)
		jobs.Unlock()
		close(j.done)
	}

	body := appendResponse(make([]byte, 0, 1024), c, &r.snap)
	if err := c.st.Put(ctx, r.record(body)); err != nil {
		end()
		return &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal, Message: "could not store the background response", Err: err}
	}
	go func() {
		defer end()
		r.run(bctx, next)
	}()
	ex.Response = plugin.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: append(body, '\n')}
	return nil
}

// run runs the rest of the chain for a background response and stores its final state. A
// panic fails the response instead of the process.
func (r *writer) run(ctx context.Context, next plugin.Next) {
	defer func() {
		if p := recover(); p != nil {
			if r.d.log != nil {
				r.d.log.Error("panic in a background response", "response", r.snap.id, "panic", p)
			}
			r.save(r.abort(ctx, fmt.Errorf("panic: %v", p)))
		}
	}()
	err := next(ctx, r.ex)
	if err == nil && r.ex.Response.Events == nil {
		err = &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal, Message: "internal error",
			Err: errors.New("the chain answered a background response without an event stream")}
	}
	if err == nil {
		r.snap.status = statusInProgress
		r.save(appendResponse(make([]byte, 0, 1024), r.c, &r.snap))
		for ev, serr := range r.ex.Response.Events {
			if serr != nil {
				err = serr
				break
			}
			if ctx.Err() != nil {
				break // a stream that does not watch its context still stops here
			}
			r.add(ev)
		}
	}
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		r.save(r.abort(ctx, err))
		return
	}
	r.save(r.finalize())
}

// abort ends a background response that did not complete: "cancelled" when the client
// cancelled it, otherwise "failed" with the error. The output produced so far is kept.
func (r *writer) abort(ctx context.Context, err error) []byte {
	r.closeItem()
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, errCancelled):
		r.snap.status = statusCancelled
	case errors.Is(cause, errBackgroundTimeout):
		r.snap.status = statusFailed
		r.snap.err = &plugin.Error{Status: http.StatusGatewayTimeout, Code: plugin.CodeTimeout, Message: "the background response did not finish in time", Err: err}
	default:
		r.snap.status, r.snap.err = statusFailed, plugin.AsError(err)
	}
	if r.d.log != nil && r.snap.status == statusFailed {
		r.d.log.Warn("background response failed", "response", r.snap.id, "error", err)
	}
	r.snap.stored = true
	return appendResponse(make([]byte, 0, 1024), r.c, &r.snap)
}

// backgroundTimeout returns the configured bound of a background response.
func (d *Responses) backgroundTimeout() time.Duration {
	if d.BackgroundTimeout > 0 {
		return d.BackgroundTimeout.Std()
	}
	return DefaultBackgroundTimeout
}
