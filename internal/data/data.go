// Package data holds the gateway's data layer: the upstream account pool, the shared HTTP
// client, the tokenizer and, later, the stores.
package data

import (
	"net/http"

	"github.com/google/wire"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ProviderSet provides the data layer.
var ProviderSet = wire.NewSet(NewData)

// Data holds the shared data-layer services.
type Data struct {
	// HTTP is the pooled upstream client.
	HTTP *http.Client
	// Pool is the account pool.
	Pool *Pool
	// Tokenizer counts tokens.
	Tokenizer *Tokenizer
}

// NewData builds the data layer from the configuration.
func NewData(bc *conf.Bootstrap) (*Data, func(), error) {
	accts := make([]*plugin.Account, 0, len(bc.Accounts))
	for _, a := range bc.Accounts {
		accts = append(accts, &plugin.Account{ID: a.UserID, UserID: a.UserID, ServiceToken: plugin.Secret(a.ServiceToken), PH: plugin.Secret(a.PH)})
	}
	d := &Data{
		HTTP: NewHTTPClient(),
		Pool: NewPool(accts, PoolOptions{
			MaxInFlight: bc.Pool.MaxInFlight,
			MaxWait:     bc.Pool.MaxWait.Std(),
			Cooldown:    bc.Pool.Cooldown.Std(),
		}),
		Tokenizer: NewTokenizer(),
	}
	cleanup := func() { d.HTTP.CloseIdleConnections() }
	return d, cleanup, nil
}
