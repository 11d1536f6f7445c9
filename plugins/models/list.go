// Package models serves the model catalog: the models.list terminal (GET /v1/models and
// GET /v1/models/{id} in OpenAI's shape), models.refresh (POST /v1/models/refresh: discover now,
// same shape) and the models.check request stage, which rejects requests for unknown models
// before any upstream call and maps aliases to upstream ids.
package models

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func init() {
	plugin.Register(plugin.Info{ID: "models.list", New: func() plugin.Plugin { return &List{id: "models.list"} }})
	plugin.Register(plugin.Info{ID: "models.refresh", New: func() plugin.Plugin { return &List{id: "models.refresh", Refresh: true} }})
}

// Model describes one served model of a static list.
type Model struct {
	// ID is the model id clients send.
	ID string `json:"id"`
	// OwnedBy is reported as owned_by (default "xiaomi").
	OwnedBy string `json:"owned_by"`
	// ContextWindow is the model's context length in tokens, when known.
	ContextWindow int `json:"context_window"`
	// MaxOutput is the model's output limit in tokens, when known.
	MaxOutput int `json:"max_output"`
}

// List serves the model catalog. A request whose path has an {id} wildcard gets that one model,
// or 404. The catalog is the host's shared one (see discovery.CatalogHost), else one built from
// the host's settings; a static list in the plugin's `models` overrides both.
type List struct {
	// Models is a static list served instead of the catalog.
	Models []Model `json:"models"`
	// Created is the unix time reported as each model's created field.
	Created int64 `json:"created"`
	// Refresh makes each request rediscover the models synchronously before answering
	// (always on for models.refresh).
	Refresh bool `json:"refresh"`

	id      string
	catalog *discovery.Catalog
	log     *slog.Logger
	list    []byte            // rendered static list
	byID    map[string][]byte // rendered static models
}

var (
	_ plugin.Terminal    = (*List)(nil)
	_ plugin.Provisioner = (*List)(nil)
)

// PluginInfo implements plugin.Plugin.
func (l *List) PluginInfo() plugin.Info {
	id := l.id
	if id == "" {
		id = "models.list"
	}
	info, _ := plugin.Lookup(id)
	return info
}

// Provision implements plugin.Provisioner. A static list is rendered once.
func (l *List) Provision(h plugin.Host) error {
	if l.Created == 0 {
		l.Created = 1735689600
	}
	l.log = h.Logger(l.PluginInfo().ID)
	if len(l.Models) == 0 {
		l.catalog = CatalogOf(h)
		return nil
	}
	l.byID = make(map[string][]byte, len(l.Models))
	list := []byte(`{"object":"list","data":[`)
	for i, m := range l.Models {
		if m.ContextWindow == 0 && m.MaxOutput == 0 {
			m.ContextWindow, m.MaxOutput = discovery.Limits(m.ID)
		}
		obj := render(nil, l.Created, entry{id: m.ID, ownedBy: m.OwnedBy, ctx: m.ContextWindow, out: m.MaxOutput})
		l.byID[m.ID] = obj
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, obj...)
	}
	l.list = append(list, "]}"...)
	return nil
}

// Call implements plugin.Terminal.
func (l *List) Call(ctx context.Context, ex *plugin.Exchange) error {
	id := ex.HTTP.PathValue("id")
	if l.catalog == nil {
		if id == "" {
			ex.Response.Body = l.list
			return nil
		}
		obj, ok := l.byID[id]
		if !ok {
			return notFound(id)
		}
		ex.Response.Body = obj
		return nil
	}
	var ms []discovery.Model
	if l.Refresh {
		var err error
		if ms, err = l.catalog.Refresh(ctx); err != nil {
			if len(ms) == 0 {
				return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream,
					Message: "model discovery failed", Err: err}
			}
			l.log.Warn("model refresh failed; serving the last list", "error", err)
		}
	} else {
		ms = l.catalog.Models(ctx)
	}
	if id == "" {
		ex.Response.Body = renderList(l.Created, ms)
		return nil
	}
	for _, m := range ms {
		if m.ID == id {
			ex.Response.Body = render(nil, l.Created, fromCatalog(m))
			return nil
		}
	}
	return notFound(id)
}

func notFound(id string) *plugin.Error {
	return &plugin.Error{Status: http.StatusNotFound, Code: plugin.CodeNotFound, Param: "model",
		Message: "The model '" + id + "' does not exist"}
}
