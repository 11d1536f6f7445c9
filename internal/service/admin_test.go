package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	khttp "github.com/go-kratos/kratos/v2/transport/http"

	v1 "github.com/mimo2api/mimo2api/api/admin/v1"
	"github.com/mimo2api/mimo2api/internal/account"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/data/usage"
	"github.com/mimo2api/mimo2api/internal/discovery"
	"github.com/mimo2api/mimo2api/internal/mimo"
	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

const adminKey = "admin-key-for-tests-0123456789"

// Credentials the simulator accepts. Secrets are long so that masks cannot reveal them.
var (
	cfgAcct = sim.Account{UserID: "7001", ServiceToken: "cfg-service-token-SECRET-aaaaaaaa", PH: "cfg-ph-SECRET-aaaa=="}
	impJSON = sim.Account{UserID: "7002", ServiceToken: "json-service-token-SECRET-bbbbbbbb", PH: "json-ph-SECRET-bbbb=="}
	impHdr  = sim.Account{UserID: "7003", ServiceToken: "hdr-service-token-SECRET-cccccccc", PH: "hdr-ph-SECRET-cccc=="}
	impCurl = sim.Account{UserID: "7004", ServiceToken: "curl-service-token-SECRET-dddddddd", PH: "curl-ph-SECRET-dddd=="}
	impTab  = sim.Account{UserID: "7005", ServiceToken: "tab-service-token-SECRET-eeeeeeee", PH: "tab-ph-SECRET-eeee=="}
	// rejected is not accepted by the simulator.
	rejected = sim.Account{UserID: "7009", ServiceToken: "bad-service-token-SECRET-ffffffff", PH: "bad-ph-SECRET-ffff=="}
)

var allSecrets = func() []string {
	var out []string
	for _, a := range []sim.Account{cfgAcct, impJSON, impHdr, impCurl, impTab, rejected} {
		out = append(out, a.ServiceToken, a.PH)
	}
	return append(out, adminKey)
}()

type fakeSessions struct{}

func (fakeSessions) Conversations(context.Context) ([]ConversationInfo, error) {
	return []ConversationInfo{{ID: "conv-1", Account: "7001", Model: "mimo-v2.5", UpdatedAt: time.Unix(1700000000, 0), Turns: 3}}, nil
}

type adminEnv struct {
	t       *testing.T
	url     string
	sim     *sim.Server
	pool    *data.Pool
	store   *account.Store
	usage   *usage.Memory
	reloads *atomic.Int32
	admin   *Admin
}

// newAdminEnv serves the admin API through the generated kratos HTTP code, in front of a
// catch-all handler standing in for the gateway, against a simulator.
func newAdminEnv(t *testing.T, key string, sessions ConversationLister) *adminEnv {
	t.Helper()
	s := sim.New(sim.Options{Accounts: []sim.Account{cfgAcct, impJSON, impHdr, impCurl, impTab}})
	up := httptest.NewServer(s)
	t.Cleanup(up.Close)

	pool := data.NewPool([]*plugin.Account{{ID: cfgAcct.UserID, UserID: cfgAcct.UserID,
		ServiceToken: plugin.Secret(cfgAcct.ServiceToken), PH: plugin.Secret(cfgAcct.PH)}}, data.PoolOptions{})
	sealer, err := account.NewSealer(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	store := account.NewStore(t.TempDir(), sealer)
	rec := usage.NewMemory()
	var reloads atomic.Int32
	admin := NewAdmin(AdminOptions{
		Pool:     pool,
		Store:    store,
		Prober:   &mimo.Client{BaseURL: up.URL, HTTP: up.Client()},
		Catalog:  discovery.New(discovery.Options{BaseURL: up.URL, HTTP: up.Client()}),
		Usage:    rec,
		Sessions: sessions,
		Reload:   func(context.Context) error { reloads.Add(1); return nil },
	})

	srv := khttp.NewServer(khttp.Timeout(0), khttp.Filter(AdminFilter(key)))
	v1.RegisterAdminHTTPServer(srv, admin) // before the gateway's catch-all: the first match wins
	srv.HandlePrefix("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gateway", http.StatusTeapot)
	}))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &adminEnv{t: t, url: hs.URL, sim: s, pool: pool, store: store, usage: rec, reloads: &reloads, admin: admin}
}

// do sends a request with the given bearer key and returns the status and body. Every body is
// checked for secrets.
func (e *adminEnv) do(method, path, key, body string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, s := range allSecrets {
		if strings.Contains(string(b), s) {
			e.t.Fatalf("%s %s: the response holds a secret", method, path)
		}
	}
	return resp.StatusCode, string(b)
}

// call sends an authenticated request, requires status 200 and decodes the JSON reply into v.
func (e *adminEnv) call(method, path, body string, v any) {
	e.t.Helper()
	status, b := e.do(method, path, adminKey, body)
	if status != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(b), v); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func importBody(creds string) string { return `{"credentials":` + jsonString(creds) + `}` }

type accountJSON struct {
	ID           string `json:"id"`
	ServiceToken string `json:"serviceToken"`
	Ph           string `json:"ph"`
	State        string `json:"state"`
	Enabled      bool   `json:"enabled"`
	InFlight     int    `json:"inFlight"`
	Stored       bool   `json:"stored"`
	LastTest     string `json:"lastTest"`
	LastTestOk   bool   `json:"lastTestOk"`
}

func TestAdminAuth(t *testing.T) {
	e := newAdminEnv(t, adminKey, nil)
	tests := []struct {
		name, key string
		status    int
	}{
		{"no key", "", http.StatusUnauthorized},
		{"wrong key", "admin-key-for-tests-012345678X", http.StatusUnauthorized},
		{"api key prefix", adminKey[:10], http.StatusUnauthorized},
		{"admin key", adminKey, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := e.do("GET", "/admin/api/accounts", tt.key, ""); status != tt.status {
				t.Fatalf("status %d %s, want %d", status, body, tt.status)
			}
		})
	}
	if status, _ := e.do("GET", "/v1/models", "", ""); status != http.StatusTeapot {
		t.Errorf("other paths must reach the gateway: %d", status)
	}

	disabled := newAdminEnv(t, "", nil)
	for _, key := range []string{"", adminKey} {
		if status, _ := disabled.do("GET", "/admin/api/accounts", key, ""); status != http.StatusNotFound {
			t.Errorf("without an admin key the API must not exist: %d", status)
		}
	}
}

func TestAdminImport(t *testing.T) {
	e := newAdminEnv(t, adminKey, nil)
	formats := []struct {
		name  string
		acct  sim.Account
		creds string
	}{
		{"json", impJSON, `{"serviceToken":"` + impJSON.ServiceToken + `","userId":"` + impJSON.UserID + `","xiaomichatbot_ph":"` + impJSON.PH + `"}`},
		{"cookie header", impHdr, `Cookie: serviceToken="` + impHdr.ServiceToken + `"; userId=` + impHdr.UserID + `; xiaomichatbot_ph="` + impHdr.PH + `"`},
		{"curl", impCurl, "curl 'https://aistudio.xiaomimimo.com/open-apis/bot/chat' \\\n  -H 'accept: */*' \\\n  -b 'serviceToken=" + impCurl.ServiceToken + "; userId=" + impCurl.UserID + "; xiaomichatbot_ph=" + impCurl.PH + "'"},
		{"cookie table", impTab, "serviceToken\t" + impTab.ServiceToken + "\t.xiaomimimo.com\t/\nuserId\t" + impTab.UserID + "\t.xiaomimimo.com\t/\nxiaomichatbot_ph\t" + impTab.PH + "\t.xiaomimimo.com\t/\n"},
	}
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			var reply struct {
				Account  accountJSON `json:"account"`
				Replaced bool        `json:"replaced"`
				Test     struct {
					Ok    bool   `json:"ok"`
					Reply string `json:"reply"`
				} `json:"test"`
			}
			e.call("POST", "/admin/api/accounts", importBody(f.creds), &reply)
			if reply.Account.ID != f.acct.UserID || reply.Replaced || !reply.Test.Ok || reply.Test.Reply == "" || !reply.Account.Stored {
				t.Fatalf("reply = %+v", reply)
			}
			if reply.Account.ServiceToken != account.Mask(f.acct.ServiceToken) {
				t.Errorf("masked token = %q", reply.Account.ServiceToken)
			}
			got, ok := e.pool.Lookup(f.acct.UserID)
			if !ok || got.ServiceToken.Reveal() != f.acct.ServiceToken || got.PH.Reveal() != f.acct.PH {
				t.Fatal("the account did not join the live pool with its credentials")
			}
		})
	}
	// Re-importing replaces; skip_test skips the probe.
	before := len(e.sim.Requests())
	var again struct {
		Replaced bool `json:"replaced"`
	}
	e.call("POST", "/admin/api/accounts", `{"skipTest":true,"credentials":`+jsonString("serviceToken="+impHdr.ServiceToken+"; userId="+impHdr.UserID+"; xiaomichatbot_ph="+impHdr.PH)+`}`, &again)
	if !again.Replaced || len(e.sim.Requests()) != before {
		t.Errorf("re-import: replaced = %v, probes = %d", again.Replaced, len(e.sim.Requests())-before)
	}

	// Every probe deleted its throw-away conversation.
	var convs []string
	for _, r := range e.sim.Requests() {
		convs = append(convs, r.ConversationID)
	}
	if !slices.Equal(e.sim.DeletedConversations(), convs) {
		t.Errorf("deleted %v, probed %v", e.sim.DeletedConversations(), convs)
	}

	// Rejected input: malformed, and credentials that fail the probe.
	status, body := e.do("POST", "/admin/api/accounts", adminKey, importBody("serviceToken="+rejected.ServiceToken+"; userId="+rejected.UserID))
	if status != http.StatusBadRequest || !strings.Contains(body, "INVALID_CREDENTIALS") || !strings.Contains(body, "xiaomichatbot_ph") {
		t.Errorf("missing cookie: %d %s", status, body)
	}
	status, body = e.do("POST", "/admin/api/accounts", adminKey, importBody("serviceToken="+rejected.ServiceToken+"; userId="+rejected.UserID+"; xiaomichatbot_ph="+rejected.PH))
	if status != http.StatusBadRequest || !strings.Contains(body, "ACCOUNT_TEST_FAILED") {
		t.Errorf("failing probe: %d %s", status, body)
	}
	if _, ok := e.pool.Lookup(rejected.UserID); ok {
		t.Error("an account that failed its probe joined the pool")
	}

	// The list shows every account, masked, with the config account not stored.
	var list struct {
		Accounts []accountJSON `json:"accounts"`
	}
	e.call("GET", "/admin/api/accounts", "", &list)
	var ids []string
	for _, a := range list.Accounts {
		ids = append(ids, a.ID)
		if a.State != "ok" || !a.Enabled || a.Stored != (a.ID != cfgAcct.UserID) || !strings.Contains(a.ServiceToken, "…") {
			t.Errorf("account %+v", a)
		}
	}
	if want := []string{"7001", "7002", "7003", "7004", "7005"}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}

	// Imported accounts survive a restart through the sealed store.
	stored, err := e.store.Load()
	if err != nil || len(stored) != 4 {
		t.Fatalf("store = %d, %v", len(stored), err)
	}
	pool := data.NewPool(nil, data.PoolOptions{})
	if err := NewAdmin(AdminOptions{Pool: pool, Store: e.store}).Restore(); err != nil {
		t.Fatal(err)
	}
	if n := len(pool.Snapshot()); n != 4 {
		t.Errorf("restored %d accounts, want 4", n)
	}
}

func TestAdminAccountLifecycle(t *testing.T) {
	e := newAdminEnv(t, adminKey, nil)
	e.call("POST", "/admin/api/accounts", importBody("serviceToken="+impJSON.ServiceToken+"; userId="+impJSON.UserID+"; xiaomichatbot_ph="+impJSON.PH), nil)
	first := func(c []*plugin.Account) *plugin.Account { return c[0] }

	var acct accountJSON
	e.call("POST", "/admin/api/accounts/7002/enabled", `{"enabled":false}`, &acct)
	if acct.Enabled || acct.State != "disabled" {
		t.Fatalf("disable = %+v", acct)
	}
	for range 3 {
		l, err := e.pool.Acquire(t.Context(), first, nil)
		if err != nil || l.Account.ID != cfgAcct.UserID {
			t.Fatalf("a disabled account was selected: %v", err)
		}
		l.Release(nil)
	}
	if es, _ := e.store.Load(); len(es) != 1 || !es[0].Disabled {
		t.Errorf("the store does not hold the disabled flag: %+v", es)
	}
	e.call("POST", "/admin/api/accounts/7002/enabled", `{"enabled":true}`, &acct)
	if !acct.Enabled || acct.State != "ok" {
		t.Fatalf("enable = %+v", acct)
	}
	l, err := e.pool.Acquire(t.Context(), func(c []*plugin.Account) *plugin.Account { return c[len(c)-1] }, nil)
	if err != nil || l.Account.ID != impJSON.UserID {
		t.Fatalf("the re-enabled account is not selectable: %v", err)
	}
	l.Release(nil)

	var test struct {
		Ok    bool   `json:"ok"`
		Reply string `json:"reply"`
		State string `json:"state"`
	}
	e.call("POST", "/admin/api/accounts/7001/test", `{}`, &test)
	if !test.Ok || test.Reply == "" || test.State != "ok" {
		t.Errorf("test = %+v", test)
	}
	var list struct {
		Accounts []accountJSON `json:"accounts"`
	}
	e.call("GET", "/admin/api/accounts", "", &list)
	if list.Accounts[0].LastTest == "" || !list.Accounts[0].LastTestOk {
		t.Errorf("last test not recorded: %+v", list.Accounts[0])
	}

	// An account whose credentials the upstream rejects becomes invalid.
	bad := &plugin.Account{ID: rejected.UserID, UserID: rejected.UserID, ServiceToken: plugin.Secret(rejected.ServiceToken), PH: plugin.Secret(rejected.PH)}
	e.pool.Add(bad)
	e.call("POST", "/admin/api/accounts/7009/test", `{}`, &test)
	if test.Ok || test.State != "invalid" || bad.State() != plugin.AccountInvalid {
		t.Errorf("failed test = %+v, state %s", test, bad.State())
	}

	var del struct {
		RemovedID string `json:"removedId"`
	}
	e.call("DELETE", "/admin/api/accounts/7002", "", &del)
	if del.RemovedID != "7002" {
		t.Errorf("delete = %+v", del)
	}
	if _, ok := e.pool.Lookup("7002"); ok {
		t.Error("the deleted account is still in the pool")
	}
	if es, _ := e.store.Load(); len(es) != 0 {
		t.Errorf("the deleted account is still stored: %d", len(es))
	}
	for _, p := range []string{"/admin/api/accounts/7002", "/admin/api/accounts/nobody"} {
		if status, _ := e.do("DELETE", p, adminKey, ""); status != http.StatusNotFound {
			t.Errorf("DELETE %s: %d", p, status)
		}
	}
	if status, _ := e.do("POST", "/admin/api/accounts/nobody/enabled", adminKey, `{"enabled":true}`); status != http.StatusNotFound {
		t.Errorf("enable unknown: %d", status)
	}
}

func TestAdminUsageModelsReload(t *testing.T) {
	e := newAdminEnv(t, adminKey, fakeSessions{})
	e.usage.Record("mimo-v2.5", "7001", &plugin.Usage{PromptTokens: 10, CompletionTokens: 5})
	e.usage.Record("mimo-v2.5", "7001", &plugin.Usage{PromptTokens: 1, CompletionTokens: 1})
	e.usage.Record("mimo-v2.5-pro", "7002", nil)
	var sum struct {
		Rows []struct {
			Model   string `json:"model"`
			Account string `json:"account"`
			Counts  struct {
				Requests         string `json:"requests"`
				PromptTokens     string `json:"promptTokens"`
				CompletionTokens string `json:"completionTokens"`
				TotalTokens      string `json:"totalTokens"`
			} `json:"counts"`
		} `json:"rows"`
		Total struct {
			Requests string `json:"requests"`
		} `json:"total"`
	}
	e.call("GET", "/admin/api/usage", "", &sum)
	if len(sum.Rows) != 2 || sum.Total.Requests != "3" {
		t.Fatalf("usage = %+v", sum)
	}
	if r := sum.Rows[0]; r.Model != "mimo-v2.5" || r.Account != "7001" || r.Counts.Requests != "2" || r.Counts.PromptTokens != "11" || r.Counts.CompletionTokens != "6" || r.Counts.TotalTokens != "17" {
		t.Errorf("row 0 = %+v", r)
	}

	var models struct {
		Models []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"models"`
		Error string `json:"error"`
	}
	e.call("POST", "/admin/api/models/refresh", `{}`, &models)
	var ids []string
	for _, m := range models.Models {
		ids = append(ids, m.ID+"/"+m.Kind)
	}
	if want := []string{"mimo-v2.5-pro/chat", "mimo-v2.5/chat", "mimo-v2.5-tts/tts", "mimo-v2.5-asr/asr"}; !slices.Equal(ids, want) || models.Error != "" {
		t.Errorf("models = %v (%s), want %v", ids, models.Error, want)
	}

	var convs struct {
		Conversations []struct {
			ID    string `json:"id"`
			Turns int    `json:"turns"`
		} `json:"conversations"`
		Available bool `json:"available"`
	}
	e.call("GET", "/admin/api/conversations", "", &convs)
	if !convs.Available || len(convs.Conversations) != 1 || convs.Conversations[0].ID != "conv-1" || convs.Conversations[0].Turns != 3 {
		t.Errorf("conversations = %+v", convs)
	}

	var reload struct {
		Ok bool `json:"ok"`
	}
	e.call("POST", "/admin/api/config/reload", `{}`, &reload)
	if !reload.Ok || e.reloads.Load() != 1 {
		t.Errorf("reload = %+v, calls %d", reload, e.reloads.Load())
	}
}

func TestAdminWithoutOptionalServices(t *testing.T) {
	a := NewAdmin(AdminOptions{Pool: data.NewPool(nil, data.PoolOptions{})})
	convs, err := a.ListConversations(t.Context(), &v1.ListConversationsRequest{})
	if err != nil || convs.Available || convs.Conversations == nil {
		t.Errorf("conversations without a session store = %+v, %v", convs, err)
	}
	if u, err := a.UsageSummary(t.Context(), &v1.UsageSummaryRequest{}); err != nil || len(u.Rows) != 0 {
		t.Errorf("usage = %+v, %v", u, err)
	}
	for name, call := range map[string]func() error{
		"reload":  func() error { _, err := a.ReloadConfig(t.Context(), nil); return err },
		"refresh": func() error { _, err := a.RefreshModels(t.Context(), nil); return err },
	} {
		if err := call(); err == nil {
			t.Errorf("%s without its service succeeded", name)
		}
	}
	a = NewAdmin(AdminOptions{Pool: data.NewPool(nil, data.PoolOptions{}), Reload: func(context.Context) error { return errors.New(`route "x": chain has no terminal`) }})
	if _, err := a.ReloadConfig(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "no terminal") {
		t.Errorf("reload error = %v", err)
	}
}

// bearerTransport adds the admin key to every request.
type bearerTransport struct{ key string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

// TestAdminGeneratedClient drives the API through the generated kratos HTTP client.
func TestAdminGeneratedClient(t *testing.T) {
	e := newAdminEnv(t, adminKey, nil)
	cc, err := khttp.NewClient(t.Context(), khttp.WithEndpoint(strings.TrimPrefix(e.url, "http://")),
		khttp.WithTransport(bearerTransport{adminKey}))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	c := v1.NewAdminHTTPClient(cc)
	imp, err := c.ImportAccount(t.Context(), &v1.ImportAccountRequest{SkipTest: true,
		Credentials: "serviceToken=" + impHdr.ServiceToken + "; userId=" + impHdr.UserID + "; xiaomichatbot_ph=" + impHdr.PH})
	if err != nil || imp.GetAccount().GetId() != impHdr.UserID {
		t.Fatalf("import = %v, %v", imp, err)
	}
	acct, err := c.SetAccountEnabled(t.Context(), &v1.SetAccountEnabledRequest{Id: impHdr.UserID, Enabled: false})
	if err != nil || acct.GetEnabled() {
		t.Fatalf("disable = %v, %v", acct, err)
	}
	list, err := c.ListAccounts(t.Context(), &v1.ListAccountsRequest{})
	if err != nil || len(list.GetAccounts()) != 2 || list.GetAccounts()[1].GetState() != "disabled" {
		t.Fatalf("list = %v, %v", list, err)
	}
	if _, err := c.DeleteAccount(t.Context(), &v1.DeleteAccountRequest{Id: "nobody"}); err == nil {
		t.Fatal("deleting an unknown account succeeded")
	}
}
