package mimo

import (
	"errors"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/mimo2api/mimo2api/internal/sim"
	"github.com/mimo2api/mimo2api/plugins/plugin"
)

func TestProbe(t *testing.T) {
	good := sim.Account{UserID: "501", ServiceToken: "probe-token-value", PH: "probe-ph=="}
	s := sim.New(sim.Options{Accounts: []sim.Account{good}})
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, HTTP: srv.Client()}

	acct := &plugin.Account{ID: good.UserID, UserID: good.UserID, ServiceToken: plugin.Secret(good.ServiceToken), PH: plugin.Secret(good.PH)}
	reply, err := c.Probe(t.Context(), acct, "mimo-v2.5")
	if err != nil || reply == "" {
		t.Fatalf("probe = %q, %v", reply, err)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || reqs[0].Query != ProbeQuery {
		t.Fatalf("requests = %+v", reqs)
	}
	if !slices.Equal(s.DeletedConversations(), []string{reqs[0].ConversationID}) {
		t.Errorf("deleted %v, want the probe's conversation %s", s.DeletedConversations(), reqs[0].ConversationID)
	}

	bad := &plugin.Account{ID: "502", UserID: "502", ServiceToken: "wrong-token-value", PH: "probe-ph=="}
	_, err = c.Probe(t.Context(), bad, "mimo-v2.5")
	if pe, ok := errors.AsType[*plugin.Error](err); !ok || pe.Code != plugin.CodeUpstreamAuth {
		t.Fatalf("bad credentials: %v", err)
	}
}
