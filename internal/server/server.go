// Package server builds the kratos HTTP server that carries the gateway.
package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/google/wire"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/service"
)

// ProviderSet provides the servers.
var ProviderSet = wire.NewSet(NewHTTPServer)

// NewHTTPServer returns the HTTP server. Its timeout is 0: kratos v2 otherwise cancels every
// request after one second, which kills streams (kratos issues #3775, #3841). Timeouts are
// enforced per route instead.
func NewHTTPServer(bc *conf.Bootstrap, gw *service.Gateway) *http.Server {
	srv := http.NewServer(
		http.Address(bc.Server.Addr),
		http.Timeout(0),
	)
	srv.HandlePrefix("/", gw)
	return srv
}
