"""Starting and stopping containers: the kubelet's container runtime manager (kuberuntime).

``start_container`` follows ``startContainer`` in pkg/kubelet/kuberuntime/kuberuntime_container.go:

1. make sure the image is there (``Pulling`` / ``Pulled`` events, or ``ErrImagePull`` and later
   ``ImagePullBackOff``; ``IfNotPresent`` skips the pull when the node has the image),
2. build the container's configuration: environment, mounts, command (a missing ConfigMap or
   key → ``CreateContainerConfigError``),
3. create it (``Created container: web``) and start it (``Started container web``); a command
   that does not exist in the image fails here (exit code 128, ``StartError``),
4. run the ``postStart`` hook.

``kill_container`` is ``killContainer``: ``Killing`` event, ``preStop`` hook, the stop signal,
then SIGKILL when the grace period runs out (never less than 2 s).

These functions are generators: they ``yield`` the virtual seconds the runtime takes (a pull,
a grace period), and the pod worker resumes them when that time has passed.
"""
from __future__ import annotations

import math

from ..errors import ApiError
from ..images import ExecError, FileSystem, NetError, OpenStdin, StartError, with_default_tag
from ..quantity import parse_cpu, parse_memory
from ..upstream import MINIMUM_GRACE_PERIOD_SECONDS
from .containers import Instance, go_duration
from .environment import ConfigError, build_env, expand_command
from .volumes import container_mounts

CREATE_SECONDS = 0.05  # CreateContainer + StartContainer


def _limits(spec: dict):
    lim = (spec.get("resources") or {}).get("limits") or {}
    mem = parse_memory(str(lim["memory"])) if "memory" in lim else None
    cpu = parse_cpu(str(lim["cpu"])) if "cpu" in lim else None
    return mem, cpu


def ensure_image(w, rec):
    """Generator: returns the Image, or None after recording the waiting reason."""
    k = w.kubelet
    images = k.images
    name = rec.spec.get("image", "")
    policy = rec.spec.get("imagePullPolicy") or ("Always" if _latest(name) else "IfNotPresent")
    img, err = images.lookup(name)
    if err is not None and err.reason == "InvalidImageName":
        w.event(rec, "Warning", "InspectFailed", err.message)
        return _fail(w, rec, "InvalidImageName", err.message)
    present = images.is_present(img)
    if policy == "Never" and not present:
        msg = f'Container image "{name}" is not present with pull policy of Never'
        w.event(rec, "Warning", "ErrImageNeverPull", msg)
        return _fail(w, rec, "ErrImageNeverPull", msg)
    if policy != "Always" and present:
        w.event(rec, "Normal", "Pulled", f'Container image "{name}" already present on machine')
        return img
    key = f"{w.uid}_{name}"
    now = k.now()
    if images.backoff.in_backoff_since_update(key, now):
        msg = f'Back-off pulling image "{name}"'
        w.event(rec, "Normal", "BackOff", msg)
        prev = (w.pull_errors or {}).get(key)
        w.trigger_at(images.backoff.retry_at(key))
        return _fail(w, rec, "ImagePullBackOff", f"{msg}: ErrImagePull: {prev}" if prev else msg)
    if err is not None:
        start, end = images.plan_failure(now)
    else:
        start, end = images.plan_pull(img, now, cached_layers=present)
    w.event(rec, "Normal", "Pulling", f'Pulling image "{name}"')  # then it waits its turn
    yield end - now
    if err is not None:
        w.event(rec, "Warning", "Failed", f'Failed to pull image "{name}": {err.message}')
        images.backoff.next(key, k.now(), k.now())
        if w.pull_errors is None:
            w.pull_errors = {}
        w.pull_errors[key] = err.message
        w.trigger_at(w.pleg_notice(k.now()))  # the status write comes back as an update
        return _fail(w, rec, "ErrImagePull", err.message)
    images.add(img)
    images.backoff.forget(key)
    took = go_duration(end - start)
    w.event(rec, "Normal", "Pulled", f'Successfully pulled image "{name}" in {took} '
                                     f'({go_duration(end - now)} including waiting). Image size: '
                                     f"{img.size_bytes} bytes.")
    return img


def _latest(image: str) -> bool:
    try:
        return with_default_tag(image).endswith(":latest") and "@" not in image
    except ValueError:
        return False


def _fail(w, rec, reason, message):
    rec.waiting = (reason, message)
    w.event(rec, "Warning", "Failed", f"Error: {reason}")
    return None


def start_container(w, rec):
    """Generator: pull, create and start one container (a new instance of ``rec``)."""
    k = w.kubelet
    img = yield from ensure_image(w, rec)
    if img is None:
        return False
    rec.image = img
    try:
        env = build_env(k.api, w.pod, rec.spec, w.pod_ip or "", k.internal_ip, w.services(),
                        k.allocatable)
    except (ConfigError, ApiError) as e:
        if isinstance(e, ApiError):
            e = ConfigError(e.status.get("message", str(e)))
        rec.waiting = ("CreateContainerConfigError", str(e))
        w.event(rec, "Warning", "Failed", f"Error: {e}")
        w.trigger_at(k.now() + 10, background=False)
        return False
    spec = expand_command(rec.spec, env)
    attempt = rec.restart_count + (1 if rec.current is not None else 0)
    fs = FileSystem(img.files(), container_mounts(rec.spec, w.volumes, w.etc),
                    cwd=rec.spec.get("workingDir") or "/")
    mem, cpu = _limits(rec.spec)
    yield CREATE_SECONDS
    now = k.now()
    w.event(rec, "Normal", "Created", f"Created container: {rec.name}")
    try:
        proc = img.start(spec, env, fs, now, rng=w.rng, net=w.net, hostname=w.hostname,
                         pod_ip=w.pod_ip or "", node_ip=k.internal_ip, mem_limit=mem, cpu_limit=cpu,
                         stdin=OpenStdin() if rec.spec.get("stdin") else "")
    except StartError as e:
        inst = Instance(w.uid, rec.name, None, img, now, attempt)
        inst.finish(128, "StartError", now, str(e))
        rec.new_instance(inst)
        w.event(rec, "Warning", "Failed", f"Error: {e}")
        w.pleg_at(now)
        return False
    inst = Instance(w.uid, rec.name, proc, img, now, attempt)
    rec.new_instance(inst)
    w.event(rec, "Normal", "Started", f"Started container {rec.name}")
    hook = ((rec.spec.get("lifecycle") or {}).get("postStart"))
    if hook:
        ok, took = run_hook(w, rec, hook, now)
        if took:
            yield took
        if not ok:
            w.event(rec, "Warning", "FailedPostStartHook", "PostStartHook failed")
            yield from kill_container(w, rec, w.grace_period(), "FailedPostStartHook")
    w.pleg_at(k.now())
    return True


def run_hook(w, rec, hook: dict, now: float):
    """Run a postStart/preStop handler: (succeeded, seconds it took)."""
    proc = rec.current.process if rec.current else None
    if proc is None:
        return False, 0.0
    if "sleep" in hook:
        return True, float(hook["sleep"].get("seconds", 0))
    if "exec" in hook:
        cmd = [str(a) for a in hook["exec"].get("command") or []]
        try:
            code, _ = proc.exec(cmd, now, timeout=None)
        except ExecError:
            return False, 0.0
        took = getattr(proc, "last_exec_seconds", 0.0)
        return code == 0, took
    if "httpGet" in hook:
        hg = hook["httpGet"]
        try:
            status, _ = proc.http_get(int(hg.get("port", 80)), hg.get("path") or "/", now)
        except (NetError, ValueError):
            return False, 0.0
        return 200 <= status < 400, 0.0
    return True, 0.0


def kill_container(w, rec, grace: float, message: str | None = None):
    """Generator: stop ``rec``'s running instance (preStop, stop signal, SIGKILL at the end of
    the grace period). Returns when it has exited."""
    yield from kill_many(w, [rec], grace, {rec.name: message} if message else None)


def kill_many(w, recs, grace: float, messages=None):
    """Stop several containers in parallel, as the kubelet does when a pod terminates."""
    k = w.kubelet
    now = k.now()
    plan = []
    for rec in recs:
        inst = rec.current
        if inst is None or not inst.running or inst.process is None:
            continue
        msg = (messages or {}).get(rec.name) or f"Stopping container {rec.name}"
        w.event(rec, "Normal", "Killing", msg)
        g = grace
        hook = (rec.spec.get("lifecycle") or {}).get("preStop")
        took = 0.0
        if hook and g > 0:
            ok, took = run_hook(w, rec, hook, now)
            took = min(took, g)
            if not ok:
                w.event(rec, "Warning", "FailedPreStopHook", "PreStopHook failed")
            g = g - int(took)
        g = max(g, MINIMUM_GRACE_PERIOD_SECONDS)
        plan.append([rec, inst, now + took, now + took + g, False])
    while True:
        now = k.now()
        pending = math.inf
        for item in plan:
            rec, inst, term_at, kill_at, termed = item
            if not inst.running:
                continue
            if not termed and now >= term_at:
                inst.process.signal_term(now)
                item[4] = termed = True
            if now >= kill_at:
                inst.process.signal_kill(now)
            w.observe(now)
            if inst.running:
                nxt = inst.process.next_event_time()
                pending = min(pending, term_at if not termed else kill_at, nxt if nxt is not None else math.inf)
        if all(not it[1].running for it in plan):
            return
        yield max(pending - now, 0.001)
