// Package service exposes the compiled routes over HTTP: it holds the current runtime, swaps it
// atomically on reload, serves health endpoints and starts the server span of each request.
package service

import "github.com/google/wire"

// ProviderSet provides the gateway.
var ProviderSet = wire.NewSet(ProvideGateway, ProvideAdmin)
