package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code classifies an error independently of any client dialect. Each dialect maps codes to its
// own error types.
type Code string

// Error codes.
const (
	CodeInvalidRequest Code = "invalid_request"
	CodeAuthentication Code = "authentication"
	CodePermission     Code = "permission"
	CodeNotFound       Code = "not_found"
	CodeTooLarge       Code = "request_too_large"
	CodeUnprocessable  Code = "unprocessable"
	CodeRateLimited    Code = "rate_limited"
	CodeContextLength  Code = "context_length_exceeded"
	CodeUpstream       Code = "upstream"
	CodeUpstreamAuth   Code = "upstream_auth"
	CodeUpstreamEmpty  Code = "upstream_empty"
	CodeOverloaded     Code = "overloaded"
	CodeTimeout        Code = "timeout"
	CodeNoAccount      Code = "no_account"
	CodeInternal       Code = "internal"
	CodeClientClosed   Code = "client_closed"
	CodeToolCallFailed Code = "tool_call_failed"
	CodeUnsupported    Code = "unsupported"
)

// Error is the one error type of the gateway. Dialects render it in their API's shape.
type Error struct {
	// Status is the HTTP status for the client.
	Status int
	// Code classifies the error.
	Code Code
	// Message is shown to the client. It must never contain a secret.
	Message string
	// Param names the offending request field, when there is one.
	Param string
	// Retryable says a selector may retry the request on another account (before commit).
	Retryable bool
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration
	// Err is the underlying cause, for logs; it is not shown to the client.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (%d %s): %v", e.Message, e.Status, e.Code, e.Err)
	}
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given status and code and a formatted message.
func Errorf(status int, code Code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 invalid_request error.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidRequest, format, args...)
}

// AsError converts any error into an *Error: an *Error in the chain is returned as is, context
// cancellation and deadlines become client_closed and timeout errors, and everything else is
// an internal error whose message does not reveal the cause.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Code: CodeTimeout, Message: "the upstream did not answer in time", Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Code: CodeClientClosed, Message: "the request was cancelled", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error", Err: err}
}

// IsRetryable reports whether err allows a retry on another account before commit.
func IsRetryable(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Retryable
}

// HTTPStatus returns the error's status when it is an HTTP error status, and otherwise the
// status its code usually carries (see DefaultStatus).
func (e *Error) HTTPStatus() int {
	if e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	return DefaultStatus(e.Code)
}

// DefaultStatus returns the HTTP status an error code usually carries; 500 for unknown codes.
// Dialects whose API has no such status map it themselves (Anthropic has no 422 and uses 529
// for overload).
func DefaultStatus(c Code) int {
	switch c {
	case CodeInvalidRequest, CodeContextLength, CodeUnsupported:
		return http.StatusBadRequest
	case CodeAuthentication:
		return http.StatusUnauthorized
	case CodePermission:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnprocessable, CodeToolCallFailed:
		return http.StatusUnprocessableEntity
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeUpstream, CodeUpstreamAuth, CodeUpstreamEmpty:
		return http.StatusBadGateway
	case CodeOverloaded, CodeNoAccount:
		return http.StatusServiceUnavailable
	case CodeTimeout:
		return http.StatusGatewayTimeout
	case CodeClientClosed:
		return 499
	}
	return http.StatusInternalServerError
}
