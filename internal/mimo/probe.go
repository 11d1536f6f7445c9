package mimo

import (
	"context"
	"strings"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ProbeQuery is the message an account probe sends.
const ProbeQuery = "hi"

// maxProbeReply bounds the reply text a probe keeps.
const maxProbeReply = 200

// Probe checks that an account works: it sends ProbeQuery to model in a new, throw-away
// conversation, reads the answer and deletes the conversation, so the probe leaves nothing in
// the user's history. It returns the start of the reply (at most 200 bytes). A failure of the
// chat is returned as a *plugin.Error (credentials rejected, rate limited, …); a failure to
// delete the conversation afterwards is returned only when the chat itself succeeded.
func (c *Client) Probe(ctx context.Context, acct *plugin.Account, model string) (reply string, err error) {
	convID := NewID()
	stream, err := c.Chat(ctx, acct, ChatRequest{Query: ProbeQuery, ConversationID: convID, Model: model})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for ev, serr := range stream {
		if serr != nil {
			err = serr
			break
		}
		if ev.Kind == plugin.EventText && b.Len() < maxProbeReply {
			b.WriteString(ev.Text)
		}
	}
	// The upstream created the conversation once it answered; delete it even when the stream
	// failed midway, on a context that outlives a cancelled caller by up to 10s.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	derr := c.DeleteConversations(dctx, acct, []string{convID})
	if err != nil {
		return "", err
	}
	if derr != nil {
		return "", derr
	}
	return truncate(b.String(), maxProbeReply), nil
}
