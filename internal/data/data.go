// Package data holds the gateway's data layer: the upstream account pool, the shared HTTP
// client, the tokenizer and, later, the stores.
package data

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/google/wire"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/internal/data/usage"
	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/internal/mimo"
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
	// Catalog is the model catalog (static or discovered).
	Catalog *discovery.Catalog
	// Usage counts requests and tokens per model and account.
	Usage *usage.Memory
	// Prober probes the accounts periodically; nil when pool.probe_interval is 0.
	Prober *Prober

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
	hc := NewHTTPClient()
	aliases := make([]discovery.Alias, 0, len(bc.Discovery.Aliases))
	for _, a := range bc.Discovery.Aliases {
		aliases = append(aliases, discovery.Alias{From: a.From, To: a.To})
	}
	d := &Data{
		HTTP: hc,
		Pool: NewPool(accts, PoolOptions{
			MaxInFlight: bc.Pool.MaxInFlight,
			MaxWait:     bc.Pool.MaxWait.Std(),
			Cooldown:    bc.Pool.Cooldown.Std(),
		}),
		Tokenizer: NewTokenizer(),
		Catalog: discovery.New(discovery.Options{BaseURL: bc.Upstream.BaseURL, HTTP: hc, Static: bc.Models,
			TTL: bc.Discovery.TTL.Std(), Aliases: aliases}),
		Usage: usage.NewMemory(),
	}
	go d.Tokenizer.Warm() // loading the embedded BPE ranks takes a moment; not on a request's path
	d.storePath = filepath.Join(bc.Data.Dir, StoreFile)
	stopProber := func() {}
	if iv := bc.Pool.ProbeInterval.Std(); iv > 0 {
		d.Prober = NewProber(d.Pool, &mimo.Client{BaseURL: bc.Upstream.BaseURL, HTTP: hc},
			ProberOptions{Interval: iv, Model: bc.Pool.ProbeModel, Catalog: d.Catalog})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			d.Prober.Run(ctx)
		}()
		stopProber = func() { cancel(); <-done }
	}
	cleanup := func() {
		stopProber()
		d.HTTP.CloseIdleConnections()
		d.closeStore()
	}
	return d, cleanup, nil
}
