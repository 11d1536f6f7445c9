package service

import (
	"net/http"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// serveHealth answers the health endpoints. /healthz reports that the process serves;
// /readyz also needs at least one account that can take requests now or after a cooldown, so a
// load balancer stops sending traffic to a replica whose accounts all need a new login.
func (g *Gateway) serveHealth(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz":
	case "/readyz":
		if !g.ready() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status":"unavailable","reason":"no usable upstream account"}`))
			return true
		}
	default:
		return false
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok"}`))
	return true
}

func (g *Gateway) ready() bool {
	for _, a := range g.host.Accounts().Accounts() {
		if s := a.State(); s == plugin.AccountOK || s == plugin.AccountCooling {
			return true
		}
	}
	return false
}
