package anthropic

import (
	"github.com/tidwall/gjson"
)

// toolInput returns a tool call's arguments as a JSON object: "{}" for empty arguments or
// arguments that are not a JSON object.
func toolInput(args string) string {
	if args == "" || !gjson.Valid(args) || !gjson.Parse(args).IsObject() {
		return "{}"
	}
	return args
}
