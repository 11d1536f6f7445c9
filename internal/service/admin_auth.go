package service

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"

	khttp "github.com/go-kratos/kratos/v2/transport/http"
)

// AdminKeyEnv is the environment variable holding the admin API key.
const AdminKeyEnv = "MIMO_ADMIN_KEY"

// AdminPrefix is the URL path prefix of the admin API.
const AdminPrefix = "/admin/api/"

// AdminFilter guards the admin API: requests under AdminPrefix need "Authorization: Bearer
// <key>" (compared in constant time) and get 401 otherwise; when key is empty the admin API is
// disabled and answers 404. Other paths pass through untouched. Install it with khttp.Filter,
// which replaces the server's filter list, so pass every filter in that one call.
func AdminFilter(key string) khttp.FilterFunc {
	want := sha256.Sum256([]byte(key))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, AdminPrefix) {
				next.ServeHTTP(w, r)
				return
			}
			if key == "" {
				writeAdminError(w, http.StatusNotFound, "NOT_FOUND", "the admin API is disabled: set "+AdminKeyEnv)
				return
			}
			got, ok := bearer(r.Header.Get("Authorization"))
			sum := sha256.Sum256([]byte(got))
			if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mimo2api admin"`)
				writeAdminError(w, http.StatusUnauthorized, "UNAUTHORIZED", "a valid admin key is required")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bearer returns the token of a "Bearer <token>" header value.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// writeAdminError writes an error in the shape of kratos errors: {code, reason, message}.
func writeAdminError(w http.ResponseWriter, status int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b := []byte(`{"code":`)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"reason":"`...)
	b = append(b, reason...)
	b = append(b, `","message":"`...)
	b = append(b, msg...) // fixed ASCII messages without quotes
	w.Write(append(b, "\"}\n"...))
}
