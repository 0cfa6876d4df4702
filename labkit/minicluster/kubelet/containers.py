"""The kubelet's record of each container of a pod, and the node's image manager.

A *container* in the pod spec (``nginx``) is run as successive *instances* (containerd
containers with their own IDs): restarting a container means starting a new instance. The
kubelet remembers the current instance and the previous one, which is exactly what the API
shows: ``state`` (the current one), ``lastState`` (the one before) and ``restartCount``, and what
``kubectl logs`` and ``kubectl logs --previous`` read.
"""
from __future__ import annotations

import hashlib
import re

from ..images import PullError, resolve
from ..upstream import IMAGE_BACKOFF_SECONDS, IMAGE_MAX_BACKOFF_SECONDS
from .backoff import Backoff


class Instance:
    """One run of a container.

    Its containerd ID (64 hex digits) is computed each time it is asked for, from the pod UID,
    the container name and the attempt: the status writer and probes ask rarely, and keeping
    the string would cost 113 bytes per container."""

    __slots__ = ("pod_uid", "name", "process", "image", "started_at", "finished_at", "exit_code",
                 "reason", "message", "attempt")

    def __init__(self, pod_uid: str, name: str, process, image, started_at: float, attempt: int):
        self.pod_uid, self.name, self.process, self.image = pod_uid, name, process, image
        self.started_at, self.attempt = started_at, attempt
        self.finished_at = self.exit_code = self.reason = self.message = None

    @property
    def id(self) -> str:
        return container_id(self.pod_uid, self.name, self.attempt)

    @property
    def running(self) -> bool:
        return self.finished_at is None

    def finish(self, code: int, reason: str, t: float, message: str | None = None) -> None:
        self.exit_code, self.reason, self.finished_at, self.message = code, reason, t, message


class ContainerRecord:
    """Everything the kubelet tracks about one container of a pod."""

    __slots__ = ("spec", "name", "kind", "sidecar", "current", "previous", "restart_count",
                 "waiting", "ready", "started", "image", "probes", "kill_reason", "kill_message")

    def __init__(self, spec: dict, kind: str):
        self.spec = spec
        self.name = spec.get("name", "")
        self.kind = kind  # "init", "regular" or "ephemeral"
        self.sidecar = kind == "init" and spec.get("restartPolicy") == "Always"
        self.current: Instance | None = None
        self.previous: Instance | None = None
        self.restart_count = 0
        self.waiting: tuple | None = None  # (reason, message) shown while no instance runs
        self.ready = False
        self.started = False  # startup probe passed (or none)
        self.image = None
        self.probes: dict | None = None  # "liveness"/"readiness"/"startup" -> ProbeWorker
        self.kill_reason: str | None = None  # set when a probe failure asks for a restart
        self.kill_message: str | None = None

    @property
    def field_path(self) -> str:
        field = {"init": "initContainers", "ephemeral": "ephemeralContainers"}.get(self.kind, "containers")
        return f"spec.{field}{{{self.name}}}"

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.running

    @property
    def is_ready(self) -> bool:
        """Ready as the API shows it: running, started, and (with a readiness probe) the probe
        has succeeded; a container without a readiness probe is ready once it runs."""
        if not self.running or not self.started or self.kind == "ephemeral":
            return False
        return self.ready if "readinessProbe" in self.spec else True

    @property
    def last_finished(self) -> Instance | None:
        """The most recent instance that has exited."""
        if self.current is not None and not self.current.running:
            return self.current
        return self.previous

    def new_instance(self, inst: Instance) -> None:
        if self.current is not None:
            self.previous = self.current
            self.restart_count += 1
        self.current = inst
        self.waiting = None
        self.ready = False
        self.started = "startupProbe" not in self.spec


def container_id(pod_uid: str, name: str, attempt: int) -> str:
    """The (simulated) containerd ID of a container instance: stable for a given attempt."""
    return hashlib.sha256(f"{pod_uid}/{name}/{attempt}".encode()).hexdigest()


class ImageManager:
    """The node's images: what is present, serialized pulls (the kubelet's default
    ``serializeImagePulls: true``), and the pull back-off (ImagePullBackOff)."""

    def __init__(self, rng):
        self.rng = rng
        self.present: dict[str, object] = {}  # image id -> Image
        self.names: dict[str, set] = {}       # image id -> names it was pulled as
        self.busy_until = 0.0
        self.pulling: set = set()  # ids of images whose layers are being downloaded
        self.backoff = Backoff(IMAGE_BACKOFF_SECONDS, IMAGE_MAX_BACKOFF_SECONDS)

    def lookup(self, image: str):
        """(Image, None) or (None, PullError) without pulling."""
        try:
            return resolve(image), None
        except PullError as e:
            return None, e

    def is_present(self, img) -> bool:
        return img is not None and img.id in self.present

    def plan_pull(self, img, now: float, cached_layers: bool = False):
        """Reserve the puller: returns (start, end) of the pull (serialized after others)."""
        start = max(now, self.busy_until)
        cached = cached_layers or img.id in self.pulling  # an earlier pull brings the layers
        end = start + img.pull_seconds(cached=cached, rng=self.rng)
        self.pulling.add(img.id)
        self.busy_until = end
        return start, end

    def plan_failure(self, now: float):
        start = max(now, self.busy_until)
        end = start + round(0.3 + 0.4 * self.rng.random(), 3)
        self.busy_until = end
        return start, end

    def add(self, img) -> None:
        self.pulling.discard(img.id)
        self.present[img.id] = img
        self.names.setdefault(img.id, set()).update({img.name, img.image_ref})

    def node_images(self) -> list[dict]:
        """``node.status.images`` (nodestatus/setters.go Images): the image manager's list
        sorted by sliceutils.ByImageSize (biggest first, equal sizes by ID descending), cut to
        ``--node-status-max-images`` (50), at most 5 names each, digests before tags."""
        from ..upstream import NODE_STATUS_MAX_IMAGES, NODE_STATUS_MAX_NAMES_PER_IMAGE
        items = sorted(self.present.values(), key=lambda i: (i.size_bytes, i.id), reverse=True)
        out = []
        for img in items[:NODE_STATUS_MAX_IMAGES]:
            names = sorted(self.names.get(img.id, {img.name}), key=lambda n: ("@" not in n, n))
            out.append({"names": names[:NODE_STATUS_MAX_NAMES_PER_IMAGE], "sizeBytes": img.size_bytes})
        return out


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go ``time.Duration`` string (``90s``, ``1h30m``, ``512ms``, ``1m2.5s``):
    the inverse of :func:`go_duration`; None if ``text`` is not one."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        return None
    return sum(float(a) * _GO_UNITS[b] for a, b in parts)


_GO_UNITS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration`` string after ``Truncate(time.Millisecond)``: ``1.234s``, ``512ms``,
    ``1m2.5s``."""
    ms = int(round(seconds * 1000))
    if ms < 1000:
        return f"{ms}ms"
    minutes, rest_ms = divmod(ms, 60000)
    secs = f"{rest_ms / 1000:.3f}".rstrip("0").rstrip(".")
    if minutes:
        hours, minutes = divmod(minutes, 60)
        return (f"{hours}h" if hours else "") + f"{minutes}m{secs}s"
    return f"{secs}s"
