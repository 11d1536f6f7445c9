package session

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/plugins/plugin"
	"github.com/mimo2api/mimo2api/plugins/selector"
	"github.com/mimo2api/mimo2api/plugins/upstream"
)

// How a turn uses the upstream.
const (
	modeNew      = "new"      // a new conversation with the full history
	modeContinue = "continue" // the stored conversation, new messages only
	modeRotate   = "rotate"   // a new conversation with the recent messages
)

// turn is one request's plan.
type turn struct {
	key      string // store key the conversation was looked up under; "" for none
	explicit bool   // key comes from the session header
	prev     State  // stored state, when found
	found    bool   // prev is set
	used     bool   // the turn continues or rotates prev
	mode     string // modeNew, modeContinue or modeRotate
	nonsys   []plugin.Message
	full     string // hash of the whole history: the next turn's prefix
	system   string // hash of the system messages
	query    string // the query this stage set, or "" when upstream.mimo flattens everything
	model    string // the upstream model
}

// Handle continues the request's upstream conversation when it can, runs the rest of the chain
// and records the conversation's new state when the answer completes.
func (c *Continuity) Handle(ctx context.Context, ex *plugin.Exchange, next plugin.Next) error {
	r := ex.Request
	if r == nil || ex.HTTP == nil {
		return next(ctx, ex)
	}
	nonsys, sys := split(r.Messages)
	t := &turn{mode: modeNew, nonsys: nonsys, system: systemHash(sys)}
	want := -1 // the Seen a fingerprint match must have
	var prefix string
	if id := ex.HTTP.Header.Get(c.Header); id != "" {
		t.key, t.explicit = idKey(ex.HTTP, id), true
		_, t.full = prefixHashes(ex.HTTP, nonsys, len(nonsys))
	} else {
		j := lastAssistant(nonsys)
		prefix, t.full = prefixHashes(ex.HTTP, nonsys, max(j, 0))
		if j >= 0 && !c.DisableFingerprint {
			t.key, want = "fp:"+prefix, j+1
		}
	}

	unlock := func() {}
	if t.key != "" {
		u, err := c.locks.lock(ctx, t.key)
		if err != nil {
			return err
		}
		unlock = u
		st, ok, err := c.store.Get(ctx, t.key)
		if err != nil {
			if ctx.Err() != nil {
				unlock()
				return ctx.Err()
			}
			// Start over with the full history rather than fail the request.
			c.log.Warn("reading the session failed", "error", err.Error())
		}
		t.prev, t.found = st, ok && err == nil
		if t.found && c.continues(ex, t, want, prefix) {
			t.mode, t.used = modeContinue, true
			if c.RotateTokens > 0 && st.PromptTokens >= c.RotateTokens {
				t.mode = modeRotate
			}
		}
	}
	c.apply(ex, t, sys)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String("session.mode", t.mode), attribute.Bool("session.explicit", t.explicit))
	}

	err := next(ctx, ex)
	if err != nil || ex.Response.Events == nil {
		unlock()
		return err
	}
	conv, _ := upstream.ConversationID.Get(ex)
	t.model = r.TargetModel()
	ex.Response.Events = c.record(ex.Response.Events, t, ex.Account, conv, unlock)
	return nil
}

// continues reports whether the stored state t.prev can be continued by this request.
func (c *Continuity) continues(ex *plugin.Exchange, t *turn, want int, prefix string) bool {
	st := &t.prev
	if c.TTL > 0 && c.now().Sub(st.LastUsed) > c.TTL.Std() {
		return false
	}
	if st.Seen < 1 || st.Seen >= len(t.nonsys) || (want >= 0 && st.Seen != want) {
		return false
	}
	if !answerMatches(&t.nonsys[st.Seen-1], st.Answer) {
		return false
	}
	if prefix == "" {
		prefix, _ = prefixHashes(ex.HTTP, t.nonsys, st.Seen-1)
	}
	return prefix == st.Prefix
}

// apply sets the upstream and selector keys for the turn.
func (c *Continuity) apply(ex *plugin.Exchange, t *turn, sys []plugin.Message) {
	switch t.mode {
	case modeContinue:
		msgs := t.nonsys[t.prev.Seen:]
		if t.system != t.prev.System {
			msgs = append(append(make([]plugin.Message, 0, len(sys)+len(msgs)), sys...), msgs...)
		}
		t.query = mimo.Flatten(msgs)
		upstream.ConversationID.Set(ex, t.prev.ConversationID)
		upstream.Query.Set(ex, t.query)
		selector.Preferred.Set(ex, t.prev.Account)
		selector.Switched.Set(ex, func(ex *plugin.Exchange) {
			// The preferred account is unusable: start over on the new one.
			upstream.ConversationID.Delete(ex)
			upstream.Query.Delete(ex)
			t.mode, t.query = modeNew, ""
		})
	case modeRotate:
		start := min(t.prev.Seen, max(0, len(t.nonsys)-c.RotateKeep))
		msgs := append(append(make([]plugin.Message, 0, len(sys)+len(t.nonsys)-start), sys...), t.nonsys[start:]...)
		t.query = mimo.Flatten(msgs)
		upstream.Query.Set(ex, t.query)
	}
}

// record wraps the answer stream: when it ends without error and was read to the end, the
// conversation's new state is stored. unlock runs when the stream ends in any way.
func (c *Continuity) record(s plugin.Stream, t *turn, acct *plugin.Account, conv string, unlock func()) plugin.Stream {
	return func(yield func(plugin.Event, error) bool) {
		defer unlock()
		var (
			answer []rune
			usage  *plugin.Usage
		)
		for ev, err := range s {
			if err != nil {
				yield(ev, err)
				return
			}
			switch ev.Kind {
			case plugin.EventText:
				answer = compact(answer, ev.Text)
			case plugin.EventUsage:
				usage = ev.Usage
			}
			if !yield(ev, nil) {
				return
			}
		}
		if acct != nil && conv != "" {
			c.save(t, acct.ID, conv, string(answer), usage)
		}
	}
}

// save stores the state after a completed turn and sweeps old conversations.
func (c *Continuity) save(t *turn, account, conv, answer string, usage *plugin.Usage) {
	ctx := context.Background()
	now := c.now()
	st := State{
		Account:        account,
		ConversationID: conv,
		Seen:           len(t.nonsys) + 1,
		Prefix:         t.full,
		Answer:         answer,
		System:         t.system,
		Model:          t.model,
		Created:        now,
		LastUsed:       now,
	}
	same := t.found && t.prev.ConversationID == conv && t.prev.Account == account
	if same {
		st.Created = t.prev.Created
		st.PromptTokens = t.prev.PromptTokens
		st.Turns = t.prev.Turns
	}
	st.Turns++
	if usage != nil && usage.PromptTokens > 0 {
		st.PromptTokens = max(st.PromptTokens, usage.PromptTokens)
	} else {
		// No report: estimate from what was sent.
		q := t.query
		if q == "" {
			q = mimo.Flatten(t.nonsys)
		}
		st.PromptTokens += c.tok.Count(q)
	}
	key, from := t.key, ""
	if t.used {
		from = t.key
	}
	if !t.explicit {
		if c.DisableFingerprint {
			return
		}
		key = "fp:" + t.full
	}
	if err := c.store.Put(ctx, from, key, st); err != nil {
		c.log.Warn("storing the session failed", "error", err.Error())
		return
	}
	var gone []State
	// The previous conversation is gone when this turn moved it to another upstream
	// conversation (rotation, another account) or an explicit id now names a new one. A
	// fingerprint match that was not continued belongs to another conversation and stays.
	if t.found && !same && (t.used || t.explicit) {
		gone = append(gone, t.prev)
	}
	cutoff := now.Add(-c.TTL.Std())
	if c.TTL <= 0 {
		cutoff = now.AddDate(-100, 0, 0)
	}
	evicted, err := c.store.Evict(ctx, cutoff, c.MaxPerAccount)
	if err != nil {
		c.log.Warn("evicting sessions failed", "error", err.Error())
	}
	c.forget(append(gone, evicted...)...)
}
