package responses

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ErrNotFound is returned by a Store's Get when it holds no response with the id.
var ErrNotFound = errors.New("response not found")

// Stored is one response kept for later retrieval and for continuing a conversation with
// previous_response_id.
type Stored struct {
	// ID is the response id, "resp_…".
	ID string
	// Status is the response's status: "completed", "incomplete", "failed", "cancelled", or
	// for a background response not yet finished "queued" or "in_progress".
	Status string
	// CreatedAt is when the response was created.
	CreatedAt time.Time
	// Model is the model the client asked for.
	Model string
	// PreviousID is the previous_response_id the response continued, if any.
	PreviousID string
	// Response is the response object exactly as it was sent to the client.
	Response json.RawMessage
	// InputItems are the request's input items in the Responses API item shape, each with an
	// "id"; a string input is stored as one user message item.
	InputItems []json.RawMessage
	// Messages is the whole conversation that led to the response and the response itself, in
	// canonical form: the previous response's Messages, this request's input, then the
	// assistant's answer. Instructions are not part of it: they do not carry over.
	Messages []plugin.Message
}

// Store keeps stored responses. Implementations must be safe for concurrent use. Get returns
// an error wrapping ErrNotFound for an unknown id.
type Store interface {
	Get(ctx context.Context, id string) (*Stored, error)
	Put(ctx context.Context, r *Stored) error
}

// StoreProvider is implemented by a plugin.Host that offers a response store. The dialect looks
// for it when it is provisioned.
type StoreProvider interface {
	ResponseStore() Store
}

// StoreKey lets a stage placed before the dialect in a chain supply the store for one exchange;
// it takes precedence over the host's store.
var StoreKey = plugin.NewKey[Store]("dialect.openai_responses.store")

// storeFor returns the store that serves ex, or nil when stored responses are disabled.
func (d *Responses) storeFor(ex *plugin.Exchange) Store {
	if s, ok := StoreKey.Get(ex); ok && s != nil {
		return s
	}
	return d.store
}

// loadPrevious returns the conversation of the stored response id.
func loadPrevious(ctx context.Context, st Store, id string) ([]plugin.Message, *plugin.Error) {
	if st == nil {
		return nil, &plugin.Error{Status: 400, Code: plugin.CodeUnsupported, Param: "previous_response_id",
			Message: "stored responses are not enabled on this gateway, so previous_response_id cannot be used; send the whole conversation in input"}
	}
	prev, err := st.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, &plugin.Error{Status: 404, Code: plugin.CodeNotFound, Param: "previous_response_id",
			Message: "previous response with id '" + id + "' not found", Err: err}
	}
	if err != nil {
		return nil, &plugin.Error{Status: 500, Code: plugin.CodeInternal, Message: "could not load the previous response", Err: err}
	}
	if prev.Status == statusQueued || prev.Status == statusInProgress {
		return nil, dialectkit.BadParam("previous_response_id", "previous response with id '%s' is still %s; wait until it has finished", id, prev.Status)
	}
	return prev.Messages, nil
}

// save stores the response whose object is body, when the request is stored. A failure is
// logged: the client already has its answer.
func (r *writer) save(body []byte) {
	st := r.c.st
	if st == nil {
		return
	}
	ctx := context.Background()
	if r.ex.HTTP != nil {
		ctx = context.WithoutCancel(r.ex.HTTP.Context())
	}
	rec := r.record(body)
	if err := st.Put(ctx, rec); err != nil && r.d.log != nil {
		r.d.log.Warn("could not store the response", "response", rec.ID, "error", err)
	}
}

// record returns the stored form of the response whose object is body. Its conversation ends
// with the answer, when the response has output.
func (r *writer) record(body []byte) *Stored {
	msgs := make([]plugin.Message, 0, len(r.c.convo)+1)
	msgs = append(msgs, r.c.convo...)
	if len(r.snap.items) > 0 {
		msgs = append(msgs, r.answer())
	}
	return &Stored{
		ID:         r.snap.id,
		Status:     r.snap.status,
		CreatedAt:  time.Unix(r.snap.createdAt, 0),
		Model:      r.c.req.Model,
		PreviousID: r.c.previousID,
		Response:   json.RawMessage(bytes.Clone(body)),
		InputItems: r.c.storedItems(r.d.id),
		Messages:   msgs,
	}
}

// storedItems returns the request's input items, each with an id; items without one get a
// new id from newID. The result is computed once, so that every version of a stored response
// has the same item ids.
func (c *call) storedItems(newID func(prefix string) string) []json.RawMessage {
	if c.items != nil {
		return c.items
	}
	out := make([]json.RawMessage, 0, len(c.inputItems))
	for _, raw := range c.inputItems {
		switch {
		case len(raw) > 0 && raw[0] == '"': // a string input
			b := []byte(`{"id":`)
			b = dialectkit.AppendString(b, newID("msg_"))
			b = append(b, `,"type":"message","role":"user","content":[{"type":"input_text","text":`...)
			b = append(b, raw...)
			raw = append(b, "}]}"...)
		case gjson.GetBytes(raw, "id").Type != gjson.String:
			b := []byte(`{"id":`)
			b = dialectkit.AppendString(b, newID("item_"))
			if len(raw) > 2 {
				b = append(b, ',')
			}
			raw = append(b, raw[1:]...)
		}
		out = append(out, raw)
	}
	c.items = out
	return out
}

// answer returns the response as a canonical assistant message.
func (r *writer) answer() plugin.Message {
	m := plugin.Message{Role: plugin.RoleAssistant}
	var reasoning []string
	for _, it := range r.snap.items {
		switch it.kind {
		case itemReasoning:
			reasoning = append(reasoning, it.text.String())
		case itemMessage:
			if t := it.text.String(); t != "" {
				m.Parts = append(m.Parts, plugin.Part{Kind: plugin.PartText, Text: t})
			}
		case itemCall:
			m.ToolCalls = append(m.ToolCalls, plugin.ToolCall{ID: it.callID, Index: len(m.ToolCalls), Name: it.name, Arguments: it.args})
		}
	}
	m.Reasoning = strings.Join(reasoning, "\n\n")
	return m
}
