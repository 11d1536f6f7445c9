package models

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func init() {
	plugin.Register(plugin.Info{ID: "models.check", New: func() plugin.Plugin { return new(Check) }})
}

// Check is a request stage placed after the dialect: it resolves the request's target model
// through the catalog (aliases, case, "-studio" ids) and sets the upstream model, or fails with
// 404 model_not_found before any upstream call. While the catalog has never obtained a list,
// every name passes. A request without a model gets the catalog's default chat model.
type Check struct {
	// Kinds restricts the model classes the route serves, such as ["chat"]; empty allows all.
	Kinds []discovery.Kind `json:"kinds"`

	catalog *discovery.Catalog
}

var (
	_ plugin.Stage       = (*Check)(nil)
	_ plugin.Provisioner = (*Check)(nil)
	_ plugin.Validator   = (*Check)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Check) PluginInfo() plugin.Info {
	return plugin.Info{ID: "models.check", New: func() plugin.Plugin { return new(Check) }}
}

// Provision implements plugin.Provisioner.
func (c *Check) Provision(h plugin.Host) error {
	c.catalog = CatalogOf(h)
	c.catalog.Warm()
	return nil
}

// Validate implements plugin.Validator.
func (c *Check) Validate() error {
	for _, k := range c.Kinds {
		switch k {
		case discovery.KindChat, discovery.KindTTS, discovery.KindASR:
		default:
			return fmt.Errorf("kinds: unknown model kind %q (want chat, tts or asr)", k)
		}
	}
	return nil
}

// Handle implements plugin.Stage.
func (c *Check) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	req := ex.Request
	if req == nil {
		return next(ctx, ex)
	}
	name := req.TargetModel()
	if name == "" {
		if id := c.defaultModel(ctx); id != "" {
			req.UpstreamModel = id
		}
		return next(ctx, ex)
	}
	id, ok := c.catalog.Resolve(name)
	if !ok {
		return &plugin.Error{Status: http.StatusNotFound, Code: plugin.CodeNotFound, Param: "model",
			Message: "The model '" + req.Model + "' does not exist"}
	}
	if len(c.Kinds) > 0 {
		if m, known := c.catalog.Lookup(id); known && !slices.Contains(c.Kinds, m.Kind) {
			return &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest, Param: "model",
				Message: fmt.Sprintf("The model '%s' is a %s model, which this endpoint does not serve", req.Model, m.Kind)}
		}
	}
	if id != name {
		req.UpstreamModel = id
	}
	return next(ctx, ex)
}

// defaultModel returns the catalog's default model of an allowed kind: the upstream's default,
// else the first listed.
func (c *Check) defaultModel(ctx context.Context) string {
	var first string
	for _, m := range c.catalog.Models(ctx) {
		if len(c.Kinds) > 0 && !slices.Contains(c.Kinds, m.Kind) {
			continue
		}
		if m.Default {
			return m.ID
		}
		if first == "" {
			first = m.ID
		}
	}
	return first
}
