package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/httpsched"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// callTimeout bounds one non-streaming call: serve answers at once.
const callTimeout = 5 * time.Second

// failoverTimeoutSeconds is the framework's failover_timeout: long enough
// that a disconnect and resubscribe in this run always fall inside it (L8).
const failoverTimeoutSeconds = 60.0

// mailbox holds the events read from one subscription stream until a phase
// takes them, so an event that arrives early (an OFFERS while the client
// waits for an UPDATE) is not lost.
type mailbox struct {
	mu     sync.Mutex
	events []*scheduler.Event
	notify chan struct{} // one pending wake-up for take
	done   chan struct{} // closed when the stream ended
	endErr error         // why the stream ended (io.EOF for a clean end)
}

// read decodes events from resp until it fails, then closes done. It runs
// in its own goroutine, as a scheduler's event loop would.
func (b *mailbox) read(resp mesos.Response) {
	for {
		e := new(scheduler.Event)
		if err := resp.Decode(e); err != nil {
			b.mu.Lock()
			b.endErr = err
			b.mu.Unlock()
			close(b.done)
			return
		}
		b.mu.Lock()
		b.events = append(b.events, e)
		b.mu.Unlock()
		select {
		case b.notify <- struct{}{}:
		default:
		}
	}
}

// take removes and returns the first queued event that match accepts,
// waiting up to timeout for it. It returns nil when the timeout passed or
// the stream ended without such an event.
func (b *mailbox) take(match func(*scheduler.Event) bool, timeout time.Duration) *scheduler.Event {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		b.mu.Lock()
		for i, e := range b.events {
			if match(e) {
				b.events = append(b.events[:i], b.events[i+1:]...)
				b.mu.Unlock()
				return e
			}
		}
		b.mu.Unlock()
		select {
		case <-b.notify:
		case <-b.done:
			// One more scan: the last events may have come with the end.
			b.mu.Lock()
			for i, e := range b.events {
				if match(e) {
					b.events = append(b.events[:i], b.events[i+1:]...)
					b.mu.Unlock()
					return e
				}
			}
			b.mu.Unlock()
			return nil
		case <-timer.C:
			return nil
		}
	}
}

// waitEnd waits up to timeout for the stream to end and returns why it
// ended, or an error saying it is still open.
func (b *mailbox) waitEnd(timeout time.Duration) (error, error) {
	select {
	case <-b.done:
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.endErr, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("the stream is still open after %s", timeout)
	}
}

// ofType matches events of one type.
func ofType(t scheduler.Event_Type) func(*scheduler.Event) bool {
	return func(e *scheduler.Event) bool { return e.GetType() == t }
}

// session is one scheduler as a framework writes it with mesos-go: one
// httpsched caller (which tracks the subscription and adds the
// Mesos-Stream-Id to calls) and the stream of its current subscription.
type session struct {
	cfg      config
	caller   calls.Caller
	stream   mesos.Response
	box      *mailbox
	fid      string // framework id, once SUBSCRIBED
	streamID string // Mesos-Stream-Id of the current subscription
}

func newSession(cfg config) *session {
	cli := httpcli.New(
		httpcli.Endpoint(cfg.master+"/api/v1/scheduler"),
		httpcli.Codec(cfg.codec),
	)
	return &session{cfg: cfg, caller: httpsched.NewCaller(cli)}
}

// frameworkInfo is what the session subscribes with; fid is empty for a
// new framework.
func frameworkInfo(fid string) *mesos.FrameworkInfo {
	ft := failoverTimeoutSeconds
	info := &mesos.FrameworkInfo{User: "root", Name: "mesos-conform goclient", FailoverTimeout: &ft}
	if fid != "" {
		info.ID = &mesos.FrameworkID{Value: fid}
	}
	return info
}

// responseHeader digs the HTTP header out of the response httpsched
// returns for SUBSCRIBE (a decorated httpcli.Response).
func responseHeader(resp mesos.Response) (http.Header, error) {
	if w, ok := resp.(*mesos.ResponseWrapper); ok {
		resp = w.Response
	}
	if r, ok := resp.(*httpcli.Response); ok {
		return r.Header, nil
	}
	return nil, fmt.Errorf("unexpected response type %T from httpsched", resp)
}

// subscribe sends SUBSCRIBE (with fid: a resubscription) and, on 200,
// starts reading the stream. It checks what mesos-go itself requires of the
// answer: 200, a Mesos-Stream-Id and a Content-Type equal to the codec.
func (s *session) subscribe(fid string) error {
	// The stream lives as long as the subscription: no deadline on it.
	resp, err := s.caller.Call(context.Background(), calls.Subscribe(frameworkInfo(fid)))
	if err != nil {
		return fmt.Errorf("SUBSCRIBE: %v", err)
	}
	if resp == nil {
		return errors.New("SUBSCRIBE: no stream in the answer")
	}
	header, err := responseHeader(resp)
	if err != nil {
		resp.Close()
		return err
	}
	if ct := header.Get("Content-Type"); ct != s.cfg.codec.Type.ContentType() {
		resp.Close()
		return fmt.Errorf("stream Content-Type %q, expected %q", ct, s.cfg.codec.Type.ContentType())
	}
	s.streamID = header.Get("Mesos-Stream-Id")
	s.stream = resp
	s.box = &mailbox{notify: make(chan struct{}, 1), done: make(chan struct{})}
	go s.box.read(resp)
	return nil
}

// send makes a non-SUBSCRIBE call through httpsched, which adds the
// framework id here and the Mesos-Stream-Id itself, and requires 202.
func (s *session) send(call *scheduler.Call) error {
	call.FrameworkID = &mesos.FrameworkID{Value: s.fid}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := s.caller.Call(ctx, call)
	if resp != nil {
		// A 202 comes back as no response at all; anything else is wrong.
		resp.Close()
		return fmt.Errorf("%s: expected 202 with no body, got a response body", call.GetType())
	}
	if err != nil {
		return fmt.Errorf("%s: %w", call.GetType(), err)
	}
	return nil
}

// rawCall sends call with an explicit Mesos-Stream-Id through a plain
// httpcli client (no subscription state), as a second process of the
// framework holding an old stream id would, and returns mesos-go's error.
func rawCall(cfg config, streamID string, call *scheduler.Call) error {
	cli := httpcli.New(
		httpcli.Endpoint(cfg.master+"/api/v1/scheduler"),
		httpcli.Codec(cfg.codec),
	)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	// A per-request header: httpcli.DefaultHeader would add it to the map
	// every httpcli.Client of the process shares (httpcli.DefaultHeaders),
	// so mesos-go's own SUBSCRIBE would carry it too (S10).
	resp, err := cli.Do(call, httpcli.Context(ctx), httpcli.Header("Mesos-Stream-Id", streamID))
	if resp != nil {
		resp.Close()
	}
	return err
}

// closeStream closes the subscription's connection from the client side,
// as a scheduler that lost its network would, and waits until mesos-go has
// noticed (its decoder fails, which puts the caller back to disconnected).
func (s *session) closeStream() error {
	if s.stream == nil {
		return errors.New("no open stream")
	}
	s.stream.Close()
	_, err := s.box.waitEnd(callTimeout)
	return err
}
