// Package fetch downloads client-supplied remote URLs (image and file links) without letting a
// client reach the gateway's own network: every connection, including each redirect hop, is
// checked at dial time against the address actually dialled, so DNS rebinding cannot slip a
// private address past the check.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// Defaults of a Fetcher.
const (
	DefaultMaxBytes = 20 << 20
	DefaultTimeout  = 20 * time.Second
	// MaxRedirects is how many redirects a fetch follows.
	MaxRedirects = 5
)

const userAgent = "mimo2api-fetch/1"

// Fetcher downloads remote content. Set its fields before the first Get; it is then safe for
// concurrent use. Connections are not kept alive: fetches go to arbitrary hosts once.
type Fetcher struct {
	// MaxBytes bounds the size of a download; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Timeout bounds a whole fetch, redirects and body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// AllowPrivate turns the address check off (for deployments that fetch from their own network).
	AllowPrivate bool
	// AllowHosts are exempt from the address check: host names (case-insensitive), "*.example.com"
	// wildcards for subdomains, IP addresses and CIDR prefixes (matching the dialled address).
	AllowHosts []string
	// LookupIP resolves a host name; nil means the system resolver. Tests use it to make public-
	// looking names resolve to private addresses.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)

	once   sync.Once
	client *http.Client
	allow  allowList
}

// refusedError is a connection the address check refused.
type refusedError struct{ reason string }

func (e *refusedError) Error() string { return e.reason }

var errTooManyRedirects = errors.New("too many redirects")

func (f *Fetcher) init() {
	f.once.Do(func() {
		if f.MaxBytes <= 0 {
			f.MaxBytes = DefaultMaxBytes
		}
		if f.Timeout <= 0 {
			f.Timeout = DefaultTimeout
		}
		f.allow = newAllowList(f.AllowHosts)
		tr := &http.Transport{
			Proxy:                  nil, // a proxy would dial on our behalf, past the check
			DialContext:            f.dial,
			DisableKeepAlives:      true,
			TLSHandshakeTimeout:    10 * time.Second,
			ResponseHeaderTimeout:  f.Timeout,
			MaxResponseHeaderBytes: 64 << 10,
		}
		f.client = &http.Client{Transport: tr, CheckRedirect: checkRedirect}
	})
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return errTooManyRedirects
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &refusedError{fmt.Sprintf("redirect to a %s: URL", req.URL.Scheme)}
	}
	return nil
}

// dial resolves addr's host, drops every address the check refuses and connects to the first
// remaining one that answers. The check runs on the very address dialled.
func (f *Fetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	exempt := f.AllowPrivate || f.allow.host(host)
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if f.LookupIP != nil {
		addrs, err = f.LookupIP(ctx, host)
		if err != nil {
			return nil, err
		}
	} else if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	var (
		d       net.Dialer
		refused netip.Addr
		lastErr error
	)
	for _, a := range addrs {
		if !exempt && !Public(a) && !f.allow.addr(a) {
			if !refused.IsValid() {
				refused = a
			}
			continue
		}
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	switch {
	case lastErr != nil:
		return nil, lastErr
	case refused.IsValid():
		return nil, &refusedError{fmt.Sprintf("address %s is not public", refused.WithZone("").Unmap())}
	}
	return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
}

// Get downloads rawURL and returns its bytes and media type (without parameters, lower case).
// The type is the response's Content-Type unless that is missing or generic, in which case it is
// sniffed from the content. Errors are *plugin.Error values whose messages start with "URL" (so
// callers can prefix what the URL was for) and never show the URL itself: 400 for refused or
// malformed URLs, 413 for content over MaxBytes, 502 for remote failures, 504 for a timeout.
func (f *Fetcher) Get(ctx context.Context, rawURL string) (data []byte, mediaType string, err error) {
	f.init()
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", plugin.BadRequest("URL must be an absolute http or https URL")
	}
	if u.User != nil {
		return nil, "", plugin.BadRequest("URL refused: credentials in URLs are not allowed")
	}
	tctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(tctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", plugin.BadRequest("URL must be an absolute http or https URL")
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "*/*")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, "", f.failure(ctx, tctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "", &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream,
			Message: fmt.Sprintf("URL fetch failed: the server answered HTTP %d", resp.StatusCode)}
	}
	if resp.ContentLength > f.MaxBytes {
		return nil, "", f.tooLarge()
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, f.MaxBytes+1))
	if err != nil {
		return nil, "", f.failure(ctx, tctx, err)
	}
	if int64(len(data)) > f.MaxBytes {
		return nil, "", f.tooLarge()
	}
	return data, contentType(resp.Header.Get("Content-Type"), data), nil
}

func (f *Fetcher) tooLarge() *plugin.Error {
	return &plugin.Error{Status: http.StatusRequestEntityTooLarge, Code: plugin.CodeTooLarge,
		Message: fmt.Sprintf("URL content is larger than %d bytes", f.MaxBytes)}
}

// failure classifies an error of the request or of reading its body.
func (f *Fetcher) failure(parent, tctx context.Context, err error) *plugin.Error {
	if parent.Err() != nil {
		return plugin.AsError(parent.Err())
	}
	cause := redact(err)
	if re, ok := errors.AsType[*refusedError](err); ok {
		return &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest,
			Message: "URL refused: " + re.reason, Err: cause}
	}
	if errors.Is(err, errTooManyRedirects) {
		return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream,
			Message: fmt.Sprintf("URL fetch failed: more than %d redirects", MaxRedirects), Err: cause}
	}
	if tctx.Err() != nil || isTimeout(err) {
		return &plugin.Error{Status: http.StatusGatewayTimeout, Code: plugin.CodeTimeout,
			Message: fmt.Sprintf("URL fetch timed out after %s", f.Timeout), Err: cause}
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok && de.IsNotFound {
		return &plugin.Error{Status: http.StatusBadRequest, Code: plugin.CodeInvalidRequest,
			Message: fmt.Sprintf("URL refused: host %q could not be resolved", de.Name), Err: cause}
	}
	return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream,
		Message: "URL fetch failed: the server could not be reached", Err: cause}
}

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// redact strips the query and fragment of a *url.Error's URL: they may hold signatures or tokens,
// and the error goes to logs.
func redact(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery, u.Fragment, u.User = "", "", nil
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
		return &url.Error{Op: ue.Op, URL: "(unparsable URL)", Err: ue.Err}
	}
	return err
}

// contentType returns the media type of a response: the header's unless it is missing or
// generic, then the sniffed one.
func contentType(header string, data []byte) string {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil || Generic(mt) {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	return strings.ToLower(mt)
}

// Generic reports whether a media type says nothing about the content, such as
// "application/octet-stream"; such types are worth sniffing.
func Generic(mediaType string) bool {
	switch strings.ToLower(mediaType) {
	case "", "application/octet-stream", "binary/octet-stream", "application/binary",
		"application/unknown", "application/x-download", "application/force-download":
		return true
	}
	return false
}
