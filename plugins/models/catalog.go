package models

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// fallback holds the catalogs built for hosts that do not share one, by upstream and static
// list, so that every models.* plugin of the process uses the same cache.
var fallback struct {
	sync.Mutex
	m map[string]*discovery.Catalog
}

// CatalogOf returns the host's shared catalog when the host implements discovery.CatalogHost;
// otherwise a process-wide catalog built from the host's settings (upstream URL, HTTP client,
// static model list). Its refresh failures are logged through slog.Default, because it
// outlives any one host.
func CatalogOf(h plugin.Host) *discovery.Catalog {
	if ch, ok := h.(discovery.CatalogHost); ok {
		if c := ch.Catalog(); c != nil {
			return c
		}
	}
	s := h.Settings()
	key := s.UpstreamURL + "\x00" + strings.Join(s.Models, "\x00")
	fallback.Lock()
	defer fallback.Unlock()
	if c, ok := fallback.m[key]; ok {
		return c
	}
	if fallback.m == nil {
		fallback.m = make(map[string]*discovery.Catalog)
	}
	c := discovery.New(discovery.Options{
		BaseURL: s.UpstreamURL,
		HTTP:    h.HTTPClient(),
		Static:  s.Models,
		Logger:  slog.Default().With("plugin", "models"),
	})
	fallback.m[key] = c
	return c
}
