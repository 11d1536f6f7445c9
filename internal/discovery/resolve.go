package discovery

import "strings"

// CatalogHost is implemented by a plugin host that shares one process-wide catalog with every
// plugin. Plugins type-assert their plugin.Host to it.
type CatalogHost interface {
	// Catalog returns the shared model catalog.
	Catalog() *Catalog
}

// Resolve maps a client's model name to an upstream model id. It tries, in order: a configured
// alias (case-insensitive), the name itself, the name in lower case, and the name without a
// "-studio" suffix (the web studio's ids, which the chat upstream rejects). ok reports that the
// result is a served model. While the catalog has never obtained a list it cannot tell, so it
// returns the aliased name with ok true rather than reject every request.
func (c *Catalog) Resolve(name string) (upstreamID string, ok bool) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", false
	}
	target := name
	for _, a := range c.opts.Aliases {
		if strings.EqualFold(a.From, name) {
			target = a.To
			break
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maybeRefreshLocked()
	if !c.loaded {
		return target, true
	}
	lower := strings.ToLower(target)
	for _, id := range [...]string{target, lower, strings.TrimSuffix(lower, "-studio")} {
		if _, ok := c.byID[id]; ok {
			return id, true
		}
	}
	return "", false
}
