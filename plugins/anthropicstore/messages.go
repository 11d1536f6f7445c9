package anthropicstore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/plugins/dialect/anthropic"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Defaults of the messages.store configuration.
const (
	DefaultRetention     = 30 * 24 * time.Hour
	DefaultPruneInterval = time.Hour
	// saveTimeout bounds one save, which runs after the client may have gone.
	saveTimeout = 5 * time.Second
)

// Store is the messages.store request stage: it saves every message the chain's
// dialect.anthropic completes, for GET /v1/messages/{id}, and prunes old ones.
type Store struct {
	// Retention is how long messages are kept; 0 means 30 days.
	Retention plugin.Duration `json:"retention,omitempty"`
	// PruneInterval is how often messages older than Retention are deleted; 0 means 1h.
	PruneInterval plugin.Duration `json:"prune_interval,omitempty"`

	base
	log  *slog.Logger
	stop context.CancelFunc // stops the pruner
	done sync.WaitGroup
}

// Get is the messages.get terminal: GET /v1/messages/{id} returns the stored message. It has
// no configuration.
type Get struct{ base }

var (
	_ plugin.Stage        = (*Store)(nil)
	_ plugin.Provisioner  = (*Store)(nil)
	_ plugin.Validator    = (*Store)(nil)
	_ plugin.CleanerUpper = (*Store)(nil)
	_ plugin.Terminal     = (*Get)(nil)
	_ plugin.Provisioner  = (*Get)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Store) PluginInfo() plugin.Info {
	return plugin.Info{ID: StoreID, New: func() plugin.Plugin { return new(Store) }}
}

// Provision takes the host's store and starts the pruner.
func (s *Store) Provision(h plugin.Host) error {
	if err := s.provision(h, StoreID); err != nil {
		return err
	}
	if s.Retention == 0 {
		s.Retention = plugin.Duration(DefaultRetention)
	}
	if s.PruneInterval == 0 {
		s.PruneInterval = plugin.Duration(DefaultPruneInterval)
	}
	s.log = h.Logger(StoreID)
	if s.Retention > 0 && s.PruneInterval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		s.stop = cancel
		s.done.Add(1)
		go s.pruneLoop(ctx)
	}
	return nil
}

// Validate checks the durations.
func (s *Store) Validate() error {
	if s.Retention < 0 || s.PruneInterval < 0 {
		return fmt.Errorf("retention and prune_interval must not be negative")
	}
	return nil
}

// Cleanup stops the pruner.
func (s *Store) Cleanup() error {
	if s.stop != nil {
		s.stop()
		s.done.Wait()
		s.stop = nil
	}
	return nil
}

// Handle asks the dialect for the final message and runs the rest of the chain. A hook set
// by an earlier stage still runs, after the save.
func (s *Store) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	prev, _ := anthropic.MessageHook.Get(ex)
	anthropic.MessageHook.Set(ex, func(msg []byte) {
		s.save(ctx, msg)
		if prev != nil {
			prev(msg)
		}
	})
	return next(ctx, ex)
}

// save stores one message; a failure is only logged.
func (s *Store) save(ctx context.Context, msg []byte) {
	id := gjson.GetBytes(msg, "id").Str
	if id == "" {
		s.log.Warn("a completed message has no id; not stored")
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	st, err := s.host.Store()
	if err == nil {
		err = st.PutMessage(ctx, store.Message{ID: id, Model: gjson.GetBytes(msg, "model").Str, Body: append([]byte(nil), msg...)})
	}
	if err != nil {
		s.log.Warn("storing a message failed", "id", id, "error", err)
	}
}

func (s *Store) pruneLoop(ctx context.Context) {
	defer s.done.Done()
	t := time.NewTicker(s.PruneInterval.Std())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.prune(ctx)
		}
	}
}

// prune deletes the messages older than the retention.
func (s *Store) prune(ctx context.Context) {
	st, err := s.host.Store()
	if err != nil {
		s.log.Warn("pruning messages: the store is not available", "error", err)
		return
	}
	n, err := st.Prune(ctx, time.Now().Add(-s.Retention.Std()))
	if err != nil && ctx.Err() == nil {
		s.log.Warn("pruning messages failed", "error", err)
	}
	if n > 0 {
		s.log.Info("pruned old messages", "deleted", n)
	}
}

// PluginInfo implements plugin.Plugin.
func (*Get) PluginInfo() plugin.Info {
	return plugin.Info{ID: GetID, New: func() plugin.Plugin { return new(Get) }}
}

// Provision takes the host's store.
func (g *Get) Provision(h plugin.Host) error { return g.provision(h, GetID) }

// Call answers with the stored message.
func (g *Get) Call(ctx context.Context, ex *plugin.Exchange) error {
	id, err := pathID(ex)
	if err != nil {
		return err
	}
	st, err := g.open()
	if err != nil {
		return err
	}
	m, err := st.GetMessage(ctx, id)
	if err != nil {
		return storeErr(err, func() *plugin.Error { return notFound("Message %s not found", id) })
	}
	reply(ex, m.Body)
	return nil
}
