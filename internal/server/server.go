// Package server builds the kratos HTTP server that carries the gateway.
package server

import (
	"github.com/go-kratos/kratos/v2/transport/http"
	"github.com/google/wire"

	adminv1 "github.com/mimo2api/mimo2api/api/admin/v1"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/service"
	"github.com/mimo2api/mimo2api/internal/telemetry"
)

// ProviderSet provides the servers.
var ProviderSet = wire.NewSet(NewHTTPServer)

// NewHTTPServer returns the HTTP server. Its timeout is 0: kratos v2 otherwise cancels every
// request after one second, which kills streams (kratos issues #3775, #3841). Timeouts are
// enforced per route instead.
//
// The admin API (under /admin/api/, behind its own bearer key) and the Prometheus scrape
// endpoint (telemetry.metrics.path, behind telemetry.metrics.key when set) are registered
// before the gateway's catch-all route; without an admin key the admin API is not served at
// all, and without the Prometheus exporter there is no scrape endpoint. m may be nil.
func NewHTTPServer(bc *conf.Bootstrap, gw *service.Gateway, admin *service.Admin, m *telemetry.Metrics) *http.Server {
	srv := http.NewServer(
		http.Address(bc.Server.Addr),
		http.Timeout(0),
		http.Filter(service.AdminFilter(bc.Admin.Key)),
	)
	if bc.Admin.Key != "" {
		adminv1.RegisterAdminHTTPServer(srv, admin)
	}
	if path, h := m.Endpoint(); h != nil {
		srv.Handle(path, h)
	}
	srv.HandlePrefix("/", gw)
	return srv
}
