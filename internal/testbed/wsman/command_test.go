package wsman

import (
	"context"
	"io"
	"testing"
	"time"
)

// An executor ahead of its client blocks in Write once maxOutputBuffered is
// buffered, and goes on when a Receive drains the buffer.
func TestOutputBackpressure(t *testing.T) {
	c := newCommand(context.Background(), Command{CommandID: "C"})
	defer c.cancel()
	w := &outputWriter{c: c}
	wrote := make(chan error, 1)
	go func() {
		_, err := w.Write(make([]byte, maxOutputBuffered+10))
		wrote <- err
	}()
	buffered := func() int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.stdout)
	}
	deadline := time.Now().Add(5 * time.Second)
	for buffered() < maxOutputBuffered && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-wrote:
		t.Fatalf("Write returned (%v) with the buffer full", err)
	case <-time.After(50 * time.Millisecond):
	}
	if n := buffered(); n != maxOutputBuffered {
		t.Fatalf("buffered %d bytes, want %d", n, maxOutputBuffered)
	}
	out, err := c.receive(context.Background(), time.Second, 1<<20)
	if err != nil || len(out.Stdout) != maxChunkPerStream || out.Done {
		t.Fatalf("receive: %d bytes, done=%v, err=%v", len(out.Stdout), out.Done, err)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("Write: %v", err)
	}
	if n := buffered(); n != maxOutputBuffered+10-maxChunkPerStream {
		t.Errorf("buffered %d after the write", n)
	}
	// A terminated command's writer fails instead of blocking.
	c.cancel()
	if _, err := w.Write([]byte("x")); err != ErrTerminated {
		t.Errorf("Write after cancel: %v", err)
	}
}

// Stdin: data in order, io.EOF after End, ErrTerminated after cancel.
func TestStdinReader(t *testing.T) {
	c := newCommand(context.Background(), Command{CommandID: "C"})
	defer c.cancel()
	r := &stdinReader{c}
	go func() {
		_ = c.send(context.Background(), []byte("hel"), false)
		_ = c.send(context.Background(), []byte("lo"), true)
	}()
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v", b, err)
	}
	// Data after End is dropped, not an error for the client.
	if err := c.send(context.Background(), []byte("late"), false); err != nil {
		t.Errorf("send after End: %v", err)
	}
	c2 := newCommand(context.Background(), Command{CommandID: "D"})
	go func() { time.Sleep(20 * time.Millisecond); c2.cancel() }()
	if _, err := (&stdinReader{c2}).Read(make([]byte, 1)); err != ErrTerminated {
		t.Errorf("read after cancel: %v", err)
	}
}
