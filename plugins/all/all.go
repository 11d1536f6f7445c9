// Package all imports every built-in plugin so that it registers itself. A gateway build
// imports it once, next to any custom plugin packages.
package all

import (
	_ "github.com/mimo2api/mimo2api/plugins/anthropicstore"
	_ "github.com/mimo2api/mimo2api/plugins/auth"
	_ "github.com/mimo2api/mimo2api/plugins/dialect/anthropic"
	_ "github.com/mimo2api/mimo2api/plugins/dialect/openai"
	_ "github.com/mimo2api/mimo2api/plugins/dialect/responses"
	_ "github.com/mimo2api/mimo2api/plugins/guard"
	_ "github.com/mimo2api/mimo2api/plugins/inline"
	_ "github.com/mimo2api/mimo2api/plugins/models"
	_ "github.com/mimo2api/mimo2api/plugins/prompt"
	_ "github.com/mimo2api/mimo2api/plugins/responsesapi"
	_ "github.com/mimo2api/mimo2api/plugins/selector"
	_ "github.com/mimo2api/mimo2api/plugins/session"
	_ "github.com/mimo2api/mimo2api/plugins/sieve"
	_ "github.com/mimo2api/mimo2api/plugins/sysprompt"
	_ "github.com/mimo2api/mimo2api/plugins/tokens"
	_ "github.com/mimo2api/mimo2api/plugins/upstream"
)
