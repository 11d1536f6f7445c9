package anthropicstore

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// The batch terminals other than Create. None has configuration; each needs the host's store.
type (
	// List is the message_batches.list terminal: GET /v1/messages/batches lists batches, newest
	// first, a page at a time (limit 1 to 1000, default 20; before_id and after_id cursors).
	List struct{ base }
	// Retrieve is the message_batches.get terminal: GET /v1/messages/batches/{id}.
	Retrieve struct{ base }
	// Cancel is the message_batches.cancel terminal: POST /v1/messages/batches/{id}/cancel.
	// Pending requests are canceled at once and running ones are stopped; the batch is
	// "canceling" until they have stopped. An ended batch is returned unchanged.
	Cancel struct{ base }
	// Delete is the message_batches.delete terminal: DELETE /v1/messages/batches/{id} deletes
	// an ended batch with its results; a batch still processing must be canceled first.
	Delete struct{ base }
	// Results is the message_batches.results terminal: GET /v1/messages/batches/{id}/results
	// returns the results of an ended batch as JSON Lines, one line per request in creation
	// order: {"custom_id", "result": {"type": "succeeded", "message"} | {"type": "errored",
	// "error"} | {"type": "canceled"} | {"type": "expired"}}. Before the batch ended it is a
	// 404, as results are only available once processing ended.
	Results struct{ base }
)

var (
	_ plugin.Terminal    = (*List)(nil)
	_ plugin.Provisioner = (*List)(nil)
	_ plugin.Terminal    = (*Retrieve)(nil)
	_ plugin.Provisioner = (*Retrieve)(nil)
	_ plugin.Terminal    = (*Cancel)(nil)
	_ plugin.Provisioner = (*Cancel)(nil)
	_ plugin.Terminal    = (*Delete)(nil)
	_ plugin.Provisioner = (*Delete)(nil)
	_ plugin.Terminal    = (*Results)(nil)
	_ plugin.Provisioner = (*Results)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*List) PluginInfo() plugin.Info {
	return plugin.Info{ID: ListID, New: func() plugin.Plugin { return new(List) }}
}

// PluginInfo implements plugin.Plugin.
func (*Retrieve) PluginInfo() plugin.Info {
	return plugin.Info{ID: BatchID, New: func() plugin.Plugin { return new(Retrieve) }}
}

// PluginInfo implements plugin.Plugin.
func (*Cancel) PluginInfo() plugin.Info {
	return plugin.Info{ID: CancelID, New: func() plugin.Plugin { return new(Cancel) }}
}

// PluginInfo implements plugin.Plugin.
func (*Delete) PluginInfo() plugin.Info {
	return plugin.Info{ID: DeleteID, New: func() plugin.Plugin { return new(Delete) }}
}

// PluginInfo implements plugin.Plugin.
func (*Results) PluginInfo() plugin.Info {
	return plugin.Info{ID: ResultsID, New: func() plugin.Plugin { return new(Results) }}
}

// Provision takes the host's store.
func (l *List) Provision(h plugin.Host) error { return l.provision(h, ListID) }

// Provision takes the host's store.
func (r *Retrieve) Provision(h plugin.Host) error { return r.provision(h, BatchID) }

// Provision takes the host's store.
func (c *Cancel) Provision(h plugin.Host) error { return c.provision(h, CancelID) }

// Provision takes the host's store.
func (d *Delete) Provision(h plugin.Host) error { return d.provision(h, DeleteID) }

// Provision takes the host's store.
func (r *Results) Provision(h plugin.Host) error { return r.provision(h, ResultsID) }

// batchNotFound is the 404 of an unknown batch.
func batchNotFound(id string) func() *plugin.Error {
	return func() *plugin.Error { return notFound("Message batch %s not found", id) }
}

// batch returns the store and the batch of the request path.
func (b *base) batch(ctx context.Context, ex *plugin.Exchange) (store.Store, store.Batch, error) {
	id, err := pathID(ex)
	if err != nil {
		return nil, store.Batch{}, err
	}
	st, err := b.open()
	if err != nil {
		return nil, store.Batch{}, err
	}
	bt, err := st.GetBatch(ctx, id)
	if err != nil {
		return nil, store.Batch{}, storeErr(err, batchNotFound(id))
	}
	return st, bt, nil
}

// Call answers with one page of batches.
func (l *List) Call(ctx context.Context, ex *plugin.Exchange) error {
	q := ex.HTTP.URL.Query()
	page := store.Page{After: q.Get("after_id"), Before: q.Get("before_id")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return badParam("limit", "limit: must be an integer between 1 and 1000")
		}
		page.Limit = n
	}
	st, err := l.open()
	if err != nil {
		return err
	}
	bs, more, err := st.ListBatches(ctx, page)
	if errors.Is(err, store.ErrInvalidPage) {
		param := "after_id"
		if page.After == "" {
			param = "before_id"
		}
		return badParam(param, "%s: no such message batch", param)
	}
	if err != nil {
		return storeErr(err, nil)
	}
	base := baseURL(ex.HTTP)
	out := listObject{Data: make([]batchObject, 0, len(bs)), HasMore: more}
	for _, b := range bs {
		out.Data = append(out.Data, newBatchObject(b, base))
	}
	if len(bs) > 0 {
		first, last := bs[0].ID, bs[len(bs)-1].ID
		out.FirstID, out.LastID = &first, &last
	}
	reply(ex, marshal(out))
	return nil
}

// Call answers with the batch.
func (r *Retrieve) Call(ctx context.Context, ex *plugin.Exchange) error {
	_, b, err := r.batch(ctx, ex)
	if err != nil {
		return err
	}
	reply(ex, marshal(newBatchObject(b, baseURL(ex.HTTP))))
	return nil
}

// Call cancels the batch and answers with it.
func (c *Cancel) Call(ctx context.Context, ex *plugin.Exchange) error {
	id, err := pathID(ex)
	if err != nil {
		return err
	}
	st, err := c.open()
	if err != nil {
		return err
	}
	b, err := st.CancelBatch(ctx, id, time.Now())
	if err != nil {
		return storeErr(err, batchNotFound(id))
	}
	if b.Status != store.BatchEnded {
		cancelRunning(id)
	}
	reply(ex, marshal(newBatchObject(b, baseURL(ex.HTTP))))
	return nil
}

// Call deletes an ended batch.
func (d *Delete) Call(ctx context.Context, ex *plugin.Exchange) error {
	st, b, err := d.batch(ctx, ex)
	if err != nil {
		return err
	}
	if b.Status != store.BatchEnded {
		return plugin.BadRequest("Message batch %s is still processing and cannot be deleted; cancel it first", b.ID)
	}
	if err := st.DeleteBatch(ctx, b.ID); err != nil {
		return storeErr(err, batchNotFound(b.ID))
	}
	reply(ex, marshal(struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}{b.ID, "message_batch_deleted"}))
	return nil
}

// Call answers with the results file.
func (r *Results) Call(ctx context.Context, ex *plugin.Exchange) error {
	st, b, err := r.batch(ctx, ex)
	if err != nil {
		return err
	}
	if b.Status != store.BatchEnded {
		return notFound("Message batch %s has not ended yet; its results are available once processing_status is \"ended\"", b.ID)
	}
	body, err := resultsFile(st.Results(ctx, b.ID))
	if err != nil {
		return storeErr(err, batchNotFound(b.ID))
	}
	ex.Response = plugin.Response{
		Header: http.Header{
			"Content-Type":        {"application/x-jsonl"},
			"Content-Disposition": {`attachment; filename="` + b.ID + `_results.jsonl"`},
		},
		Body: body,
	}
	return nil
}
