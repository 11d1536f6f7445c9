package biz

import (
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/google/wire"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ProviderSet provides the core.
var ProviderSet = wire.NewSet(NewHost)

// TracerName is the instrumentation scope of the gateway's spans.
const TracerName = "github.com/mimo2api/mimo2api"

// Host implements plugin.Host over the data layer.
type Host struct {
	logger   *slog.Logger
	tracer   trace.Tracer
	d        *data.Data
	settings atomic.Pointer[plugin.Settings]
	disp     dispatcher // in-process requests; see dispatch.go
}

var (
	_ plugin.Host           = (*Host)(nil)
	_ store.Host            = (*Host)(nil)
	_ discovery.CatalogHost = (*Host)(nil)
)

// NewHost returns the host handed to every plugin.
func NewHost(bc *conf.Bootstrap, d *data.Data, tp trace.TracerProvider, logger *slog.Logger) *Host {
	h := &Host{logger: logger, tracer: tp.Tracer(TracerName), d: d}
	h.Update(bc)
	return h
}

// Update replaces the deployment settings with bc's; plugins provisioned afterwards (on reload)
// see the new values.
func (h *Host) Update(bc *conf.Bootstrap) {
	h.settings.Store(&plugin.Settings{
		UpstreamURL: bc.Upstream.BaseURL,
		APIKeys:     bc.Auth.APIKeys,
		DataDir:     bc.Data.Dir,
		Models:      bc.ModelList(),
	})
}

// Logger implements plugin.Host.
func (h *Host) Logger(id string) *slog.Logger { return h.logger.With("plugin", id) }

// Tracer implements plugin.Host.
func (h *Host) Tracer() trace.Tracer { return h.tracer }

// HTTPClient implements plugin.Host.
func (h *Host) HTTPClient() *http.Client { return h.d.HTTP }

// Accounts implements plugin.Host.
func (h *Host) Accounts() plugin.AccountPool { return h.d.Pool }

// Tokenizer implements plugin.Host.
func (h *Host) Tokenizer() plugin.Tokenizer { return h.d.Tokenizer }

// Settings implements plugin.Host.
func (h *Host) Settings() plugin.Settings { return *h.settings.Load() }

// Restore puts back settings returned by Settings, after a failed reload.
func (h *Host) Restore(s plugin.Settings) { h.settings.Store(&s) }

// Store implements store.Host: the SQLite store under the data directory, opened on first use.
func (h *Host) Store() (store.Store, error) { return h.d.Store() }

// Catalog implements discovery.CatalogHost: the process's model catalog.
func (h *Host) Catalog() *discovery.Catalog { return h.d.Catalog }
