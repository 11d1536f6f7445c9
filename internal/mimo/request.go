package mimo

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// baseURL returns the upstream origin without a trailing slash.
func (c *Client) baseURL() string {
	if base := strings.TrimRight(c.BaseURL, "/"); base != "" {
		return base
	}
	return DefaultBaseURL
}

// post sends body as JSON to the API path with the account's cookies and its
// xiaomichatbot_ph query parameter (added to q), as the web app does. Redirects are not
// followed (the upstream redirects logged-out accounts to its login page) and transport errors
// never carry the URL, whose query holds a credential. A non-200 answer comes back as a
// *plugin.Error; the caller closes the body of a 200.
func (c *Client) post(ctx context.Context, acct *plugin.Account, path string, q url.Values, body []byte, accept, userAgent string) (*http.Response, error) {
	base := c.baseURL()
	ph := unquote(acct.PH.Reveal())
	if q == nil {
		q = make(url.Values, 1)
	}
	q.Set("xiaomichatbot_ph", ph)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, &plugin.Error{Status: http.StatusInternalServerError, Code: plugin.CodeInternal,
			Message: "internal error", Err: fmt.Errorf("mimo: invalid upstream URL %q", base)}
	}
	h := req.Header
	h["Accept"] = []string{accept}
	h["Content-Type"] = []string{"application/json"}
	h["Origin"] = []string{siteOrigin}
	h["Referer"] = []string{siteOrigin + "/"}
	h["User-Agent"] = []string{userAgent}
	h["X-Timezone"] = []string{"Asia/Shanghai"}
	h["Cookie"] = []string{"serviceToken=" + unquote(acct.ServiceToken.Reveal()) +
		"; userId=" + unquote(acct.UserID) + "; xiaomichatbot_ph=" + ph}
	resp, err := c.noRedirect().Do(req)
	if err != nil {
		return nil, transportError(ctx, err, "the upstream could not be reached")
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	return resp, nil
}

// userAgent returns the chat User-Agent.
func (c *Client) userAgent() string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	return DefaultUserAgent
}
