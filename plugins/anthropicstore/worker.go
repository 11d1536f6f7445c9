package anthropicstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/mimo2api/mimo2api/internal/data/store"
)

// Polling of idle workers: they look for work again after minIdle, doubling up to maxIdle,
// and at once when a batch is created in this process.
const (
	minIdle = 100 * time.Millisecond
	maxIdle = 2 * time.Second
	// retryBackoff is the pause before the second try of a request; it grows linearly.
	retryBackoff = 500 * time.Millisecond
	// finishTimeout bounds storing a result.
	finishTimeout = 10 * time.Second
)

var (
	// errBatchCanceled cancels the running requests of a canceled batch.
	errBatchCanceled = errors.New("the message batch was canceled")
	// errLeaseEnd cancels a request about to outlive its lease.
	errLeaseEnd = errors.New("the request did not finish within its lease")
)

// pool is a bounded set of workers that claim batch requests from the store and run them.
//
// A request runs on a context of its own, not the workers': stopping the pool (on a
// configuration reload) stops claiming but lets running requests finish, because a request
// abandoned while leased would wait for its lease to expire. Running requests end early when
// their batch is canceled, when their lease is about to expire, and when the gateway shuts
// down: the dispatcher cancels them and the workers stop claiming; the interrupted requests
// are claimed again, once their lease expired, by the next process.
type pool struct {
	open        func() (store.Store, error)
	disp        Dispatcher
	run         func(ctx context.Context, params []byte) (int, []byte, error)
	log         *slog.Logger
	lease       time.Duration
	maxAttempts int
	owner       string

	stop context.CancelFunc
	wg   sync.WaitGroup
	wake signal
}

// start runs n workers.
func (p *pool) start(n int) {
	p.owner = "mimo2api-" + randomHex(8)
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	for range n {
		p.wg.Add(1)
		go p.work(ctx)
	}
}

// close stops claiming requests and waits for the running ones.
func (p *pool) close() {
	if p.stop != nil {
		p.stop()
		p.wg.Wait()
		p.stop = nil
	}
}

// work claims and runs requests until ctx ends or the host stops dispatching. It starts only
// once the host dispatches requests, so that a process that does not serve never leases
// anything.
func (p *pool) work(ctx context.Context) {
	defer p.wg.Done()
	select {
	case <-ctx.Done():
		return
	case <-p.disp.DispatchReady():
	}
	stopped := p.disp.DispatchStopped()
	idle := minIdle
	for ctx.Err() == nil {
		select {
		case <-stopped:
			return
		default:
		}
		woken := p.wake.wait()
		claimed, err := p.step(ctx)
		if claimed {
			idle = minIdle
			continue
		}
		if err != nil && ctx.Err() == nil {
			p.log.Warn("claiming a batch request failed", "error", err)
		}
		t := time.NewTimer(idle)
		select {
		case <-ctx.Done():
		case <-stopped:
		case <-woken:
			idle = minIdle
		case <-t.C:
			idle = min(2*idle, maxIdle)
		}
		t.Stop()
	}
}

// step claims one request and runs it; claimed is false when there was nothing to do.
func (p *pool) step(ctx context.Context) (claimed bool, err error) {
	st, err := p.open()
	if err != nil {
		return false, err
	}
	req, ok, err := st.ClaimRequest(ctx, p.owner, p.lease)
	if err != nil || !ok {
		return false, err
	}
	p.process(st, req)
	return true, nil
}

// process runs one claimed request and stores its result, unless the request must be left to
// a later claim (the gateway shuts down).
func (p *pool) process(st store.Store, req store.BatchRequest) {
	if req.Attempts > p.maxAttempts {
		p.finish(st, req, store.RequestErrored, erroredResult(500, "", "the request was interrupted "+
			itoa(req.Attempts-1)+" times without completing"))
		return
	}
	jctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	jctx, stopLease := context.WithTimeoutCause(jctx, p.lease*9/10, errLeaseEnd)
	defer stopLease()
	defer track(req.BatchID, cancel)()
	// A cancel that came between the claim and track found nothing to stop.
	if b, err := st.GetBatch(jctx, req.BatchID); err == nil && b.Status != store.BatchInProgress {
		cancel(errBatchCanceled)
	}

	state, result, ok := p.attempt(jctx, req)
	if ok {
		p.finish(st, req, state, result)
	}
}

// attempt runs the request, trying again after retryable failures, and returns its final
// state and result; ok is false when the request must be left for a later claim.
func (p *pool) attempt(jctx context.Context, req store.BatchRequest) (state store.RequestState, result []byte, ok bool) {
	for try := 1; ; try++ {
		status, body, err := p.run(jctx, req.Params)
		if err == nil && status == 200 {
			if res, ok := succeededResult(body); ok {
				return store.RequestSucceeded, res, true
			}
			return store.RequestErrored, erroredResult(500, "", "the messages route answered with an invalid message"), true
		}
		switch cause := context.Cause(jctx); {
		case errors.Is(cause, errBatchCanceled):
			return store.RequestCanceled, nil, true
		case errors.Is(cause, errLeaseEnd):
			return store.RequestErrored, erroredResult(500, "", "the request did not finish within "+p.lease.String()), true
		}
		if err != nil {
			p.log.Info("a batch request was interrupted; it runs again once its lease expires",
				"batch", req.BatchID, "custom_id", req.CustomID, "error", err)
			return "", nil, false
		}
		if !retryable(status) || try >= p.maxAttempts {
			return store.RequestErrored, erroredFromResponse(status, body), true
		}
		t := time.NewTimer(time.Duration(try) * retryBackoff)
		select {
		case <-jctx.Done(): // classified by the next try, which fails at once
		case <-t.C:
		}
		t.Stop()
	}
}

// finish stores the request's final state; a request finished meanwhile (by the store's
// sweeps or a worker that took over an expired lease) keeps its first result.
func (p *pool) finish(st store.Store, req store.BatchRequest, state store.RequestState, result []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	err := st.FinishRequest(ctx, req.BatchID, req.CustomID, state, result)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrAlreadyFinished), errors.Is(err, store.ErrNotFound):
		p.log.Debug("a batch request was finished elsewhere", "batch", req.BatchID, "custom_id", req.CustomID, "error", err)
	default:
		p.log.Warn("storing a batch result failed", "batch", req.BatchID, "custom_id", req.CustomID, "error", err)
	}
}

// retryable reports whether a status may succeed when tried again.
func retryable(status int) bool {
	switch status {
	case 408, 429, 500, 502, 503, 504, 529:
		return true
	}
	return false
}

// signal wakes every goroutine waiting on it.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed by the next broadcast.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// broadcast wakes the current waiters.
func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// running are the batch requests running in this process, by batch id, so that canceling a
// batch (served by another plugin instance than the workers') stops them at once.
var running = struct {
	sync.Mutex
	m map[string]map[*context.CancelCauseFunc]struct{}
}{m: make(map[string]map[*context.CancelCauseFunc]struct{})}

// track registers a running request of batch; the returned function unregisters it.
func track(batch string, cancel context.CancelCauseFunc) (untrack func()) {
	k := &cancel
	running.Lock()
	defer running.Unlock()
	if running.m[batch] == nil {
		running.m[batch] = make(map[*context.CancelCauseFunc]struct{})
	}
	running.m[batch][k] = struct{}{}
	return func() {
		running.Lock()
		defer running.Unlock()
		delete(running.m[batch], k)
		if len(running.m[batch]) == 0 {
			delete(running.m, batch)
		}
	}
}

// cancelRunning cancels the requests of batch running in this process.
func cancelRunning(batch string) {
	running.Lock()
	defer running.Unlock()
	for k := range running.m[batch] {
		(*k)(errBatchCanceled)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
