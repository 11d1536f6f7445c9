package service

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/mimo2api/mimo2api/internal/account"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/mimo"
)

// ProvideAdmin builds the admin API over the live data layer. Accounts imported earlier (kept
// sealed under the data directory) rejoin the pool. With no admin key the API is not served and
// nothing is read from disk.
func ProvideAdmin(bc *conf.Bootstrap, d *data.Data, gw *Gateway, logger *slog.Logger) (*Admin, error) {
	o := AdminOptions{
		Pool:    d.Pool,
		Prober:  &mimo.Client{BaseURL: bc.Upstream.BaseURL, HTTP: d.HTTP},
		Catalog: d.Catalog,
		Usage:   d.Usage,
		// session.continuity's conversations, from the database once it exists.
		Sessions: &StoreConversations{Path: filepath.Join(bc.Data.Dir, data.StoreFile), Open: d.Store},
		Logger:   logger.With("component", "admin"),
		Reload: func(context.Context) error {
			nbc, err := conf.Load(bc.Source, os.Getenv)
			if err != nil {
				return err
			}
			return gw.Reload(nbc)
		},
	}
	if d.Prober != nil {
		o.Probes = d.Prober
	}
	if bc.Admin.Key == "" {
		return NewAdmin(o), nil
	}
	sealer, err := account.LoadSealer(os.Getenv, bc.Data.Dir)
	if err != nil {
		return nil, err
	}
	o.Store = account.NewStore(bc.Data.Dir, sealer)
	a := NewAdmin(o)
	return a, a.Restore()
}
