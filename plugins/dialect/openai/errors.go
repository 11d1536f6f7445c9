package openai

import (
	"math"
	"net/http"
	"strconv"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// WriteError writes err as an OpenAI error response: {"error":{"message","type","param","code"}}
// with err's status and a Retry-After header when err.RetryAfter is positive. A client_closed
// error gets only its status: nobody is listening.
func (c *Chat) WriteError(w http.ResponseWriter, _ *plugin.Exchange, err *plugin.Error) {
	WriteError(w, err, "messages")
}

// WriteError writes err in OpenAI's error shape, as (*Chat).WriteError does; contextParam is the
// request field named by a context_length_exceeded error that names none ("messages" for chat,
// "input" for the Responses API). Other OpenAI-family dialects use it.
func WriteError(w http.ResponseWriter, err *plugin.Error, contextParam string) {
	if err == nil {
		err = plugin.AsError(errNil)
	}
	status := ErrorStatus(err)
	if err.Code == plugin.CodeClientClosed {
		w.WriteHeader(status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	if err.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(err.RetryAfter.Seconds())), 10))
	}
	w.WriteHeader(status)
	body := AppendErrorBody(make([]byte, 0, 256), err, contextParam)
	w.Write(append(body, '\n')) // a failed write means the client is gone; there is no one to tell
}

// errNil stands in for a nil *plugin.Error so that WriteError never writes an empty body.
var errNil = plugin.Errorf(http.StatusInternalServerError, plugin.CodeInternal, "internal error")

// ErrorStatus returns err's HTTP status, or one derived from its code when the status is not an
// error status.
func ErrorStatus(err *plugin.Error) int { return err.HTTPStatus() }

// ErrorKind returns the OpenAI error type and code for err; an empty code is sent as null.
func ErrorKind(err *plugin.Error, status int) (typ, code string) {
	switch err.Code {
	case plugin.CodeInvalidRequest:
		return "invalid_request_error", ""
	case plugin.CodeAuthentication:
		return "invalid_request_error", "invalid_api_key"
	case plugin.CodePermission:
		return "permission_error", "permission_denied"
	case plugin.CodeNotFound:
		if err.Param == "model" || err.Param == "" {
			return "invalid_request_error", "model_not_found"
		}
		return "invalid_request_error", "not_found"
	case plugin.CodeTooLarge:
		return "invalid_request_error", "request_too_large"
	case plugin.CodeUnprocessable:
		return "invalid_request_error", "unprocessable_entity"
	case plugin.CodeContextLength:
		return "invalid_request_error", "context_length_exceeded"
	case plugin.CodeUnsupported:
		return "invalid_request_error", "unsupported_value"
	case plugin.CodeToolCallFailed:
		return "invalid_request_error", "tool_call_generation_failed"
	case plugin.CodeRateLimited:
		return "rate_limit_error", "rate_limit_exceeded"
	case plugin.CodeOverloaded:
		return "service_unavailable_error", "server_is_overloaded"
	case plugin.CodeNoAccount:
		return "service_unavailable_error", "no_account_available"
	case plugin.CodeUpstream:
		return "server_error", "upstream_error"
	case plugin.CodeUpstreamAuth:
		return "server_error", "upstream_auth_error"
	case plugin.CodeUpstreamEmpty:
		return "server_error", "upstream_empty_response"
	case plugin.CodeTimeout:
		return "server_error", "timeout"
	case plugin.CodeClientClosed:
		return "invalid_request_error", "client_closed"
	}
	if status < 500 {
		return "invalid_request_error", string(err.Code)
	}
	return "server_error", ""
}

// AppendErrorBody appends {"error":{...}} for err; see WriteError for contextParam.
func AppendErrorBody(dst []byte, err *plugin.Error, contextParam string) []byte {
	typ, code := ErrorKind(err, ErrorStatus(err))
	msg := err.Message
	if msg == "" {
		msg = http.StatusText(ErrorStatus(err))
	}
	if msg == "" {
		msg = "error"
	}
	param := err.Param
	if param == "" && err.Code == plugin.CodeContextLength {
		param = contextParam
	}
	dst = append(dst, `{"error":{"message":`...)
	dst = dialectkit.AppendString(dst, msg)
	dst = append(dst, `,"type":`...)
	dst = dialectkit.AppendString(dst, typ)
	dst = append(dst, `,"param":`...)
	dst = dialectkit.AppendStringOrNull(dst, param)
	dst = append(dst, `,"code":`...)
	dst = dialectkit.AppendStringOrNull(dst, code)
	return append(dst, "}}"...)
}
