"""The pod row of ``kubectl get pods``: how READY, STATUS and RESTARTS are computed.

STATUS is not a field of the pod. kubectl (in fact the API server's table printer,
pkg/printers/internalversion/printers.go ``printPod``) derives it, in this order:

1. the pod's phase (``Pending``, ``Running``, ``Succeeded``...) or ``status.reason`` if set
   (``Evicted``, ``NodeLost``...), or ``SchedulingGated``;
2. init containers, in order: the first one not finished successfully gives
   ``Init:<reason>`` (``Init:CrashLoopBackOff``), ``Init:ExitCode:1``, or ``Init:0/2``;
3. otherwise the containers, last to first: a waiting reason (``ContainerCreating``,
   ``CrashLoopBackOff``, ``ImagePullBackOff``), a terminated reason (``Completed``,
   ``OOMKilled``, ``Error``) or ``ExitCode:N`` / ``Signal:N`` wins;
4. ``Completed`` becomes ``Running``/``NotReady`` if a container still runs;
5. a pod being deleted shows ``Terminating`` (``Unknown`` if its node was lost).

RESTARTS sums restart counts and adds when the last restart happened: ``3 (45s ago)``.
Sidecars (init containers with ``restartPolicy: Always``) count as containers.
"""
from __future__ import annotations

from ..formatting import parse_time, since

COLUMNS = [
    ("Name", "string", "name", 0),
    ("Ready", "string", "", 0),
    ("Status", "string", "", 0),
    ("Restarts", "string", "", 0),
    ("Age", "string", "", 0),
    ("IP", "string", "", 1),
    ("Node", "string", "", 1),
    ("Nominated Node", "string", "", 1),
    ("Readiness Gates", "string", "", 1),
]

NODE_UNREACHABLE_REASON = "NodeLost"


def _condition_true(pod: dict, ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def _last_finish(status: dict):
    """FinishedAt of the container's previous termination (the time of its last restart)."""
    term = ((status.get("lastState") or {}).get("terminated")) or {}
    return term.get("finishedAt")


def _later(a, b):
    ta, tb = parse_time(a), parse_time(b)
    if tb is not None and (ta is None or tb > ta):
        return b
    return a


def pod_status(pod: dict) -> tuple[str, int, int, int, str | None]:
    """(STATUS, ready containers, total containers, restarts, last restart time) as kubectl
    computes them."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    meta = pod.get("metadata") or {}
    restarts = sidecar_restarts = 0
    total = len(spec.get("containers") or ())
    ready = 0
    last_restart = last_sidecar_restart = None
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for c in status.get("conditions") or ():
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or ()}
    total += sum(1 for c in init_specs.values() if c.get("restartPolicy") == "Always")

    initializing = False
    init_statuses = status.get("initContainerStatuses") or ()
    for i, cs in enumerate(init_statuses):
        restarts += cs.get("restartCount", 0)
        last_restart = _later(last_restart, _last_finish(cs))
        sidecar = (init_specs.get(cs.get("name")) or {}).get("restartPolicy") == "Always"
        if sidecar:
            sidecar_restarts += cs.get("restartCount", 0)
            last_sidecar_restart = _later(last_sidecar_restart, _last_finish(cs))
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term is not None and term.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term is not None:
            if not term.get("reason"):
                reason = (f"Init:Signal:{term['signal']}" if term.get("signal")
                          else f"Init:ExitCode:{term.get('exitCode', 0)}")
            else:
                reason = "Init:" + term["reason"]
        elif wait is not None and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or ())}"
        initializing = True
        break

    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or ()):
            restarts += cs.get("restartCount", 0)
            last_restart = _later(last_restart, _last_finish(cs))
            state = cs.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait is not None and wait.get("reason"):
                reason = wait["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                reason = (f"Signal:{term['signal']}" if term.get("signal")
                          else f"ExitCode:{term.get('exitCode', 0)}")
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == NODE_UNREACHABLE_REASON:
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        reason = "Terminating"
    return reason, ready, total, restarts, last_restart


def row(pod: dict, now: float | None) -> list:
    reason, ready, total, restarts, last_restart = pod_status(pod)
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({since(last_restart, now)} ago)"
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ips = status.get("podIPs") or ()
    gates = spec.get("readinessGates") or ()
    gates_text = "<none>"
    if gates:
        conds = {}
        for c in status.get("conditions") or ():
            conds.setdefault(c.get("type"), c.get("status"))
        ok = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
        gates_text = f"{ok}/{len(gates)}"
    return [pod["metadata"]["name"], f"{ready}/{total}", reason, restarts_text,
            since(pod["metadata"].get("creationTimestamp"), now),
            (ips[0].get("ip") if ips else "") or "<none>", spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", gates_text]


def row_conditions(pod: dict) -> list | None:
    """Table row conditions: finished pods are marked ``Completed`` (upstream printPod)."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed",
                 "message": "The pod failed."}]
    return None
