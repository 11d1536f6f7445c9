package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01")

// server is a loopback test server that counts its hits.
type server struct {
	*httptest.Server
	hits atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := new(server)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// port returns the server's port.
func (s *server) port(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// resolver makes every name resolve to the given addresses.
func resolver(m map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		a, ok := m[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
}

func wantError(t *testing.T, err error, status int, msg string) {
	t.Helper()
	e, ok := errors.AsType[*plugin.Error](err)
	if !ok {
		t.Fatalf("err = %v (%T), want a *plugin.Error", err, err)
	}
	if e.Status != status || !strings.Contains(e.Message, msg) {
		t.Fatalf("error = %d %q, want %d containing %q", e.Status, e.Message, status, msg)
	}
}

func TestRefused(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write(png) })
	p := s.port(t)
	resolve := resolver(map[string]string{"images.example.com": "10.1.2.3", "rebind.example.com": "127.0.0.1"})
	tests := []struct {
		name, url, msg string
	}{
		{"loopback v4", "http://127.0.0.1:" + p + "/a.png", "address 127.0.0.1 is not public"},
		{"loopback default port", "http://127.0.0.1/a.png", "address 127.0.0.1 is not public"},
		{"loopback v6", "http://[::1]:" + p + "/a.png", "address ::1 is not public"},
		{"metadata", "http://169.254.169.254/latest/meta-data", "address 169.254.169.254 is not public"},
		{"mapped v6", "http://[::ffff:127.0.0.1]:" + p + "/", "address 127.0.0.1 is not public"},
		{"unspecified", "http://0.0.0.0:" + p + "/", "address 0.0.0.0 is not public"},
		{"cgnat", "http://100.64.0.1/", "address 100.64.0.1 is not public"},
		{"public name, private address", "http://images.example.com/cat.png", "address 10.1.2.3 is not public"},
		{"rebinding name", "http://rebind.example.com:" + p + "/a.png", "address 127.0.0.1 is not public"},
		{"unknown host", "http://nowhere.example.com/", `host "nowhere.example.com" could not be resolved`},
		{"file scheme", "file:///etc/passwd", "must be an absolute http or https URL"},
		{"gopher", "gopher://127.0.0.1/", "must be an absolute http or https URL"},
		{"userinfo", "http://u:p@images.example.com/", "credentials in URLs are not allowed"},
	}
	f := &Fetcher{LookupIP: resolve, Timeout: 5 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.Get(t.Context(), tt.url)
			wantError(t, err, http.StatusBadRequest, tt.msg)
		})
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
}

func TestRedirectToPrivateRefused(t *testing.T) {
	inner := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) })
	outer := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/secret", http.StatusFound)
	})
	f := &Fetcher{
		AllowHosts: []string{"allowed.test"},
		LookupIP:   resolver(map[string]string{"allowed.test": "127.0.0.1"}),
	}
	_, _, err := f.Get(t.Context(), "http://allowed.test:"+outer.port(t)+"/img")
	wantError(t, err, http.StatusBadRequest, "URL refused: address 127.0.0.1 is not public")
	if outer.hits.Load() != 1 || inner.hits.Load() != 0 {
		t.Errorf("hits: allowed server %d, private server %d; want 1 and 0", outer.hits.Load(), inner.hits.Load())
	}
}

func TestRedirects(t *testing.T) {
	var s *server
	s = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if n > 0 {
			http.Redirect(w, r, "/"+strconv.Itoa(n-1), http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	})
	f := &Fetcher{AllowPrivate: true}
	data, mt, err := f.Get(t.Context(), s.URL+"/5")
	if err != nil || mt != "image/png" || string(data) != string(png) {
		t.Fatalf("5 redirects: mime %q, %d bytes, err %v", mt, len(data), err)
	}
	_, _, err = f.Get(t.Context(), s.URL+"/6")
	wantError(t, err, http.StatusBadGateway, "more than 5 redirects")

	bad := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	_, _, err = f.Get(t.Context(), bad.URL)
	wantError(t, err, http.StatusBadRequest, "redirect to a file: URL")
}

func TestAllowPrivateAndHosts(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	})
	tests := []struct {
		name string
		f    *Fetcher
		ok   bool
	}{
		{"default refuses", &Fetcher{}, false},
		{"allow_private", &Fetcher{AllowPrivate: true}, true},
		{"allowed address", &Fetcher{AllowHosts: []string{"127.0.0.1"}}, true},
		{"allowed prefix", &Fetcher{AllowHosts: []string{"127.0.0.0/8"}}, true},
		{"other prefix", &Fetcher{AllowHosts: []string{"10.0.0.0/8", "*.example.com"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, mt, err := tt.f.Get(t.Context(), s.URL+"/a.png")
			if !tt.ok {
				wantError(t, err, http.StatusBadRequest, "is not public")
				return
			}
			if err != nil || mt != "image/png" || len(data) != len(png) {
				t.Fatalf("mime %q, %d bytes, err %v", mt, len(data), err)
			}
		})
	}
	l := newAllowList([]string{"*.example.com", "Img.Test."})
	for h, want := range map[string]bool{"a.example.com": true, "example.com": false, "img.test": true, "IMG.TEST": true, "evilexample.com": false} {
		if got := l.host(h); got != want {
			t.Errorf("allowed(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestSizeCap(t *testing.T) {
	body := strings.Repeat("x", 1000)
	tests := []struct {
		name    string
		max     int64
		chunked bool
		status  int
	}{
		{"content-length over", 999, false, http.StatusRequestEntityTooLarge},
		{"chunked over", 999, true, http.StatusRequestEntityTooLarge},
		{"exact fit", 1000, false, 0},
		{"exact fit chunked", 1000, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				if tt.chunked {
					w.(http.Flusher).Flush() // no Content-Length: the body is chunked
				} else {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				}
				w.Write([]byte(body))
			})
			f := &Fetcher{AllowPrivate: true, MaxBytes: tt.max}
			data, _, err := f.Get(t.Context(), s.URL)
			if tt.status != 0 {
				wantError(t, err, tt.status, "larger than")
				return
			}
			if err != nil || len(data) != len(body) {
				t.Fatalf("%d bytes, err %v", len(data), err)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	f := &Fetcher{AllowPrivate: true, Timeout: 50 * time.Millisecond}
	_, _, err := f.Get(t.Context(), s.URL)
	wantError(t, err, http.StatusGatewayTimeout, "timed out")

	// A cancelled caller is not a timeout.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = f.Get(ctx, s.URL)
	if e := plugin.AsError(err); e.Code != plugin.CodeClientClosed {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestRemoteStatus(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	_, _, err := (&Fetcher{AllowPrivate: true}).Get(t.Context(), s.URL+"/missing?token=SECRET")
	wantError(t, err, http.StatusBadGateway, "HTTP 404")
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error shows the URL query: %v", err)
	}
}

func TestNoSecretInCause(t *testing.T) {
	f := &Fetcher{Timeout: time.Second}
	_, _, err := f.Get(t.Context(), "http://127.0.0.1:1/x?sig=SECRET")
	wantError(t, err, http.StatusBadRequest, "not public")
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error shows the URL query: %v", err)
	}
}

func TestContentType(t *testing.T) {
	tests := []struct {
		name, header string
		data         []byte
		want         string
	}{
		{"header", "image/webp", png, "image/webp"},
		{"header with params", "Text/Plain; charset=utf-8", []byte("hi"), "text/plain"},
		{"missing", "", png, "image/png"},
		{"generic", "application/octet-stream", png, "image/png"},
		{"sniffed text", "binary/octet-stream", []byte("hello"), "text/plain"},
		{"malformed", "image/", []byte("%PDF-1.7\n"), "application/pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := contentType(tt.header, tt.data); got != tt.want {
				t.Errorf("contentType(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}
