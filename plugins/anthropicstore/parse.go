package anthropicstore

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// MaxRequests is the largest number of requests in one batch, as in the Anthropic API.
const MaxRequests = 10000

// Defaults for the request shapes of the prior implementation, which did not require them.
const (
	legacyModel     = "mimo-v2.5"
	legacyMaxTokens = 4096
)

// decoder validates the params of one request; the dialect's Decode.
type decoder func(body []byte) (*plugin.Request, error)

// parseBatch reads a batch creation body. It accepts Anthropic's
// {"requests":[{"custom_id","params"}]}, the prior implementation's "body" in place of "params",
// and its {"tasks":[{"custom_id"?, "model", "messages", …}]}, with an optional top-level
// "model" used by requests without one. Requests of the prior shapes default model and
// max_tokens. Every request's params are validated with decode up front; stream is refused.
// defModel is the model of legacy requests that name none.
func parseBatch(body []byte, decode decoder, defModel string) (model string, reqs []store.BatchRequest, err error) {
	if !gjson.ValidBytes(body) {
		return "", nil, plugin.BadRequest("the request body is not valid JSON")
	}
	top := gjson.ParseBytes(body)
	if !top.IsObject() {
		return "", nil, plugin.BadRequest("the request body must be a JSON object")
	}
	if m := top.Get("model"); m.Exists() && m.Type != gjson.Null {
		if m.Type != gjson.String {
			return "", nil, badParam("model", "model: must be a string")
		}
		model = m.Str
	}
	field, list := "requests", top.Get("requests")
	if !list.Exists() {
		if t := top.Get("tasks"); t.Exists() {
			field, list = "tasks", t
		}
	}
	switch {
	case !list.Exists() || list.Type == gjson.Null:
		return "", nil, badParam("requests", "requests: field required")
	case !list.IsArray():
		return "", nil, badParam(field, "%s: must be an array", field)
	}
	items := list.Array()
	switch {
	case len(items) == 0:
		return "", nil, badParam(field, "%s: at least one request is required", field)
	case len(items) > MaxRequests:
		return "", nil, badParam(field, "%s: at most %d requests are allowed, got %d", field, MaxRequests, len(items))
	}
	if defModel == "" {
		defModel = legacyModel
	}
	reqs = make([]store.BatchRequest, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		p := field + "[" + strconv.Itoa(i) + "]"
		r, err := parseRequest(it, field == "tasks", i, p, model, defModel, decode)
		if err != nil {
			return "", nil, err
		}
		if seen[r.CustomID] {
			return "", nil, badParam(p+".custom_id", "%s.custom_id: duplicate custom_id %q", p, r.CustomID)
		}
		seen[r.CustomID] = true
		reqs = append(reqs, r)
	}
	return model, reqs, nil
}

// parseRequest reads the item at p of the request list.
func parseRequest(it gjson.Result, task bool, i int, p, model, defModel string, decode decoder) (store.BatchRequest, error) {
	if !it.IsObject() {
		return store.BatchRequest{}, badParam(p, "%s: must be an object", p)
	}
	var (
		r      store.BatchRequest
		params gjson.Result
		pp     string // the param name of the params
		legacy = task
	)
	id := it.Get("custom_id")
	switch {
	case id.Type == gjson.String:
		r.CustomID = id.Str
	case task && !id.Exists():
		r.CustomID = "task-" + strconv.Itoa(i)
	default:
		return r, badParam(p+".custom_id", "%s.custom_id: must be a string", p)
	}
	if !validCustomID(r.CustomID) {
		return r, badParam(p+".custom_id", "%s.custom_id: must be 1 to 64 letters, digits, '-' or '_'", p)
	}
	if task {
		params, pp = it, p
	} else {
		params, pp = it.Get("params"), p+".params"
		if !params.Exists() {
			if b := it.Get("body"); b.Exists() {
				params, pp, legacy = b, p+".body", true
			}
		}
		if !params.Exists() || params.Type == gjson.Null {
			return r, badParam(pp, "%s: field required", pp)
		}
		if !params.IsObject() {
			return r, badParam(pp, "%s: must be an object", pp)
		}
	}
	raw := []byte(params.Raw)
	var err error
	if task {
		raw, err = sjson.DeleteBytes(raw, "custom_id")
	}
	if err == nil && !params.Get("model").Exists() {
		switch {
		case model != "":
			raw, err = sjson.SetBytes(raw, "model", model)
		case legacy:
			raw, err = sjson.SetBytes(raw, "model", defModel)
		}
	}
	if err == nil && legacy && !params.Get("max_tokens").Exists() {
		raw, err = sjson.SetBytes(raw, "max_tokens", legacyMaxTokens)
	}
	if err != nil {
		return r, badParam(pp, "%s: %v", pp, err)
	}
	if s := params.Get("stream"); s.Type == gjson.True {
		return r, badParam(pp+".stream", "%s.stream: streaming is not supported in message batches", pp)
	}
	if _, err := decode(raw); err != nil {
		if perr := paramsErr(err, pp); perr != nil {
			return r, perr
		}
	}
	r.Params = raw
	return r, nil
}

// paramsErr renames a decoding error of the params at pp, or returns nil for errors left to the
// request's run: an unknown model may still be mapped by the aliases of the messages route.
func paramsErr(err error, pp string) *plugin.Error {
	var pe *plugin.Error
	if !errors.As(err, &pe) {
		return badParam(pp, "%s: %v", pp, err)
	}
	if pe.Code == plugin.CodeNotFound && pe.Param == "model" {
		return nil
	}
	param, msg := pp, pe.Message
	if pe.Param != "" {
		param = pp + "." + pe.Param
		if strings.HasPrefix(msg, pe.Param) {
			msg = pp + "." + msg
		} else {
			msg = param + ": " + msg
		}
	} else {
		msg = pp + ": " + msg
	}
	return badParam(param, "%s", msg)
}

// validCustomID reports whether id has 1 to 64 letters, digits, hyphens or underscores.
func validCustomID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func badParam(param, format string, args ...any) *plugin.Error {
	e := plugin.BadRequest(format, args...)
	e.Param = param
	return e
}
