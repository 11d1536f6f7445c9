package responsesapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Page limits of the input items list, as the API documents them.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// InputItems is the responses.input_items terminal: it lists the input items of a stored
// response. It has no configuration.
type InputItems struct{ base }

var (
	_ plugin.Terminal    = (*InputItems)(nil)
	_ plugin.Provisioner = (*InputItems)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*InputItems) PluginInfo() plugin.Info {
	return plugin.Info{ID: InputItemsID, New: func() plugin.Plugin { return new(InputItems) }}
}

// Provision takes the host's store.
func (l *InputItems) Provision(h plugin.Host) error { return l.provision(h, InputItemsID) }

// Call answers with one page of input items: {"object":"list","data":[…],"first_id",
// "last_id","has_more"}, the ids being null for an empty page. A bad limit or order, or a
// cursor that is not an item of the response, is a 400.
func (l *InputItems) Call(ctx context.Context, ex *plugin.Exchange) error {
	id, err := responseID(ex)
	if err != nil {
		return err
	}
	page, err := parsePage(ex.HTTP)
	if err != nil {
		return err
	}
	st, err := l.open()
	if err != nil {
		return err
	}
	items, more, err := st.ListInputItems(ctx, id, page)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound(id)
	case errors.Is(err, store.ErrInvalidPage):
		param := "after"
		if page.After == "" {
			param = "before"
		}
		return &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest, Param: param,
			Message: "the " + param + " cursor is not an input item of response '" + id + "'", Err: err}
	case err != nil:
		return err
	}
	reply(ex, appendList(make([]byte, 0, 256), items, more))
	return nil
}

// parsePage reads the limit, order, after and before query parameters.
func parsePage(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	p := store.Page{Limit: defaultLimit, Order: "desc", After: q.Get("after"), Before: q.Get("before")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return p, &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest, Param: "limit",
				Message: "limit must be an integer between 1 and " + strconv.Itoa(maxLimit)}
		}
		p.Limit = n
	}
	switch o := q.Get("order"); o {
	case "", "desc":
	case "asc":
		p.Order = o
	default:
		return p, &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest, Param: "order",
			Message: `order must be "asc" or "desc"`}
	}
	return p, nil
}

// appendList appends the list object of a page of items.
func appendList(dst []byte, items []json.RawMessage, more bool) []byte {
	dst = append(dst, `{"object":"list","data":[`...)
	for i, it := range items {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, it...)
	}
	dst = append(dst, `],"first_id":`...)
	dst = appendItemID(dst, items, 0)
	dst = append(dst, `,"last_id":`...)
	dst = appendItemID(dst, items, len(items)-1)
	dst = append(dst, `,"has_more":`...)
	dst = strconv.AppendBool(dst, more)
	return append(dst, '}')
}

// appendItemID appends the id of items[i] as JSON, or null when there is no such item.
func appendItemID(dst []byte, items []json.RawMessage, i int) []byte {
	if i < 0 || i >= len(items) {
		return append(dst, "null"...)
	}
	v := gjson.GetBytes(items[i], "id")
	if v.Type != gjson.String {
		return append(dst, "null"...)
	}
	return append(dst, v.Raw...)
}
