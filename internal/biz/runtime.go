package biz

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Runtime is one compiled configuration: its routes and the plugins they own.
type Runtime struct {
	mux     *http.ServeMux
	chains  []*Chain
	plugins []plugin.Plugin
	logger  *slog.Logger
}

// ServeHTTP dispatches a request to its route.
func (rt *Runtime) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

// Chains returns the compiled routes.
func (rt *Runtime) Chains() []*Chain { return rt.chains }

// Cleanup releases the resources of every plugin of the runtime.
func (rt *Runtime) Cleanup() error {
	var errs []error
	for _, p := range slices.Backward(rt.plugins) {
		if err := plugin.Cleanup(p); err != nil {
			errs = append(errs, err)
		}
	}
	rt.plugins = nil
	return errors.Join(errs...)
}

func (rt *Runtime) notFound(w http.ResponseWriter, r *http.Request) {
	rt.errorDialect(r.URL.Path).WriteError(w, &plugin.Exchange{HTTP: r},
		plugin.Errorf(http.StatusNotFound, plugin.CodeNotFound, "no route for %s %s", r.Method, r.URL.Path))
}

// errorDialect picks the dialect whose route shares the longest path prefix with path.
func (rt *Runtime) errorDialect(path string) errorWriter {
	var best *Chain
	bestLen := -1
	for _, c := range rt.chains {
		for _, p := range c.paths {
			n := commonPrefix(p, path)
			if n > bestLen {
				best, bestLen = c, n
			}
		}
	}
	if best == nil {
		return fallbackErrors{}
	}
	return best.errors
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// pathRoutes serves one path: it dispatches on the method.
type pathRoutes struct {
	byMethod map[string]*Chain
	methods  []string
}

func (p *pathRoutes) any() *Chain { return p.byMethod[p.methods[0]] }

func (p *pathRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.Method
	if method == http.MethodHead {
		if _, ok := p.byMethod[method]; !ok {
			method = http.MethodGet
		}
	}
	if c := p.byMethod[method]; c != nil {
		c.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Allow", strings.Join(p.methods, ", "))
	p.any().errors.WriteError(w, &plugin.Exchange{HTTP: r},
		plugin.Errorf(http.StatusMethodNotAllowed, plugin.CodeInvalidRequest, "method %s is not allowed on %s", r.Method, r.URL.Path))
}
