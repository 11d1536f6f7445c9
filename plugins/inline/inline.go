// Package inline holds inline.media, the request stage that sends the client's images, audio and
// files to the MiMo upstream.
//
// The MiMo web chat does not take media inside the query: each file goes through the three-step
// upload (internal/mimo Upload) with the account's cookies, and the chat request lists the
// resulting descriptors in multiMedias. inline.media walks the canonical request's messages and,
// for every image, audio or file part that carries bytes or a URL:
//
//   - fetches URLs with an SSRF-safe fetcher (internal/fetch: http(s) only, public addresses
//     only unless allowed, size cap, timeout);
//   - checks the type: png, jpeg, gif and webp images (judged by their bytes); text-like files
//     and pdf; wav and mp3 audio when the upstream model is an omni model. Anything else is a 400
//     "unsupported media type …";
//   - uploads it with the exchange's account, unless the per-account cache (keyed by the SHA-256
//     of the bytes, bounded LRU with a TTL) already holds its descriptor, so that a long chat
//     whose history repeats an image uploads it once;
//   - replaces the part by a text placeholder — "[image 1]", "[audio 1]", "[file 1: notes.md]",
//     numbered per media type in order of first appearance — so that the flattened query says
//     where each medium was and the model can refer to it. The same content appearing twice in
//     one request gets one descriptor and one placeholder.
//
// The descriptors, in placeholder order, are stored under upstream.MultiMedias for upstream.mimo.
// The rewritten messages and descriptors hold only for the rest of the chain: both are restored
// when it returns, so a selector's retry on another account uploads again for that account.
//
// Place it after the dialect and after the selector (uploads belong to the account the selector
// chose), right before the terminal:
//
//	chain: [auth.apikey, dialect.openai_chat, select.round_robin, inline.media, upstream.mimo]
//
// The stage's span gets the number of media sent, uploads, fetches and cache hits; never URLs
// or content. A client disconnect cancels fetches and uploads.
package inline

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/fetch"
	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/upstream"
)

// ID is the plugin id of the stage.
const ID = "inline.media"

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Media) }})
}

// Defaults of the configuration.
const (
	DefaultMaxBytes  = 20 << 20
	DefaultTimeout   = 20 * time.Second
	DefaultCacheTTL  = time.Hour
	DefaultCacheSize = 1024
	DefaultMaxParts  = 20
)

// Media is the inline.media request stage.
type Media struct {
	// MaxBytes bounds one medium, inline or fetched, in bytes (default 20 MiB).
	MaxBytes int64 `json:"max_bytes,omitempty"`
	// Timeout bounds the fetch of one URL (default 20s).
	Timeout plugin.Duration `json:"timeout,omitempty"`
	// AllowPrivate lets URLs point at loopback, private and link-local addresses (default false).
	AllowPrivate bool `json:"allow_private,omitempty"`
	// AllowHosts are fetched even when they resolve to non-public addresses: host names,
	// "*.example.com" wildcards, IP addresses and CIDR prefixes.
	AllowHosts []string `json:"allow_hosts,omitempty"`
	// CacheTTL is how long an upload is reused for the same account and content (default 1h).
	CacheTTL plugin.Duration `json:"cache_ttl,omitempty"`
	// CacheSize bounds the number of cached uploads (default 1024).
	CacheSize int `json:"cache_size,omitempty"`
	// MaxParts bounds the distinct media of one request (default 20).
	MaxParts int `json:"max_parts,omitempty"`
	// Settle is the pause after each upload while the upstream finishes processing the file
	// (default 3s, as the web app does; "0s" disables it).
	Settle *plugin.Duration `json:"settle,omitempty"`
	// BaseURL is the upstream; it defaults to the host's upstream URL.
	BaseURL string `json:"base_url,omitempty"`

	client  mimo.Client
	opts    mimo.UploadOptions
	fetcher *fetch.Fetcher
	cache   *cache
}

var (
	_ plugin.Stage       = (*Media)(nil)
	_ plugin.Provisioner = (*Media)(nil)
	_ plugin.Validator   = (*Media)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Media) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Media) }}
}

// Provision fills defaults and builds the fetcher, the upload client and the cache.
func (p *Media) Provision(h plugin.Host) error {
	if p.MaxBytes == 0 {
		p.MaxBytes = DefaultMaxBytes
	}
	if p.Timeout == 0 {
		p.Timeout = plugin.Duration(DefaultTimeout)
	}
	if p.CacheTTL == 0 {
		p.CacheTTL = plugin.Duration(DefaultCacheTTL)
	}
	if p.CacheSize == 0 {
		p.CacheSize = DefaultCacheSize
	}
	if p.MaxParts == 0 {
		p.MaxParts = DefaultMaxParts
	}
	if p.BaseURL == "" {
		p.BaseURL = h.Settings().UpstreamURL
	}
	if p.BaseURL == "" {
		p.BaseURL = mimo.DefaultBaseURL
	}
	if p.Settle != nil {
		p.opts.Settle = p.Settle.Std()
		if p.opts.Settle <= 0 {
			p.opts.Settle = -1
		}
	}
	p.client = mimo.Client{BaseURL: p.BaseURL, HTTP: h.HTTPClient()}
	p.fetcher = &fetch.Fetcher{MaxBytes: p.MaxBytes, Timeout: p.Timeout.Std(), AllowPrivate: p.AllowPrivate,
		AllowHosts: p.AllowHosts}
	p.cache = newCache(p.CacheSize, p.CacheTTL.Std())
	return nil
}

// Validate checks the configuration.
func (p *Media) Validate() error {
	u, err := url.Parse(p.BaseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("base_url %q is not an http(s) URL", p.BaseURL)
	case p.MaxBytes < 0:
		return fmt.Errorf("max_bytes %d is negative", p.MaxBytes)
	case p.Timeout < 0 || p.CacheTTL < 0:
		return errors.New("timeout and cache_ttl must not be negative")
	case p.CacheSize < 0 || p.MaxParts < 0:
		return errors.New("cache_size and max_parts must not be negative")
	}
	return nil
}

// stats are what the span reports.
type stats struct{ media, uploads, fetches, hits int }

// Handle uploads the request's media for the exchange's account and runs the rest of the chain
// with placeholders in the messages and the descriptors under upstream.MultiMedias.
func (p *Media) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	r := ex.Request
	if r == nil {
		return next(ctx, ex)
	}
	n := countMedia(r.Messages)
	if n == 0 {
		return next(ctx, ex)
	}
	if n > p.MaxParts {
		return plugin.BadRequest("too many media parts: %d (at most %d per request)", n, p.MaxParts)
	}
	if ex.Account == nil {
		return &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal, Message: "internal error",
			Err: errors.New("inline.media has no account: place it after the selector in the chain")}
	}
	var st stats
	msgs, medias, err := p.inline(ctx, ex.Account, r, &st)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(
			attribute.Int("inline.media.count", st.media),
			attribute.Int("inline.media.uploads", st.uploads),
			attribute.Int("inline.media.fetches", st.fetches),
			attribute.Int("inline.media.cache_hits", st.hits),
		)
	}
	if err != nil {
		return err
	}

	orig := r.Messages
	prev, hadPrev := upstream.MultiMedias.Get(ex)
	r.Messages = msgs
	upstream.MultiMedias.Set(ex, append(slices.Clip(prev), medias...))
	defer func() {
		r.Messages = orig
		if hadPrev {
			upstream.MultiMedias.Set(ex, prev)
		} else {
			upstream.MultiMedias.Delete(ex)
		}
	}()
	return next(ctx, ex)
}

// isMedia reports whether a part is media with content to send.
func isMedia(pt *plugin.Part) bool {
	return pt.Kind != plugin.PartText && (len(pt.Data) > 0 || pt.URL != "")
}

func countMedia(msgs []plugin.Message) int {
	n := 0
	for i := range msgs {
		for j := range msgs[i].Parts {
			if isMedia(&msgs[i].Parts[j]) {
				n++
			}
		}
	}
	return n
}

// inline returns a copy of the messages with each medium replaced by its placeholder, and the
// descriptors in placeholder order. The request's own messages are not modified.
func (p *Media) inline(ctx context.Context, acct *plugin.Account, r *plugin.Request, st *stats) ([]plugin.Message, []json.RawMessage, error) {
	var (
		out     = slices.Clone(r.Messages)
		medias  []json.RawMessage
		labels  = make(map[cacheKey]string)
		counter = make(map[string]int)
		model   = r.TargetModel()
	)
	for i := range out {
		m := &out[i]
		if !slices.ContainsFunc(m.Parts, func(pt plugin.Part) bool { return isMedia(&pt) }) {
			continue
		}
		m.Parts = slices.Clone(m.Parts)
		for j := range m.Parts {
			pt := &m.Parts[j]
			if !isMedia(pt) {
				continue
			}
			file, err := p.content(ctx, pt, model, st)
			if err != nil {
				return nil, nil, err
			}
			key := cacheKey{account: acct.ID + "\x00" + acct.UserID, sum: sha256.Sum256(file.Data)}
			if kindOf(file.MIME) == mimo.MediaFile {
				key.name = file.Name
			}
			label, seen := labels[key]
			if !seen {
				raw, err := p.upload(ctx, acct, key, file, st)
				if err != nil {
					return nil, nil, err
				}
				medias = append(medias, raw)
				w := kindOf(file.MIME) // "image", "audio" or "file"
				counter[w]++
				label = fmt.Sprintf("[%s %d]", w, counter[w])
				if w == mimo.MediaFile {
					label = fmt.Sprintf("[file %d: %s]", counter[w], file.Name)
				}
				labels[key] = label
			}
			*pt = plugin.Part{Kind: plugin.PartText, Text: label}
		}
	}
	st.media = len(medias)
	return out, medias, nil
}

// kindOf returns the multiMedias mediaType of a media type.
func kindOf(mt string) string {
	switch {
	case imageTypes[mt]:
		return mimo.MediaImage
	case audioTypes[mt] != "":
		return mimo.MediaAudio
	}
	return mimo.MediaFile
}

// content returns a part's bytes (fetching a URL), checked and typed for upload.
func (p *Media) content(ctx context.Context, pt *plugin.Part, model string, st *stats) (mimo.UploadFile, error) {
	what := "file"
	switch pt.Kind {
	case plugin.PartImage:
		what = "image"
	case plugin.PartAudio:
		what = "audio"
	}
	data, declared := pt.Data, pt.MIME
	if len(data) == 0 {
		st.fetches++
		var err error
		data, declared, err = p.fetcher.Get(ctx, pt.URL)
		if err != nil {
			if e, ok := errors.AsType[*plugin.Error](err); ok && e.Code != plugin.CodeClientClosed {
				e.Message = what + " " + e.Message
			}
			return mimo.UploadFile{}, err
		}
	}
	if int64(len(data)) > p.MaxBytes {
		return mimo.UploadFile{}, &plugin.Error{Status: http.StatusRequestEntityTooLarge, Code: plugin.CodeTooLarge,
			Message: fmt.Sprintf("%s is larger than %d bytes", what, p.MaxBytes)}
	}
	mt, perr := classify(pt.Kind, declared, pt.Name, data, model)
	if perr != nil {
		return mimo.UploadFile{}, perr
	}
	f := mimo.UploadFile{MIME: mt, Data: data, Model: model}
	if kindOf(mt) == mimo.MediaFile {
		f.Name = fileName(pt.Name, mt)
	}
	return f, nil
}

// upload returns the descriptor of a file for the account, from the cache or a new upload.
func (p *Media) upload(ctx context.Context, acct *plugin.Account, key cacheKey, file mimo.UploadFile, st *stats) (json.RawMessage, error) {
	if raw, ok := p.cache.get(key); ok {
		st.hits++
		return raw, nil
	}
	m, err := p.client.UploadWith(ctx, acct, file, p.opts)
	if err != nil {
		return nil, err
	}
	st.uploads++
	raw := m.Raw()
	p.cache.put(key, raw)
	return raw, nil
}
