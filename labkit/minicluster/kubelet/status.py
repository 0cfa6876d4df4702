"""Pod status: what the kubelet reports to the API server about a pod it runs.

Computed from the kubelet's own records the way pkg/kubelet/kubelet_pods.go
(``generateAPIPodStatus``, ``getPhase``, ``convertToAPIContainerStatuses``) and
pkg/kubelet/status/generate.go compute it:

- **phase**: ``Pending`` while any container waits to start for the first time (or init
  containers run), ``Running`` while containers run (or restart), ``Succeeded`` when all exited 0
  and none will restart, ``Failed`` when one failed and will not restart. A crash-looping
  container does not make the pod ``Pending``: it is ``Running`` with a container waiting in
  ``CrashLoopBackOff``.
- **conditions** (kubelet-owned): ``PodReadyToStartContainers``, ``Initialized``, ``Ready``,
  ``ContainersReady``; others (``PodScheduled``, readiness gates) are kept as they are.
- **containerStatuses**: ``state`` (waiting/running/terminated), ``lastState``, ``ready``,
  ``restartCount``, ``started``, image and IDs.
"""
from __future__ import annotations

from ..clock import rfc3339

KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")


def _ts(t):
    return rfc3339(t) if t is not None else None


def terminated(inst) -> dict:
    out = {"exitCode": inst.exit_code, "reason": inst.reason}
    if inst.message:
        out["message"] = inst.message
    out["startedAt"] = _ts(inst.started_at)
    out["finishedAt"] = _ts(inst.finished_at)
    out["containerID"] = f"containerd://{inst.id}"
    return out


def container_status(rec, default_waiting: str) -> dict:
    """One entry of ``containerStatuses`` / ``initContainerStatuses``."""
    cur = rec.current
    if cur is not None and cur.running:
        state = {"running": {"startedAt": _ts(cur.started_at)}}
    elif rec.waiting is not None:
        reason, message = rec.waiting
        state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
    elif cur is not None:
        state = {"terminated": terminated(cur)}
    else:
        state = {"waiting": {"reason": default_waiting}}
    last = {}
    if rec.waiting is not None and cur is not None and not cur.running:
        last = {"terminated": terminated(cur)}
    elif rec.previous is not None:
        last = {"terminated": terminated(rec.previous)}
    img = rec.image
    out = {"name": rec.name, "state": state, "lastState": last,
           "ready": rec.is_ready,
           "restartCount": rec.restart_count,
           "image": img.name if img is not None else rec.spec.get("image", ""),
           "imageID": img.image_ref if img is not None and cur is not None else ""}
    if cur is not None:
        out["containerID"] = f"containerd://{cur.id}"
    out["started"] = bool(cur is not None and cur.running and rec.started)
    mounts = []
    for vm in rec.spec.get("volumeMounts") or []:
        m = {"name": vm.get("name"), "mountPath": vm.get("mountPath")}
        if vm.get("readOnly"):
            m["readOnly"] = True
            m["recursiveReadOnly"] = "Disabled"
        mounts.append(m)
    if mounts:
        out["volumeMounts"] = mounts
    return out


def phase(worker) -> str:
    """``getPhase`` (pkg/kubelet/kubelet_pods.go)."""
    spec = worker.spec
    policy = spec.get("restartPolicy", "Always")
    pending_init = failed_init = 0
    for rec in worker.init_records:
        cur = rec.current
        if rec.sidecar:
            if not (rec.started and rec.running) and not worker.regular_started():
                pending_init += 1
            continue
        if cur is None:
            pending_init += 1
        elif cur.running:
            pending_init += 1
        elif rec.waiting is None:
            if cur.exit_code != 0:
                failed_init += 1
        elif cur.exit_code != 0:
            failed_init += 1
        else:
            pending_init += 1
    if failed_init and policy == "Never":
        return "Failed"
    if pending_init or failed_init:
        if not worker.regular_started():
            return "Pending"
    running = waiting = stopped = succeeded = 0
    for rec in worker.regular_records:
        cur = rec.current
        if cur is not None and cur.running:
            running += 1
        elif cur is not None and rec.waiting is None:
            stopped += 1
            succeeded += cur.exit_code == 0
        elif cur is not None:  # waiting to restart (CrashLoopBackOff...)
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if worker.terminal_intent:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _names(names) -> str:
    return "[" + " ".join(names) + "]"


def conditions(worker, ph: str, old_conditions: list, now_ts: str) -> list:
    """The pod's conditions: the kubelet's four, then the ones others own."""
    old = {c.get("type"): c for c in old_conditions or []}
    init_incomplete = []
    for rec in worker.init_records:
        cur = rec.current
        if rec.sidecar:
            if not (rec.started and rec.running):
                init_incomplete.append(rec.name)
        elif cur is None or cur.running or cur.exit_code != 0 or rec.waiting is not None:
            init_incomplete.append(rec.name)
    if ph == "Succeeded" and worker.init_records:
        initialized = ("True", "PodCompleted", "")
    elif not init_incomplete or worker.regular_started():
        initialized = ("True", "", "")
    else:
        initialized = ("False", "ContainersNotInitialized",
                       f"containers with incomplete status: {_names(init_incomplete)}")
    unready = [r.name for r in worker.init_records if r.sidecar and not r.is_ready] + \
        [r.name for r in worker.regular_records if not r.is_ready]
    if ph in ("Succeeded", "Failed"):
        containers_ready = ("False", "PodCompleted" if ph == "Succeeded" else "PodFailed", "")
    elif unready:
        containers_ready = ("False", "ContainersNotReady",
                            f"containers with unready status: {_names(unready)}")
    else:
        containers_ready = ("True", "", "")
    ready = containers_ready
    if ready[0] == "True":
        msgs = []
        for gate in worker.spec.get("readinessGates") or []:
            ctype = gate.get("conditionType")
            c = old.get(ctype)
            if c is None:
                msgs.append(f'corresponding condition of pod readiness gate "{ctype}" does not exist.')
            elif c.get("status") != "True":
                msgs.append(f'the status of pod readiness gate "{ctype}" is not "True", but {c.get("status")}')
        if msgs:
            ready = ("False", "ReadinessGatesNotReady", ", ".join(msgs))
    sandbox = ("True", "", "") if worker.sandbox_ready else ("False", "", "")
    values = {"PodReadyToStartContainers": sandbox, "Initialized": initialized, "Ready": ready,
              "ContainersReady": containers_ready}
    out = []
    for ctype in KUBELET_CONDITIONS:
        status, reason, message = values[ctype]
        prev = old.get(ctype)
        c = {"type": ctype, "status": status, "lastProbeTime": None,
             "lastTransitionTime": prev["lastTransitionTime"] if prev and prev.get("status") == status
             and prev.get("lastTransitionTime") else now_ts}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        out.append(c)
    out.extend(c for c in old_conditions or [] if c.get("type") not in KUBELET_CONDITIONS)
    return out


def pod_status(worker, old_status: dict, now: float) -> dict:
    """The full ``status`` the kubelet would write now."""
    now_ts = rfc3339(now)
    if worker.rejected:
        reason, message = worker.rejected
        out = {"phase": "Failed", "conditions": list((old_status or {}).get("conditions") or []),
               "message": message, "reason": reason}
        out["startTime"] = _ts(worker.start_time)
        if "qosClass" in (old_status or {}):
            out["qosClass"] = old_status["qosClass"]
        return out
    ph = phase(worker)
    out = {"phase": ph}
    out["conditions"] = conditions(worker, ph, (old_status or {}).get("conditions"), now_ts)
    host_ip = worker.kubelet.internal_ip
    out["hostIP"] = host_ip
    out["hostIPs"] = [{"ip": host_ip}]
    if worker.pod_ip:
        out["podIP"] = worker.pod_ip
        out["podIPs"] = [{"ip": worker.pod_ip}]
    out["startTime"] = _ts(worker.start_time)
    default_waiting = "PodInitializing" if worker.init_records else "ContainerCreating"
    if worker.init_records:
        out["initContainerStatuses"] = [container_status(r, default_waiting) for r in worker.init_records]
    out["containerStatuses"] = [container_status(r, default_waiting) for r in worker.regular_records]
    if worker.ephemeral_records:
        out["ephemeralContainerStatuses"] = [container_status(r, "ContainerCreating")
                                             for r in worker.ephemeral_records]
    if "qosClass" in (old_status or {}):
        out["qosClass"] = old_status["qosClass"]
    return out
