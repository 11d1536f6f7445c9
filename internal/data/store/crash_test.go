package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// crashEnv names the database a child process of TestCrashRecovery works on.
const crashEnv = "STORE_CRASH_CHILD_DB"

// TestCrashChild is the worker process TestCrashRecovery kills: it claims five requests,
// finishes three, says "ready" and waits to be killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process of TestCrashRecovery")
	}
	ctx := context.Background()
	s, err := OpenSQLite(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var claimed []BatchRequest
	for range 5 {
		r, ok, err := s.ClaimRequest(ctx, "child", time.Hour)
		if err != nil || !ok {
			t.Fatalf("child claim: %v %v", ok, err)
		}
		claimed = append(claimed, r)
	}
	for _, r := range claimed[:3] {
		if err := s.FinishRequest(ctx, r.BatchID, r.CustomID, RequestSucceeded, result(r.CustomID, "child")); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // until killed (or the parent goes away)
	os.Exit(1)
}

func result(customID, worker string) json.RawMessage {
	return fmt.Appendf(nil, `{"custom_id":%q,"worker":%q}`, customID, worker)
}

// TestCrashRecovery kills a worker process holding leases with SIGKILL, then lets four racing
// workers drain the batch with a clock that expires every other lease at each claim: every
// request must end with exactly one result.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "state.db")
	const n = 20
	{
		s, err := OpenSQLite(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateBatch(ctx, Batch{ID: "batch"}, requests(n)); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// The child claims, finishes some and is killed while holding two leases.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) || exit.Success() {
		t.Fatalf("child wait: %v, want killed", err)
	}

	// Reopen two hours later: the child's one-hour leases have run out.
	c := newClock(time.Now().Add(2 * time.Hour))
	s := openAt(t, path, c)
	if b := mustBatch(t, s, "batch"); b.Counts != (Counts{Processing: n - 3, Succeeded: 3}) {
		t.Fatalf("after the crash: %+v", b.Counts)
	}

	const lease = time.Minute
	var (
		mu       sync.Mutex
		finished = map[string]json.RawMessage{} // custom_id → the result that was accepted
		dups     int
		wg       sync.WaitGroup
		errs     = make(chan error, 4)
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("w%d", w)
			for ctx.Err() == nil {
				r, ok, err := s.ClaimRequest(ctx, name, lease)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					b, err := s.GetBatch(ctx, "batch")
					if err != nil {
						errs <- err
						return
					}
					if b.Status == BatchEnded {
						return
					}
					runtime.Gosched() // another worker still holds a request
					continue
				}
				// Every claim expires every other lease: workers steal each other's requests.
				c.Advance(lease)
				res := result(r.CustomID, name)
				err = s.FinishRequest(ctx, r.BatchID, r.CustomID, RequestSucceeded, res)
				if err != nil && !errors.Is(err, ErrAlreadyFinished) {
					errs <- err
					return
				}
				mu.Lock()
				if err != nil {
					dups++
				} else {
					if _, twice := finished[r.CustomID]; twice {
						t.Errorf("%s finished twice", r.CustomID)
					}
					finished[r.CustomID] = res
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("workers did not drain the batch in time")
	}
	t.Logf("%d finishes refused as duplicates", dups)
	if len(finished) != n-3 {
		t.Errorf("workers finished %d requests, want %d", len(finished), n-3)
	}

	b := mustBatch(t, s, "batch")
	if b.Status != BatchEnded || b.Counts != (Counts{Succeeded: n}) || b.EndedAt == nil {
		t.Errorf("batch = %+v, want ended with %d succeeded", b, n)
	}
	i, byChild := 0, 0
	for r, err := range s.Results(ctx, "batch") {
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("r%d", i); r.CustomID != want || r.State != RequestSucceeded {
			t.Errorf("result %d = %s %s, want %s succeeded", i, r.CustomID, r.State, want)
		}
		var v struct {
			CustomID string `json:"custom_id"`
			Worker   string `json:"worker"`
		}
		if err := json.Unmarshal(r.Result, &v); err != nil || v.CustomID != r.CustomID {
			t.Errorf("result of %s = %s (%v)", r.CustomID, r.Result, err)
		}
		switch {
		case v.Worker == "child":
			byChild++
		case string(finished[r.CustomID]) != string(r.Result):
			t.Errorf("stored result of %s = %s, but the accepted finish was %s", r.CustomID, r.Result, finished[r.CustomID])
		}
		if i == 3 || i == 4 { // leased by the child when it died
			if r.Attempts < 2 {
				t.Errorf("%s attempts = %d, want ≥ 2 (reclaimed after the crash)", r.CustomID, r.Attempts)
			}
		}
		i++
	}
	if i != n || byChild != 3 {
		t.Errorf("%d results, %d by the child; want %d and 3", i, byChild, n)
	}
}
