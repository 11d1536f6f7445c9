package mimo2apicmd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/sim"
)

// DemoAPIKey is the client API key of demo mode when no key is configured.
const DemoAPIKey = "sk-demo"

// demoAccount is the simulator's only account in demo mode.
var demoAccount = conf.Account{UserID: "100000001", ServiceToken: "demo-service-token-not-a-secret", PH: "demo-ph-value=="}

// startDemo starts the built-in MiMo simulator on a loopback port and points the configuration
// at it. Answers in demo mode are canned: nothing reaches Xiaomi.
func startDemo(bc *conf.Bootstrap, logger *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	simulator := sim.New(sim.Options{
		DefaultScenario: bc.Upstream.DemoScenario,
		Accounts:        []sim.Account{{UserID: demoAccount.UserID, ServiceToken: demoAccount.ServiceToken, PH: demoAccount.PH}},
		KeepRequests:    100,
	})
	srv := &http.Server{Handler: simulator, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("demo upstream stopped", "error", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	demoKey := len(bc.Auth.APIKeys) == 0
	apply := func(b *conf.Bootstrap) {
		b.Upstream.Demo = true
		b.Upstream.BaseURL = base
		b.Accounts = []conf.Account{demoAccount}
		if len(b.Auth.APIKeys) == 0 {
			// A well-known key for the demo only; configured keys are never logged.
			b.Auth.APIKeys = []string{DemoAPIKey}
		}
	}
	apply(bc)
	bc.Overlay = apply // a reload keeps serving from the simulator
	attrs := []any{"demo_upstream", bc.Upstream.BaseURL}
	if demoKey {
		attrs = append(attrs, "api_key", DemoAPIKey)
	}
	logger.Warn("DEMO MODE: the upstream is the built-in MiMo simulator with canned answers, not Xiaomi MiMo", attrs...)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
