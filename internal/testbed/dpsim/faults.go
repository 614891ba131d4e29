package dpsim

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FaultKind is what an injected fault does to one HTTP exchange.
type FaultKind int

const (
	// Drop closes the connection without an answer, as a reboot or a
	// network failure does.
	Drop FaultKind = iota + 1
	// DropAnswer serves the request, then closes the connection instead of
	// answering: the host did the work but the client never hears of it.
	DropAnswer
	// Fault500 answers a WS-Management InternalError SOAP fault.
	Fault500
	// Quota answers the QuotaLimit fault a host gives past MaxShellsPerUser.
	Quota
	// Hang holds the request until the client gives up.
	Hang
	// Delay answers after Rule.Delay.
	Delay
)

func (k FaultKind) String() string {
	return [...]string{"none", "drop", "drop-answer", "fault-500", "quota", "hang", "delay"}[k]
}

// Rule injects a fault into matching exchanges.
type Rule struct {
	Action string // WS-Management action: Create, Command, Send, Receive, Signal, Delete; "" matches all
	Kind   FaultKind
	Skip   int // matching exchanges let through first
	// MinBytes makes the rule match only requests of at least that many
	// bytes: the Send that uploads a file, not the one carrying a script.
	MinBytes int
	Times    int           // how many to hit; 0 means every one after Skip
	Delay    time.Duration // for Delay
	// AfterReplace makes the rule match only once the host has swapped
	// the file in a write (and until the next write starts): with
	// DropAnswer on Receive, the write happened but its answer is lost.
	AfterReplace bool
	// OnHit, when set, runs as the fault fires: a test changes the file at
	// the moment the host "reboots", between a read and a write.
	OnHit func()

	seen, hit atomic.Int32
}

// Hits is how often the rule fired.
func (r *Rule) Hits() int { return int(r.hit.Load()) }

// Faults is a set of rules consulted for every exchange; safe for
// concurrent use, changeable while the simulator runs.
type Faults struct {
	mu       sync.Mutex
	rules    []*Rule
	replaced atomic.Bool
}

// Add installs a rule and returns it (for its Hits).
func (f *Faults) Add(r *Rule) *Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, r)
	return r
}

// Clear removes every rule.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.rules = nil
	f.mu.Unlock()
	f.replaced.Store(false)
}

// Injected counts the faults injected so far, over all rules.
func (f *Faults) Injected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.rules {
		n += r.Hits()
	}
	return n
}

// markReplaced is the host's AfterReplace hook.
func (f *Faults) markReplaced() { f.replaced.Store(true) }

var actionRe = regexp.MustCompile(`Action[^>]*>\s*([^<\s]+)\s*<`)

// actionOf names a request's WS-Management action (its last path segment).
func actionOf(body []byte) string {
	m := actionRe.FindSubmatch(body)
	if m == nil {
		return ""
	}
	a := string(m[1])
	return a[strings.LastIndexAny(a, "/")+1:]
}

func (f *Faults) match(action string, size int) *Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	if action == "Command" {
		f.replaced.Store(false) // a new command: a new write may begin
	}
	for _, r := range f.rules {
		if r.Action != "" && r.Action != action {
			continue
		}
		if r.AfterReplace && !f.replaced.Load() {
			continue
		}
		if size < r.MinBytes {
			continue
		}
		if int(r.seen.Add(1)) <= r.Skip {
			continue
		}
		if r.Times > 0 && int(r.hit.Load()) >= r.Times {
			continue
		}
		r.hit.Add(1)
		if r.OnHit != nil {
			r.OnHit()
		}
		return r
	}
	return nil
}

// wrap returns the handler with the faults applied.
func (f *Faults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		action := actionOf(body)
		rule := f.match(action, len(body))
		if rule == nil && action == "Receive" && f.hasAfterReplace() {
			// A long-poll Receive may be the one that carries the write's
			// answer: serve it to a buffer and decide afterwards.
			rec := newRecorder()
			next.ServeHTTP(rec, r)
			if rule = f.match(action, len(body)); rule != nil && rule.Kind == DropAnswer {
				hangUp(w)
				return
			}
			rec.copyTo(w)
			return
		}
		if rule == nil {
			next.ServeHTTP(w, r)
			return
		}
		switch rule.Kind {
		case Drop:
			hangUp(w)
		case DropAnswer:
			rec := newRecorder()
			next.ServeHTTP(rec, r)
			hangUp(w)
		case Fault500:
			writeFault(w, "s:Receiver", "w:InternalError", 2147942606, "The WS-Management service cannot process the request. (injected fault)")
		case Quota:
			writeFault(w, "s:Sender", "w:QuotaLimit", 2150859173, "The WS-Management service cannot process the request. This user is allowed a maximum number of 30 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.")
		case Hang:
			<-r.Context().Done()
		case Delay:
			time.Sleep(rule.Delay)
			next.ServeHTTP(w, r)
		}
	})
}

// hasAfterReplace reports a pending AfterReplace rule: every Receive is
// then buffered, since the long-poll that carries a write's answer is sent
// before the host replaces the file.
func (f *Faults) hasAfterReplace() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.AfterReplace && (r.Times == 0 || r.Hits() < r.Times) {
			return true
		}
	}
	return false
}

// hangUp closes the client's connection without an HTTP answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // a reset, like a rebooting host
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection
}

func writeFault(w http.ResponseWriter, code, subcode string, wsmanCode uint32, text string) {
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>%s</s:Value><s:Subcode><s:Value>%s</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">%s</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="%d" Machine="dpsim"><f:Message>%s</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`, code, subcode, text, wsmanCode, text)
}

// recorder buffers a response so the fault layer can decide to drop it.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, code: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}
