package responses

import (
	"net/http"

	"github.com/mimo2api/mimo2api/plugins/dialect/openai"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// WriteError writes err in OpenAI's error shape (shared with dialect.openai_chat); a
// context_length_exceeded error without a param names "input".
func (d *Responses) WriteError(w http.ResponseWriter, _ *plugin.Exchange, err *plugin.Error) {
	openai.WriteError(w, err, "input")
}
