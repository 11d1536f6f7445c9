package biz

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// TestHeartbeat checks that a silent stream gets keep-alives at the interval, that events reset
// the interval, and that stopping the consumer stops the source goroutine.
func TestHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		release := make(chan struct{})
		stopped := make(chan struct{})
		src := func(yield func(plugin.Event, error) bool) {
			defer close(stopped)
			if !yield(plugin.Event{Kind: plugin.EventText, Text: "a"}, nil) {
				return
			}
			<-release // a long upstream silence
			if !yield(plugin.Event{Kind: plugin.EventText, Text: "b"}, nil) {
				return
			}
			<-ctx.Done() // silent again, until the request ends (the upstream read fails)
		}
		var kinds []plugin.EventKind
		start := time.Now()
		for ev, err := range heartbeat(src, 10*time.Second) {
			if err != nil {
				t.Fatal(err)
			}
			kinds = append(kinds, ev.Kind)
			switch len(kinds) {
			case 3: // "a" and two heartbeats at 10s and 20s
				if got := time.Since(start); got != 20*time.Second {
					t.Fatalf("second heartbeat after %v, want 20s", got)
				}
				close(release)
			case 5: // "b", then one more heartbeat 10s after "b"
				if got := time.Since(start); got != 30*time.Second {
					t.Fatalf("heartbeat after the event at %v, want 30s", got)
				}
			}
			if len(kinds) == 5 {
				break
			}
		}
		want := []plugin.EventKind{plugin.EventText, plugin.EventHeartbeat, plugin.EventHeartbeat, plugin.EventText, plugin.EventHeartbeat}
		if len(kinds) != len(want) {
			t.Fatalf("kinds = %v, want %v", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("kinds = %v, want %v", kinds, want)
			}
		}
		synctest.Wait()
		select {
		case <-stopped:
			t.Fatal("the source ended before the request did")
		default:
		}
		cancel()
		<-stopped // the source goroutine ends with the request: no leak
	})
}

// TestHeartbeatPassesErrors checks that an error ends the stream without a heartbeat after it.
func TestHeartbeatPassesErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := plugin.BadRequest("boom")
		var got []error
		for _, err := range heartbeat(plugin.ErrorStream(boom), time.Second) {
			got = append(got, err)
		}
		if len(got) != 1 || got[0] != boom {
			t.Fatalf("got %v", got)
		}
	})
}
