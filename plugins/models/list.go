// Package models provides the models.list terminal, which serves GET /v1/models and
// GET /v1/models/{id} in OpenAI's shape.
package models

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func init() {
	plugin.Register(plugin.Info{ID: "models.list", New: func() plugin.Plugin { return new(List) }})
}

// Model describes one served model.
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

// List serves the configured model list. A request whose path has an {id} wildcard gets that
// one model, or 404.
type List struct {
	// Models overrides the deployment's model list (top-level `models`).
	Models []Model `json:"models"`
	// Created is the unix time reported as each model's created field.
	Created int64 `json:"created"`

	list []byte
	byID map[string][]byte
}

var (
	_ plugin.Terminal    = (*List)(nil)
	_ plugin.Provisioner = (*List)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*List) PluginInfo() plugin.Info {
	return plugin.Info{ID: "models.list", New: func() plugin.Plugin { return new(List) }}
}

// Provision implements plugin.Provisioner. The bodies are rendered once.
func (l *List) Provision(h plugin.Host) error {
	if len(l.Models) == 0 {
		for _, id := range h.Settings().Models {
			l.Models = append(l.Models, Model{ID: id})
		}
	}
	if l.Created == 0 {
		l.Created = 1735689600
	}
	l.byID = make(map[string][]byte, len(l.Models))
	list := []byte(`{"object":"list","data":[`)
	for i, m := range l.Models {
		if m.OwnedBy == "" {
			m.OwnedBy = "xiaomi"
		}
		if m.ContextWindow == 0 && m.MaxOutput == 0 {
			m.ContextWindow, m.MaxOutput = knownLimits(m.ID)
		}
		obj := l.render(m)
		l.byID[m.ID] = obj
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, obj...)
	}
	l.list = append(list, "]}"...)
	return nil
}

func (l *List) render(m Model) []byte {
	b := []byte(`{"id":`)
	b = appendString(b, m.ID)
	b = append(b, `,"object":"model","created":`...)
	b = strconv.AppendInt(b, l.Created, 10)
	b = append(b, `,"owned_by":`...)
	b = appendString(b, m.OwnedBy)
	if m.ContextWindow > 0 {
		b = append(b, `,"context_window":`...)
		b = strconv.AppendInt(b, int64(m.ContextWindow), 10)
		b = append(b, `,"context_length":`...)
		b = strconv.AppendInt(b, int64(m.ContextWindow), 10)
	}
	if m.MaxOutput > 0 {
		b = append(b, `,"max_output_tokens":`...)
		b = strconv.AppendInt(b, int64(m.MaxOutput), 10)
	}
	return append(b, '}')
}

// Call implements plugin.Terminal.
func (l *List) Call(_ context.Context, ex *plugin.Exchange) error {
	if id := ex.HTTP.PathValue("id"); id != "" {
		obj, ok := l.byID[id]
		if !ok {
			return &plugin.Error{Status: http.StatusNotFound, Code: plugin.CodeNotFound, Param: "model",
				Message: "The model '" + id + "' does not exist"}
		}
		ex.Response.Body = obj
		return nil
	}
	ex.Response.Body = l.list
	return nil
}

// knownLimits returns the context window and output limit of the MiMo models the gateway knows.
func knownLimits(id string) (ctx, out int) {
	switch id {
	case "mimo-v2.5-pro", "mimo-v2.5", "mimo-v2-pro":
		return 1048576, 131072
	case "mimo-v2-flash":
		return 262144, 65536
	case "mimo-v2-omni":
		return 262144, 131072
	}
	return 0, 0
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // marshalling a string cannot fail
	return append(b, q...)
}
