package biz

import (
	"context"
	"errors"
	"net/http"
	"sync"
)

// DispatchFunc serves one request in-process, without the network, and returns the response
// status and body. It fails only when the request could not be served at all (the gateway is
// not serving, or ctx ended before any response was written).
type DispatchFunc func(ctx context.Context, method, path string, header http.Header, body []byte) (status int, respBody []byte, err error)

var (
	// ErrNoDispatcher reports that the host serves no requests, as when a configuration is
	// only being validated.
	ErrNoDispatcher = errors.New("the gateway does not serve requests in this process")
	// ErrDispatchStopped reports an in-process request refused or cancelled because the
	// gateway stops.
	ErrDispatchStopped = errors.New("the gateway is shutting down")
)

// dispatcher holds the in-process dispatch function of a Host.
type dispatcher struct {
	mu      sync.Mutex
	fn      DispatchFunc
	ready   chan struct{} // closed once fn is set
	stopped chan struct{} // closed by StopDispatch
	ctx     context.Context
	cancel  context.CancelCauseFunc
}

// init creates the channels and the stop context; d.mu must be held.
func (d *dispatcher) init() {
	if d.ready == nil {
		d.ready, d.stopped = make(chan struct{}), make(chan struct{})
		d.ctx, d.cancel = context.WithCancelCause(context.Background())
	}
}

// SetDispatcher installs the function that serves in-process requests (the gateway's
// Dispatch). Plugins waiting on DispatchReady resume. Only the first call has an effect.
func (h *Host) SetDispatcher(fn DispatchFunc) {
	h.disp.mu.Lock()
	defer h.disp.mu.Unlock()
	h.disp.init()
	if h.disp.fn != nil || fn == nil {
		return
	}
	h.disp.fn = fn
	close(h.disp.ready)
}

// StopDispatch ends in-process requests for good: running ones are cancelled, later ones
// refused with ErrDispatchStopped, and DispatchStopped is closed. The gateway calls it first
// when it shuts down, so that background work neither holds the shutdown up nor starts
// anything new.
func (h *Host) StopDispatch() {
	h.disp.mu.Lock()
	defer h.disp.mu.Unlock()
	h.disp.init()
	select {
	case <-h.disp.stopped:
	default:
		close(h.disp.stopped)
		h.disp.cancel(ErrDispatchStopped)
	}
}

// DispatchReady returns a channel that is closed once the host can dispatch requests.
// Background work that must not start unless the gateway serves (such as batch workers, which
// lease requests from a shared store) waits on it.
func (h *Host) DispatchReady() <-chan struct{} {
	h.disp.mu.Lock()
	defer h.disp.mu.Unlock()
	h.disp.init()
	return h.disp.ready
}

// DispatchStopped returns a channel that is closed when the gateway stops serving.
func (h *Host) DispatchStopped() <-chan struct{} {
	h.disp.mu.Lock()
	defer h.disp.mu.Unlock()
	h.disp.init()
	return h.disp.stopped
}

// Dispatch serves one request through the current routes in-process, exactly as if a client
// had sent it: every stage of the route's chain applies. The request is cancelled, with the
// cause ErrDispatchStopped, when the gateway shuts down. See DispatchFunc.
func (h *Host) Dispatch(ctx context.Context, method, path string, header http.Header, body []byte) (int, []byte, error) {
	h.disp.mu.Lock()
	h.disp.init()
	fn, stop := h.disp.fn, h.disp.ctx
	h.disp.mu.Unlock()
	if stop.Err() != nil {
		return 0, nil, ErrDispatchStopped
	}
	if fn == nil {
		return 0, nil, ErrNoDispatcher
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(stop, func() { cancel(context.Cause(stop)) })()
	return fn(ctx, method, path, header, body)
}
