// Package upstream holds the terminal plugins that call the upstream: upstream.mimo sends the
// canonical request to the MiMo AI Studio web chat and streams its answer back as canonical
// events.
package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func init() {
	plugin.Register(plugin.Info{ID: "upstream.mimo", New: func() plugin.Plugin { return new(MiMo) }})
}

// Keys that request stages set to steer the upstream call.
var (
	// ConversationID is the upstream conversation to continue. A session stage sets it; when it
	// is absent upstream.mimo starts a new conversation and stores its id here.
	ConversationID = plugin.NewKey[string]("upstream.conversation_id")
	// Query replaces the query flattened from the request's messages, for stages that send only
	// part of the conversation.
	Query = plugin.NewKey[string]("upstream.query")
	// MultiMedias are uploaded media descriptors to send with the query.
	MultiMedias = plugin.NewKey[[]json.RawMessage]("upstream.multi_medias")
)

// MiMo is the upstream.mimo terminal: it calls the MiMo web chat with the exchange's account.
type MiMo struct {
	// BaseURL is the upstream, such as "https://aistudio.xiaomimimo.com"; it defaults to the
	// host's upstream URL.
	BaseURL string `json:"base_url,omitempty"`
	// WebSearch is the upstream's webSearchStatus: "disabled" (default), "auto" or "enabled".
	WebSearch string `json:"web_search,omitempty"`
	// DefaultEffort is the reasoning effort sent when the client asks for thinking without a
	// level: "low", "medium" or "high" (default).
	DefaultEffort string `json:"default_effort,omitempty"`
	// UserAgent overrides the desktop Chrome User-Agent sent upstream.
	UserAgent string `json:"user_agent,omitempty"`

	client mimo.Client
	tok    plugin.Tokenizer // estimates usage the upstream did not report
}

var (
	_ plugin.Terminal    = (*MiMo)(nil)
	_ plugin.Provisioner = (*MiMo)(nil)
	_ plugin.Validator   = (*MiMo)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*MiMo) PluginInfo() plugin.Info {
	return plugin.Info{ID: "upstream.mimo", New: func() plugin.Plugin { return new(MiMo) }}
}

// Provision fills defaults and takes the host's HTTP client.
func (m *MiMo) Provision(h plugin.Host) error {
	m.tok = h.Tokenizer()
	if m.BaseURL == "" {
		m.BaseURL = h.Settings().UpstreamURL
	}
	if m.BaseURL == "" {
		m.BaseURL = mimo.DefaultBaseURL
	}
	if m.WebSearch == "" {
		m.WebSearch = "disabled"
	}
	if m.DefaultEffort == "" {
		m.DefaultEffort = "high"
	}
	m.client = mimo.Client{BaseURL: m.BaseURL, HTTP: h.HTTPClient(), UserAgent: m.UserAgent}
	return nil
}

// Validate checks the configuration.
func (m *MiMo) Validate() error {
	u, err := url.Parse(m.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base_url %q is not an http(s) URL", m.BaseURL)
	}
	switch m.WebSearch {
	case "disabled", "auto", "enabled":
	default:
		return fmt.Errorf("web_search %q: want disabled, auto or enabled", m.WebSearch)
	}
	switch m.DefaultEffort {
	case "low", "medium", "high":
	default:
		return fmt.Errorf("default_effort %q: want low, medium or high", m.DefaultEffort)
	}
	return nil
}

// Call sends the exchange's request upstream on its account and sets the response events.
func (m *MiMo) Call(ctx context.Context, ex *plugin.Exchange) error {
	r := ex.Request
	if r == nil {
		return &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal,
			Message: "no dialect decoded the request"}
	}
	if ex.Account == nil {
		return &plugin.Error{Status: http.StatusServiceUnavailable, Code: plugin.CodeNoAccount,
			Message: "no upstream account selected"}
	}
	conv, ok := ConversationID.Get(ex)
	if !ok || conv == "" {
		conv = mimo.NewID()
		ConversationID.Set(ex, conv)
	}
	query, ok := Query.Get(ex)
	if !ok {
		query = mimo.Flatten(r.Messages)
	}
	media, _ := MultiMedias.Get(ex)
	req := mimo.ChatRequest{
		Query:          query,
		ConversationID: conv,
		Model:          r.TargetModel(),
		Thinking:       r.Thinking,
		Temperature:    r.Temperature,
		TopP:           r.TopP,
		MultiMedias:    media,
		WebSearch:      m.WebSearch,
	}
	if r.Thinking {
		req.ReasoningEffort = r.ReasoningEffort
		if req.ReasoningEffort == "" {
			req.ReasoningEffort = m.DefaultEffort
		}
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(
			attribute.String("gen_ai.request.model", req.Model),
			attribute.String("mimo.conversation_id", conv),
			attribute.String("mimo.account", ex.Account.ID),
		)
	}
	events, err := m.client.Chat(ctx, ex.Account, req)
	if err != nil {
		return err
	}
	ex.Response.Events = estimateUsage(mimo.TooLong(events), m.tok, query)
	return nil
}
