// Package guard holds guard.query_length, the request stage that keeps upstream queries within
// the upstream's length limit.
//
// The MiMo web chat refuses a query longer than about 100,000 characters (it answers
// "您发送的文本过长", which upstream.mimo turns into a 400 context_length_exceeded). The stage
// measures the query upstream.mimo will send — upstream.Query when a stage set it, otherwise
// the Flatten of the request's messages — in characters (runes) against max_chars and, when
// max_tokens is set, in tokens of the host's tokenizer. A query within both limits passes
// untouched. A longer one is
//
//   - in mode "reject", refused with 400 context_length_exceeded;
//   - in mode "warmup" (the default), sent in pieces into one upstream conversation: the query
//     is cut into chunks at message boundaries (before each "\n<role>: " line start that
//     Flatten writes), a message longer than a chunk is cut into slices, and every chunk but the
//     last is sent as a non-streaming "warm-up" call whose answer is discarded, ending with
//     "（内容未完，请不要回复，等待后续内容）" (content continues, do not reply yet). The last
//     chunk becomes upstream.Query, the real turn, in the same conversation. When the query
//     starts with a "system:" line, that line also starts the last chunk when it fits, so the
//     instructions sit next to the question. A conversation continued by a session stage
//     (upstream.ConversationID set) is warmed up in place; otherwise a new one is created.
//
// Warm-ups run on the exchange's leased account, so the stage sits after the selector and
// before upstream.mimo. When the rest of the chain fails, the stage restores the keys it
// changed, so a retry on another account warms up afresh.
package guard

import (
	"context"
	"fmt"
	"net/http"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/upstream"
)

// ID is the plugin id of the stage.
const ID = "guard.query_length"

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(QueryLength) }})
}

// Modes of the stage.
const (
	ModeWarmup = "warmup"
	ModeReject = "reject"
)

// DefaultMaxChars is the default query limit in characters.
const DefaultMaxChars = 95000

// ContinueSuffix ends every warm-up chunk: "content continues, please do not reply, wait for
// the rest".
const ContinueSuffix = "\n\n（内容未完，请不要回复，等待后续内容）"

// QueryLength is the guard.query_length request stage.
type QueryLength struct {
	// MaxChars is the longest query in characters (default 95000).
	MaxChars int `json:"max_chars,omitempty"`
	// MaxTokens, when positive, is the longest query in tokens of the host's tokenizer.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Mode is what happens to a longer query of a new conversation: "warmup" (default) or
	// "reject".
	Mode string `json:"mode,omitempty"`
	// BaseURL is the upstream for warm-up calls; it defaults to the host's upstream URL.
	BaseURL string `json:"base_url,omitempty"`

	tok    plugin.Tokenizer
	client mimo.Client
}

var (
	_ plugin.Stage       = (*QueryLength)(nil)
	_ plugin.Provisioner = (*QueryLength)(nil)
	_ plugin.Validator   = (*QueryLength)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*QueryLength) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(QueryLength) }}
}

// Provision fills the defaults.
func (g *QueryLength) Provision(h plugin.Host) error {
	if g.MaxChars == 0 {
		g.MaxChars = DefaultMaxChars
	}
	if g.Mode == "" {
		g.Mode = ModeWarmup
	}
	if g.BaseURL == "" {
		g.BaseURL = h.Settings().UpstreamURL
	}
	g.tok = h.Tokenizer()
	g.client = mimo.Client{BaseURL: g.BaseURL, HTTP: h.HTTPClient()}
	return nil
}

// Validate checks the configuration.
func (g *QueryLength) Validate() error {
	switch {
	case g.Mode != ModeWarmup && g.Mode != ModeReject:
		return fmt.Errorf("mode %q: want %q or %q", g.Mode, ModeWarmup, ModeReject)
	case g.MaxChars < 2*utf8.RuneCountInString(ContinueSuffix):
		return fmt.Errorf("max_chars %d is too small", g.MaxChars)
	case g.MaxTokens < 0:
		return fmt.Errorf("max_tokens %d: want a positive count", g.MaxTokens)
	}
	return nil
}

// tooLong is the error of a query the stage will not send.
func tooLong(chars, limit int) *plugin.Error {
	return &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeContextLength,
		Message: fmt.Sprintf("the conversation is %d characters long, more than the %d the upstream accepts", chars, limit)}
}

// Handle measures the query and rejects it, warms the conversation up or lets it pass.
func (g *QueryLength) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	r := ex.Request
	if r == nil {
		return next(ctx, ex)
	}
	query, hasQuery := upstream.Query.Get(ex)
	if !hasQuery {
		query = mimo.Flatten(r.Messages)
	}
	chars := utf8.RuneCountInString(query)
	budget := g.MaxChars
	if g.MaxTokens > 0 && chars > 0 {
		if tokens := g.tok.Count(query); tokens > g.MaxTokens {
			// Chunks as long in characters as MaxTokens tokens of this text, with a margin.
			budget = min(budget, int(float64(g.MaxTokens)*float64(chars)/float64(tokens)*0.9))
		}
	}
	if chars <= budget {
		return next(ctx, ex)
	}
	if g.Mode == ModeReject {
		return tooLong(chars, budget)
	}
	if ex.Account == nil {
		return &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal,
			Message: "internal error", Err: fmt.Errorf("%s runs before the selector", ID)}
	}
	chunks := split(query, budget)
	prevConv, hasConv := upstream.ConversationID.Get(ex)
	conv := prevConv
	if !hasConv || conv == "" {
		conv = mimo.NewID()
	}
	span := trace.SpanFromContext(ctx)
	for i, c := range chunks[:len(chunks)-1] {
		span.AddEvent("warm-up", trace.WithAttributes(attribute.Int("chunk", i+1), attribute.Int("chars", utf8.RuneCountInString(c))))
		if err := g.warmup(ctx, ex, conv, c+ContinueSuffix); err != nil {
			return err
		}
	}
	upstream.ConversationID.Set(ex, conv)
	upstream.Query.Set(ex, chunks[len(chunks)-1])
	err := next(ctx, ex)
	if err != nil {
		// Let a retry on another account start over.
		if hasConv {
			upstream.ConversationID.Set(ex, prevConv)
		} else {
			upstream.ConversationID.Delete(ex)
		}
		if hasQuery {
			upstream.Query.Set(ex, query)
		} else {
			upstream.Query.Delete(ex)
		}
	}
	return err
}

// warmup sends one chunk into the conversation and discards the answer.
func (g *QueryLength) warmup(ctx context.Context, ex *plugin.Exchange, conv, query string) error {
	events, err := g.client.Chat(ctx, ex.Account, mimo.ChatRequest{
		Query:          query,
		ConversationID: conv,
		Model:          ex.Request.TargetModel(),
		WebSearch:      "disabled",
	})
	if err != nil {
		return err
	}
	for _, err := range mimo.TooLong(events) {
		if err != nil {
			return err
		}
	}
	return nil
}
