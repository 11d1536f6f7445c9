package responsesapi

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/dialect/responses"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Get is the responses.get terminal: it returns a stored response object. It has no
// configuration.
type Get struct{ base }

// Delete is the responses.delete terminal: it deletes a stored response and its input items.
// It has no configuration.
type Delete struct{ base }

var (
	_ plugin.Terminal    = (*Get)(nil)
	_ plugin.Provisioner = (*Get)(nil)
	_ plugin.Terminal    = (*Delete)(nil)
	_ plugin.Provisioner = (*Delete)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Get) PluginInfo() plugin.Info {
	return plugin.Info{ID: GetID, New: func() plugin.Plugin { return new(Get) }}
}

// Provision takes the host's store.
func (g *Get) Provision(h plugin.Host) error { return g.provision(h, GetID) }

// Call answers with the stored response object. Streaming it again (stream=true) is not
// supported.
func (g *Get) Call(ctx context.Context, ex *plugin.Exchange) error {
	id, err := responseID(ex)
	if err != nil {
		return err
	}
	if s := ex.HTTP.URL.Query().Get("stream"); s == "true" || s == "1" {
		return &plugin.Error{Status: 400, Code: plugin.CodeUnsupported, Param: "stream",
			Message: "streaming a stored response again is not supported by this gateway"}
	}
	st, err := g.open()
	if err != nil {
		return err
	}
	r, err := lookup(ctx, st, id)
	if err != nil {
		return err
	}
	reply(ex, r.Body)
	return nil
}

// PluginInfo implements plugin.Plugin.
func (*Delete) PluginInfo() plugin.Info {
	return plugin.Info{ID: DeleteID, New: func() plugin.Plugin { return new(Delete) }}
}

// Provision takes the host's store.
func (d *Delete) Provision(h plugin.Host) error { return d.provision(h, DeleteID) }

// Call deletes the response and answers {"id","object":"response","deleted":true}. A
// background response still running is cancelled first, so that its end does not store it
// again.
func (d *Delete) Call(ctx context.Context, ex *plugin.Exchange) error {
	id, err := responseID(ex)
	if err != nil {
		return err
	}
	st, err := d.open()
	if err != nil {
		return err
	}
	if done, ok := responses.CancelBackground(id); ok {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	switch err := st.DeleteResponse(ctx, id); {
	case errors.Is(err, store.ErrNotFound):
		return notFound(id)
	case err != nil:
		return err
	}
	body, _ := json.Marshal(struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Deleted bool   `json:"deleted"`
	}{id, "response", true})
	reply(ex, body)
	return nil
}
