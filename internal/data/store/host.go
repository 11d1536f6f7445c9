package store

// Host is implemented by a plugin host that offers the store. Plugins in this module reach it
// with a type assertion on their plugin.Host:
//
//	sh, ok := h.(store.Host)
type Host interface {
	// Store returns the shared store, opening it on first use.
	Store() (Store, error)
}
