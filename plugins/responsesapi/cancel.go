package responsesapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/dialect/responses"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Cancel is the responses.cancel terminal: it cancels a background response. It has no
// configuration.
//
// Only responses created with background: true can be cancelled; others are a 400. A
// background response that has finished (completed, failed, incomplete or cancelled) is
// returned unchanged. A running one is cancelled and returned once its "cancelled" state is
// stored. One left queued or in progress by an earlier run of the gateway is marked
// cancelled in the store.
type Cancel struct{ base }

var (
	_ plugin.Terminal    = (*Cancel)(nil)
	_ plugin.Provisioner = (*Cancel)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Cancel) PluginInfo() plugin.Info {
	return plugin.Info{ID: CancelID, New: func() plugin.Plugin { return new(Cancel) }}
}

// Provision takes the host's store.
func (c *Cancel) Provision(h plugin.Host) error { return c.provision(h, CancelID) }

// Call cancels the response and answers with its stored object.
func (c *Cancel) Call(ctx context.Context, ex *plugin.Exchange) error {
	id, err := responseID(ex)
	if err != nil {
		return err
	}
	st, err := c.open()
	if err != nil {
		return err
	}
	r, err := lookup(ctx, st, id)
	if err != nil {
		return err
	}
	if !gjson.GetBytes(r.Body, "background").Bool() {
		return &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest,
			Message: "Only responses created with background set to true can be cancelled."}
	}
	if !finished(r.Status) {
		if done, ok := responses.CancelBackground(id); ok {
			select {
			case <-done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// Read it again: it has been cancelled, or it finished meanwhile.
		if r, err = lookup(ctx, st, id); err != nil {
			return err
		}
		if !finished(r.Status) {
			// Nothing runs it in this process: an earlier run of the gateway left it.
			if r, err = markCancelled(ctx, st, r); err != nil {
				return err
			}
		}
	}
	reply(ex, r.Body)
	return nil
}

// finished reports whether a response status is final.
func finished(status string) bool {
	switch status {
	case "completed", "failed", "incomplete", "cancelled":
		return true
	}
	return false
}

// markCancelled stores r in status "cancelled", keeping its input items.
func markCancelled(ctx context.Context, st store.Store, r store.Response) (store.Response, error) {
	body, err := sjson.SetBytes(r.Body, "status", "cancelled")
	if err != nil {
		return r, fmt.Errorf("cancel response %s: %w", r.ID, err)
	}
	items, err := allInputItems(ctx, st, r.ID)
	if err != nil {
		return r, err
	}
	r.Status, r.Body, r.Input = "cancelled", body, items
	if err := st.PutResponse(ctx, r); err != nil {
		return r, err
	}
	return r, nil
}

// allInputItems returns every input item of response id, in input order.
func allInputItems(ctx context.Context, st store.Store, id string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	page := store.Page{Limit: store.MaxLimit, Order: "asc"}
	for {
		items, more, err := st.ListInputItems(ctx, id, page)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if !more || len(items) == 0 {
			return all, nil
		}
		page.After = gjson.GetBytes(items[len(items)-1], "id").Str
	}
}
