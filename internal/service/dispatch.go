package service

import (
	"bytes"
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/biz"
)

// errNoResponse reports a chain that wrote nothing, which only a cancelled request does.
var errNoResponse = errors.New("the route wrote no response")

var _ biz.DispatchFunc = (*Gateway)(nil).Dispatch

// Dispatch serves one request in-process, without the network: it runs the route of method
// and path of the current configuration exactly as for a client (authentication, account
// selection, capacity limits and every other stage apply) and returns the status and body the
// client would have received. header must carry whatever the route's stages expect, such as
// an API key. Like a client request, an in-process request keeps the configuration it started
// on alive across a reload until it ends.
//
// err is set only when no response was written: the gateway does not serve yet, or ctx ended
// first (then err is ctx's cause). Plugins reach Dispatch through the host (biz.Host.Dispatch),
// which also cancels in-process requests when the gateway shuts down.
func (g *Gateway) Dispatch(ctx context.Context, method, path string, header http.Header, body []byte) (status int, respBody []byte, err error) {
	if g.current.Load() == nil {
		return 0, nil, biz.ErrNoDispatcher
	}
	gen := g.acquire()
	defer gen.release()
	r, err := http.NewRequestWithContext(ctx, method, path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if header != nil {
		r.Header = header.Clone()
	}
	r.RemoteAddr = "internal"
	ctx, span := g.tracer.Start(ctx, "internal "+method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("url.path", r.URL.Path)))
	defer span.End()
	w := newMemWriter()
	gen.rt.ServeHTTP(w, r.WithContext(ctx))
	if !w.wrote {
		if cause := context.Cause(ctx); cause != nil {
			return 0, nil, cause
		}
		return 0, nil, errNoResponse
	}
	return w.status, w.body.Bytes(), nil
}

// memWriter is an in-memory http.ResponseWriter.
type memWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func newMemWriter() *memWriter { return &memWriter{header: make(http.Header)} }

// Header implements http.ResponseWriter.
func (w *memWriter) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter; informational statuses and calls after the first
// are ignored, as net/http does.
func (w *memWriter) WriteHeader(code int) {
	if w.wrote || code < 200 {
		return
	}
	w.status, w.wrote = code, true
}

// Write implements http.ResponseWriter.
func (w *memWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// Flush implements http.Flusher; there is nothing to flush.
func (w *memWriter) Flush() {}
