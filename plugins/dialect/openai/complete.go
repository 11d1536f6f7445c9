package openai

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mimo2api/mimo2api/plugins/dialect/dialectkit"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// writeCompletion aggregates s into one chat.completion object. Nothing is written before s
// ends, so an error of s always becomes an error response.
func (c *Chat) writeCompletion(w http.ResponseWriter, ex *plugin.Exchange, req *plugin.Request, s plugin.Stream) error {
	var (
		text, reasoning strings.Builder
		calls           []plugin.ToolCall
		usage           plugin.Usage
		finish          plugin.FinishReason
		finished        bool
	)
	for ev, err := range s {
		if err != nil {
			c.WriteError(w, ex, plugin.AsError(err))
			return err
		}
		switch ev.Kind {
		case plugin.EventText:
			if !finished {
				text.WriteString(ev.Text)
			}
		case plugin.EventReasoning:
			if !finished {
				reasoning.WriteString(ev.Text)
			}
		case plugin.EventToolCall:
			if !finished && ev.Call != nil {
				calls = append(calls, *ev.Call)
			}
		case plugin.EventUsage:
			if ev.Usage != nil {
				usage = *ev.Usage
			}
		case plugin.EventFinish:
			if !finished {
				finished, finish = true, ev.Finish
			}
		}
	}

	id := c.completionID()
	b := make([]byte, 0, 256+text.Len()+reasoning.Len())
	b = append(b, `{"id":`...)
	b = dialectkit.AppendString(b, id)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, c.created(), 10)
	b = append(b, `,"model":`...)
	b = dialectkit.AppendString(b, req.Model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if text.Len() == 0 && len(calls) > 0 {
		b = append(b, "null"...)
	} else {
		b = dialectkit.AppendString(b, text.String())
	}
	if reasoning.Len() > 0 {
		b = append(b, ',')
		b = appendReasoning(b, c.reasoningField(), reasoning.String())
	}
	if len(calls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		prefix := "call_" + strings.TrimPrefix(id, "chatcmpl-") + "_"
		for i, call := range calls {
			if i > 0 {
				b = append(b, ',')
			}
			cid := call.ID
			if cid == "" {
				cid = prefix + strconv.Itoa(i)
			}
			b = appendToolCall(b, -1, cid, call.Name, call.Arguments)
		}
		b = append(b, ']')
	}
	b = append(b, `},"logprobs":null,"finish_reason":`...)
	b = dialectkit.AppendString(b, finishReason(finish, len(calls) > 0))
	b = append(b, `}],"usage":`...)
	b = appendUsage(b, usage)
	b = append(b, "}\n"...)

	h := w.Header()
	copyHeader(h, ex.Response.Header)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// completionID returns a new completion id.
func (c *Chat) completionID() string {
	if c.newID != nil {
		return c.newID()
	}
	return newCompletionID()
}

// created returns the creation time in Unix seconds.
func (c *Chat) created() int64 {
	if c.now != nil {
		return c.now().Unix()
	}
	return time.Now().Unix()
}

// reasoningField returns the configured reasoning field setting.
func (c *Chat) reasoningField() string {
	if c.ReasoningField == "" {
		return ReasoningBoth
	}
	return c.ReasoningField
}
