// Package mimo is the client of the MiMo AI Studio web chat upstream (aistudio.xiaomimimo.com):
// it flattens a canonical conversation into the upstream's single query string, sends the chat
// request with an account's cookies and decodes the upstream's SSE answer into canonical events.
package mimo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// DefaultBaseURL is the public upstream.
const DefaultBaseURL = "https://aistudio.xiaomimimo.com"

// DefaultUserAgent is the desktop Chrome User-Agent the web app sends.
const DefaultUserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Safari/537.36"

const (
	chatPath   = "/open-apis/bot/chat"
	siteOrigin = "https://aistudio.xiaomimimo.com"
)

// ChatRequest is one upstream chat call.
type ChatRequest struct {
	// Query is the flattened conversation (see Flatten).
	Query string
	// ConversationID continues an upstream conversation; empty starts a new one.
	ConversationID string
	// Model is the upstream model id, such as "mimo-v2.5-pro".
	Model string
	// Thinking asks for reasoning; ReasoningEffort is its level ("high" when empty).
	Thinking        bool
	ReasoningEffort string
	// Temperature and TopP are sent only when set.
	Temperature, TopP *float64
	// MultiMedias are uploaded media descriptors.
	MultiMedias []json.RawMessage
	// WebSearch is the webSearchStatus ("disabled" when empty).
	WebSearch string
}

// Client calls the upstream.
type Client struct {
	// BaseURL is the upstream, such as "https://aistudio.xiaomimimo.com"; empty means DefaultBaseURL.
	BaseURL string
	// HTTP is the client used for calls; nil means http.DefaultClient. Its redirect policy and
	// cookie jar are not used.
	HTTP *http.Client
	// UserAgent overrides DefaultUserAgent.
	UserAgent string
}

// chatBody is the upstream chat request body.
type chatBody struct {
	MsgID          string            `json:"msgId"`
	ConversationID string            `json:"conversationId"`
	Query          string            `json:"query"`
	ModelConfig    modelConfig       `json:"modelConfig"`
	MultiMedias    []json.RawMessage `json:"multiMedias"`
	Attachments    []json.RawMessage `json:"attachments"`
}

type modelConfig struct {
	EnableThinking  bool     `json:"enableThinking"`
	WebSearchStatus string   `json:"webSearchStatus"`
	Model           string   `json:"model"`
	ReasoningEffort string   `json:"reasoning_effort,omitempty"`
	Temperature     *float64 `json:"temperature,omitempty"`
	TopP            *float64 `json:"topP,omitempty"`
}

// Chat sends the request with the account's cookies and returns the event stream (see Events).
// HTTP errors come back as a *plugin.Error; the body is read lazily by the stream, whose read
// errors become ctx's error once ctx is done. Redirects are not followed: the upstream redirects
// logged-out accounts to its login page.
func (c *Client) Chat(ctx context.Context, acct *plugin.Account, req ChatRequest) (plugin.Stream, error) {
	if acct == nil {
		return nil, &plugin.Error{Status: http.StatusServiceUnavailable, Code: plugin.CodeNoAccount, Message: "no upstream account selected"}
	}
	body, err := encodeBody(&req)
	if err != nil {
		return nil, &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal,
			Message: "internal error", Err: fmt.Errorf("mimo: encoding the chat request: %w", err)}
	}
	resp, err := c.post(ctx, acct, chatPath, nil, body, "*/*", c.userAgent())
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		// A JSON answer instead of a stream is an error envelope.
		return nil, envelopeError(resp)
	}
	return Events(&ctxBody{ReadCloser: resp.Body, ctx: ctx}), nil
}

func useLastResponse(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// encodeBody renders the upstream request body.
func encodeBody(req *ChatRequest) ([]byte, error) {
	cb := chatBody{
		MsgID:          NewID(),
		ConversationID: req.ConversationID,
		Query:          req.Query,
		ModelConfig: modelConfig{
			EnableThinking:  req.Thinking,
			WebSearchStatus: req.WebSearch,
			Model:           req.Model,
			Temperature:     req.Temperature,
			TopP:            req.TopP,
		},
		MultiMedias: req.MultiMedias,
		Attachments: []json.RawMessage{},
	}
	if cb.ConversationID == "" {
		cb.ConversationID = NewID()
	}
	if cb.ModelConfig.WebSearchStatus == "" {
		cb.ModelConfig.WebSearchStatus = "disabled"
	}
	if req.Thinking {
		cb.ModelConfig.ReasoningEffort = req.ReasoningEffort
		if cb.ModelConfig.ReasoningEffort == "" {
			cb.ModelConfig.ReasoningEffort = "high"
		}
	}
	if cb.MultiMedias == nil {
		cb.MultiMedias = []json.RawMessage{}
	}
	var buf bytes.Buffer
	buf.Grow(len(req.Query) + 256)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // queries are full of MiMoML tags
	if err := enc.Encode(&cb); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ctxBody reports ctx's error for reads that fail after ctx is done, instead of the transport's
// error for the closed connection.
type ctxBody struct {
	io.ReadCloser
	ctx context.Context
}

func (b *ctxBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		if cerr := b.ctx.Err(); cerr != nil {
			err = cerr
		}
	}
	return n, err
}

// NewID returns 32 random lowercase hex digits, the form of upstream message and conversation ids.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// unquote strips the double quotes browsers keep around some cookie values.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
