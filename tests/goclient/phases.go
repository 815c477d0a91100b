package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// Made-up ids for the calls that serve must answer 202 whether or not such
// an offer, agent or task exists (S17; recorded: s.valid-decline,
// s.valid-accept, s.valid-acknowledge, s.valid-reconcile).
const (
	noSuchOffer  = "goclient-no-such-offer"
	noSuchAgent  = "goclient-no-such-agent"
	lostTask     = "goclient-task-on-no-offer"
	unknownTask  = "goclient-unknown-task"
	launchedTask = "goclient-task-1"
)

// eventWait bounds the wait for an event serve sends at once.
const eventWait = 5 * time.Second

// noAgents is the reason of every skipped check.
const noAgents = "run with -agents 0 (the master has no agents)"

// runPhases runs every phase in order on one codec. A phase whose failure
// leaves nothing to test after it (no subscription) ends the run.
func runPhases(cfg config, rep *report) {
	s := newSession(cfg)
	if !phaseSubscribe(s, rep) {
		return
	}
	phaseHeartbeat(s, rep, "heartbeat")
	rep.check("mesos-go refuses a second SUBSCRIBE while connected", secondSubscribeRefused(s))
	phaseCallsOnMadeUpIds(s, rep)
	phaseOffersAndTasks(s, rep)
	if !phaseDisconnectResubscribe(s, rep) {
		return
	}
	s2 := phaseFailoverWhileOpen(s, rep)
	if s2 == nil {
		return
	}
	phaseTeardown(s2, rep)
}

// phaseSubscribe: 200 with a stream id and the codec's Content-Type, then
// SUBSCRIBED first (L1; recorded: st.subscribe-json, st.subscribe-protobuf).
func phaseSubscribe(s *session, rep *report) bool {
	if !rep.check("SUBSCRIBE: 200, Mesos-Stream-Id, Content-Type "+s.cfg.codec.Type.ContentType(), s.subscribe("")) {
		return false
	}
	return rep.check("SUBSCRIBE: first event SUBSCRIBED with framework_id and the heartbeat interval", s.expectSubscribed(""))
}

// expectSubscribed checks that the next event is SUBSCRIBED (for fid, when
// given) and records the framework id.
func (s *session) expectSubscribed(fid string) error {
	if s.streamID == "" || len(s.streamID) > 128 {
		return fmt.Errorf("Mesos-Stream-Id %q: expected 1 to 128 bytes", s.streamID)
	}
	e := s.box.take(func(*scheduler.Event) bool { return true }, eventWait)
	if e == nil {
		return fmt.Errorf("no event within %s", eventWait)
	}
	sub := e.GetSubscribed()
	if e.GetType() != scheduler.Event_SUBSCRIBED {
		return fmt.Errorf("first event is %s, expected SUBSCRIBED", e.GetType())
	}
	if sub == nil {
		return errors.New("SUBSCRIBED event without its 'subscribed' field")
	}
	got := sub.GetFrameworkID().GetValue()
	if got == "" {
		return errors.New("SUBSCRIBED without framework_id")
	}
	if fid != "" && got != fid {
		return fmt.Errorf("framework_id %q, expected the same id %q", got, fid)
	}
	if hb := sub.GetHeartbeatIntervalSeconds(); hb != s.cfg.heartbeat {
		return fmt.Errorf("heartbeat_interval_seconds %g, expected %g", hb, s.cfg.heartbeat)
	}
	if sub.GetMasterInfo() == nil {
		return errors.New("SUBSCRIBED without master_info")
	}
	s.fid = got
	return nil
}

// phaseHeartbeat: a HEARTBEAT right after SUBSCRIBED, then one per interval
// (H1, H2; recorded: st.subscribe-json "second event").
func phaseHeartbeat(s *session, rep *report, name string) {
	e := s.box.take(func(*scheduler.Event) bool { return true }, 2*time.Second)
	var err error
	if e == nil {
		err = errors.New("no second event within 2 s")
	} else if e.GetType() != scheduler.Event_HEARTBEAT {
		err = fmt.Errorf("second event is %s, expected HEARTBEAT", e.GetType())
	}
	rep.check(name+": HEARTBEAT right after SUBSCRIBED", err)
	wait := time.Duration(2*s.cfg.heartbeat*float64(time.Second)) + 500*time.Millisecond
	err = nil
	if s.box.take(ofType(scheduler.Event_HEARTBEAT), wait) == nil {
		err = fmt.Errorf("no further HEARTBEAT within %s", wait)
	}
	rep.check(name+": HEARTBEAT again within two intervals", err)
}

// secondSubscribeRefused: mesos-go's own rule (SPEC "What real clients
// need"): while its subscription lives it refuses to SUBSCRIBE again, so a
// master must end old streams itself (L2, L10).
func secondSubscribeRefused(s *session) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := s.caller.Call(ctx, calls.Subscribe(frameworkInfo(s.fid)))
	if resp != nil {
		resp.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "already subscribed") {
		return fmt.Errorf("expected mesos-go's \"already subscribed\" refusal, got %v", err)
	}
	return nil
}

func scalar(name string, value float64) mesos.Resource {
	return mesos.Resource{Name: name, Type: mesos.SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: value}}
}

// launchCall is an ACCEPT of one offer with one LAUNCH of a shell task.
func launchCall(offer, agent, task string) *scheduler.Call {
	shell := true
	cmd := "sleep 1000"
	info := mesos.TaskInfo{
		Name:      task,
		TaskID:    mesos.TaskID{Value: task},
		AgentID:   mesos.AgentID{Value: agent},
		Resources: []mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)},
		Command:   &mesos.CommandInfo{Shell: &shell, Value: &cmd},
	}
	return calls.Accept(calls.OfferOperations{calls.OpLaunch(info)}.WithOffers(mesos.OfferID{Value: offer}))
}

func randomUUID() []byte {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's random source is gone: nothing can run
	}
	b[6] = b[6]&0x0f | 0x40 // version 4, as libprocess makes them
	b[8] = b[8]&0x3f | 0x80
	return b
}

// phaseCallsOnMadeUpIds: each call is 202 (S17), and the master answers the
// invalid ones with UPDATE events of its own (O5, T6).
func phaseCallsOnMadeUpIds(s *session, rep *report) {
	rep.check("DECLINE of an unknown offer: 202",
		s.send(calls.Decline(mesos.OfferID{Value: noSuchOffer}).With(calls.RefuseSeconds(5*time.Second))))
	rep.check("ACCEPT with LAUNCH on an unknown offer: 202",
		s.send(launchCall(noSuchOffer, noSuchAgent, lostTask)))
	rep.check("ACKNOWLEDGE of an unknown task with a valid uuid: 202",
		s.send(calls.Acknowledge(noSuchAgent, unknownTask, randomUUID())))
	rep.check("RECONCILE explicit of an unknown task: 202",
		s.send(calls.Reconcile(calls.ReconcileTasks(map[string]string{unknownTask: ""}))))
	// The master answers both itself; no agent is needed (O5, T6).
	rep.check("LAUNCH on an unknown offer: UPDATE TASK_LOST, REASON_INVALID_OFFERS (O5)",
		s.expectUpdate(lostTask, mesos.TASK_LOST, mesos.REASON_INVALID_OFFERS,
			"Task launched with invalid offers: "))
	rep.check("RECONCILE of an unknown task: UPDATE TASK_LOST, REASON_RECONCILIATION (T6)",
		s.expectUpdate(unknownTask, mesos.TASK_LOST, mesos.REASON_RECONCILIATION,
			"Reconciliation: Task is unknown"))
	// Recorded: s.valid-reconcile (202, then no event).
	err := s.send(calls.Reconcile())
	if err == nil {
		if e := s.box.take(ofType(scheduler.Event_UPDATE), 1500*time.Millisecond); e != nil {
			err = fmt.Errorf("unexpected UPDATE for task %q", e.GetUpdate().GetStatus().TaskID.Value)
		}
	}
	rep.check("RECONCILE implicit with no tasks: 202 and no UPDATE (T5)", err)
}

func forTask(task string) func(*scheduler.Event) bool {
	return func(e *scheduler.Event) bool {
		return e.GetType() == scheduler.Event_UPDATE && e.GetUpdate().GetStatus().TaskID.Value == task
	}
}

// expectUpdate takes the next UPDATE of task and checks its state, reason,
// message and that a master-made update carries no uuid. An empty message
// is not checked; one ending in ": " is a prefix (the rest is a detail that
// varies), any other must match exactly.
func (s *session) expectUpdate(task string, state mesos.TaskState, reason mesos.TaskStatus_Reason, message string) error {
	e := s.box.take(forTask(task), eventWait)
	if e == nil {
		return fmt.Errorf("no UPDATE for task %q within %s", task, eventWait)
	}
	st := e.GetUpdate().GetStatus()
	if st.GetState() != state || st.GetReason() != reason {
		return fmt.Errorf("UPDATE %s %s, expected %s %s", st.GetState(), st.GetReason(), state, reason)
	}
	got := st.GetMessage()
	if strings.HasSuffix(message, ": ") && !strings.HasPrefix(got, message) ||
		!strings.HasSuffix(message, ": ") && message != "" && got != message {
		return fmt.Errorf("message %q, expected %q", got, message)
	}
	if len(st.GetUUID()) != 0 {
		return errors.New("a master-generated UPDATE carries a uuid")
	}
	return nil
}
