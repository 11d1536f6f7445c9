// Package anthropicstore keeps Anthropic Messages API state in the gateway's store
// (internal/data/store): completed messages, for GET /v1/messages/{id}, and message batches,
// processed in the background.
//
// Plugins:
//
//   - messages.store, a request stage placed right after dialect.anthropic on the messages
//     route, saves every completed message (streamed or not). A failed save is logged and never
//     fails the request. Messages older than retention (default 30 days) are pruned, and so
//     are stored Responses API objects: the store prunes both with one cutoff.
//   - messages.get, a terminal for GET /v1/messages/{id}, returns a stored message; an unknown
//     id is a 404 not_found_error "Message <id> not found".
//   - message_batches.create, a terminal for POST /v1/messages/batches, validates and stores a
//     batch and owns the workers that run batch requests.
//   - message_batches.list, .get, .cancel, .delete and .results serve GET /v1/messages/batches,
//     GET, POST …/cancel and DELETE /v1/messages/batches/{id}, and GET …/{id}/results.
//
// The routes of messages.get and the batch terminals have no dialect: they set
// `errors: dialect.anthropic` so that their errors take Anthropic's shape.
//
// Batches follow the Anthropic API: ids "msgbatch_…", RFC 3339 timestamps, at most 10000
// requests with unique custom_ids of 1 to 64 letters, digits, '-' and '_', params validated
// up front (an unknown model is left to the run, where the messages route's aliases apply),
// only ended batches deleted, results as JSON Lines once the batch ended (a 404 before).
// Unlike the API, request_counts are live: they move as requests finish.
//
// Batch requests run in-process through the messages route (POST /v1/messages by default),
// so that authentication, account selection, capacity limits and every stage of that chain
// apply exactly as for a client's request; the host must implement [Dispatcher]. A request's
// result is stored exactly once. When the process dies, requests that were running are claimed
// again once their lease expires; their upstream call may then be repeated, but a request
// whose result was stored never runs again.
package anthropicstore

import (
	"context"
	"errors"
	"net/http"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Plugin ids.
const (
	StoreID   = "messages.store"
	GetID     = "messages.get"
	CreateID  = "message_batches.create"
	ListID    = "message_batches.list"
	BatchID   = "message_batches.get"
	CancelID  = "message_batches.cancel"
	DeleteID  = "message_batches.delete"
	ResultsID = "message_batches.results"
)

func init() {
	plugin.Register(plugin.Info{ID: StoreID, New: func() plugin.Plugin { return new(Store) }})
	plugin.Register(plugin.Info{ID: GetID, New: func() plugin.Plugin { return new(Get) }})
	plugin.Register(plugin.Info{ID: CreateID, New: func() plugin.Plugin { return new(Create) }})
	plugin.Register(plugin.Info{ID: ListID, New: func() plugin.Plugin { return new(List) }})
	plugin.Register(plugin.Info{ID: BatchID, New: func() plugin.Plugin { return new(Retrieve) }})
	plugin.Register(plugin.Info{ID: CancelID, New: func() plugin.Plugin { return new(Cancel) }})
	plugin.Register(plugin.Info{ID: DeleteID, New: func() plugin.Plugin { return new(Delete) }})
	plugin.Register(plugin.Info{ID: ResultsID, New: func() plugin.Plugin { return new(Results) }})
}

// Dispatcher is implemented by a host that serves requests in-process (the gateway's host
// does). Batch workers run each batch request through it.
type Dispatcher interface {
	// Dispatch runs one request through the route of method and path as if a client had sent
	// it, and returns the response status and body. err is set only when no response was
	// written (the gateway is shutting down, or ctx ended first).
	Dispatch(ctx context.Context, method, path string, header http.Header, body []byte) (status int, respBody []byte, err error)
	// DispatchReady is closed once Dispatch can serve requests. It never closes in a process
	// that does not serve (such as one that only validates a configuration).
	DispatchReady() <-chan struct{}
	// DispatchStopped is closed when the gateway shuts down; running in-process requests are
	// then cancelled and later ones refused.
	DispatchStopped() <-chan struct{}
}

// base is what the plugins share: the host's store.
type base struct {
	host store.Host
}

// provision takes the host's store.
func (b *base) provision(h plugin.Host, id string) (err error) {
	b.host, err = store.HostOf(h, id)
	return err
}

// open returns the store, opening it on first use.
func (b *base) open() (store.Store, error) {
	st, err := b.host.Store()
	if err != nil {
		return nil, &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal,
			Message: "the message store is not available", Err: err}
	}
	return st, nil
}

// pathID returns the {id} of the request path.
func pathID(ex *plugin.Exchange) (string, error) {
	var id string
	if ex.HTTP != nil {
		id = ex.HTTP.PathValue("id")
	}
	if id == "" {
		return "", plugin.BadRequest("the request path has no id")
	}
	return id, nil
}

// notFound returns Anthropic's 404 not_found_error.
func notFound(format string, args ...any) *plugin.Error {
	return plugin.Errorf(http.StatusNotFound, plugin.CodeNotFound, format, args...)
}

// storeErr wraps a store failure; ErrNotFound becomes the error nf returns, if nf is set.
func storeErr(err error, nf func() *plugin.Error) error {
	if nf != nil && errors.Is(err, store.ErrNotFound) {
		return nf()
	}
	return &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal, Message: "internal error", Err: err}
}

// reply sets a JSON body as the response.
func reply(ex *plugin.Exchange, body []byte) {
	if len(body) == 0 || body[len(body)-1] != '\n' {
		body = append(body, '\n')
	}
	ex.Response = plugin.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
}
