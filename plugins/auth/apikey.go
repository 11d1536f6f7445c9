// Package auth provides client authentication plugins.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func init() {
	plugin.Register(plugin.Info{ID: "auth.apikey", New: func() plugin.Plugin { return new(APIKey) }})
}

// APIKey accepts requests that carry one of the configured keys, as `Authorization: Bearer <key>`
// or `x-api-key: <key>`. Keys are compared in constant time.
type APIKey struct {
	// Keys are the accepted keys. When empty, the deployment's keys (MIMO_API_KEYS or
	// auth.api_keys) are used.
	Keys []string `json:"keys"`
	// AllowAnonymous lets requests through when no key is configured at all. By default a route
	// with no keys refuses every request.
	AllowAnonymous bool `json:"allow_anonymous"`

	hashes [][32]byte
}

var (
	_ plugin.Stage       = (*APIKey)(nil)
	_ plugin.Provisioner = (*APIKey)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*APIKey) PluginInfo() plugin.Info {
	return plugin.Info{ID: "auth.apikey", New: func() plugin.Plugin { return new(APIKey) }}
}

// Provision implements plugin.Provisioner.
func (a *APIKey) Provision(h plugin.Host) error {
	keys := a.Keys
	if len(keys) == 0 {
		keys = h.Settings().APIKeys
	}
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" {
			a.hashes = append(a.hashes, sha256.Sum256([]byte(k)))
		}
	}
	if len(a.hashes) == 0 && !a.AllowAnonymous {
		return errors.New("no API keys configured: set keys, auth.api_keys or MIMO_API_KEYS (or allow_anonymous)")
	}
	return nil
}

// Handle implements plugin.Stage.
func (a *APIKey) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	if len(a.hashes) == 0 {
		return next(ctx, ex)
	}
	key := Key(ex.HTTP)
	if key == "" {
		return plugin.Errorf(http.StatusUnauthorized, plugin.CodeAuthentication,
			"missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'")
	}
	sum := sha256.Sum256([]byte(key))
	ok := 0
	for i := range a.hashes {
		ok |= subtle.ConstantTimeCompare(sum[:], a.hashes[i][:])
	}
	if ok != 1 {
		return plugin.Errorf(http.StatusUnauthorized, plugin.CodeAuthentication, "invalid API key")
	}
	return next(ctx, ex)
}

// Key returns the API key a request carries, or "".
func Key(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest)
		}
	}
	return strings.TrimSpace(r.Header.Get("x-api-key"))
}
