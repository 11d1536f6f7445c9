// Package biz is the gateway's core: it compiles configured routes into plugin chains once per
// configuration load and runs requests through them.
package biz
