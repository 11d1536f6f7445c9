package store

import (
	"encoding/json"
	"time"
)

// Message is a completed Anthropic message, kept for GET /v1/messages/{id}.
type Message struct {
	// ID is the message ID ("msg_…").
	ID string
	// Model is the model that produced it.
	Model string
	// Body is the message object as returned to the client.
	Body json.RawMessage
	// CreatedAt is when it was created; zero means now.
	CreatedAt time.Time
}

// Response is a stored OpenAI Responses object.
type Response struct {
	// ID is the response ID ("resp_…").
	ID string
	// Model is the model that produced it.
	Model string
	// Status is the response status ("completed", "failed", "incomplete", "cancelled", …).
	Status string
	// Body is the response object as returned to the client.
	Body json.RawMessage
	// Input holds the input items, each a JSON object with an "id", in input order.
	Input []json.RawMessage
	// Conversation is the canonical conversation needed to continue with
	// previous_response_id; it is opaque to the store.
	Conversation json.RawMessage
	// PreviousID is the previous_response_id the response continued, if any.
	PreviousID string
	// CreatedAt is when it was created; zero means now.
	CreatedAt time.Time
}

// Batch statuses.
const (
	BatchInProgress = "in_progress"
	BatchCanceling  = "canceling"
	BatchEnded      = "ended"
)

// Batch is an Anthropic message batch.
type Batch struct {
	// ID is the batch ID.
	ID string
	// Status is BatchInProgress, BatchCanceling or BatchEnded.
	Status string
	// Counts counts the batch's requests by state.
	Counts Counts
	// CreatedAt is when the batch was created; zero means now.
	CreatedAt time.Time
	// ExpiresAt is when its unprocessed requests expire; zero means CreatedAt+DefaultExpiry.
	ExpiresAt time.Time
	// CancelInitiatedAt is when cancellation was requested, if it was.
	CancelInitiatedAt *time.Time
	// EndedAt is when the last request finished, once the batch has ended.
	EndedAt *time.Time
	// Model is the batch-wide model, if any.
	Model string
}

// DefaultExpiry is how long a batch's requests may wait before they expire.
const DefaultExpiry = 24 * time.Hour

// Counts counts a batch's requests by state, as Anthropic's request_counts does.
type Counts struct {
	// Processing counts pending and running requests.
	Processing int
	// Succeeded counts requests that succeeded.
	Succeeded int
	// Errored counts requests that failed.
	Errored int
	// Canceled counts requests canceled before they finished.
	Canceled int
	// Expired counts requests that expired before they were processed.
	Expired int
}

// RequestState is the state of one batch request.
type RequestState string

// Request states. Pending and running requests are unfinished; the others are final.
const (
	RequestPending   RequestState = "pending"
	RequestRunning   RequestState = "running"
	RequestSucceeded RequestState = "succeeded"
	RequestErrored   RequestState = "errored"
	RequestCanceled  RequestState = "canceled"
	RequestExpired   RequestState = "expired"
)

// Final reports whether s is a final state, one that carries the request's result.
func (s RequestState) Final() bool {
	switch s {
	case RequestSucceeded, RequestErrored, RequestCanceled, RequestExpired:
		return true
	}
	return false
}

// BatchRequest is one request of a batch.
type BatchRequest struct {
	// BatchID is the batch the request belongs to.
	BatchID string
	// CustomID is the client's ID for the request, unique within the batch.
	CustomID string
	// Params is the Messages request body.
	Params json.RawMessage
	// State is the request's state.
	State RequestState
	// Result is the final result, set once when the request finishes.
	Result json.RawMessage
	// Attempts counts how often the request was claimed; above 1 a worker died on it.
	Attempts int
}
