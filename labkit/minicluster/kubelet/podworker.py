"""The pod worker: the kubelet's loop for one pod (pkg/kubelet/pod_workers.go + SyncPod).

Each *sync* of a pod does, in order (kubelet.go ``SyncPod``, kuberuntime ``SyncPod``):

1. write the pod status as the kubelet sees it **now** (one status write per change, never
   per field: a pod usually costs two writes, ContainerCreating then Running),
2. set up the volumes, then the pod *sandbox* (its network namespace: the pod IP),
3. kill containers that failed their liveness/startup probe,
4. run init containers one at a time, in order,
5. start the containers that are not running and should run (restart policy, and the
   CrashLoopBackOff delay of 10 s, 20 s, 40 s... up to 5 minutes).

A sync is triggered when something changes: the pod is added or updated, a container starts or
exits (the kubelet notices on its next *relist*, every second), a back-off ends, a probe result
changes. Between those moments a running pod costs nothing.

Deleting a pod (``deletionTimestamp`` set) makes the worker stop the containers gracefully
(preStop hook, SIGTERM, SIGKILL when the grace period ends), write the final status, and then
delete the pod object for good (grace period 0), as the kubelet's status manager does.
"""
from __future__ import annotations

import math

from ..errors import ApiError
from ..objects import key_of, without_status
from ..patch import two_way_patch
from ..upstream import (DEFAULT_TERMINATION_GRACE_SECONDS, VOLUME_RETRY_INITIAL_SECONDS,
                        VOLUME_RETRY_MAX_SECONDS)
from . import lifecycle, volumes
from .containers import ContainerRecord
from .podnet import PodNetwork, pod_ips
from .probes import KINDS, ProbeWorker
from .rng import LazyRandom
from .status import pod_status

SANDBOX_SECONDS = 0.3    # RunPodSandbox + CNI ADD
SETTLE_HORIZON = 60.0    # process wake-ups further away than this do not keep settle() busy


class PodWorker:
    # slots: one worker per pod, 150,000 at scale; an instance dict would cost ~1.5 KB each
    __slots__ = ("kubelet", "key", "pod", "uid", "spec", "init_records", "regular_records",
                 "rng", "start_time", "sandbox_ready", "pod_ip", "volumes", "etc",
                 "mount_retry", "rejected", "deleting", "removed", "terminal_intent", "done",
                 "gen", "need_sync", "sync_timer", "pleg_timer", "pull_errors", "_waiting_before",
                 "wakeups", "net", "hostname", "ephemeral_records")

    def __init__(self, kubelet, pod: dict):
        self.kubelet = kubelet
        self.key = key_of(pod)
        self.pod = without_status(pod)  # metadata and spec; the status stays packed in the informer
        self.uid = pod["metadata"]["uid"]
        self.spec = pod["spec"]
        # tuples: fixed for the pod's life; most pods have no init container, and the empty
        # tuple is one shared object (an empty list is 56 bytes per pod)
        self.init_records = tuple(ContainerRecord(c, "init") for c in self.spec.get("initContainers") or ())
        self.regular_records = tuple(ContainerRecord(c, "regular") for c in self.spec.get("containers") or ())
        self.ephemeral_records = ()  # kubectl debug adds them later (pods/ephemeralcontainers)
        self.rng = LazyRandom(kubelet.seed, self.uid)  # random.Random(f"{seed}/{uid}"), built on first use
        self.start_time = None
        self.sandbox_ready = False
        self.pod_ip = None
        self.volumes = None
        self.etc = None
        self.mount_retry = VOLUME_RETRY_INITIAL_SECONDS
        self.rejected = None
        self.deleting = bool(pod["metadata"].get("deletionTimestamp"))
        self.removed = False
        self.terminal_intent = False
        self.done = False
        self.gen = None
        self.need_sync = False
        self.sync_timer = None
        self.pleg_timer = None
        self.pull_errors: dict | None = None  # image pull errors, once a pull has failed
        self._waiting_before: list | None = None  # during a sync: waiting reasons before it
        self.wakeups: dict | None = None  # time -> background; None while nothing is asked
        self.net = PodNetwork(self)
        # a hostNetwork pod shares the node's UTS namespace too: the node's hostname
        self.hostname = kubelet.name if self.spec.get("hostNetwork") else \
            self.spec.get("hostname") or pod["metadata"]["name"]

    # -- small helpers ----------------------------------------------------------------------------
    @property
    def all_records(self):
        return self.init_records + self.regular_records + self.ephemeral_records

    @property
    def records(self) -> dict:
        """Container records by name (built when asked: logs and exec look one up)."""
        return {r.name: r for r in self.all_records}

    def regular_started(self) -> bool:
        return any(r.current is not None for r in self.regular_records)

    def grace_period(self) -> float:
        meta = self.pod["metadata"]
        if meta.get("deletionGracePeriodSeconds") is not None and self.deleting:
            return float(meta["deletionGracePeriodSeconds"])
        g = self.spec.get("terminationGracePeriodSeconds")
        return float(DEFAULT_TERMINATION_GRACE_SECONDS if g is None else g)

    def event(self, rec, etype: str, reason: str, message: str) -> None:
        k = self.kubelet
        k.recorder.record(self.pod, etype, reason, message, "kubelet", host=k.name,
                          field_path=rec.field_path if rec is not None else None)

    def services(self) -> list:
        """Services for the environment (service links), read when a container starts."""
        k = self.kubelet
        ns = self.pod["metadata"]["namespace"]
        try:
            out = [s for s in k.api.list("services", ns)["items"]] \
                if self.spec.get("enableServiceLinks", True) else []
            if ns != "default" or not self.spec.get("enableServiceLinks", True):
                out += [s for s in k.api.list("services", "default")["items"]
                        if s["metadata"]["name"] == "kubernetes"]
        except ApiError:
            out = []
        return out

    def listener(self, port: int, now: float):
        """The process of this pod listening on ``port`` (containers share the pod's network)."""
        for rec in self.all_records:
            inst = rec.current
            if inst is not None and inst.running and inst.process is not None \
                    and inst.process.tcp_open(port, now):
                return inst.process
        return None

    # -- scheduling ---------------------------------------------------------------------------
    def trigger(self, delay: float = 0.0) -> None:
        self.trigger_at(self.kubelet.now() + delay)

    def trigger_at(self, when, background: bool = False) -> None:
        """Ask for a sync at ``when`` (several requests are kept; the earliest fires first)."""
        if when is None or self.done:
            return
        if self.wakeups is None:
            self.wakeups = {}
        self.wakeups[when] = self.wakeups.get(when, True) and background
        self._arm()

    def _arm(self) -> None:
        if not self.wakeups:
            return
        when = min(self.wakeups)
        t = self.sync_timer
        if t is not None and not t.cancelled and not t.done:
            if t.when == when and t.background == self.wakeups[when]:
                return
            t.cancel()
        self.sync_timer = self.kubelet.loop.call_at(when, self._fire, background=self.wakeups[when])

    def _fire(self) -> None:
        self.sync_timer = None
        now = self.kubelet.now()
        for when in [w for w in self.wakeups or () if w <= now]:
            del self.wakeups[when]
        if not self.wakeups:
            self.wakeups = None  # an emptied dict keeps its table: 160 bytes x 150,000 pods
        if self.kubelet.stopped or self.done:
            return
        if self.gen is not None:
            self.need_sync = True
            self._arm()
            return
        self._waiting_before = [r.waiting for r in self.all_records]
        self.gen = self.sync()
        self._resume()

    def _resume(self) -> None:
        if self.kubelet.stopped:
            self.kubelet.frozen.add(self)
            return
        try:
            delay = next(self.gen)
        except StopIteration:
            self.gen = None
            self._after_sync()
            return
        except Exception as e:  # noqa: BLE001 - one broken pod must not stop the node
            self.gen = None
            self.event(None, "Warning", "FailedSync", f"error syncing pod, skipping: {e}")
            self.trigger(10)
            return
        self.kubelet.loop.call_later(max(delay, 0.0), self._resume)

    def _after_sync(self) -> None:
        if self.done:
            return
        before, self._waiting_before = self._waiting_before, None
        if [r.waiting for r in self.all_records] != before:
            # A sync that ends with a new waiting reason (CrashLoopBackOff, ImagePullBackOff...)
            # is followed by another one at once: the kubelet's status write comes back as a pod
            # update (and the reason is reported then, from the kubelet's reason cache).
            self.need_sync = True
        if self.need_sync:
            self.need_sync = False
            self.trigger()
        self._arm()
        self.schedule_pleg()

    @staticmethod
    def pleg_notice(t: float) -> float:
        """The kubelet notices container changes at its next relist (every second)."""
        return math.floor(t) + 1.0

    def pleg_at(self, t: float) -> None:
        self.trigger_at(self.pleg_notice(t))

    def schedule_pleg(self) -> None:
        """Wake up when a running process next changes by itself (exit, OOM, a script step)."""
        nxt = None
        for rec in self.all_records:
            inst = rec.current
            if inst is not None and inst.running and inst.process is not None:
                t = inst.process.next_event_time()
                if t is not None and (nxt is None or t < nxt):
                    nxt = t
        old = self.pleg_timer
        if old is not None and not old.done and not old.cancelled:
            if nxt is not None and old.when == nxt:
                return
            old.cancel()
        self.pleg_timer = None
        if nxt is not None:
            now = self.kubelet.now()
            self.pleg_timer = self.kubelet.loop.call_at(nxt, self._pleg,
                                                        background=nxt - now > SETTLE_HORIZON)

    def _pleg(self) -> None:
        self.pleg_timer = None
        if self.kubelet.stopped or self.done:
            return
        now = self.kubelet.now()
        if self.observe(now):
            self.pleg_at(now)
        self.schedule_pleg()

    # -- observing the runtime ----------------------------------------------------------------
    def observe(self, now: float) -> bool:
        """Advance every running process to ``now``; record exits. True if one exited."""
        exited = False
        for rec in self.all_records:
            inst = rec.current
            if inst is None or not inst.running or inst.process is None:
                continue
            inst.process.advance(now)
            ex = inst.process.exited
            if ex is not None:
                inst.finish(ex[0], ex[1], inst.process.finished_at)
                rec.ready = False
                exited = True
        return exited

    def status_changed(self) -> None:
        """A probe changed readiness: the status manager writes it at once."""
        if not self.done and not self.kubelet.stopped:
            self.write_status()

    def probe_failed(self, rec, kind: str) -> None:
        """Liveness/startup failed ``failureThreshold`` times: kill (and maybe restart)."""
        if self.deleting or self.terminal_intent:
            return
        restart = self.spec.get("restartPolicy", "Always") != "Never"
        msg = f"Container {rec.name} failed {kind} probe"
        rec.kill_reason = kind
        rec.kill_message = f"{msg}, will be restarted" if restart else msg
        self.trigger()

    # -- status -------------------------------------------------------------------------------
    def write_status(self) -> None:
        k = self.kubelet
        current = k.pods.get(self.key)
        if current is None or current["metadata"].get("uid") != self.uid:
            return
        old = current.get("status") or {}
        new = pod_status(self, old, k.now())
        diff = two_way_patch(old, new) if new != old else None
        if not diff:
            return
        # statusutil.PatchPodStatus: a strategic merge patch of what changed, with the pod's
        # UID as a precondition (conditions merge by type; other lists are replaced whole)
        patch = {"metadata": {"uid": self.uid}, "status": diff}
        try:
            k.api.patch("pods", current["metadata"]["name"], patch, "strategic",
                        current["metadata"]["namespace"], subresource="status", user=k.user)
            k.status_writes += 1
        except ApiError as e:
            if e.code == 409:  # changed meanwhile: try again with the fresh object
                self.trigger()

    # -- the sync -----------------------------------------------------------------------------
    def sync(self):
        k = self.kubelet
        now = k.now()
        self.observe(now)
        if self.removed or self.deleting:
            yield from self.terminate()
            return
        if self.rejected is not None or self.terminal_intent:
            self.write_status()
            return
        if self.start_time is None:
            self.start_time = now
            self.rejected = k.admit(self)
            if self.rejected is not None:
                self.event(None, "Warning", self.rejected[0], self.rejected[1])
                self.write_status()
                self.finish()
                return
            self.start_probes()
        self.write_status()
        if self._pod_finished():
            yield from self.complete()
            return
        if self.volumes is None:
            try:
                self.volumes = volumes.setup(self, "")
            except volumes.MountError as e:
                self.event(None, "Warning", "FailedMount", str(e))
                self.trigger(self.mount_retry)
                self.mount_retry = min(self.mount_retry * 2, VOLUME_RETRY_MAX_SECONDS)
                return
        if not self.sandbox_ready:
            yield SANDBOX_SECONDS
            try:
                self.pod_ip = k.allocate_ip(self)
            except ApiError as e:
                sandbox = self.rng.getrandbits(256).to_bytes(32, "big").hex()
                self.event(None, "Warning", "FailedCreatePodSandBox",
                           "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to "
                           f'setup network for sandbox "{sandbox}": plugin type="host-local" failed '
                           f"(add): {e.status.get('message', '')}")
                self.trigger(10)
                return
            if self.pod_ip:
                pod_ips(k.ctx)[self.pod_ip] = self
            self.etc = volumes.etc_files(self)
            self.sandbox_ready = True
            self.pleg_at(k.now())
        for rec in self.all_records:
            if rec.kill_reason and rec.running:
                msg = rec.kill_message
                rec.kill_reason = rec.kill_message = None
                yield from lifecycle.kill_container(rec=rec, w=self, grace=self._probe_grace(rec), message=msg)
        if not (yield from self.run_init_containers()):
            return
        for rec in self.regular_records:
            if rec.running:
                continue
            if not self._should_start(rec):
                continue
            if not self._backoff_allows(rec):
                continue
            yield from lifecycle.start_container(self, rec)
        for rec in self.ephemeral_records:  # started once, never restarted
            if rec.current is None and self._backoff_allows(rec):
                yield from lifecycle.start_container(self, rec)

    def _probe_grace(self, rec) -> float:
        for kind in ("liveness", "startup"):
            g = (rec.spec.get(f"{kind}Probe") or {}).get("terminationGracePeriodSeconds")
            if g is not None:
                return float(g)
        return self.grace_period()

    def _should_start(self, rec) -> bool:
        cur = rec.current
        if cur is None:
            return True
        if cur.running:
            return False
        policy = "Always" if rec.sidecar else self.spec.get("restartPolicy", "Always")
        if policy == "Always":
            return True
        return policy == "OnFailure" and cur.exit_code != 0

    def _backoff_allows(self, rec) -> bool:
        """CrashLoopBackOff: may this exited container be started again now?"""
        cur = rec.current
        if cur is None:
            return True
        k = self.kubelet
        key = f"{self.pod['metadata']['name']}_{self.pod['metadata']['namespace']}_{self.uid}_{rec.name}"
        now = k.now()
        bo = k.backoff
        if bo.in_backoff_since(key, cur.finished_at, now):
            pod = f"{self.pod['metadata']['name']}_{self.pod['metadata']['namespace']}({self.uid})"
            delay = int(bo.get(key))
            delay_text = f"{delay // 60}m{delay % 60}s" if delay >= 60 else f"{delay}s"
            if delay >= 60 and delay % 60 == 0:
                delay_text = f"{delay // 60}m0s"
            rec.waiting = ("CrashLoopBackOff",
                           f"back-off {delay_text} restarting failed container={rec.name} pod={pod}")
            self.event(rec, "Warning", "BackOff",
                       f"Back-off restarting failed container {rec.name} in pod {pod}")
            self.trigger_at(bo.retry_at(key, cur.finished_at))
            return False
        bo.next(key, cur.finished_at, now)
        return True

    def run_init_containers(self):
        """Generator: start the next init container; True once all have completed."""
        for rec in self.init_records:
            cur = rec.current
            if rec.sidecar:
                if not rec.running:
                    if cur is None or self._backoff_allows(rec):
                        yield from lifecycle.start_container(self, rec)
                    if not rec.running or not rec.started:
                        return False
                if not rec.started:
                    return False
                continue
            if self.regular_started():
                continue
            if cur is None:
                yield from lifecycle.start_container(self, rec)
                return False
            if cur.running:
                return False
            if cur.exit_code == 0 and rec.waiting is None:
                continue
            if self.spec.get("restartPolicy", "Always") == "Never":
                return False
            if self._backoff_allows(rec):
                yield from lifecycle.start_container(self, rec)
            return False
        return True

    def _pod_finished(self) -> bool:
        """No container will run again: the pod's phase is final."""
        policy = self.spec.get("restartPolicy", "Always")
        if policy == "Never":
            for rec in self.init_records:
                cur = rec.current
                if not rec.sidecar and cur is not None and not cur.running and cur.exit_code != 0:
                    return True
        if policy == "Always" or not self.regular_records:
            return False
        for rec in self.regular_records:
            cur = rec.current
            if cur is None or cur.running:
                return False
            if policy == "OnFailure" and cur.exit_code != 0:
                return False
        return True

    def complete(self):
        """The pod reached Succeeded/Failed: stop sidecars, tear down the sandbox."""
        sidecars = [r for r in self.init_records if r.sidecar and r.running]
        if sidecars:
            yield from lifecycle.kill_many(self, sidecars, self.grace_period())
        self.terminal_intent = True
        self.sandbox_ready = False
        self.stop_probes()
        self.write_status()
        self.finish(keep_ip_in_status=True)

    def terminate(self):
        """The pod is being deleted: stop everything, report, then remove the object."""
        k = self.kubelet
        self.stop_probes()
        running = [r for r in self.all_records if r.running]
        if running:
            grace = self.grace_period() if not self.removed else 0.0
            regular = [r for r in running if not r.sidecar]
            sidecars = [r for r in running if r.sidecar]
            if regular:
                yield from lifecycle.kill_many(self, regular, grace)
            if sidecars:
                yield from lifecycle.kill_many(self, sidecars, grace)
        self.terminal_intent = True
        self.sandbox_ready = False
        if not self.removed:
            self.write_status()
        self.finish()
        if not self.removed:
            meta = self.pod["metadata"]
            try:
                k.api.delete("pods", meta["name"], meta["namespace"], grace_period_seconds=0,
                             preconditions={"uid": self.uid}, user=k.user)
            except ApiError:
                pass
        else:
            k.forget(self)

    def finish(self, keep_ip_in_status: bool = False) -> None:
        """Nothing more will happen in this pod: release its IP, stop timers."""
        self.done = True
        self.stop_probes()
        self.wakeups = None
        self.kubelet.release(self)
        for t in (self.sync_timer, self.pleg_timer):
            if t is not None:
                t.cancel()
        self.sync_timer = self.pleg_timer = None
        if self.pod_ip:
            pod_ips(self.kubelet.ctx).pop(self.pod_ip, None)
            self.kubelet.release_ip(self, self.pod_ip)

    # -- probes -------------------------------------------------------------------------------
    def start_probes(self) -> None:
        for rec in self.all_records:
            for kind in KINDS:
                if rec.spec.get(f"{kind}Probe") and (rec.kind == "regular" or rec.sidecar):
                    pw = ProbeWorker(self, rec, kind)
                    if rec.probes is None:
                        rec.probes = {}
                    rec.probes[kind] = pw
                    pw.start()
            if "readinessProbe" not in rec.spec and rec.probes:
                rec.probes.pop("readiness", None)

    def stop_probes(self) -> None:
        for rec in self.all_records:
            if rec.probes:
                for pw in rec.probes.values():
                    pw.stop()

    # -- updates from the API -------------------------------------------------------------------
    def update(self, pod: dict) -> None:
        self.pod = without_status(pod)  # the status is read from the informer when needed
        added = (pod["spec"].get("ephemeralContainers") or ())[len(self.ephemeral_records):]
        if added and not self.deleting:
            self.ephemeral_records += tuple(ContainerRecord(c, "ephemeral") for c in added)
            self.trigger()
        if pod["metadata"].get("deletionTimestamp") and not self.deleting:
            self.deleting = True
            self.trigger()
            return
        if self.deleting and self.gen is not None:
            self.need_sync = True
