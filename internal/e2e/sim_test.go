package e2e

import "github.com/mimo2api/mimo2api/internal/sim"

func simOptions(users map[string]string) sim.Options {
	return sim.Options{UserScenarios: users}
}
