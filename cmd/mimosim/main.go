// Command mimosim serves a simulated MiMo AI Studio upstream for local
// testing and demos of the gateway.
//
// Usage:
//
//	mimosim [-addr 127.0.0.1:9090] [-scenario plain] [-drip 50ms]
//
// Any cookies are accepted. A chat query can pick its scenario with a
// [sim:NAME] directive anywhere in its text.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mimo2api/mimo2api/internal/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mimosim:", err)
		}
		os.Exit(2)
	}
}

// run serves until ctx is done, then shuts down gracefully. ready, if not
// nil, is called with the listening address once the server accepts connections.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	names := strings.Join(sim.New(sim.Options{}).Scenarios(), ", ")
	fs := flag.NewFlagSet("mimosim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	scenario := fs.String("scenario", "plain", "default scenario, one of: "+names)
	drip := fs.Duration("drip", 50*time.Millisecond, "delay between frames of the slow scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	logger := log.New(stderr, "", log.LstdFlags)
	s := sim.New(sim.Options{
		DefaultScenario: *scenario,
		Drip:            *drip,
		KeepRequests:    1000, // a long-running simulator must not grow without bound
		Logf:            logger.Printf,
	})
	if !s.HasScenario(*scenario) {
		return fmt.Errorf("unknown scenario %q (known: %s)", *scenario, names)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: logger}
	logger.Printf("mimosim: listening on http://%s (default scenario %s)", ln.Addr(), *scenario)
	if ready != nil {
		ready(ln.Addr().String())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Printf("mimosim: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Streams still dripping after the grace period are cut.
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
