//go:build wireinject

//go:generate go tool wire

package mimo2apicmd

import (
	"log/slog"

	"github.com/google/wire"

	"github.com/mimo2api/mimo2api/internal/biz"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/server"
	"github.com/mimo2api/mimo2api/internal/service"
	"github.com/mimo2api/mimo2api/internal/telemetry"
)

// wireApp assembles the application skeleton: config → tracer provider → data → core → metrics → service → server.
func wireApp(*conf.Bootstrap, *slog.Logger) (*App, func(), error) {
	panic(wire.Build(telemetry.ProviderSet, data.ProviderSet, biz.ProviderSet, service.ProviderSet, server.ProviderSet, newApp))
}
