package store

import "fmt"

// Host is implemented by a plugin host that offers the store. Plugins in this module reach it
// with a type assertion on their plugin.Host:
//
//	sh, ok := h.(store.Host)
type Host interface {
	// Store returns the shared store, opening it on first use.
	Store() (Store, error)
}

// HostOf returns the store host behind a plugin host, or an error naming the plugin id that
// needs one.
func HostOf(h any, id string) (Host, error) {
	sh, ok := h.(Host)
	if !ok {
		return nil, fmt.Errorf("%s needs a host that offers the gateway's store", id)
	}
	return sh, nil
}
