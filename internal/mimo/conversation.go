package mimo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

const deletePath = "/open-apis/chat/conversation/delete"

// DeleteConversations deletes upstream conversations of the account. The upstream takes a
// JSON array of conversation ids and answers {"code":0,…} on success.
func (c *Client) DeleteConversations(ctx context.Context, acct *plugin.Account, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if acct == nil {
		return &plugin.Error{Status: http.StatusServiceUnavailable, Code: plugin.CodeNoAccount, Message: "no upstream account selected"}
	}
	body, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	ph := unquote(acct.PH.Reveal())
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost,
		base+deletePath+"?xiaomichatbot_ph="+url.QueryEscape(ph), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("mimo: invalid upstream URL %q", base)
	}
	ua := c.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	h := hr.Header
	h["Accept"] = []string{"application/json"}
	h["Content-Type"] = []string{"application/json"}
	h["Origin"] = []string{siteOrigin}
	h["Referer"] = []string{siteOrigin + "/"}
	h["User-Agent"] = []string{ua}
	h["Cookie"] = []string{"serviceToken=" + unquote(acct.ServiceToken.Reveal()) +
		"; userId=" + unquote(acct.UserID) + "; xiaomichatbot_ph=" + ph}
	hc := http.DefaultClient
	if c.HTTP != nil {
		hc = c.HTTP
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = useLastResponse
	noRedirect.Jar = nil
	resp, err := noRedirect.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if ue, ok := errors.AsType[*url.Error](err); ok {
			ue.URL = base + deletePath // the query holds a credential
		}
		return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream, Retryable: true,
			Message: "the upstream could not be reached", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(resp)
	}
	b := readErrorBody(resp)
	if code := gjson.Get(b, "code"); code.Exists() && code.Int() != 0 {
		return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream,
			Message: "the upstream refused to delete the conversations", Err: fmt.Errorf("mimo: conversation/delete: %s", b)}
	}
	return nil
}
