// Command tap is the recording reverse proxy of the agent end-to-end runs
// (.ci/e2e): it sits between an agent CLI and the gateway on loopback,
// forwards every request unchanged, streams every response back as it
// arrives, and appends both to a log so a run can show exactly what the
// client sent and what the gateway answered.
//
// Usage:
//
//	go run .ci/e2e/tap/main.go -target http://127.0.0.1:8080 -log tap.log -addr-file tap.addr
//
// It listens on a free loopback port and writes its base URL to -addr-file
// once it accepts connections. Credential headers are redacted in the log.
//
// The runs also make it the CLIs' HTTP(S) proxy (HTTPS_PROXY, NO_PROXY for
// loopback): proxy requests (CONNECT, absolute URLs) are answered 403 and
// logged as "!!! #N BLOCKED", so a CLI that tries to reach the internet is
// seen, and never reaches it.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// redacted are the headers whose values never reach the log.
var redacted = []string{"Authorization", "X-Api-Key", "Cookie", "Proxy-Authorization"}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	target := flag.String("target", "", "gateway base URL, e.g. http://127.0.0.1:8080")
	logPath := flag.String("log", "tap.log", "exchange log (appended)")
	addrFile := flag.String("addr-file", "", "file that receives the tap's base URL once it listens")
	flag.Parse()

	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		log.Fatalf("tap: -target %q: want an http URL", *target)
	}
	f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		log.Fatal("tap: ", err)
	}
	defer f.Close()

	t := &tap{out: f}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1 // stream SSE through as it arrives
	rp.ModifyResponse = t.response
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect || r.URL.IsAbs() {
			// The CLIs use the tap as their HTTP(S) proxy too: anything that
			// is not for the gateway is refused and logged, never forwarded.
			t.write(fmt.Sprintf("!!! #%d BLOCKED %s %s\n\n", t.seq.Add(1), r.Method, r.Host))
			http.Error(w, "tap: outbound traffic is blocked in the e2e runs", http.StatusForbidden)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		n := t.seq.Add(1)
		t.write(fmt.Sprintf(">>> #%d %s %s\n%s\n%s\n", n, r.Method, r.URL.RequestURI(), headers(r.Header), body))
		r = r.WithContext(withSeq(r, n))
		rp.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal("tap: ", err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte("http://"+ln.Addr().String()+"\n"), 0o600); err != nil {
			log.Fatal("tap: ", err)
		}
	}
	log.Fatal(http.Serve(ln, h))
}

// seqKey carries an exchange's number from the request to its response.
type seqKey struct{}

func withSeq(r *http.Request, n int64) context.Context {
	return context.WithValue(r.Context(), seqKey{}, n)
}

// tap appends exchanges to out, one whole entry at a time.
type tap struct {
	seq atomic.Int64
	mu  sync.Mutex
	out io.Writer
}

func (t *tap) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.out, s)
}

// response wraps the gateway's body so that it is logged once it has been
// streamed to the client.
func (t *tap) response(resp *http.Response) error {
	n, _ := resp.Request.Context().Value(seqKey{}).(int64)
	head := fmt.Sprintf("<<< #%d %s\n%s\n", n, resp.Status, headers(resp.Header))
	resp.Body = &recorder{ReadCloser: resp.Body, done: func(b []byte) { t.write(head + string(b) + "\n<<< end #" + fmt.Sprint(n) + "\n\n") }}
	return nil
}

// recorder keeps a copy of everything read through it and hands it to done
// on Close.
type recorder struct {
	io.ReadCloser
	buf  bytes.Buffer
	once sync.Once
	done func([]byte)
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.buf.Write(p[:n])
	return n, err
}

func (r *recorder) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(func() { r.done(r.buf.Bytes()) })
	return err
}

// headers renders h one "Name: value" per line, sorted, credentials redacted.
func headers(h http.Header) string {
	var lines []string
	for k, vs := range h {
		for _, v := range vs {
			if slices.Contains(redacted, http.CanonicalHeaderKey(k)) {
				v = "[redacted]"
			}
			lines = append(lines, k+": "+v)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
