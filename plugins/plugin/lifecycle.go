package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Load runs a plugin's life cycle up to readiness: it constructs the plugin registered under id,
// strictly decodes with (the entry's `with:` block as JSON; nil or "null" means none) into it,
// provisions it with h and validates it. When a step fails the plugin is cleaned up and the
// error names the step.
func Load(id string, with []byte, h Host) (Plugin, error) {
	info, ok := Lookup(id)
	if !ok {
		return nil, fmt.Errorf("unknown plugin %q", id)
	}
	p := info.New()
	if err := DecodeConfig(with, p); err != nil {
		return nil, fmt.Errorf("with: %w", err)
	}
	if pr, ok := p.(Provisioner); ok {
		if err := pr.Provision(h); err != nil {
			return nil, errors.Join(fmt.Errorf("provision: %w", err), Cleanup(p))
		}
	}
	if v, ok := p.(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, errors.Join(fmt.Errorf("validate: %w", err), Cleanup(p))
		}
	}
	return p, nil
}

// DecodeConfig decodes a JSON configuration block into v, refusing unknown keys and trailing
// data. An empty block leaves v unchanged.
func DecodeConfig(raw []byte, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the configuration object")
	}
	return nil
}

// Cleanup calls p's Cleanup when it has one.
func Cleanup(p Plugin) error {
	if c, ok := p.(CleanerUpper); ok {
		return c.Cleanup()
	}
	return nil
}
