// Package mimoml implements the MiMoML tool-call protocol used to give the
// MiMo web chat (which has no native tool calling) client-declared tools.
//
// The prompt side (BuildPrompt, RenderCalls, RenderResult) describes the tools
// and the call format to the model. The parse side (Parse, Clean) extracts
// calls from the model's answer, tolerating the spelling drift models produce:
// DSML instead of MiMoML, fullwidth or missing pipes, missing wrappers and
// closers, legacy TOOL_CALL: lines, JSON call objects and the Qwen/Hermes XML
// forms. StartIndex, PartialMarkerLen and BlockEnd expose the same marker
// grammar to the streaming sieve.
//
// Markdown fences, inline code spans and <think> sections are never parsed
// for calls, and a tool name the client did not declare is never a call.
package mimoml
