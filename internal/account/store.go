package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/mimo2api/mimo2api/plugins/plugin"
)

// StoreFile is the name of the account file in the data directory.
const StoreFile = "accounts.json"

// Entry is one stored account.
type Entry struct {
	Credentials
	// Disabled keeps the account out of the pool.
	Disabled bool
	// AddedAt is when the account was imported.
	AddedAt time.Time
}

// record is an Entry as written to the file, with sealed secrets.
type record struct {
	UserID       string    `json:"user_id"`
	ServiceToken string    `json:"service_token"`
	PH           string    `json:"xiaomichatbot_ph"`
	Disabled     bool      `json:"disabled,omitempty"`
	AddedAt      time.Time `json:"added_at"`
}

type file struct {
	Version  int      `json:"version"`
	Accounts []record `json:"accounts"`
}

// Store keeps imported accounts in a JSON file whose secrets are sealed. Writes replace the
// file atomically (temporary file, then rename) with mode 0600. It is safe for concurrent use
// within one process.
type Store struct {
	path   string
	sealer *Sealer

	mu sync.Mutex
}

// NewStore returns the store of dir/accounts.json.
func NewStore(dir string, s *Sealer) *Store {
	return &Store{path: filepath.Join(dir, StoreFile), sealer: s}
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Load returns the stored accounts; a missing file holds none.
func (s *Store) Load() ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, err := s.read()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(recs))
	for _, r := range recs {
		st, err := s.sealer.Open(r.ServiceToken)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", r.UserID, err)
		}
		ph, err := s.sealer.Open(r.PH)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", r.UserID, err)
		}
		out = append(out, Entry{
			Credentials: Credentials{UserID: r.UserID, ServiceToken: plugin.Secret(st), PH: plugin.Secret(ph)},
			Disabled:    r.Disabled, AddedAt: r.AddedAt,
		})
	}
	return out, nil
}

// Put adds e, or replaces the account with the same user id; replaced says which.
func (s *Store) Put(e Entry) (replaced bool, err error) {
	if e.AddedAt.IsZero() {
		e.AddedAt = time.Now().UTC()
	}
	r := record{
		UserID:       e.UserID,
		ServiceToken: s.sealer.Seal(e.ServiceToken.Reveal()),
		PH:           s.sealer.Seal(e.PH.Reveal()),
		Disabled:     e.Disabled,
		AddedAt:      e.AddedAt,
	}
	err = s.update(func(recs []record) ([]record, bool) {
		i := slices.IndexFunc(recs, func(x record) bool { return x.UserID == e.UserID })
		if i >= 0 {
			recs[i], replaced = r, true
			return recs, true
		}
		return append(recs, r), true
	})
	return replaced, err
}

// Delete removes the account with the given user id; ok is false when there was none.
func (s *Store) Delete(userID string) (ok bool, err error) {
	err = s.update(func(recs []record) ([]record, bool) {
		n := len(recs)
		recs = slices.DeleteFunc(recs, func(x record) bool { return x.UserID == userID })
		ok = len(recs) != n
		return recs, ok
	})
	return ok, err
}

// SetDisabled marks the account with the given user id; ok is false when there is none.
func (s *Store) SetDisabled(userID string, disabled bool) (ok bool, err error) {
	err = s.update(func(recs []record) ([]record, bool) {
		for i := range recs {
			if recs[i].UserID == userID {
				recs[i].Disabled, ok = disabled, true
				return recs, true
			}
		}
		return recs, false
	})
	return ok, err
}

// update applies fn to the records and writes them back when fn reports a change.
func (s *Store) update(fn func([]record) ([]record, bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, err := s.read()
	if err != nil {
		return err
	}
	recs, changed := fn(recs)
	if !changed {
		return nil
	}
	b, err := json.MarshalIndent(file{Version: 1, Accounts: recs}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, append(b, '\n'))
}

func (s *Store) read() ([]record, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("account: reading %s: %w", s.path, err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("account: %s is not a valid account file: %w", s.path, err)
	}
	return f.Accounts, nil
}

// writeFileAtomic writes b to path through a temporary file in the same directory, synced and
// renamed over path, with mode 0600. The directory is created (0700) when missing.
func writeFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
