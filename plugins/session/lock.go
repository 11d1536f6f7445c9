package session

import (
	"context"
	"sync"
)

// locks serialises the requests of one conversation: one holder per key, waiters respect
// their context. Entries live only while some request holds or waits for them.
type locks struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	sem  chan struct{} // holds a token while locked
	refs int           // holders and waiters
}

// lock waits for the key's lock and returns its unlock function, which must be called once.
func (l *locks) lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*lockEntry)
	}
	e := l.m[key]
	if e == nil {
		e = &lockEntry{sem: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.sem <- struct{}{}:
		var once sync.Once
		return func() {
			once.Do(func() {
				<-e.sem
				l.done(key, e)
			})
		}, nil
	case <-ctx.Done():
		l.done(key, e)
		return nil, ctx.Err()
	}
}

// done drops one reference to e and forgets it when nobody uses it.
func (l *locks) done(key string, e *lockEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.m, key)
	}
}

// size returns the number of keys in use.
func (l *locks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
