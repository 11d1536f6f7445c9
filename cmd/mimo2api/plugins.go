package main

// Plugins compiled into the gateway. Add one import line per custom plugin package.
import (
	_ "github.com/mimo2api/mimo2api/plugins/all"
)
