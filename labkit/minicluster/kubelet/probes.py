"""Probes: the kubelet asking a container "are you alive / ready / started?".

One worker per container and probe kind, as in pkg/kubelet/prober/worker.go. A worker ticks
every ``periodSeconds`` from the moment the pod is added to the node; a tick does nothing until
the container has run ``initialDelaySeconds``. A result only counts after ``failureThreshold``
consecutive failures (``successThreshold`` successes), so the default liveness probe restarts a
container 3 failed probes (about 30 s) after it stops answering.

- **startup**: until it succeeds, liveness and readiness are not run; if it fails
  ``failureThreshold`` times, the container is killed and restarted.
- **liveness**: failure → the container is killed (``Container web failed liveness probe, will
  be restarted``) and restarted per the pod's restartPolicy.
- **readiness**: the container's ``ready`` flag, hence the pod's Ready condition and whether
  Services send it traffic. Starts as not ready.

Every failed probe is an ``Unhealthy`` event: ``Liveness probe failed: HTTP probe failed with
statuscode: 500``. Probes run exec commands, HTTP GETs (``User-Agent: kube-probe/1.33``), TCP
connects or gRPC health checks against the simulated container.

Simplification: upstream adds a random start delay to workers created right after the kubelet
starts; here ticks start exactly when the pod is added.
"""
from __future__ import annotations

from ..images import ExecError, NetError
from ..upstream import (PROBE_FAILURE_THRESHOLD, PROBE_PERIOD_SECONDS, PROBE_SUCCESS_THRESHOLD,
                        PROBE_TIMEOUT_SECONDS, PROBE_USER_AGENT)

KINDS = ("startup", "liveness", "readiness")


class ProbeWorker:
    def __init__(self, worker, rec, kind: str):
        self.worker, self.rec, self.kind = worker, rec, kind
        spec = rec.spec.get(f"{kind}Probe") or {}
        self.spec = spec
        self.period = max(int(spec.get("periodSeconds") or PROBE_PERIOD_SECONDS), 1)
        self.initial_delay = int(spec.get("initialDelaySeconds") or 0)
        self.timeout = max(int(spec.get("timeoutSeconds") or PROBE_TIMEOUT_SECONDS), 1)
        self.success_threshold = int(spec.get("successThreshold") or PROBE_SUCCESS_THRESHOLD)
        self.failure_threshold = int(spec.get("failureThreshold") or PROBE_FAILURE_THRESHOLD)
        self.initial = kind != "readiness"  # liveness/startup start as success
        self.result = self.initial
        self.last = None
        self.run = 0
        self.on_hold = False
        self.instance_id = None
        self.timer = None
        self.stopped = False

    @property
    def loop(self):
        return self.worker.kubelet.loop

    def start(self) -> None:
        self._schedule(self.loop.clock.now())

    def stop(self) -> None:
        self.stopped = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _schedule(self, when: float) -> None:
        # Readiness and startup are "work in progress" until they first succeed; liveness is
        # background monitoring (it never makes the cluster busy by itself).
        background = self.kind == "liveness" or (self.kind == "readiness" and self.rec.ready) or \
            (self.kind == "startup" and self.rec.started)
        self.timer = self.loop.call_at(when, self._tick, background=background)

    def _tick(self) -> None:
        self.timer = None
        if self.stopped:
            return
        keep = self.do_probe(self.loop.clock.now())
        if keep and not self.stopped:
            self._schedule(self.loop.clock.now() + self.period)

    def do_probe(self, now: float) -> bool:
        """One tick (worker.go ``doProbe``); returns False when the worker should stop."""
        w, rec = self.worker, self.rec
        if w.kubelet.stopped:
            return True
        if w.done:
            return False
        inst = rec.current
        if inst is None:
            return True
        if inst.id != self.instance_id:
            self.instance_id, self.result, self.on_hold = inst.id, self.initial, False
            self.run, self.last = 0, None
            if self.kind == "readiness":
                rec.ready = False
        if self.on_hold:
            return True
        w.observe(now)
        if not inst.running:
            if self.kind == "readiness" and rec.ready:
                rec.ready = False
                w.status_changed()
            return not (w.spec.get("restartPolicy") == "Never" and rec.kind == "regular")
        if w.deleting and self.kind in ("liveness", "startup"):
            return False
        if self.kind != "startup" and not rec.started:
            return True
        if self.kind == "startup" and rec.started:
            return True
        if now - inst.started_at < self.initial_delay:
            return True
        ok, output = self.probe(inst, now)
        if not ok:
            w.event(rec, "Warning", "Unhealthy", f"{self.kind.capitalize()} probe failed: {output}")
        if ok == self.last:
            self.run += 1
        else:
            self.last, self.run = ok, 1
        if (not ok and self.run < self.failure_threshold) or (ok and self.run < self.success_threshold):
            return True
        self.result = ok
        if self.kind == "readiness":
            if rec.ready != ok:
                rec.ready = ok
                w.status_changed()
        elif self.kind == "startup":
            if ok and not rec.started:
                rec.started = True
                w.status_changed()
                w.trigger()  # liveness/readiness may start now; sidecars let init proceed
        if not ok and self.kind in ("liveness", "startup"):
            self.on_hold, self.run = True, 0
            w.probe_failed(rec, self.kind)
        return True

    # -- running a probe ------------------------------------------------------------------------
    def probe(self, inst, now: float):
        """(success, output) of one probe against the running instance."""
        spec = self.spec
        proc = inst.process
        w = self.worker
        if "exec" in spec:
            cmd = [str(a) for a in (spec["exec"].get("command") or [])]
            try:
                code, out = proc.exec(cmd, now, timeout=self.timeout)
            except ExecError as e:
                return False, str(e)
            if code is None:
                return False, f'command "{" ".join(cmd)}" timed out'
            return code == 0, out
        ip = w.pod_ip or "127.0.0.1"
        if "httpGet" in spec:
            hg = spec["httpGet"]
            port = self._port(hg.get("port"))
            path = hg.get("path") or "/"
            scheme = (hg.get("scheme") or "HTTP").lower()
            host = hg.get("host") or ip
            url = f"{scheme}://{host}:{port}{path if path.startswith('/') else '/' + path}"
            headers = {"User-Agent": PROBE_USER_AGENT, "Accept": "*/*"}
            for h in hg.get("httpHeaders") or []:
                headers[h.get("name", "")] = h.get("value", "")
            try:
                status, body = proc.http_get(port, path, now, headers=headers,
                                             client_ip=w.kubelet.internal_ip)
            except NetError as e:
                if e.kind == "protocol":
                    return False, f'Get "{url}": {e}'
                return False, f'Get "{url}": dial tcp {host}:{port}: connect: connection refused'
            if 200 <= status < 400:
                return True, ""
            return False, f"HTTP probe failed with statuscode: {status}"
        if "tcpSocket" in spec:
            port = self._port(spec["tcpSocket"].get("port"))
            if proc.tcp_open(port, now):
                return True, ""
            return False, f"dial tcp {ip}:{port}: connect: connection refused"
        if "grpc" in spec:
            port = int(spec["grpc"].get("port", 0))
            if proc.tcp_open(port, now):
                return True, ""
            return False, (f'timeout: failed to connect service "{ip}:{port}" within '
                           f'{self.timeout}s: context deadline exceeded')
        return True, ""

    def _port(self, port) -> int:
        if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
            return int(port)
        for p in self.rec.spec.get("ports") or []:
            if p.get("name") == port:
                return int(p.get("containerPort", 0))
        return 0
