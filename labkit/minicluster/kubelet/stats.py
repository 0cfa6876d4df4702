"""What the kubelet tells metrics-server: the resource usage of its containers and its node.

metrics-server scrapes each kubelet's ``/metrics/resource`` endpoint (the kubelet's resource
metrics, from cAdvisor): for every running container its start time, cumulative CPU and memory
working set, and the same for the node as a whole. :func:`container_samples` and
:func:`node_sample` are that endpoint, read at any instant up to now.

Simplifications (docs/fidelity.md): CPU comes as the simulated process's rate in millicores
(:meth:`~labkit.minicluster.images.process.Process.cpu_millicores`), not as cumulative CPU
seconds; memory is the process model's resident memory; a container that has stopped since
``at`` is no longer reported; the node's own use (kubelet, containerd, the OS) is a fixed
amount, :data:`SYSTEM_CPU_MILLICORES` and :data:`SYSTEM_MEMORY_BYTES`.
"""
from __future__ import annotations

from typing import NamedTuple

#: CPU the node uses besides its pods: kubelet, containerd, the OS (simplification: fixed)
SYSTEM_CPU_MILLICORES = 60
#: memory the node uses besides its pods (simplification: fixed)
SYSTEM_MEMORY_BYTES = 420 * 1024 * 1024


class ContainerSample(NamedTuple):
    """One container's line in the kubelet's resource metrics."""
    name: str
    started_at: float  # the container's start time: cumulative CPU was 0 then
    cpu: int           # millicores
    memory: int        # bytes (working set)


def container_samples(worker, at: float) -> list[ContainerSample]:
    """The containers of one pod (a :class:`~.podworker.PodWorker`) running at ``at``, in spec
    order (init sidecars, regular, ephemeral); ``[]`` if the pod has none."""
    if worker.done or not worker.sandbox_ready:
        return []
    out = []
    for rec in worker.all_records:
        inst = rec.current
        if inst is None or not inst.running or inst.process is None or inst.started_at > at:
            continue
        proc = inst.process
        out.append(ContainerSample(rec.name, inst.started_at, proc.cpu_millicores(at),
                                   proc.memory_bytes(at)))
    return out


def node_sample(kubelet, at: float) -> tuple[int, int]:
    """The node's usage at ``at``, ``(millicores, bytes)``: every running container plus the
    system's own share."""
    cpu, memory = SYSTEM_CPU_MILLICORES, SYSTEM_MEMORY_BYTES
    for worker in kubelet.workers.values():
        for c in container_samples(worker, at):
            cpu += c.cpu
            memory += c.memory
    return cpu, memory
