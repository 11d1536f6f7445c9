package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	v1 "github.com/mimo2api/mimo2api/api/admin/v1"
	"github.com/mimo2api/mimo2api/internal/account"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/data/usage"
	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// AdminPool is the live account pool the admin API manages; *data.Pool implements it.
type AdminPool interface {
	// Snapshot returns the accounts in order; the slice must not be modified.
	Snapshot() []*plugin.Account
	// Lookup returns the account with the given id.
	Lookup(id string) (*plugin.Account, bool)
	// Add adds a or replaces the account with the same id.
	Add(a *plugin.Account) (replaced bool)
	// Remove takes an account out of the pool.
	Remove(id string) bool
	// SetEnabled disables or re-enables an account.
	SetEnabled(id string, enabled bool) bool
}

// Prober checks an account upstream with a throw-away conversation; *mimo.Client implements it.
type Prober interface {
	Probe(ctx context.Context, acct *plugin.Account, model string) (reply string, err error)
}

// ProbeHistory reports the latest periodic probe of an account; *data.Prober implements it.
type ProbeHistory interface {
	Last(id string) (data.ProbeResult, bool)
}

// ConversationInfo describes one upstream conversation a session store tracks.
type ConversationInfo struct {
	ID        string
	Account   string
	Model     string
	UpdatedAt time.Time
	Turns     int
}

// ConversationLister is implemented by a session store that can list its conversations.
type ConversationLister interface {
	Conversations(ctx context.Context) ([]ConversationInfo, error)
}

// UsageSummarizer reports usage counts; *usage.Memory implements it.
type UsageSummarizer interface {
	Summary() (rows []usage.Row, total usage.Counts)
}

// AdminOptions are the dependencies of the admin API. Only Pool is required.
type AdminOptions struct {
	// Pool is the live account pool.
	Pool AdminPool
	// Store persists imported accounts; nil keeps them in memory only.
	Store *account.Store
	// Prober tests accounts; nil disables probes (imports are not tested).
	Prober Prober
	// Probes reports the periodic probes' latest results; nil when they are off.
	Probes ProbeHistory
	// Catalog serves RefreshModels and the probe's default model.
	Catalog *discovery.Catalog
	// Usage reports usage counts.
	Usage UsageSummarizer
	// Sessions lists conversations.
	Sessions ConversationLister
	// Reload reloads the configuration.
	Reload func(context.Context) error
	// ProbeTimeout bounds one probe (default 60s).
	ProbeTimeout time.Duration
	// Logger receives audit records; nil discards them.
	Logger *slog.Logger
}

// defaultProbeModel is used when neither the request nor the catalog names a model.
const defaultProbeModel = "mimo-v2.5"

// Admin implements the admin API (v1.AdminHTTPServer).
type Admin struct {
	o AdminOptions

	mu     sync.Mutex
	tests  map[string]probeResult
	stored map[string]bool
}

type probeResult struct {
	at time.Time
	ok bool
}

var _ v1.AdminHTTPServer = (*Admin)(nil)

// NewAdmin returns the admin API over o.
func NewAdmin(o AdminOptions) *Admin {
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Admin{o: o, tests: map[string]probeResult{}, stored: map[string]bool{}}
}

// Restore adds the accounts of the store to the pool (disabled ones disabled); call it once at
// start-up. Stored accounts replace configured ones with the same user id.
func (a *Admin) Restore() error {
	if a.o.Store == nil {
		return nil
	}
	entries, err := a.o.Store.Load()
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range entries {
		a.o.Pool.Add(e.Account())
		if e.Disabled {
			a.o.Pool.SetEnabled(e.UserID, false)
		}
		a.stored[e.UserID] = true
	}
	return nil
}

// ListAccounts implements v1.AdminHTTPServer.
func (a *Admin) ListAccounts(context.Context, *v1.ListAccountsRequest) (*v1.ListAccountsReply, error) {
	accts := a.o.Pool.Snapshot()
	out := &v1.ListAccountsReply{Accounts: make([]*v1.Account, 0, len(accts))}
	for _, acct := range accts {
		out.Accounts = append(out.Accounts, a.view(acct))
	}
	return out, nil
}

// view returns the masked admin view of an account.
func (a *Admin) view(acct *plugin.Account) *v1.Account {
	a.mu.Lock()
	t, tested := a.tests[acct.ID]
	stored := a.stored[acct.ID]
	a.mu.Unlock()
	if a.o.Probes != nil {
		if r, ok := a.o.Probes.Last(acct.ID); ok && (!tested || r.At.After(t.at)) {
			t, tested = probeResult{at: r.At, ok: r.OK}, true
		}
	}
	v := &v1.Account{
		Id:           acct.ID,
		UserId:       acct.UserID,
		ServiceToken: account.Mask(acct.ServiceToken.Reveal()),
		Ph:           account.Mask(acct.PH.Reveal()),
		State:        acct.State().String(),
		Enabled:      acct.State() != plugin.AccountDisabled,
		InFlight:     int32(acct.InFlight()),
		Stored:       stored,
	}
	if tested {
		v.LastTest, v.LastTestOk = t.at.UTC().Format(time.RFC3339), t.ok
	}
	return v
}

// ImportAccount implements v1.AdminHTTPServer.
func (a *Admin) ImportAccount(ctx context.Context, req *v1.ImportAccountRequest) (*v1.ImportAccountReply, error) {
	creds, err := account.Parse(req.GetCredentials())
	if err != nil {
		return nil, kerrors.BadRequest("INVALID_CREDENTIALS", strings.TrimPrefix(err.Error(), "account: "))
	}
	acct := creds.Account()
	reply := &v1.ImportAccountReply{}
	if !req.GetSkipTest() && a.o.Prober != nil {
		reply.Test = a.probe(ctx, acct, req.GetModel())
		if !reply.Test.Ok {
			a.o.Logger.Info("account import refused: probe failed", "account", acct.ID, "error", reply.Test.Error)
			return nil, kerrors.BadRequest("ACCOUNT_TEST_FAILED", "the account did not pass the test: "+reply.Test.Error)
		}
	}
	if a.o.Store != nil {
		if _, err := a.o.Store.Put(account.Entry{Credentials: creds}); err != nil {
			a.o.Logger.Error("saving an imported account failed", "account", acct.ID, "error", err)
			return nil, kerrors.InternalServer("STORE_FAILED", "the account could not be saved")
		}
	}
	a.mu.Lock()
	if a.o.Store != nil {
		a.stored[acct.ID] = true
	}
	if reply.Test != nil {
		a.tests[acct.ID] = probeResult{at: time.Now(), ok: true}
	}
	a.mu.Unlock()
	reply.Replaced = a.o.Pool.Add(acct)
	reply.Account = a.view(acct)
	a.o.Logger.Info("account imported", "account", acct.ID, "replaced", reply.Replaced)
	return reply, nil
}

// TestAccount implements v1.AdminHTTPServer.
func (a *Admin) TestAccount(ctx context.Context, req *v1.TestAccountRequest) (*v1.TestAccountReply, error) {
	acct, ok := a.o.Pool.Lookup(req.GetId())
	if !ok {
		return nil, accountNotFound(req.GetId())
	}
	if a.o.Prober == nil {
		return nil, kerrors.New(501, "NOT_IMPLEMENTED", "account probes are not available")
	}
	res := a.probe(ctx, acct, req.GetModel())
	a.mu.Lock()
	a.tests[acct.ID] = probeResult{at: time.Now(), ok: res.Ok}
	a.mu.Unlock()
	res.State = acct.State().String()
	return res, nil
}

// probe runs one probe and updates the account's state from its outcome: rejected credentials
// make it invalid, a restriction disables it, success revives an invalid account.
func (a *Admin) probe(ctx context.Context, acct *plugin.Account, model string) *v1.TestAccountReply {
	if model == "" {
		model = a.defaultModel()
	}
	ctx, cancel := context.WithTimeout(ctx, a.o.ProbeTimeout)
	defer cancel()
	start := time.Now()
	reply, err := a.o.Prober.Probe(ctx, acct, model)
	res := &v1.TestAccountReply{LatencyMs: time.Since(start).Milliseconds()}
	if err != nil {
		pe := plugin.AsError(err)
		res.Error = pe.Message
		switch pe.Code {
		case plugin.CodeUpstreamAuth:
			acct.SetState(plugin.AccountInvalid)
		case plugin.CodePermission:
			acct.SetState(plugin.AccountDisabled)
		}
		return res
	}
	if acct.State() == plugin.AccountInvalid {
		acct.SetState(plugin.AccountOK)
	}
	res.Ok, res.Reply = true, reply
	return res
}

// defaultModel returns the catalog's default chat model.
func (a *Admin) defaultModel() string {
	if a.o.Catalog == nil {
		return defaultProbeModel
	}
	ms := a.o.Catalog.Models(context.Background())
	var first string
	for _, m := range ms {
		if m.Kind != discovery.KindChat {
			continue
		}
		if m.Default {
			return m.ID
		}
		if first == "" {
			first = m.ID
		}
	}
	if first == "" {
		return defaultProbeModel
	}
	return first
}

// SetAccountEnabled implements v1.AdminHTTPServer.
func (a *Admin) SetAccountEnabled(_ context.Context, req *v1.SetAccountEnabledRequest) (*v1.Account, error) {
	id := req.GetId()
	if !a.o.Pool.SetEnabled(id, req.GetEnabled()) {
		return nil, accountNotFound(id)
	}
	if a.o.Store != nil && a.isStored(id) {
		if _, err := a.o.Store.SetDisabled(id, !req.GetEnabled()); err != nil {
			a.o.Logger.Error("saving an account's state failed", "account", id, "error", err)
			return nil, kerrors.InternalServer("STORE_FAILED", "the account's state could not be saved")
		}
	}
	a.o.Logger.Info("account enabled changed", "account", id, "enabled", req.GetEnabled())
	acct, ok := a.o.Pool.Lookup(id)
	if !ok {
		return nil, accountNotFound(id)
	}
	return a.view(acct), nil
}

// DeleteAccount implements v1.AdminHTTPServer. An account from the configuration comes back
// with the next restart; an imported one is deleted from the store too.
func (a *Admin) DeleteAccount(_ context.Context, req *v1.DeleteAccountRequest) (*v1.DeleteAccountReply, error) {
	id := req.GetId()
	if !a.o.Pool.Remove(id) {
		return nil, accountNotFound(id)
	}
	if a.o.Store != nil && a.isStored(id) {
		if _, err := a.o.Store.Delete(id); err != nil {
			a.o.Logger.Error("deleting a stored account failed", "account", id, "error", err)
			return nil, kerrors.InternalServer("STORE_FAILED", "the account could not be deleted from the store")
		}
	}
	a.mu.Lock()
	delete(a.stored, id)
	delete(a.tests, id)
	a.mu.Unlock()
	a.o.Logger.Info("account deleted", "account", id)
	return &v1.DeleteAccountReply{RemovedId: id}, nil
}

func (a *Admin) isStored(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stored[id]
}

// ListConversations implements v1.AdminHTTPServer.
func (a *Admin) ListConversations(ctx context.Context, _ *v1.ListConversationsRequest) (*v1.ListConversationsReply, error) {
	out := &v1.ListConversationsReply{Conversations: []*v1.Conversation{}}
	if a.o.Sessions == nil {
		return out, nil
	}
	cs, err := a.o.Sessions.Conversations(ctx)
	if err != nil {
		a.o.Logger.Error("listing conversations failed", "error", err)
		return nil, kerrors.InternalServer("SESSIONS_FAILED", "the conversations could not be listed")
	}
	out.Available = true
	for _, c := range cs {
		out.Conversations = append(out.Conversations, &v1.Conversation{
			Id: c.ID, Account: c.Account, Model: c.Model, UpdatedAt: c.UpdatedAt.Unix(), Turns: int32(c.Turns),
		})
	}
	return out, nil
}

// UsageSummary implements v1.AdminHTTPServer.
func (a *Admin) UsageSummary(context.Context, *v1.UsageSummaryRequest) (*v1.UsageSummaryReply, error) {
	out := &v1.UsageSummaryReply{Rows: []*v1.UsageRow{}, Total: &v1.UsageCounts{}}
	if a.o.Usage == nil {
		return out, nil
	}
	rows, total := a.o.Usage.Summary()
	for _, r := range rows {
		out.Rows = append(out.Rows, &v1.UsageRow{Model: r.Model, Account: r.Account, Counts: counts(r.Counts)})
	}
	out.Total = counts(total)
	return out, nil
}

func counts(c usage.Counts) *v1.UsageCounts {
	return &v1.UsageCounts{Requests: c.Requests, PromptTokens: c.PromptTokens, CompletionTokens: c.CompletionTokens, TotalTokens: c.TotalTokens}
}

// RefreshModels implements v1.AdminHTTPServer. A failed discovery reports its error with the
// last good list; with no list at all it fails with 502.
func (a *Admin) RefreshModels(ctx context.Context, _ *v1.RefreshModelsRequest) (*v1.RefreshModelsReply, error) {
	if a.o.Catalog == nil {
		return nil, kerrors.New(501, "NOT_IMPLEMENTED", "model discovery is not available")
	}
	ms, err := a.o.Catalog.Refresh(ctx)
	if err != nil && len(ms) == 0 {
		a.o.Logger.Warn("model refresh failed", "error", err)
		return nil, kerrors.New(502, "DISCOVERY_FAILED", "model discovery failed")
	}
	out := &v1.RefreshModelsReply{Static: a.o.Catalog.Static(), Models: make([]*v1.Model, 0, len(ms))}
	if err != nil {
		out.Error = "model discovery failed; the last list is kept"
	}
	for _, m := range ms {
		out.Models = append(out.Models, &v1.Model{Id: m.ID, Kind: string(m.Kind),
			ContextWindow: int32(m.ContextWindow), MaxOutput: int32(m.MaxOutput)})
	}
	return out, nil
}

// ReloadConfig implements v1.AdminHTTPServer.
func (a *Admin) ReloadConfig(ctx context.Context, _ *v1.ReloadConfigRequest) (*v1.ReloadConfigReply, error) {
	if a.o.Reload == nil {
		return nil, kerrors.New(501, "NOT_IMPLEMENTED", "configuration reload is not available")
	}
	if err := a.o.Reload(ctx); err != nil {
		a.o.Logger.Error("configuration reload failed", "error", err)
		msg := err.Error()
		if errors.Is(err, context.Canceled) {
			msg = "the request was cancelled"
		}
		return nil, kerrors.BadRequest("RELOAD_FAILED", msg)
	}
	a.o.Logger.Info("configuration reloaded through the admin API")
	return &v1.ReloadConfigReply{Ok: true}, nil
}

func accountNotFound(id string) error {
	return kerrors.NotFound("ACCOUNT_NOT_FOUND", "no account "+id)
}
