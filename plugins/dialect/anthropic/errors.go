package anthropic

import (
	"math"
	"net/http"
	"strconv"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// StatusOverloaded is Anthropic's status for a temporarily overloaded API.
const StatusOverloaded = 529

// WriteError writes err as an Anthropic error response,
// {"type":"error","error":{"type","message"},"request_id"}, with a request-id header and a
// retry-after header when err.RetryAfter is positive. A client_closed error gets only its
// status: nobody is listening.
func (m *Messages) WriteError(w http.ResponseWriter, _ *plugin.Exchange, err *plugin.Error) {
	if err == nil {
		err = plugin.AsError(errNil)
	}
	status := errorStatus(err)
	if err.Code == plugin.CodeClientClosed {
		w.WriteHeader(status)
		return
	}
	reqID := "req_" + m.id()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Request-Id", reqID)
	h.Del("Content-Length")
	if err.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(err.RetryAfter.Seconds())), 10))
	}
	w.WriteHeader(status)
	body := AppendError(make([]byte, 0, 256), err, reqID)
	w.Write(append(body, '\n')) // a failed write means the client is gone; there is no one to tell
}

// AppendError appends the Anthropic error object for err to dst:
// {"type":"error","error":{"type":…,"message":…}} plus "request_id" when requestID is set.
func AppendError(dst []byte, err *plugin.Error, requestID string) []byte {
	status := errorStatus(err)
	msg := err.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	if msg == "" {
		msg = "error"
	}
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = dialectkit.AppendString(dst, errorType(status))
	dst = append(dst, `,"message":`...)
	dst = dialectkit.AppendString(dst, msg)
	dst = append(dst, '}')
	if requestID != "" {
		dst = append(dst, `,"request_id":`...)
		dst = dialectkit.AppendString(dst, requestID)
	}
	return append(dst, '}')
}

// errorStatus returns the HTTP status for err. Overload and the lack of a usable account are
// 529, Anthropic's "overloaded" status; otherwise err's own status is kept, or derived from its
// code when it is not an error status.
func errorStatus(err *plugin.Error) int {
	switch err.Code {
	case plugin.CodeOverloaded, plugin.CodeNoAccount:
		return StatusOverloaded
	}
	if err.Status >= 400 && err.Status <= 599 {
		return err.Status
	}
	if status := plugin.DefaultStatus(err.Code); status != http.StatusUnprocessableEntity {
		return status
	}
	return http.StatusBadRequest // Anthropic has no 422: an unprocessable request is invalid
}

// errorType returns Anthropic's error type for a status.
func errorType(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case StatusOverloaded:
		return "overloaded_error"
	}
	if status < 500 {
		return "invalid_request_error"
	}
	return "api_error"
}
