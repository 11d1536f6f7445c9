// Package responsesapi serves the OpenAI Responses API routes around stored responses, as
// terminals over the gateway's persistent store (internal/data/store):
//
//   - responses.get: GET /v1/responses/{id} returns the stored response object exactly as it
//     was sent (for a background response, its latest state).
//   - responses.delete: DELETE /v1/responses/{id} deletes it, cancelling it first when it is a
//     background response still running.
//   - responses.input_items: GET /v1/responses/{id}/input_items lists its input items, one
//     page at a time (limit 1-100, default 20; order asc or desc, default desc; after and
//     before item ids).
//   - responses.cancel: POST /v1/responses/{id}/cancel cancels a background response; a
//     finished one is returned unchanged, and any other response is a 400.
//
// Responses are created and stored by dialect.openai_responses. The routes need a path with an
// {id} wildcard. They have no dialect: their errors are rendered by the route's error dialect,
// dialect.openai_chat by default, in OpenAI's shape. An unknown id is a 404
// {"error":{"message":"Response with id '…' not found.","type":"invalid_request_error",
// "param":null,"code":null}}, as the API sends it.
//
// Every terminal needs a host that offers the store (store.Host); the database is opened at
// the first request, and a store that cannot be opened fails that request with a 500.
package responsesapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Plugin ids.
const (
	GetID        = "responses.get"
	DeleteID     = "responses.delete"
	InputItemsID = "responses.input_items"
	CancelID     = "responses.cancel"
)

func init() {
	plugin.Register(plugin.Info{ID: GetID, New: func() plugin.Plugin { return new(Get) }})
	plugin.Register(plugin.Info{ID: DeleteID, New: func() plugin.Plugin { return new(Delete) }})
	plugin.Register(plugin.Info{ID: InputItemsID, New: func() plugin.Plugin { return new(InputItems) }})
	plugin.Register(plugin.Info{ID: CancelID, New: func() plugin.Plugin { return new(Cancel) }})
}

// base is what the terminals share: the host's store.
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
		return nil, &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal, Message: "the response store is not available", Err: err}
	}
	return st, nil
}

// responseID returns the {id} of the request path.
func responseID(ex *plugin.Exchange) (string, error) {
	var id string
	if ex.HTTP != nil {
		id = ex.HTTP.PathValue("id")
	}
	if id == "" {
		return "", plugin.BadRequest("the request path has no response id")
	}
	return id, nil
}

// notFound is the API's error for an unknown response id. Its code is invalid_request with a
// 404 status, so that OpenAI dialects render "code": null as the API does.
func notFound(id string) *plugin.Error {
	return &plugin.Error{Status: http.StatusNotFound, Code: plugin.CodeInvalidRequest, Message: "Response with id '" + id + "' not found."}
}

// lookup returns the stored response id; an unknown id is a 404.
func lookup(ctx context.Context, st store.Store, id string) (store.Response, error) {
	r, err := st.GetResponse(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Response{}, notFound(id)
	}
	if err != nil {
		return store.Response{}, fmt.Errorf("get response: %w", err)
	}
	return r, nil
}

// reply sets a JSON body as the response.
func reply(ex *plugin.Exchange, body []byte) {
	b := make([]byte, 0, len(body)+1)
	b = append(append(b, body...), '\n')
	ex.Response = plugin.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
}
