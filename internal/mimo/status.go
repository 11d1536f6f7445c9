package mimo

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// maxErrorBody bounds how much of an error response is read; maxErrorText how much of it is kept
// for logs.
const (
	maxErrorBody = 4 << 10
	maxErrorText = 200
)

// statusError converts a non-200 upstream response into a *plugin.Error and closes its body.
// The account's credentials, not the client's, are at fault for auth failures, so those are
// retryable on another account. The body goes into Err (for logs) only.
func statusError(resp *http.Response) *plugin.Error {
	body := readErrorBody(resp)
	e := statusClass(resp.StatusCode)
	if e.Code == plugin.CodeRateLimited {
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	e.Err = fmt.Errorf("mimo: HTTP %d: %s", resp.StatusCode, body)
	return e
}

// envelopeError converts a JSON error envelope ({"code":…,"msg":…}) received with status 200.
func envelopeError(resp *http.Response) *plugin.Error {
	body := readErrorBody(resp)
	code := int(gjson.Get(body, "code").Int())
	e := statusClass(code)
	if code < 400 || code > 599 {
		e = &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
			Message: "the upstream answered with an error instead of a stream"}
	}
	e.Err = fmt.Errorf("mimo: error envelope: %s", body)
	return e
}

// statusClass maps an upstream status to the gateway's error.
func statusClass(status int) *plugin.Error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusFound || status == http.StatusForbidden:
		return &plugin.Error{Status: http.StatusServiceUnavailable, Code: plugin.CodeUpstreamAuth, Retryable: true,
			Message: "upstream account credentials were rejected"}
	case status == http.StatusTooManyRequests:
		return &plugin.Error{Status: http.StatusTooManyRequests, Code: plugin.CodeRateLimited, Retryable: true,
			Message: "the upstream account is rate limited"}
	case status == http.StatusUnavailableForLegalReasons || status == 461:
		return &plugin.Error{Status: http.StatusServiceUnavailable, Code: plugin.CodePermission, Retryable: true,
			Message: "the upstream account is restricted"}
	case status >= 500 && status <= 599:
		return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
			Message: fmt.Sprintf("the upstream failed with HTTP %d", status)}
	}
	return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream,
		Message: fmt.Sprintf("the upstream answered HTTP %d", status)}
}

// readErrorBody returns the start of an error response body and closes it, reading a bounded
// amount so that the connection can be reused.
func readErrorBody(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody)) // best effort: the status says enough
	return truncate(string(b), maxErrorText)
}

// retryAfter parses a Retry-After header (delay seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// truncate shortens s to at most n bytes on a rune boundary and drops NUL bytes.
func truncate(s string, n int) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
