package anthropicstore

import (
	"bytes"
	"encoding/json"
	"iter"
	"net/http"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/dialect/anthropic"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// succeededResult returns {"type":"succeeded","message":…} for a Message body, or false when
// body is not a JSON object.
func succeededResult(body []byte) ([]byte, bool) {
	body = bytes.TrimSpace(body)
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		return nil, false
	}
	res := make([]byte, 0, len(body)+40)
	res = append(res, `{"type":"succeeded","message":`...)
	res = append(res, body...)
	return append(res, '}'), true
}

// erroredResult returns {"type":"errored","error":{"type":"error","error":{…},"request_id"}}.
// Like the API's batch results it uses two error types: invalid_request_error for a status
// below 500 and api_error for the others (and for rate limiting, which is not the request's
// fault).
func erroredResult(status int, requestID, msg string) []byte {
	if status >= 500 || status == http.StatusTooManyRequests {
		status = http.StatusInternalServerError
	} else {
		status = http.StatusBadRequest
	}
	if requestID == "" {
		requestID = "req_" + randomHex(12)
	}
	res := append(make([]byte, 0, 128+len(msg)), `{"type":"errored","error":`...)
	res = anthropic.AppendError(res, &plugin.Error{Status: status, Message: msg}, requestID)
	return append(res, '}')
}

// erroredFromResponse returns the errored result for an error response of the messages route.
func erroredFromResponse(status int, body []byte) []byte {
	msg := gjson.GetBytes(body, "error.message").Str
	if msg == "" {
		msg = http.StatusText(status)
		if msg == "" {
			msg = "status " + itoa(status)
		}
	}
	return erroredResult(status, gjson.GetBytes(body, "request_id").Str, msg)
}

// resultLine appends one line of the results file for a finished request.
func resultLine(dst []byte, r store.BatchRequest) []byte {
	dst = append(dst, `{"custom_id":`...)
	dst = appendJSONString(dst, r.CustomID)
	dst = append(dst, `,"result":`...)
	switch {
	case len(r.Result) > 0:
		dst = append(dst, r.Result...)
	case r.State == store.RequestSucceeded || r.State == store.RequestErrored:
		// Only this package finishes requests in these states, always with a result.
		dst = append(dst, erroredResult(500, "", "the result was lost")...)
	default:
		dst = append(dst, `{"type":`...)
		dst = appendJSONString(dst, string(r.State))
		dst = append(dst, '}')
	}
	return append(dst, "}\n"...)
}

// resultsFile renders the results of a batch as JSON Lines.
func resultsFile(rs iter.Seq2[store.BatchRequest, error]) ([]byte, error) {
	var out []byte
	for r, err := range rs {
		if err != nil {
			return nil, err
		}
		out = resultLine(out, r)
	}
	return out, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
}
