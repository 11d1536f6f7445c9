package biz

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

var (
	errFirstByteTimeout = errors.New("first byte timeout")
	errIdleTimeout      = errors.New("idle timeout")
	errTotalTimeout     = errors.New("total timeout")
)

// reqState is the runtime's per-request bookkeeping.
type reqState struct {
	cancel    context.CancelCauseFunc
	firstByte *time.Timer
	idle      *time.Timer
	consumed  bool

	// What the response stream reported, for usage accounting and span attributes.
	usage        *plugin.Usage
	finish       plugin.FinishReason
	firstToken   bool
	firstTokenAt time.Time
}

type stateKeyT struct{ k *plugin.Key[*reqState] }

var stateKey = stateKeyT{plugin.NewKey[*reqState]("biz.state")}

func (k stateKeyT) get(ex *plugin.Exchange) *reqState {
	st, ok := k.k.Get(ex)
	if !ok {
		return &reqState{cancel: func(error) {}}
	}
	return st
}

func (k stateKeyT) set(ex *plugin.Exchange, st *reqState) { k.k.Set(ex, st) }

func (st *reqState) firstEvent() {
	if st.firstByte != nil {
		st.firstByte.Stop()
	}
}

func (st *reqState) stopTimers() {
	st.firstEvent()
	if st.idle != nil {
		st.idle.Stop()
	}
}

// timeoutErr turns an error caused by one of the route's timeouts into a 504.
func (st *reqState) timeoutErr(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	switch cause := context.Cause(ctx); cause {
	case errFirstByteTimeout, errIdleTimeout, errTotalTimeout:
		return &plugin.Error{Status: http.StatusGatewayTimeout, Code: plugin.CodeTimeout, Message: "upstream " + cause.Error() + " exceeded", Err: err}
	}
	return err
}

// guard wraps the response stream: it enforces the idle timeout, maps timeout causes to 504
// errors and records that the stream was consumed.
func (st *reqState) guard(ctx context.Context, s plugin.Stream, idle time.Duration) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		st.consumed = true
		if idle > 0 {
			st.idle = time.AfterFunc(idle, func() { st.cancel(errIdleTimeout) })
		}
		span := trace.SpanFromContext(ctx)
		for ev, err := range s {
			if err != nil {
				yield(ev, st.timeoutErr(ctx, err))
				return
			}
			if st.idle != nil {
				st.idle.Reset(idle)
			}
			switch ev.Kind {
			case plugin.EventText, plugin.EventReasoning, plugin.EventToolCall:
				if !st.firstToken {
					st.firstToken, st.firstTokenAt = true, time.Now()
					span.AddEvent("gen_ai.first_token")
				}
			case plugin.EventUsage:
				st.usage = ev.Usage
			case plugin.EventFinish:
				st.finish = ev.Finish
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// spanStream ends span when s is exhausted, fails or is stopped.
func spanStream(s plugin.Stream, span trace.Span) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		var failed error
		defer func() { endSpan(span, failed) }()
		for ev, err := range s {
			if err != nil {
				failed = err
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// peek pulls the first event of s. It returns the error when the stream fails before its first
// event, and otherwise a stream that replays the first event and continues with the rest. The
// returned stream releases s when it ends or is stopped.
func peek(s plugin.Stream) (plugin.Stream, error) {
	next, stop := iter.Pull2(s)
	first, err, ok := next()
	if err != nil {
		stop()
		return nil, err
	}
	if !ok {
		stop()
		return plugin.Events(), nil
	}
	return func(yield func(plugin.Event, error) bool) {
		defer stop()
		if !yield(first, nil) {
			return
		}
		for {
			ev, err, ok := next()
			if !ok || !yield(ev, err) || err != nil {
				return
			}
		}
	}, nil
}

// heartbeat inserts an EventHeartbeat into s whenever it has been silent for every. The source
// runs in its own goroutine (the one place where a stream needs real concurrency: a blocked
// upstream read must not block the keep-alive); it stops when the consumer stops and the
// request context is cancelled.
func heartbeat(s plugin.Stream, every time.Duration) plugin.Stream {
	type item struct {
		ev  plugin.Event
		err error
	}
	return func(yield func(plugin.Event, error) bool) {
		items := make(chan item)
		done := make(chan struct{})
		defer close(done)
		go func() {
			defer close(items)
			for ev, err := range s {
				select {
				case items <- item{ev, err}:
				case <-done:
					return
				}
				if err != nil {
					return
				}
			}
		}()
		t := time.NewTimer(every)
		defer t.Stop()
		for {
			select {
			case it, ok := <-items:
				if !ok || !yield(it.ev, it.err) || it.err != nil {
					return
				}
			case <-t.C:
				if !yield(plugin.Event{Kind: plugin.EventHeartbeat}, nil) {
					return
				}
			}
			t.Reset(every)
		}
	}
}
