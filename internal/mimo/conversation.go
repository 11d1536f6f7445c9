package mimo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

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
	resp, err := c.post(ctx, acct, deletePath, nil, body, "application/json", c.userAgent())
	if err != nil {
		return err
	}
	b := readErrorBody(resp)
	if code := gjson.Get(b, "code"); code.Exists() && code.Int() != 0 {
		return &plugin.Error{Status: http.StatusBadGateway, Code: plugin.CodeUpstream,
			Message: "the upstream refused to delete the conversations", Err: fmt.Errorf("mimo: conversation/delete: %s", b)}
	}
	return nil
}
