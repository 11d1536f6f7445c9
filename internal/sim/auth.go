package sim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// UnauthorizedBody is the body of the upstream's 401 answer.
const UnauthorizedBody = `{"code":401,"msg":"unauthorized","data":{"loginUrl":"https://account.xiaomi.com/pass/serviceLogin?sid=xiaomichatbot"}}`

// account returns the credentials a request carries.
func account(r *http.Request) Account {
	get := func(name string) string {
		c, err := r.Cookie(name) // net/http strips surrounding double quotes
		if err != nil {
			return ""
		}
		return c.Value
	}
	return Account{UserID: get("userId"), ServiceToken: get("serviceToken"), PH: get("xiaomichatbot_ph")}
}

// authorized reports whether r carries all three cookies, a xiaomichatbot_ph
// query parameter equal (after URL decoding) to the cookie, and, when the
// server has a fixed account list, credentials from that list.
func (s *Server) authorized(r *http.Request) bool {
	a := account(r)
	if a.UserID == "" || a.ServiceToken == "" || a.PH == "" {
		return false
	}
	if r.URL.Query().Get("xiaomichatbot_ph") != a.PH {
		return false
	}
	return s.accounts == nil || s.accounts[a]
}

// cookieMap returns the request's cookies by name; the first one of a name wins.
func cookieMap(r *http.Request) map[string]string {
	cs := r.Cookies()
	m := make(map[string]string, len(cs))
	for _, c := range cs {
		if _, ok := m[c.Name]; !ok {
			m[c.Name] = c.Value
		}
	}
	return m
}

func writeUnauthorized(w http.ResponseWriter) {
	writeBody(w, http.StatusUnauthorized, UnauthorizedBody)
}

// writeBody writes a complete non-SSE response, JSON if it looks like JSON.
func writeBody(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	if h.Get("Content-Type") == "" {
		if len(body) > 0 && (body[0] == '{' || body[0] == '[') {
			h.Set("Content-Type", "application/json")
		} else {
			h.Set("Content-Type", "text/plain; charset=utf-8")
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// result is the upstream's common response envelope.
type result struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
	Data any    `json:"data"`
}

// fail writes an envelope with a non-zero code.
func fail(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, result{Code: code, Msg: msg})
}

// newID returns 32 random lowercase hex digits.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
