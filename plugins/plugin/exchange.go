package plugin

import (
	"net/http"
	"time"
)

// Exchange carries one request through a chain.
type Exchange struct {
	// Route is the name of the route serving the request.
	Route string
	// HTTP is the client's request. Its body has been read into Body.
	HTTP *http.Request
	// Body is the client's raw request body. Stages must not modify it in place.
	Body []byte
	// Request is the canonical request, set by the chain's dialect.
	Request *Request
	// Account is the upstream account chosen for this attempt, set by a selector.
	Account *Account
	// Response is what the terminal produced.
	Response Response
	// Dialect renders the response and errors; set by the runtime.
	Dialect Dialect
	// Start is when the gateway received the request.
	Start time.Time

	attrs map[any]any
}

// Response is the result of a chain.
type Response struct {
	// Status is the HTTP status of a Body response (0 means 200).
	Status int
	// Header holds extra headers for the client.
	Header http.Header
	// Body is a complete response body, written as is. Ignored when Events is set.
	Body []byte
	// Events is the response event stream, rendered by the dialect.
	Events Stream
}

// Key is a typed attribute key for values that stages share through an Exchange.
// Create keys once, at package level:
//
//	var SessionID = plugin.NewKey[string]("session.id")
type Key[T any] struct{ name string }

// NewKey returns a new key; name is for debugging only, distinct keys never collide.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// Name returns the key's debugging name.
func (k *Key[T]) Name() string { return k.name }

// Get returns the value stored under k.
func (k *Key[T]) Get(ex *Exchange) (T, bool) {
	v, ok := ex.attrs[k]
	if !ok {
		var zero T
		return zero, false
	}
	return v.(T), true
}

// Set stores v under k.
func (k *Key[T]) Set(ex *Exchange, v T) {
	if ex.attrs == nil {
		ex.attrs = make(map[any]any, 4)
	}
	ex.attrs[k] = v
}

// Delete removes the value stored under k.
func (k *Key[T]) Delete(ex *Exchange) { delete(ex.attrs, k) }
