package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/mesos/mesos-go/api/v1/lib"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler"
	"github.com/mesos/mesos-go/api/v1/lib/scheduler/calls"
)

// offerWait bounds the wait for offers: the allocator runs every second (O1).
const offerWait = 5 * time.Second

// taskWait bounds the wait for a launched task to reach TASK_RUNNING.
const taskWait = 10 * time.Second

// The checks of this file, in order; all need an agent.
var taskChecks = []string{
	"OFFERS arrive, each for this framework with an agent and resources (O1, O7)",
	"DECLINE of a real offer with refuse_seconds 0: 202 and the agent is offered again (O2)",
	"ACCEPT with LAUNCH on a real offer: 202",
	"TASK_RUNNING arrives, each update with a uuid acknowledged: 202 (T1, T2)",
	"RECONCILE explicit of the running task: TASK_RUNNING, Latest task state (T6)",
	"RECONCILE implicit: UPDATE TASK_RUNNING of the task (T5)",
}

// phaseOffersAndTasks: offers, decline, launch, acknowledge and reconcile a
// real task. Without agents every check is skipped; after the first failure
// the rest are failed as not run, since each needs the one before.
func phaseOffersAndTasks(s *session, rep *report) {
	if s.cfg.agents == 0 {
		for _, name := range taskChecks {
			rep.skip(name, noAgents)
		}
		return
	}
	steps := []func(*session, *taskState) error{
		stepOffers, stepDecline, stepLaunch, stepRunning, stepReconcileExplicit, stepReconcileImplicit,
	}
	var ts taskState
	for i, step := range steps {
		if !rep.check(taskChecks[i], step(s, &ts)) {
			for _, name := range taskChecks[i+1:] {
				rep.check(name, errors.New("not run: the check before it failed"))
			}
			return
		}
	}
}

// taskState carries what one step found to the next.
type taskState struct {
	offer mesos.Offer
}

func stepOffers(s *session, ts *taskState) error {
	e := s.box.take(ofType(scheduler.Event_OFFERS), offerWait)
	if e == nil || len(e.GetOffers().GetOffers()) == 0 {
		return fmt.Errorf("no OFFERS within %s", offerWait)
	}
	for _, o := range e.GetOffers().GetOffers() {
		if o.FrameworkID.Value != s.fid || o.AgentID.Value == "" || o.ID.Value == "" ||
			o.Hostname == "" || len(o.Resources) == 0 {
			return fmt.Errorf("offer %q: framework %q (expected %q), agent %q, hostname %q, %d resources",
				o.ID.Value, o.FrameworkID.Value, s.fid, o.AgentID.Value, o.Hostname, len(o.Resources))
		}
	}
	ts.offer = e.GetOffers().GetOffers()[0]
	return nil
}

func stepDecline(s *session, ts *taskState) error {
	if err := s.send(calls.Decline(ts.offer.ID).With(calls.RefuseSeconds(0))); err != nil {
		return err
	}
	agent := ts.offer.AgentID.Value
	deadline := time.Now().Add(offerWait)
	for time.Now().Before(deadline) {
		e := s.box.take(ofType(scheduler.Event_OFFERS), time.Until(deadline))
		if e == nil {
			break
		}
		for _, o := range e.GetOffers().GetOffers() {
			if o.AgentID.Value == agent {
				ts.offer = o
				return nil
			}
		}
	}
	return fmt.Errorf("agent %q not offered again within %s", agent, offerWait)
}

func stepLaunch(s *session, ts *taskState) error {
	return s.send(launchCall(ts.offer.ID.Value, ts.offer.AgentID.Value, launchedTask))
}

// stepRunning acknowledges every update that carries a uuid (the agent
// holds back the next one until then, T2) until the task runs.
func stepRunning(s *session, ts *taskState) error {
	deadline := time.Now().Add(taskWait)
	for {
		e := s.box.take(forTask(launchedTask), time.Until(deadline))
		if e == nil {
			return fmt.Errorf("task %q not TASK_RUNNING within %s", launchedTask, taskWait)
		}
		st := e.GetUpdate().GetStatus()
		if len(st.GetUUID()) != 0 {
			agent := ts.offer.AgentID.Value
			if st.GetAgentID() != nil {
				agent = st.GetAgentID().Value
			}
			if err := s.send(calls.Acknowledge(agent, launchedTask, st.GetUUID())); err != nil {
				return err
			}
		}
		switch st.GetState() {
		case mesos.TASK_RUNNING:
			return nil
		case mesos.TASK_STAGING, mesos.TASK_STARTING:
			continue
		default:
			return fmt.Errorf("task %q went %s (%s): %s", launchedTask, st.GetState(), st.GetReason(), st.GetMessage())
		}
	}
}

func stepReconcileExplicit(s *session, ts *taskState) error {
	call := calls.Reconcile(calls.ReconcileTasks(map[string]string{launchedTask: ts.offer.AgentID.Value}))
	if err := s.send(call); err != nil {
		return err
	}
	return s.expectUpdate(launchedTask, mesos.TASK_RUNNING, mesos.REASON_RECONCILIATION,
		"Reconciliation: Latest task state")
}

func stepReconcileImplicit(s *session, ts *taskState) error {
	if err := s.send(calls.Reconcile()); err != nil {
		return err
	}
	return s.expectUpdate(launchedTask, mesos.TASK_RUNNING, mesos.REASON_RECONCILIATION, "")
}
