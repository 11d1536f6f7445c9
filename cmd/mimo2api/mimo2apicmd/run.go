package mimo2apicmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-kratos/kratos/v2"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	"github.com/mimo2api/mimo2api/internal/biz"
	"github.com/mimo2api/mimo2api/internal/conf"
	"github.com/mimo2api/mimo2api/internal/data"
	"github.com/mimo2api/mimo2api/internal/service"
	"github.com/mimo2api/mimo2api/internal/telemetry"
)

func run(ctx context.Context, path string, demo bool, getenv func(string) string, logger *slog.Logger, stdout io.Writer) error {
	bc, err := conf.Load(path, getenv)
	if err != nil {
		return err
	}
	if demo || bc.Upstream.Demo {
		stop, err := startDemo(bc, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	app, cleanup, err := wireApp(bc, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	return runApp(ctx, app, path, getenv, logger)
}

func runApp(ctx context.Context, app *App, path string, getenv func(string) string, logger *slog.Logger) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			bc, err := conf.Load(path, getenv)
			if err == nil {
				err = app.Gateway.Reload(bc)
			}
			if err != nil {
				logger.Error("reload failed; keeping the current configuration", "error", err)
			}
		}
	}()
	return app.Run()
}

// App is the assembled gateway.
type App struct {
	*kratos.App
	// Gateway serves the routes.
	Gateway *service.Gateway
	// HTTP is the HTTP server.
	HTTP *khttp.Server

	started chan struct{} // closed once the servers run
}

func newApp(bc *conf.Bootstrap, logger *slog.Logger, hs *khttp.Server, gw *service.Gateway) *App {
	stop := bc.Server.ShutdownTimeout.Std()
	started := make(chan struct{})
	opts := []kratos.Option{
		kratos.Name("mimo2api"),
		kratos.Version(Version),
		kratos.Logger(kratosLogger{logger}),
		kratos.Server(hs),
		kratos.AfterStart(func(context.Context) error {
			close(started)
			u, err := hs.Endpoint()
			if err != nil {
				return err
			}
			base := "http://" + u.Host
			logger.Info("mimo2api listening", "url", base, "routes", len(bc.Routes), "accounts", len(bc.Accounts))
			if !bc.Upstream.Demo {
				return nil
			}
			key := "$MIMO_API_KEY"
			if len(bc.Auth.APIKeys) == 1 && bc.Auth.APIKeys[0] == DemoAPIKey {
				key = DemoAPIKey
			}
			fmt.Fprintf(os.Stderr, "\n  Try it:\n    curl -s %s/v1/chat/completions -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n      -d '{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'\n\n", base, key, bc.ModelList()[0])
			return nil
		}),
	}
	if stop > 0 {
		opts = append(opts, kratos.StopTimeout(stop))
	}
	return &App{App: kratos.New(opts...), Gateway: gw, HTTP: hs, started: started}
}

// validate loads and compiles the configuration without serving it.
func validate(path string, getenv func(string) string) error {
	bc, err := conf.Load(path, getenv)
	if err != nil {
		return err
	}
	d, cleanup, err := data.NewData(bc)
	if err != nil {
		return err
	}
	defer cleanup()
	tp, tcleanup, err := telemetry.NewTracerProvider(bc)
	if err != nil {
		return err
	}
	defer tcleanup()
	host := biz.NewHost(bc, d, tp, slog.New(slog.DiscardHandler))
	rt, err := biz.Compile(bc.Routes, host, biz.Options{})
	if err != nil {
		return err
	}
	return rt.Cleanup()
}

// Running is a gateway started by Start.
type Running struct {
	// URL is the gateway's base URL, such as "http://127.0.0.1:34567".
	URL string
	// App is the running application.
	App     *App
	done    chan error
	cleanup func()
}

// Start assembles the gateway for bc and serves it in the background; tests and embedders use
// it. Set bc.Server.Addr to "127.0.0.1:0" for a free port.
func Start(bc *conf.Bootstrap, logger *slog.Logger) (*Running, error) {
	app, cleanup, err := wireApp(bc, logger)
	if err != nil {
		return nil, err
	}
	u, err := app.HTTP.Endpoint() // binds the listener
	if err != nil {
		cleanup()
		return nil, err
	}
	r := &Running{URL: "http://" + u.Host, App: app, done: make(chan error, 1), cleanup: cleanup}
	go func() { r.done <- app.Run() }()
	select {
	case <-app.started:
		return r, nil
	case err := <-r.done:
		cleanup()
		return nil, fmt.Errorf("gateway did not start: %w", err)
	}
}

// Stop shuts the gateway down gracefully and releases its resources.
func (r *Running) Stop() error {
	err := r.App.Stop()
	if rerr := <-r.done; err == nil {
		err = rerr
	}
	r.cleanup()
	return err
}
