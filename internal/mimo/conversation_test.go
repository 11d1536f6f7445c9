package mimo

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestDeleteConversations(t *testing.T) {
	acct := testAccount()
	s, srv := newSim(t, sim.Options{Accounts: []sim.Account{{UserID: acct.UserID, ServiceToken: testToken, PH: testPH}}})
	c := Client{BaseURL: srv.URL}
	ids := []string{NewID(), NewID()}
	if err := c.DeleteConversations(t.Context(), acct, ids); err != nil {
		t.Fatal(err)
	}
	if got := s.DeletedConversations(); !slices.Equal(got, ids) {
		t.Errorf("deleted %v, want %v", got, ids)
	}
	if err := c.DeleteConversations(t.Context(), acct, nil); err != nil {
		t.Errorf("no ids: %v", err)
	}

	bad := &plugin.Account{ID: "9", UserID: "9", ServiceToken: testToken, PH: testPH}
	err := c.DeleteConversations(t.Context(), bad, ids)
	if pe := plugin.AsError(err); pe.Code != plugin.CodeUpstreamAuth {
		t.Errorf("unknown account: %v", err)
	}
	noSecrets(t, err)
}

func TestDeleteConversationsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"code":500,"msg":"nope"}`))
	}))
	defer srv.Close()
	c := Client{BaseURL: srv.URL}
	err := c.DeleteConversations(t.Context(), testAccount(), []string{"x"})
	if pe := plugin.AsError(err); pe.Code != plugin.CodeUpstream {
		t.Errorf("err = %v", err)
	}
	noSecrets(t, err)
}
