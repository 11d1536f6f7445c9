package plugin

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Info describes a plugin to the registry.
type Info struct {
	// ID is the namespaced identifier used in a route's `use:` field, such as "auth.apikey":
	// lower-case dot-separated segments of letters, digits and underscores, at least two segments.
	ID string
	// New returns a fresh, zero-configured instance. It is called once per chain entry and load.
	New func() Plugin
}

var registry = struct {
	sync.RWMutex
	m map[string]Info
}{m: make(map[string]Info)}

// Register adds a plugin to the registry. It panics on a malformed or duplicate id, so that
// mistakes surface at start-up; call it from an init function.
func Register(info Info) {
	if err := checkID(info.ID); err != nil {
		panic(err)
	}
	if info.New == nil {
		panic(fmt.Sprintf("plugin: %s registered without a constructor", info.ID))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[info.ID]; dup {
		panic(fmt.Sprintf("plugin: %s registered twice", info.ID))
	}
	registry.m[info.ID] = info
}

// Lookup returns the registered plugin with the given id.
func Lookup(id string) (Info, bool) {
	registry.RLock()
	defer registry.RUnlock()
	info, ok := registry.m[id]
	return info, ok
}

// IDs returns the ids of all registered plugins, sorted.
func IDs() []string {
	registry.RLock()
	defer registry.RUnlock()
	ids := make([]string, 0, len(registry.m))
	for id := range registry.m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func checkID(id string) error {
	segs := strings.Split(id, ".")
	if len(segs) < 2 {
		return fmt.Errorf("plugin: id %q must be namespaced, like \"auth.apikey\"", id)
	}
	for _, s := range segs {
		if s == "" {
			return fmt.Errorf("plugin: id %q has an empty segment", id)
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				return fmt.Errorf("plugin: id %q may only use a-z, 0-9, '_' and '.'", id)
			}
		}
	}
	return nil
}
