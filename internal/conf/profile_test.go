package conf

import (
	"slices"
	"testing"
)

// TestNoToolsProfileMatchesDefault keeps configs/profiles/no-tools equal to the default
// configuration without prompt.mimoml and sieve.tools, so the two profiles cannot drift apart.
func TestNoToolsProfileMatchesDefault(t *testing.T) {
	def, err := Load("../../configs", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	nt, err := Load("../../configs/profiles/no-tools", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	strip := func(r []Route) []Route {
		out := slices.Clone(r)
		for i := range out {
			out[i].Chain = slices.DeleteFunc(slices.Clone(out[i].Chain), func(e Entry) bool {
				return e.Use == "prompt.mimoml" || e.Use == "sieve.tools"
			})
		}
		return out
	}
	want, got := strip(def.Routes), nt.Routes
	if len(want) != len(got) {
		t.Fatalf("no-tools has %d routes, default %d", len(got), len(want))
	}
	tools := 0
	for _, r := range def.Routes {
		for _, e := range r.Chain {
			if e.Use == "prompt.mimoml" {
				tools++
			}
		}
	}
	if tools == 0 {
		t.Fatal("the default profile injects no tools at all")
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Name != g.Name || w.Path != g.Path || w.Method != g.Method || w.Timeouts != g.Timeouts || len(w.Chain) != len(g.Chain) {
			t.Fatalf("route %d differs: default %+v, no-tools %+v", i, w, g)
		}
		for j := range w.Chain {
			if w.Chain[j].Use != g.Chain[j].Use || string(w.Chain[j].With) != string(g.Chain[j].With) {
				t.Errorf("route %s entry %d: default %s, no-tools %s", w.Name, j, w.Chain[j].Use, g.Chain[j].Use)
			}
		}
	}
	def.Routes, nt.Routes, def.Source, nt.Source = nil, nil, "", ""
	if !slices.Equal(def.Models, nt.Models) || def.Server != nt.Server || def.Upstream != nt.Upstream || def.Pool != nt.Pool {
		t.Errorf("settings differ between the profiles")
	}
}
