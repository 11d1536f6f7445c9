// Package session holds session.continuity, the request stage that continues upstream
// conversations instead of resending the whole history on every turn.
//
// The MiMo web chat keeps a conversation's context upstream. Clients of the OpenAI and
// Anthropic APIs resend the whole history with every request; sending it again as one query
// would repeat it inside the upstream conversation (or, in a fresh conversation every time,
// cost the whole prompt per turn and hit the upstream's query length limit). The stage
// recognises a conversation, remembers which upstream conversation and account hold it and how
// much of the history the upstream has seen, and sends only the rest.
//
// Place it after the dialect and any prompt stage (it reads the final canonical messages) and
// before the selector (it names the preferred account):
//
//	chain: [auth.apikey, dialect.openai_chat, prompt.mimoml, session.continuity,
//	        select.round_robin, guard.query_length, upstream.mimo, sieve.tools]
//
// # Recognising a conversation
//
// Messages are split into system messages (which internal/mimo.Flatten lifts into one leading
// "system:" line) and the others, the history. With the X-MiMo-Session-Id header (the name is
// configurable) the header value names the conversation. Without it the conversation is found
// by fingerprint: the history is cut before its last assistant message (the upstream's previous
// answer, which clients re-serialise in their own way) and the SHA-256 of the messages before
// the cut (role, text parts, the kind and size of media parts, tool calls with id, name and
// arguments, the tool result's call id; every field length-prefixed) is the key. A history
// without an assistant message is a first turn: it starts a new conversation and is not
// serialised. Both kinds of key also hash the client's Authorization and X-Api-Key headers, so
// clients never share conversations.
//
// A stored conversation is continued when it has not expired, the history starts with the
// messages it has seen (same prefix hash, and the client's copy of the last answer starts like
// the answer the upstream gave, ignoring white space), and at least one message follows. Then
// upstream.ConversationID is the stored conversation, upstream.Query is the Flatten of only the
// messages after the seen ones — every new message, tool results included — and
// selector.Preferred is the stored account. The system messages are sent again (first, as
// Flatten renders them) only when their hash changed since the conversation was last given
// them. Anything else (an edited or forked history, an expired or unknown conversation) starts
// a new upstream conversation with the full history; with an explicit session id the new
// conversation replaces the old one under that id.
//
// When the selector cannot use the preferred account and falls back to another one
// (selector.Switched), the turn becomes a new conversation with the full history on that
// account.
//
// # Recording
//
// After a turn whose answer stream ended without error and was read to the end, the stage
// records the account and conversation that served it, the history length plus one (the
// upstream saw its own answer), the start of the answer and the prompt tokens (the largest
// upstream report; the upstream counts the whole conversation). A failed or aborted turn
// changes nothing. Requests of one conversation are serialised until the answer stream ends;
// waiting respects the request's context.
//
// # Rotation and expiry
//
// Once a conversation's prompt tokens reach rotate_tokens, its next turn starts a new upstream
// conversation whose first query holds the system messages and the last rotate_keep history
// messages (more when more are new). Conversations idle for longer than ttl are forgotten, and
// each account keeps at most max_per_account conversations (least recently used ones go
// first). With delete_expired the forgotten, replaced and rotated-away upstream conversations
// are deleted upstream in the background.
//
// # Storage
//
// When the host offers the gateway's database (internal/data/store.Host), states live there
// ([SQLStore]; the database is opened, and created, at first use), so conversations
// survive restarts and configuration reloads and the admin API lists them. Every
// session.continuity entry of the host shares that table; ttl and max_per_account apply to the
// entry that records a turn. With persist: false, or a host without a database, states live in
// memory ([MemoryStore]), per chain entry, and are lost on restart and reload. A failing store
// never fails a request: the turn starts a new upstream conversation with the full history.
package session

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mimo2api/mimo2api/internal/data/store"
	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// ID is the plugin id of the stage.
const ID = "session.continuity"

func init() {
	plugin.Register(plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Continuity) }})
}

// Defaults of the configuration.
const (
	DefaultHeader        = "X-MiMo-Session-Id"
	DefaultRotateTokens  = 150000
	DefaultRotateKeep    = 8
	DefaultTTL           = 72 * time.Hour
	DefaultMaxPerAccount = 50
)

// deleteTimeout bounds one background conversation/delete call.
const deleteTimeout = 30 * time.Second

// Continuity is the session.continuity request stage.
type Continuity struct {
	// Header names the request header that carries an explicit session id (default
	// "X-MiMo-Session-Id").
	Header string `json:"header,omitempty"`
	// DisableFingerprint turns off recognising conversations by their history; only requests
	// with the header continue conversations.
	DisableFingerprint bool `json:"disable_fingerprint,omitempty"`
	// RotateTokens is the prompt size at which a conversation moves to a new upstream
	// conversation (default 150000; -1 never rotates).
	RotateTokens int `json:"rotate_tokens,omitempty"`
	// RotateKeep is how many recent history messages the first query of a rotated
	// conversation carries (default 8).
	RotateKeep int `json:"rotate_keep,omitempty"`
	// TTL is how long an idle conversation is remembered (default 72h).
	TTL plugin.Duration `json:"ttl,omitempty"`
	// MaxPerAccount bounds the conversations remembered per account; the least recently used
	// go first (default 50).
	MaxPerAccount int `json:"max_per_account,omitempty"`
	// DeleteExpired deletes forgotten, replaced and rotated-away conversations upstream.
	DeleteExpired bool `json:"delete_expired,omitempty"`
	// BaseURL is the upstream for deletions; it defaults to the host's upstream URL.
	BaseURL string `json:"base_url,omitempty"`
	// Persist keeps the states in the host's database, across restarts and reloads (default
	// true); false keeps them in memory, per chain entry.
	Persist *bool `json:"persist,omitempty"`

	store  Store
	locks  locks
	pool   plugin.AccountPool
	tok    plugin.Tokenizer
	log    *slog.Logger
	client mimo.Client
	now    func() time.Time

	bg   context.Context // background deletions; cancelled by Cleanup
	stop context.CancelFunc
	wg   sync.WaitGroup
}

var (
	_ plugin.Stage        = (*Continuity)(nil)
	_ plugin.Provisioner  = (*Continuity)(nil)
	_ plugin.Validator    = (*Continuity)(nil)
	_ plugin.CleanerUpper = (*Continuity)(nil)
)

// PluginInfo implements plugin.Plugin.
func (*Continuity) PluginInfo() plugin.Info {
	return plugin.Info{ID: ID, New: func() plugin.Plugin { return new(Continuity) }}
}

// Provision fills the defaults and takes the host's pool, tokenizer and HTTP client.
func (c *Continuity) Provision(h plugin.Host) error {
	if c.Header == "" {
		c.Header = DefaultHeader
	}
	if c.RotateTokens == 0 {
		c.RotateTokens = DefaultRotateTokens
	}
	if c.RotateKeep == 0 {
		c.RotateKeep = DefaultRotateKeep
	}
	if c.TTL == 0 {
		c.TTL = plugin.Duration(DefaultTTL)
	}
	if c.MaxPerAccount == 0 {
		c.MaxPerAccount = DefaultMaxPerAccount
	}
	if c.BaseURL == "" {
		c.BaseURL = h.Settings().UpstreamURL
	}
	if sh, ok := h.(store.Host); ok && (c.Persist == nil || *c.Persist) {
		// Opened at first use (validating a configuration creates no file); turns are recorded
		// in memory and written behind, off the request's path.
		c.store = newWriteBehind(NewSQLStore(sh), h.Logger(ID))
	} else {
		c.store = NewMemoryStore()
	}
	c.pool = h.Accounts()
	c.tok = h.Tokenizer()
	c.log = h.Logger(ID)
	c.client = mimo.Client{BaseURL: c.BaseURL, HTTP: h.HTTPClient()}
	c.now = time.Now
	c.bg, c.stop = context.WithCancel(context.Background())
	return nil
}

// Validate checks the configuration.
func (c *Continuity) Validate() error {
	switch {
	case c.RotateTokens < -1:
		return fmt.Errorf("rotate_tokens %d: want a positive count or -1", c.RotateTokens)
	case c.RotateKeep < 1:
		return fmt.Errorf("rotate_keep %d: want at least 1", c.RotateKeep)
	case c.TTL < 0:
		return fmt.Errorf("ttl %s: want a positive duration", c.TTL.Std())
	case c.MaxPerAccount < 1:
		return fmt.Errorf("max_per_account %d: want at least 1", c.MaxPerAccount)
	}
	return nil
}

// Cleanup stops background deletions and waits for them, and writes queued session states.
func (c *Continuity) Cleanup() error {
	if c.stop != nil {
		c.stop()
	}
	c.wg.Wait()
	if wb, ok := c.store.(*writeBehind); ok {
		wb.Close()
	}
	return nil
}

// forget deletes the given upstream conversations in the background when delete_expired is
// set.
func (c *Continuity) forget(states ...State) {
	if !c.DeleteExpired || len(states) == 0 || c.bg.Err() != nil {
		return
	}
	byAccount := make(map[string][]string)
	for _, st := range states {
		if st.ConversationID != "" {
			byAccount[st.Account] = append(byAccount[st.Account], st.ConversationID)
		}
	}
	for id, convs := range byAccount {
		i := slices.IndexFunc(c.pool.Accounts(), func(a *plugin.Account) bool { return a.ID == id })
		if i < 0 {
			continue
		}
		acct := c.pool.Accounts()[i]
		c.wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.bg, deleteTimeout)
			defer cancel()
			if err := c.client.DeleteConversations(ctx, acct, convs); err != nil && c.bg.Err() == nil {
				c.log.Warn("deleting upstream conversations failed", "account", id, "count", len(convs), "error", plugin.AsError(err).Message)
			}
		})
	}
}
