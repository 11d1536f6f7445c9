package biz

import (
	"encoding/json"
	"net/http"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// errorWriter renders errors; every plugin.Dialect is one.
type errorWriter interface {
	WriteError(w http.ResponseWriter, ex *plugin.Exchange, err *plugin.Error)
}

// fallbackErrors renders errors in OpenAI's shape when no route exists at all.
type fallbackErrors struct{}

func (fallbackErrors) WriteError(w http.ResponseWriter, _ *plugin.Exchange, err *plugin.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(err.Status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": err.Message, "type": string(err.Code)}})
}
