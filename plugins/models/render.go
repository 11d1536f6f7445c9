package models

import (
	"strconv"

	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
)

// entry is one model as rendered.
type entry struct {
	id, ownedBy, kind string
	ctx, out          int
}

func fromCatalog(m discovery.Model) entry {
	return entry{id: m.ID, kind: string(m.Kind), ctx: m.ContextWindow, out: m.MaxOutput}
}

// renderList renders an OpenAI model list.
func renderList(created int64, ms []discovery.Model) []byte {
	b := make([]byte, 0, 64+len(ms)*192)
	b = append(b, `{"object":"list","data":[`...)
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = render(b, created, fromCatalog(m))
	}
	return append(b, "]}"...)
}

// render appends one OpenAI model object with the context fields clients look for.
func render(b []byte, created int64, e entry) []byte {
	if e.ownedBy == "" {
		e.ownedBy = "xiaomi"
	}
	b = append(b, `{"id":`...)
	b = dialectkit.AppendString(b, e.id)
	b = append(b, `,"object":"model","created":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"owned_by":`...)
	b = dialectkit.AppendString(b, e.ownedBy)
	if e.kind != "" {
		b = append(b, `,"kind":`...)
		b = dialectkit.AppendString(b, e.kind)
	}
	if e.ctx > 0 {
		for _, k := range [...]string{`,"context_window":`, `,"context_length":`, `,"max_input_tokens":`} {
			b = append(b, k...)
			b = strconv.AppendInt(b, int64(e.ctx), 10)
		}
	}
	if e.out > 0 {
		b = append(b, `,"max_output_tokens":`...)
		b = strconv.AppendInt(b, int64(e.out), 10)
	}
	return append(b, '}')
}
