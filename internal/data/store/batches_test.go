package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// requests makes n batch requests r0…r(n-1).
func requests(n int) []BatchRequest {
	reqs := make([]BatchRequest, n)
	for i := range reqs {
		reqs[i] = BatchRequest{CustomID: fmt.Sprintf("r%d", i), Params: fmt.Appendf(nil, `{"n":%d}`, i)}
	}
	return reqs
}

func mustBatch(t *testing.T, s *SQLite, id string) Batch {
	t.Helper()
	b, err := s.GetBatch(context.Background(), id)
	if err != nil {
		t.Fatalf("GetBatch(%s): %v", id, err)
	}
	return b
}

func mustClaim(t *testing.T, s *SQLite, owner string, lease time.Duration) BatchRequest {
	t.Helper()
	r, ok, err := s.ClaimRequest(context.Background(), owner, lease)
	if err != nil || !ok {
		t.Fatalf("ClaimRequest = %v, %v; want a request", ok, err)
	}
	return r
}

func mustFinish(t *testing.T, s *SQLite, r BatchRequest, state RequestState) {
	t.Helper()
	res := fmt.Appendf(nil, `{"custom_id":%q}`, r.CustomID)
	if err := s.FinishRequest(context.Background(), r.BatchID, r.CustomID, state, res); err != nil {
		t.Fatalf("FinishRequest(%s): %v", r.CustomID, err)
	}
}

// results collects a batch's results as "custom_id:state:attempts:result".
func results(t *testing.T, s *SQLite, id string) []string {
	t.Helper()
	out := []string{}
	for r, err := range s.Results(context.Background(), id) {
		if err != nil {
			t.Fatalf("Results(%s): %v", id, err)
		}
		out = append(out, fmt.Sprintf("%s:%s:%d:%s", r.CustomID, r.State, r.Attempts, r.Result))
	}
	return out
}

func TestCreateBatch(t *testing.T) {
	ctx := context.Background()
	s := open(t, newClock(epoch))

	if err := s.CreateBatch(ctx, Batch{ID: "b1", Model: "mimo-v2.5", Status: "bogus"}, requests(3)); err != nil {
		t.Fatal(err)
	}
	want := Batch{
		ID: "b1", Model: "mimo-v2.5", Status: BatchInProgress, Counts: Counts{Processing: 3},
		CreatedAt: epoch, ExpiresAt: epoch.Add(DefaultExpiry),
	}
	if diff := cmp.Diff(want, mustBatch(t, s, "b1")); diff != "" {
		t.Errorf("GetBatch (-want +got):\n%s", diff)
	}

	r := mustClaim(t, s, "w", time.Minute)
	if want := (BatchRequest{BatchID: "b1", CustomID: "r0", Params: []byte(`{"n":0}`), State: RequestRunning, Attempts: 1}); !cmp.Equal(r, want) {
		t.Errorf("claimed %+v, want %+v", r, want)
	}

	// A batch without requests has nothing to wait for.
	if err := s.CreateBatch(ctx, Batch{ID: "empty"}, nil); err != nil {
		t.Fatal(err)
	}
	if b := mustBatch(t, s, "empty"); b.Status != BatchEnded || b.EndedAt == nil {
		t.Errorf("empty batch = %+v, want ended", b)
	}

	for name, tc := range map[string]struct {
		b    Batch
		reqs []BatchRequest
		want error
	}{
		"duplicate batch":     {Batch{ID: "b1"}, requests(1), ErrExists},
		"duplicate custom_id": {Batch{ID: "b2"}, append(requests(2), requests(1)...), ErrExists},
	} {
		if err := s.CreateBatch(ctx, tc.b, tc.reqs); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	if err := s.CreateBatch(ctx, Batch{ID: "b3"}, []BatchRequest{{}}); err == nil {
		t.Error("CreateBatch accepted an empty custom_id")
	}
	if _, err := s.GetBatch(ctx, "b2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a failed CreateBatch left batch b2 behind (err = %v)", err)
	}
}

func TestClaimAndFinish(t *testing.T) {
	ctx := context.Background()
	c := newClock(epoch)
	s := open(t, c)
	if err := s.CreateBatch(ctx, Batch{ID: "a"}, requests(2)); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Second)
	if err := s.CreateBatch(ctx, Batch{ID: "b"}, requests(1)); err != nil {
		t.Fatal(err)
	}

	// Oldest first, across batches.
	var got []string
	for range 3 {
		r := mustClaim(t, s, "w", time.Minute)
		got = append(got, r.BatchID+"/"+r.CustomID)
	}
	if want := []string{"a/r0", "a/r1", "b/r0"}; !cmp.Equal(got, want) {
		t.Errorf("claim order = %v, want %v", got, want)
	}
	if _, ok, err := s.ClaimRequest(ctx, "w", time.Minute); ok || err != nil {
		t.Errorf("ClaimRequest with everything leased = %v, %v; want nothing", ok, err)
	}
	if _, _, err := s.ClaimRequest(ctx, "w", 0); err == nil {
		t.Error("ClaimRequest accepted a zero lease")
	}

	mustFinish(t, s, BatchRequest{BatchID: "a", CustomID: "r0"}, RequestSucceeded)
	if b := mustBatch(t, s, "a"); b.Status != BatchInProgress || b.Counts != (Counts{Processing: 1, Succeeded: 1}) {
		t.Errorf("after one finish: %s %+v", b.Status, b.Counts)
	}
	if err := s.FinishRequest(ctx, "a", "r0", RequestErrored, []byte(`{"second":true}`)); !errors.Is(err, ErrAlreadyFinished) {
		t.Errorf("second finish err = %v, want ErrAlreadyFinished", err)
	}
	c.Advance(time.Second)
	mustFinish(t, s, BatchRequest{BatchID: "a", CustomID: "r1"}, RequestErrored)
	b := mustBatch(t, s, "a")
	if b.Status != BatchEnded || b.Counts != (Counts{Errored: 1, Succeeded: 1}) || b.EndedAt == nil || !b.EndedAt.Equal(c.Now()) {
		t.Errorf("after last finish: %+v", b)
	}
	want := []string{`r0:succeeded:1:{"custom_id":"r0"}`, `r1:errored:1:{"custom_id":"r1"}`}
	if got := results(t, s, "a"); !cmp.Equal(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}

	for name, tc := range map[string]struct {
		batch, custom string
		state         RequestState
		want          error
	}{
		"unknown request": {"b", "nope", RequestSucceeded, ErrNotFound},
		"unknown batch":   {"nope", "r0", RequestSucceeded, ErrNotFound},
	} {
		if err := s.FinishRequest(ctx, tc.batch, tc.custom, tc.state, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	for _, st := range []RequestState{RequestPending, RequestRunning, "done"} {
		if err := s.FinishRequest(ctx, "b", "r0", st, nil); err == nil {
			t.Errorf("FinishRequest accepted state %q", st)
		}
	}
	for _, err := range s.Results(ctx, "nope") {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Results(unknown) err = %v, want ErrNotFound", err)
		}
	}
}

// A worker whose lease ran out loses the request to another; only the first finish counts.
func TestLeaseStolen(t *testing.T) {
	ctx := context.Background()
	c := newClock(epoch)
	s := open(t, c)
	if err := s.CreateBatch(ctx, Batch{ID: "a"}, requests(1)); err != nil {
		t.Fatal(err)
	}
	slow := mustClaim(t, s, "slow", time.Minute)
	c.Advance(time.Minute)
	fast := mustClaim(t, s, "fast", time.Minute)
	if fast.CustomID != slow.CustomID || fast.Attempts != 2 {
		t.Fatalf("second claim = %+v, want r0 on attempt 2", fast)
	}
	if err := s.FinishRequest(ctx, "a", "r0", RequestSucceeded, []byte(`"fast"`)); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRequest(ctx, "a", "r0", RequestSucceeded, []byte(`"slow"`)); !errors.Is(err, ErrAlreadyFinished) {
		t.Errorf("late finish err = %v, want ErrAlreadyFinished", err)
	}
	if got, want := results(t, s, "a"), []string{`r0:succeeded:2:"fast"`}; !cmp.Equal(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
}

func TestCancelBatch(t *testing.T) {
	ctx := context.Background()
	c := newClock(epoch)
	s := open(t, c)
	if err := s.CreateBatch(ctx, Batch{ID: "a"}, requests(4)); err != nil {
		t.Fatal(err)
	}
	mustFinish(t, s, mustClaim(t, s, "w", time.Minute), RequestSucceeded)
	running := mustClaim(t, s, "w", time.Minute)

	at := c.Now()
	b, err := s.CancelBatch(ctx, "a", at)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != BatchCanceling || b.Counts != (Counts{Processing: 1, Succeeded: 1, Canceled: 2}) ||
		b.CancelInitiatedAt == nil || !b.CancelInitiatedAt.Equal(at) || b.EndedAt != nil {
		t.Errorf("after cancel: %+v", b)
	}
	// Canceling again changes nothing.
	again, err := s.CancelBatch(ctx, "a", at.Add(time.Hour))
	if err != nil || !cmp.Equal(again, b) {
		t.Errorf("second cancel = %+v, %v; want %+v", again, err, b)
	}
	if _, ok, err := s.ClaimRequest(ctx, "w", time.Minute); ok || err != nil {
		t.Errorf("ClaimRequest on a canceling batch = %v, %v; want nothing", ok, err)
	}

	// The running request finishes; the batch ends.
	c.Advance(time.Second)
	mustFinish(t, s, running, RequestCanceled)
	b = mustBatch(t, s, "a")
	if b.Status != BatchEnded || b.Counts != (Counts{Succeeded: 1, Canceled: 3}) || b.EndedAt == nil || !b.EndedAt.Equal(c.Now()) {
		t.Errorf("after the last running request: %+v", b)
	}
	want := []string{
		`r0:succeeded:1:{"custom_id":"r0"}`,
		`r1:canceled:1:{"custom_id":"r1"}`,
		`r2:canceled:0:`,
		`r3:canceled:0:`,
	}
	if got := results(t, s, "a"); !cmp.Equal(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
	if ended, err := s.CancelBatch(ctx, "a", c.Now().Add(time.Hour)); err != nil || !cmp.Equal(ended, b) {
		t.Errorf("cancel of an ended batch = %+v, %v; want it unchanged", ended, err)
	}
	if _, err := s.CancelBatch(ctx, "nope", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel of an unknown batch err = %v, want ErrNotFound", err)
	}

	// Without running requests cancellation ends the batch at once.
	if err := s.CreateBatch(ctx, Batch{ID: "idle"}, requests(2)); err != nil {
		t.Fatal(err)
	}
	if b, err := s.CancelBatch(ctx, "idle", at); err != nil || b.Status != BatchEnded || b.Counts != (Counts{Canceled: 2}) {
		t.Errorf("cancel of an idle batch = %+v, %v", b, err)
	}
}

// A worker that dies while its batch is being canceled: the request is canceled when its
// lease runs out.
func TestCancelDeadWorker(t *testing.T) {
	ctx := context.Background()
	c := newClock(epoch)
	s := open(t, c)
	if err := s.CreateBatch(ctx, Batch{ID: "a"}, requests(1)); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, s, "dies", time.Minute)
	if _, err := s.CancelBatch(ctx, "a", c.Now()); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if _, ok, err := s.ClaimRequest(ctx, "w", time.Minute); ok || err != nil {
		t.Errorf("ClaimRequest = %v, %v; want nothing", ok, err)
	}
	if b := mustBatch(t, s, "a"); b.Status != BatchEnded || b.Counts != (Counts{Canceled: 1}) {
		t.Errorf("batch = %+v, want ended with one canceled", b)
	}
}

func TestExpiry(t *testing.T) {
	ctx := context.Background()
	c := newClock(epoch)
	s := open(t, c)
	if err := s.CreateBatch(ctx, Batch{ID: "a", ExpiresAt: epoch.Add(time.Hour)}, requests(4)); err != nil {
		t.Fatal(err)
	}
	dead := mustClaim(t, s, "dies", time.Minute)  // its worker crashes
	alive := mustClaim(t, s, "slow", 3*time.Hour) // still working when the batch expires
	if dead.CustomID != "r0" || alive.CustomID != "r1" {
		t.Fatalf("claimed %s and %s", dead.CustomID, alive.CustomID)
	}
	c.Advance(2 * time.Hour)
	if _, ok, err := s.ClaimRequest(ctx, "w", time.Minute); ok || err != nil {
		t.Errorf("ClaimRequest after expiry = %v, %v; want nothing", ok, err)
	}
	if b := mustBatch(t, s, "a"); b.Status != BatchInProgress || b.Counts != (Counts{Processing: 1, Expired: 3}) {
		t.Errorf("after expiry: %s %+v", b.Status, b.Counts)
	}
	mustFinish(t, s, alive, RequestSucceeded)
	if b := mustBatch(t, s, "a"); b.Status != BatchEnded || b.Counts != (Counts{Succeeded: 1, Expired: 3}) {
		t.Errorf("after the last request: %s %+v", b.Status, b.Counts)
	}
	want := []string{`r0:expired:1:`, `r1:succeeded:1:{"custom_id":"r1"}`, `r2:expired:0:`, `r3:expired:0:`}
	if got := results(t, s, "a"); !cmp.Equal(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
}

func TestListBatches(t *testing.T) {
	ctx := context.Background()
	c := newClock(epoch)
	s := open(t, c)
	for i := 1; i <= 5; i++ {
		if err := s.CreateBatch(ctx, Batch{ID: fmt.Sprintf("b%d", i)}, requests(1)); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Second)
	}
	tests := []struct {
		name     string
		page     Page
		want     []string
		wantMore bool
		wantErr  error
	}{
		{name: "newest first", want: []string{"b5", "b4", "b3", "b2", "b1"}},
		{name: "limit", page: Page{Limit: 2}, want: []string{"b5", "b4"}, wantMore: true},
		{name: "after_id", page: Page{Limit: 2, After: "b4"}, want: []string{"b3", "b2"}, wantMore: true},
		{name: "after_id last page", page: Page{Limit: 2, After: "b2"}, want: []string{"b1"}},
		{name: "before_id", page: Page{Limit: 2, Before: "b2"}, want: []string{"b4", "b3"}, wantMore: true},
		{name: "asc", page: Page{Order: "asc", Limit: 3}, want: []string{"b1", "b2", "b3"}, wantMore: true},
		{name: "unknown cursor", page: Page{After: "nope"}, wantErr: ErrInvalidPage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs, more, err := s.ListBatches(ctx, tt.page)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			got := []string{}
			for _, b := range bs {
				got = append(got, b.ID)
			}
			if tt.wantErr == nil && (!cmp.Equal(got, tt.want) || more != tt.wantMore) {
				t.Errorf("got %v more=%v, want %v more=%v", got, more, tt.want, tt.wantMore)
			}
		})
	}
	if bs, _, _ := s.ListBatches(ctx, Page{Limit: 1}); len(bs) != 1 || bs[0].Counts.Processing != 1 || !bs[0].CreatedAt.Equal(epoch.Add(4*time.Second)) {
		t.Errorf("listed batch = %+v, want b5 in full", bs)
	}
}

func TestDeleteBatch(t *testing.T) {
	ctx := context.Background()
	s := open(t, nil)
	if err := s.CreateBatch(ctx, Batch{ID: "a"}, requests(2)); err != nil {
		t.Fatal(err)
	}
	r := mustClaim(t, s, "w", time.Minute)
	if err := s.DeleteBatch(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetBatch(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetBatch after delete err = %v, want ErrNotFound", err)
	}
	if err := s.FinishRequest(ctx, r.BatchID, r.CustomID, RequestSucceeded, json.RawMessage(`{}`)); !errors.Is(err, ErrNotFound) {
		t.Errorf("finish after delete err = %v, want ErrNotFound", err)
	}
	if _, ok, err := s.ClaimRequest(ctx, "w", time.Minute); ok || err != nil {
		t.Errorf("ClaimRequest after delete = %v, %v; want nothing", ok, err)
	}
	if err := s.DeleteBatch(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete err = %v, want ErrNotFound", err)
	}
}

func TestResultsChunks(t *testing.T) {
	ctx := context.Background()
	s := open(t, nil)
	n := resultsChunk + 3
	if err := s.CreateBatch(ctx, Batch{ID: "a"}, requests(n)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelBatch(ctx, "a", epoch); err != nil {
		t.Fatal(err)
	}
	i := 0
	for r, err := range s.Results(ctx, "a") {
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("r%d", i); r.CustomID != want {
			t.Fatalf("result %d is %s, want %s", i, r.CustomID, want)
		}
		i++
		if i == n-1 {
			break // stopping early must be fine
		}
	}
	if i != n-1 {
		t.Errorf("got %d results before stopping, want %d", i, n-1)
	}
	if got := len(results(t, s, "a")); got != n {
		t.Errorf("len(results) = %d, want %d", got, n)
	}
}
