package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/httpcli/apierrors"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// noticeWait bounds how long serve may take to notice a closed connection.
const noticeWait = 3 * time.Second

// apiError checks that err is mesos-go's error for status code with the
// master's text as its detail (apierrors prefixes it with its own summary).
func apiError(err error, code apierrors.Code, text string) error {
	if err == nil {
		return fmt.Errorf("accepted, expected %d %q", int(code), text)
	}
	want := apierrors.ErrorTable[code] + ": " + text
	if !code.Matches(err) || err.Error() != want {
		return fmt.Errorf("got %q, expected %d %q", err.Error(), int(code), text)
	}
	return nil
}

// phaseDisconnectResubscribe: the client drops its stream; serve sees the
// framework disconnected (L7, S14); the client resubscribes with its id
// within failover_timeout and is the same framework on a new stream (L8,
// L2), with heartbeats (H2); the old stream id is refused (S16).
func phaseDisconnectResubscribe(s *session, rep *report) bool {
	oldStream := s.streamID
	if !rep.check("disconnect: the client closes its stream and mesos-go notices", s.closeStream()) {
		return false
	}
	rep.check("disconnected framework: a call gets 403 Framework is not subscribed (S14, L7)",
		waitNotSubscribed(s.cfg, oldStream, s.fid))
	fid := s.fid
	err := s.subscribe(fid)
	if err == nil {
		err = s.expectSubscribed(fid)
	}
	if err == nil && s.streamID == oldStream {
		err = fmt.Errorf("the new Mesos-Stream-Id equals the old one %q", oldStream)
	}
	if !rep.check("resubscribe with the framework id: SUBSCRIBED, same id, new stream id (L8, L2)", err) {
		return false
	}
	phaseHeartbeat(s, rep, "resubscribed")
	// Recorded: s.wrong-stream-id (the exact text).
	text := fmt.Sprintf("The stream ID '%s' included in this request didn't match the stream ID "+
		"currently associated with framework ID %s", oldStream, fid)
	rep.check("a call with the old stream id: 400 stream ID didn't match (S16)",
		apiError(rawCall(s.cfg, oldStream, reconcileOf(fid)), apierrors.CodeMalformedRequest, text))
	rep.check("a call with the new stream id outside mesos-go's caller: 202",
		rawCall(s.cfg, s.streamID, reconcileOf(fid)))
	if s.cfg.agents == 0 {
		rep.skip("task kept across failover: RECONCILE answers TASK_RUNNING (L2)", noAgents)
	} else {
		err := s.send(calls.Reconcile(calls.ReconcileTasks(map[string]string{launchedTask: ""})))
		if err == nil {
			err = s.expectUpdate(launchedTask, mesos.TASK_RUNNING, mesos.REASON_RECONCILIATION,
				"Reconciliation: Latest task state")
		}
		rep.check("task kept across failover: RECONCILE answers TASK_RUNNING (L2)", err)
	}
	return true
}

// reconcileOf is a harmless call to probe the master with: an implicit
// RECONCILE of framework fid.
func reconcileOf(fid string) *scheduler.Call {
	call := calls.Reconcile()
	call.FrameworkID = &mesos.FrameworkID{Value: fid}
	return call
}

// waitNotSubscribed polls until serve answers 403 (it notices a closed
// connection asynchronously), for at most noticeWait.
func waitNotSubscribed(cfg config, streamID, fid string) error {
	deadline := time.Now().Add(noticeWait)
	for {
		err := apiError(rawCall(cfg, streamID, reconcileOf(fid)), apierrors.CodeUnsubscribed,
			"Framework is not subscribed")
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// phaseFailoverWhileOpen: a second scheduler process subscribes with the
// same id while the first one's stream is open. The master fails the old
// one over: ERROR "Framework failed over" and the end of its stream (L2),
// which is what lets mesos-go's first caller subscribe again later. It
// returns the new session, or nil when it failed.
func phaseFailoverWhileOpen(s *session, rep *report) *session {
	s2 := newSession(s.cfg)
	err := s2.subscribe(s.fid)
	if err == nil {
		err = s2.expectSubscribed(s.fid)
	}
	if !rep.check("failover with the old stream open: new client gets SUBSCRIBED, same id (L2)", err) {
		return nil
	}
	err = nil
	e := s.box.take(ofType(scheduler.Event_ERROR), eventWait)
	if e == nil {
		err = fmt.Errorf("no ERROR event on the old stream within %s", eventWait)
	} else if msg := e.GetError().GetMessage(); msg != "Framework failed over" {
		err = fmt.Errorf("ERROR %q, expected \"Framework failed over\"", msg)
	} else if _, err = s.box.waitEnd(eventWait); err == nil {
		// mesos-go closes a stream itself after an ERROR event, so the
		// reason it ended is not the master's to judge here.
		err = countsItselfUnsubscribed(s)
	}
	rep.check("failover: old stream gets ERROR Framework failed over and ends; mesos-go counts itself unsubscribed", err)
	return s2
}

// countsItselfUnsubscribed: after the ERROR and the end of its stream,
// mesos-go's first caller is back to disconnected, so it would SUBSCRIBE
// again. A non-SUBSCRIBE call shows the state without disturbing the new
// subscription: mesos-go refuses it itself with its 403 "no subscription
// established" and sends nothing (had it stayed connected, the call would
// go out with the old stream id and get 400).
func countsItselfUnsubscribed(s *session) error {
	err := s.send(reconcileOf(s.fid))
	if err == nil || !apierrors.CodeUnsubscribed.Matches(errors.Unwrap(err)) {
		return fmt.Errorf("expected mesos-go to count itself unsubscribed, got %v", err)
	}
	return nil
}

// phaseTeardown: TEARDOWN is 202 and ends the stream with no ERROR (L10;
// recorded: s.valid-teardown); a later SUBSCRIBE with the removed id gets
// 200, ERROR "Framework has been removed" and the end of the stream (L5).
func phaseTeardown(s *session, rep *report) {
	teardown := &scheduler.Call{Type: scheduler.Call_TEARDOWN}
	if !rep.check("TEARDOWN: 202", s.send(teardown)) {
		return
	}
	why, err := s.box.waitEnd(eventWait)
	if err == nil && why != io.EOF {
		err = fmt.Errorf("the stream broke (%v) instead of ending with its last chunk", why)
	}
	if err == nil {
		if e := s.box.take(ofType(scheduler.Event_ERROR), 0); e != nil {
			err = fmt.Errorf("unexpected ERROR %q before the end", e.GetError().GetMessage())
		}
	}
	rep.check("TEARDOWN: the stream ends cleanly, no ERROR event (L10)", err)

	s3 := newSession(s.cfg)
	err = s3.subscribe(s.fid)
	if err == nil {
		e := s3.box.take(func(*scheduler.Event) bool { return true }, eventWait)
		switch {
		case e == nil:
			err = fmt.Errorf("no event within %s", eventWait)
		case e.GetType() != scheduler.Event_ERROR:
			err = fmt.Errorf("first event %s, expected ERROR", e.GetType())
		case e.GetError().GetMessage() != "Framework has been removed":
			err = fmt.Errorf("ERROR %q, expected \"Framework has been removed\"", e.GetError().GetMessage())
		}
	}
	if err == nil {
		_, err = s3.box.waitEnd(eventWait)
	}
	rep.check("SUBSCRIBE with the torn-down id: ERROR Framework has been removed, stream ends (L5)", err)
}
