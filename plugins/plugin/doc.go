// Package plugin is the SDK for MiMo2API plugins.
//
// Every route of the gateway is an ordered chain of plugins declared in configuration:
//
//	chain:
//	  - use: auth.apikey
//	  - use: dialect.openai_chat
//	  - use: select.round_robin
//	  - use: upstream.mimo
//	  - use: sieve.tools
//
// Entries before the single [Terminal] are request stages ([Stage]): onion-style handlers that
// can act before and after the rest of the chain. The terminal produces the response: a canonical
// event [Stream] or a ready body. Entries after the terminal are response stages ([Filter]) that
// transform the event stream in listed order. The [Dialect] found in the chain decodes the client's
// request into a canonical [Request] and renders the response and every [Error] in the client's
// API shape.
//
// A plugin registers a constructor under a namespaced id in an init function:
//
//	func init() { plugin.Register(plugin.Info{ID: "example.header", New: func() plugin.Plugin { return new(Header) }}) }
//
// Its life cycle is: New → strict decoding of the entry's `with:` block into the value (unknown keys
// are an error) → [Provisioner.Provision] with the [Host] → [Validator.Validate]; [CleanerUpper.Cleanup]
// runs when a later step fails and when the configuration is replaced. Package plugintest runs any
// plugin without a server.
package plugin
