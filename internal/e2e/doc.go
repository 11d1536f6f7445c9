// Package e2e holds the end-to-end tests: they start the real gateway in-process, with the
// shipped configuration, against the MiMo simulator, and talk to it with the official SDKs.
package e2e
