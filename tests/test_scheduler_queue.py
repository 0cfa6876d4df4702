"""The scheduling queue: priority order, backoff, parking unschedulable pods, waking them.

Upstream: pkg/scheduler/backend/queue/{scheduling_queue,backoff_queue}.go (v1.33, with
SchedulerPopFromBackoffQ enabled by default).
"""
from labkit.minicluster.scheduler import PodInfo, SchedulingQueue, backoff_duration
from labkit.minicluster.scheduler.builders import make_pod


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def pod(name, priority=0, **kw):
    return PodInfo(make_pod(name, priority=priority, **kw))


def test_backoff_durations():
    """calculateBackoffDuration: 1 s initial, doubling, capped at 10 s."""
    assert [backoff_duration(n) for n in range(7)] == [0, 1, 2, 4, 8, 10, 10]


def test_active_queue_orders_by_priority_then_age():
    """PrioritySort: higher spec.priority first; equal priority: earlier timestamp first."""
    clock = Clock()
    q = SchedulingQueue(clock)
    q.add(pod("old-low"))
    clock.t += 1
    q.add(pod("high", priority=100))
    clock.t += 1
    q.add(pod("new-low"))
    assert [q.pop().info.name for _ in range(3)] == ["high", "old-low", "new-low"]
    assert q.pop() is None


def test_unschedulable_pod_waits_for_an_event():
    clock = Clock()
    q = SchedulingQueue(clock)
    q.add(pod("p"))
    qp = q.pop()
    q.add_unschedulable(qp, {"NodeResourcesFit"})
    assert q.summary()["unschedulablePods"] == 1 and q.pop() is None
    assert q.move_all("AssignedPodAdd") == 0  # resources: a new pod does not help
    assert q.move_all("NodeAdd") == 1
    # still within its 1 s backoff → backoffQ, but an idle scheduler pops it anyway (v1.33)
    assert q.summary()["backoffQ"] == 1
    assert q.pop().info.name == "p" and q.pop() is None


def test_assigned_pod_events_wake_affinity_and_spread_rejections():
    q = SchedulingQueue(Clock())
    q.add(pod("aff"))
    q.add(pod("fit"))
    a, f = q.pop(), q.pop()
    q.add_unschedulable(a, {"InterPodAffinity"})
    q.add_unschedulable(f, {"NodeResourcesFit"})
    assert q.move_all("AssignedPodAdd") == 1 and q.pop().info.name == "aff"
    assert q.move_all("AssignedPodDelete") == 1 and q.pop().info.name == "fit"


def test_event_during_the_attempt_sends_the_pod_to_backoff():
    """A move request during the pod's cycle (moveRequestCycle >= its cycle) means the cluster
    changed while it was being tried: it goes to the backoffQ, not the unschedulable pool."""
    q = SchedulingQueue(Clock())
    q.add(pod("p"))
    qp = q.pop()
    q.move_all("NodeAdd")
    q.add_unschedulable(qp, {"NodeResourcesFit"})
    assert q.summary()["backoffQ"] == 1


def test_leftover_flush_after_five_minutes():
    clock = Clock()
    q = SchedulingQueue(clock)
    q.add(pod("p"))
    q.add_unschedulable(q.pop(), {"TaintToleration"})
    clock.t += 300
    assert q.flush_unschedulable_leftover() == 0  # not longer than 5 minutes yet
    clock.t += 1
    assert q.flush_unschedulable_leftover() == 1
    assert q.pop().attempts == 2


def test_error_backoff_is_not_popped_early():
    """Pods that failed with an error wait out their backoff (podErrorBackoffQ), aligned to the
    1 s window: attempted at t=1000.5 with 1 s backoff → expiry window 1001 → ready at 1002."""
    clock = Clock(1000.5)
    q = SchedulingQueue(clock)
    q.add(pod("p"))
    q.add_unschedulable(q.pop(), (), error=True)
    assert q.pop() is None and q.next_backoff_expiry() == 1002
    clock.t = 1001.9
    assert q.pop() is None
    clock.t = 1002
    assert q.pop().info.name == "p"


def test_scheduling_gates():
    """SchedulingGates PreEnqueue: a gated pod is never popped until its gates are removed."""
    q = SchedulingQueue(Clock())
    gated = make_pod("g", schedulingGates=[{"name": "example.com/wait"}])
    q.add(PodInfo(gated))
    assert q.pop() is None and q.summary()["gated"] == 1
    q.update(PodInfo(make_pod("g")))
    assert q.pop().info.name == "g"


def test_delete_removes_the_pod():
    q = SchedulingQueue(Clock())
    q.add(pod("p"))
    q.delete("default/p")
    assert q.pop() is None and "default/p" not in q


def test_in_flight_events_only_count_when_relevant():
    """Queueing hints for in-flight pods (v1.33): an assigned pod changing during the attempt
    does not matter to a pod rejected for resources, but does to one rejected by affinity."""
    q = SchedulingQueue(Clock())
    q.add(pod("fit"))
    q.add(pod("aff"))
    f, a = q.pop(), q.pop()
    q.move_all("AssignedPodUpdate")
    q.add_unschedulable(f, {"NodeResourcesFit"})
    q.add_unschedulable(a, {"InterPodAffinity"})
    assert q.pods["default/fit"].where == "unschedulablePods"
    assert q.pods["default/aff"].where == "backoffQ"
