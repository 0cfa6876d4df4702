"""Container logs, as ``kubectl logs`` gets them from the kubelet.

Which instance is read (pkg/kubelet/kubelet_pods.go ``validateContainerLogStatus``):

- ``previous=False``: the running instance; if none runs, the last one that exited (so in
  ``CrashLoopBackOff`` you see the crash's output);
- ``previous=True``: the instance in ``lastState.terminated``; if there is none, the error
  ``previous terminated container "web" in pod "web-1" not found``.

A container that never started answers ``container "web" in pod "web-1" is waiting to start:
ContainerCreating`` (or ``image can't be pulled``...). Errors are 400 Bad Request, as the API
server relays them. Timestamps use the kubelet's fixed RFC 3339 format with nanoseconds.
"""
from __future__ import annotations

from datetime import datetime, timezone

from .. import errors


def timestamp(t: float) -> str:
    d = datetime.fromtimestamp(int(t), tz=timezone.utc)
    nanos = int(round((t - int(t)) * 1e9))
    if nanos >= 1_000_000_000:
        nanos = 999_999_999
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{nanos:09d}Z"


def _pick(w, container: str | None):
    pod = w.pod["metadata"]["name"]
    if container is None:
        names = [r.name for r in w.regular_records]
        if len(names) == 1:
            return w.regular_records[0]
        inits = [r.name for r in w.init_records]
        msg = f"a container name must be specified for pod {pod}, choose one of: [{' '.join(names)}]"
        if inits:
            msg += f" or one of the init containers: [{' '.join(inits)}]"
        raise errors.bad_request(msg)
    rec = w.records.get(container)
    if rec is None:
        raise errors.bad_request(f"container {container} is not valid for pod {pod}")
    return rec


def _instance(w, rec, previous: bool):
    pod = w.pod["metadata"]["name"]
    cur = rec.current
    if previous:
        last = cur if (cur is not None and not cur.running and rec.waiting is not None) else rec.previous
        if last is None:
            raise errors.bad_request(f'previous terminated container "{rec.name}" in pod "{pod}" not found')
        return last
    if cur is not None:
        return cur
    reason = rec.waiting[0] if rec.waiting else ("PodInitializing" if w.init_records else "ContainerCreating")
    detail = {"ErrImagePull": "image can't be pulled",
              "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
    raise errors.bad_request(f'container "{rec.name}" in pod "{pod}" is waiting to start: {detail}')


def container_logs(w, container, previous, tail, timestamps, now, since_seconds=None) -> str:
    rec = _pick(w, container)
    w.observe(now)
    inst = _instance(w, rec, previous)
    lines = inst.process.log_lines() if inst.process is not None else []
    if since_seconds is not None:
        lines = [l for l in lines if l[0] >= now - since_seconds]
    if tail is not None and tail >= 0:
        lines = lines[-tail:] if tail else []
    if timestamps:
        return "".join(f"{timestamp(t)} {text}\n" for t, _, text in lines)
    return "".join(f"{text}\n" for _, _, text in lines)
