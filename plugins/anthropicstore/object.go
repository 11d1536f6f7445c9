package anthropicstore

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/mimo2api/mimo2api/internal/data/store"
)

// batchObject is the Message Batch object of the Anthropic API.
type batchObject struct {
	ID                string        `json:"id"`
	Type              string        `json:"type"`
	ProcessingStatus  string        `json:"processing_status"`
	RequestCounts     requestCounts `json:"request_counts"`
	EndedAt           *string       `json:"ended_at"`
	CreatedAt         string        `json:"created_at"`
	ExpiresAt         string        `json:"expires_at"`
	ArchivedAt        *string       `json:"archived_at"`
	CancelInitiatedAt *string       `json:"cancel_initiated_at"`
	ResultsURL        *string       `json:"results_url"`
	// BatchID repeats ID in the create response, for clients of the prior implementation.
	BatchID string `json:"batch_id,omitempty"`
}

type requestCounts struct {
	Processing int `json:"processing"`
	Succeeded  int `json:"succeeded"`
	Errored    int `json:"errored"`
	Canceled   int `json:"canceled"`
	Expired    int `json:"expired"`
}

// listObject is a page of batches.
type listObject struct {
	Data    []batchObject `json:"data"`
	HasMore bool          `json:"has_more"`
	FirstID *string       `json:"first_id"`
	LastID  *string       `json:"last_id"`
}

// timestamp formats t as an RFC 3339 string in UTC with microseconds, as the API does.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

func optTimestamp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timestamp(*t)
	return &s
}

// newBatchObject renders b; base is the gateway's external base URL for results_url, such as
// "https://gw.example.com".
func newBatchObject(b store.Batch, base string) batchObject {
	o := batchObject{
		ID:               b.ID,
		Type:             "message_batch",
		ProcessingStatus: b.Status,
		RequestCounts: requestCounts{
			Processing: b.Counts.Processing,
			Succeeded:  b.Counts.Succeeded,
			Errored:    b.Counts.Errored,
			Canceled:   b.Counts.Canceled,
			Expired:    b.Counts.Expired,
		},
		EndedAt:           optTimestamp(b.EndedAt),
		CreatedAt:         timestamp(b.CreatedAt),
		ExpiresAt:         timestamp(b.ExpiresAt),
		CancelInitiatedAt: optTimestamp(b.CancelInitiatedAt),
	}
	if b.Status == store.BatchEnded {
		u := base + "/v1/messages/batches/" + b.ID + "/results"
		o.ResultsURL = &u
	}
	return o
}

// baseURL returns the scheme and host the client used to reach the gateway.
func baseURL(r *http.Request) string {
	if r == nil || r.Host == "" {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// marshal encodes v; the objects of this package always encode.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
