package session

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// diskEvictEvery bounds how often eviction runs against the persistent store.
const diskEvictEvery = time.Minute

// writeBehind is a Store that answers from memory and persists to a slower store in the
// background, so that recording a turn never waits for a file write. A state missing from memory
// (after a restart or a reload) is read from the persistent store once and kept.
type writeBehind struct {
	mem  *MemoryStore
	disk Store
	log  *slog.Logger

	ops       chan func(context.Context)
	wg        sync.WaitGroup
	closeOnce sync.Once
	lastEvict atomic.Int64 // unix nanoseconds of the last eviction on disk
}

var _ Store = (*writeBehind)(nil)

// newWriteBehind starts the writer; Close stops it after the queued writes.
func newWriteBehind(disk Store, log *slog.Logger) *writeBehind {
	w := &writeBehind{mem: NewMemoryStore(), disk: disk, log: log, ops: make(chan func(context.Context), 1024)}
	w.wg.Add(1)
	go w.run()
	return w
}

func (w *writeBehind) run() {
	defer w.wg.Done()
	ctx := context.Background()
	for op := range w.ops {
		op(ctx)
	}
}

// enqueue hands a write to the writer; when the queue is full the write is dropped (the state
// stays in memory and is written with the conversation's next turn).
func (w *writeBehind) enqueue(what string, op func(context.Context) error) {
	select {
	case w.ops <- func(ctx context.Context) {
		if err := op(ctx); err != nil {
			w.log.Warn("could not persist session state", "op", what, "error", err)
		}
	}:
	default:
		w.log.Warn("session persistence is behind; a write was skipped", "op", what)
	}
}

// Get implements Store.
func (w *writeBehind) Get(ctx context.Context, key string) (State, bool, error) {
	if st, ok, _ := w.mem.Get(ctx, key); ok {
		return st, true, nil
	}
	// Read behind the queued writes, so that a state deleted or replaced a moment ago is not
	// read back.
	type result struct {
		st  State
		ok  bool
		err error
	}
	res := make(chan result, 1)
	select {
	case w.ops <- func(bg context.Context) {
		st, ok, err := w.disk.Get(ctx, key)
		res <- result{st, ok, err}
	}:
	case <-ctx.Done():
		return State{}, false, ctx.Err()
	}
	var r result
	select {
	case r = <-res:
	case <-ctx.Done():
		return State{}, false, ctx.Err()
	}
	st, ok, err := r.st, r.ok, r.err
	if err != nil || !ok {
		return st, ok, err
	}
	w.mem.Put(ctx, "", key, st)
	return st, true, nil
}

// Put implements Store.
func (w *writeBehind) Put(ctx context.Context, from, key string, st State) error {
	w.mem.Put(ctx, from, key, st)
	w.enqueue("put", func(ctx context.Context) error { return w.disk.Put(ctx, from, key, st) })
	return nil
}

// Delete implements Store.
func (w *writeBehind) Delete(ctx context.Context, key string) error {
	w.mem.Delete(ctx, key)
	w.enqueue("delete", func(ctx context.Context) error { return w.disk.Delete(ctx, key) })
	return nil
}

// Evict implements Store: what memory evicts is deleted from the persistent store too (so that
// it is not read back), and a full eviction runs there at most once a minute for states only the
// persistent store holds.
func (w *writeBehind) Evict(ctx context.Context, cutoff time.Time, maxPerAccount int) ([]State, error) {
	keys, removed := w.mem.evict(cutoff, maxPerAccount)
	for _, k := range keys {
		w.enqueue("delete", func(ctx context.Context) error { return w.disk.Delete(ctx, k) })
	}
	now := time.Now().UnixNano()
	if last := w.lastEvict.Load(); now-last >= int64(diskEvictEvery) && w.lastEvict.CompareAndSwap(last, now) {
		w.enqueue("evict", func(ctx context.Context) error {
			_, err := w.disk.Evict(ctx, cutoff, maxPerAccount)
			return err
		})
	}
	return removed, nil
}

// Close writes what is queued and stops the writer.
func (w *writeBehind) Close() {
	w.closeOnce.Do(func() { close(w.ops) })
	w.wg.Wait()
}

// flush waits until the writes queued so far are done.
func (w *writeBehind) flush() {
	done := make(chan struct{})
	w.ops <- func(context.Context) { close(done) }
	<-done
}
