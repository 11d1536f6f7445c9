// Package mimo2apicmd is the gateway's public entry point. A custom build that adds plugins from
// other modules is a main package that imports this package and the plugin packages:
//
//	package main
//
//	import (
//		"github.com/mimo2api/mimo2api/cmd/mimo2api/mimo2apicmd"
//		_ "github.com/mimo2api/mimo2api/plugins/all"
//		_ "example.com/myplugins/header"
//	)
//
//	func main() { mimo2apicmd.Main() }
package mimo2apicmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	klog "github.com/go-kratos/kratos/v2/log"
)

// Version is the gateway's version, set at build time with -ldflags "-X ...mimo2apicmd.Version=v1.2.3".
var Version = "dev"

// Main runs the command line and exits the process.
func Main() {
	os.Exit(Run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// Run runs the command line with args (without the program name) and returns the exit code.
// Commands: "run" (the default) starts the gateway; "validate" compiles the configuration and
// reports the first error; "version" prints the version.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("mimo2api "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	confPath := fs.String("conf", "configs", "configuration file or directory")
	profile := fs.String("profile", getenv("MIMO_PROFILE"), "configuration profile: a folder under <conf>/profiles (env MIMO_PROFILE)")
	demo := fs.Bool("demo", false, "serve from the built-in MiMo simulator (a demo upstream with canned answers)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	klog.SetLogger(kratosLogger{logger.With("component", "kratos")})
	path, err := ConfigPath(*confPath, *profile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "mimo2api", Version)
		return 0
	case "validate":
		if err := validate(path, getenv); err != nil {
			fmt.Fprintln(stderr, "invalid configuration:", err)
			return 1
		}
		fmt.Fprintf(stdout, "configuration %s is valid\n", path)
		return 0
	case "run":
		if err := run(ctx, path, *demo, getenv, logger, stdout); err != nil {
			logger.Error("gateway stopped", "error", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "unknown command %q: want run, validate or version\n", cmd)
	return 2
}

// ConfigPath returns the configuration to load: dir itself, or dir/profiles/<profile> when a
// profile other than "default" is named. Profiles live in their own folders because kratos
// merges every file of a configuration directory.
func ConfigPath(dir, profile string) (string, error) {
	if profile == "" || profile == "default" {
		return dir, nil
	}
	if strings.ContainsAny(profile, `/\`) || profile == "." || profile == ".." {
		return "", fmt.Errorf("invalid profile name %q", profile)
	}
	p := filepath.Join(dir, "profiles", profile)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("profile %q: %w", profile, errors.Unwrap(err))
	}
	return p, nil
}
