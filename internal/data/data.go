// Package data holds the gateway's data layer: the upstream account pool, the shared HTTP
// client, the tokenizer and, later, the stores.
package data

import (
	"net/http"
	"path/filepath"
	"sync"

	"github.com/google/wire"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data/store"
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

	storePath string
	storeMu   sync.Mutex
	store     *store.SQLite
}

// StoreFile is the database file name under the data directory.
const StoreFile = "mimo2api.db"

// Store returns the SQLite store under the data directory, opening it on first use, so that
// deployments whose routes keep no state never create the file.
func (d *Data) Store() (store.Store, error) {
	d.storeMu.Lock()
	defer d.storeMu.Unlock()
	if d.store == nil {
		s, err := store.OpenSQLite(d.storePath, store.Options{})
		if err != nil {
			return nil, err
		}
		d.store = s
	}
	return d.store, nil
}

func (d *Data) closeStore() {
	d.storeMu.Lock()
	defer d.storeMu.Unlock()
	if d.store != nil {
		d.store.Close()
		d.store = nil
	}
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
	d.storePath = filepath.Join(bc.Data.Dir, StoreFile)
	cleanup := func() {
		d.HTTP.CloseIdleConnections()
		d.closeStore()
	}
	return d, cleanup, nil
}
