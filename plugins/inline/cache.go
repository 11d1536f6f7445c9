package inline

import (
	"container/list"
	"encoding/json"
	"sync"
	"time"
)

// cacheKey identifies an uploaded file: the account it was uploaded with (uploads belong to an
// account), the SHA-256 of its bytes and, for files whose name is sent upstream, that name.
type cacheKey struct {
	account string
	sum     [32]byte
	name    string
}

type cacheEntry struct {
	key     cacheKey
	media   json.RawMessage
	expires time.Time
}

// cache is a bounded LRU of upload descriptors whose entries expire after a TTL.
type cache struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	now   func() time.Time
	order *list.List // of *cacheEntry, most recently used first
	items map[cacheKey]*list.Element
}

func newCache(size int, ttl time.Duration) *cache {
	return &cache{size: size, ttl: ttl, now: time.Now, order: list.New(), items: make(map[cacheKey]*list.Element)}
}

// get returns the descriptor stored under k, unless it expired.
func (c *cache) get(k cacheKey) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, k)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.media, true
}

// put stores a descriptor, evicting the least recently used entry when full.
func (c *cache) put(k cacheKey, media json.RawMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp := c.now().Add(c.ttl)
	if el, ok := c.items[k]; ok {
		e := el.Value.(*cacheEntry)
		e.media, e.expires = media, exp
		c.order.MoveToFront(el)
		return
	}
	c.items[k] = c.order.PushFront(&cacheEntry{key: k, media: media, expires: exp})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

// len returns the number of entries, expired ones included.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
