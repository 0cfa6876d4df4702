"""The Node object a kubelet registers, and its status (capacity, conditions, node info).

Capacity is what the machine has; *allocatable* is what the scheduler may hand out to pods:
capacity minus the kubelet's default hard-eviction thresholds (``memory.available<100Mi``,
``nodefs.available<10%``; no kube-/system-reserved by default). Memory is reported in ``Ki``
as the kubelet does (``8Gi`` → ``8388608Ki``).

Conditions carry the kubelet's real reasons and messages (``KubeletReady`` / ``kubelet is
posting ready status``). A node's *liveness* is its Lease in ``kube-node-lease``, renewed every
10 s; the full status is written when something changes, or every 5 minutes.
"""
from __future__ import annotations

import hashlib

from ..clock import rfc3339
from ..quantity import parse_cpu, parse_memory
from ..upstream import (CONTAINER_RUNTIME_VERSION, EVICTION_HARD_MEMORY_BYTES,
                        EVICTION_HARD_NODEFS_FRACTION, KUBELET_PORT, KUBERNETES_VERSION,
                        NODE_KERNEL_VERSION, NODE_LEASE_DURATION_SECONDS, NODE_LEASE_NAMESPACE,
                        NODE_OS_IMAGE)

DEFAULT_EPHEMERAL_STORAGE = "100Gi"

CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def _ki(n: int) -> str:
    return f"{n // 1024}Ki" if n % 1024 == 0 else str(n)


def resources(cpu, memory, max_pods, storage=DEFAULT_EPHEMERAL_STORAGE):
    """(capacity, allocatable) as the kubelet reports them."""
    mem = parse_memory(str(memory))
    disk = parse_memory(str(storage))
    millis = parse_cpu(str(cpu))
    cpu_q = str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"
    capacity = {"cpu": cpu_q, "ephemeral-storage": _ki(disk), "hugepages-1Gi": "0",
                "hugepages-2Mi": "0", "memory": _ki(mem), "pods": str(max_pods)}
    alloc_disk = disk - int(disk * EVICTION_HARD_NODEFS_FRACTION)
    allocatable = dict(capacity, **{"ephemeral-storage": _ki(alloc_disk),
                                    "memory": _ki(mem - EVICTION_HARD_MEMORY_BYTES)})
    return capacity, allocatable


def _hex(name: str, salt: str, n: int = 32) -> str:
    return hashlib.sha256(f"{salt}/{name}".encode()).hexdigest()[:n]


def node_info(name: str) -> dict:
    uid = _hex(name, "system-uuid")
    return {"machineID": _hex(name, "machine-id"),
            "systemUUID": f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}",
            "bootID": _hex(name, "boot-id", 8) + "-" + _hex(name, "boot-id2", 4) + "-4" +
                      _hex(name, "boot-id3", 3) + "-8" + _hex(name, "boot-id4", 3) + "-" +
                      _hex(name, "boot-id5", 12),
            "kernelVersion": NODE_KERNEL_VERSION, "osImage": NODE_OS_IMAGE,
            "containerRuntimeVersion": CONTAINER_RUNTIME_VERSION,
            "kubeletVersion": KUBERNETES_VERSION, "kubeProxyVersion": "",
            "operatingSystem": "linux", "architecture": "amd64"}


def conditions(now: float, old: list | None = None, ready: bool = True) -> list:
    prev = {c["type"]: c for c in old or []}
    ts = rfc3339(now)
    out = []
    for ctype, status, reason, message in CONDITIONS:
        if ctype == "Ready" and not ready:
            status, reason, message = "False", "KubeletNotReady", "container runtime is down"
        p = prev.get(ctype)
        out.append({"type": ctype, "status": status, "lastHeartbeatTime": ts,
                    "lastTransitionTime": p["lastTransitionTime"] if p and p.get("status") == status else ts,
                    "reason": reason, "message": message})
    return out


def node_object(kubelet, now: float) -> dict:
    """The Node the kubelet registers (``POST /api/v1/nodes``)."""
    name = kubelet.name
    labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
              "kubernetes.io/os": "linux"}
    labels.update(kubelet.labels or {})
    spec = {"podCIDR": kubelet.pod_cidr, "podCIDRs": [kubelet.pod_cidr]} if kubelet.pod_cidr else {}
    spec["providerID"] = f"kind://docker/kind/{name}"
    if kubelet.taints:
        spec["taints"] = [dict(t) for t in kubelet.taints]
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": {
            "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": spec,
        "status": node_status(kubelet, now, None),
    }


def node_status(kubelet, now: float, old: dict | None) -> dict:
    return {
        "capacity": dict(kubelet.capacity), "allocatable": dict(kubelet.allocatable),
        "conditions": conditions(now, (old or {}).get("conditions")),
        "addresses": [{"address": kubelet.internal_ip, "type": "InternalIP"},
                      {"address": kubelet.name, "type": "Hostname"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": KUBELET_PORT}},
        "nodeInfo": node_info(kubelet.name),
        "images": kubelet.images.node_images(),
        "runtimeHandlers": [{"name": "runc", "features": {"recursiveReadOnlyMounts": True,
                                                          "userNamespaces": True}},
                            {"name": "test-handler", "features": {"recursiveReadOnlyMounts": True,
                                                                  "userNamespaces": True}}],
        "features": {"supplementalGroupsPolicy": True},
    }


def micro_time(t: float) -> str:
    """``metav1.MicroTime``: ``2025-01-01T00:00:10.000000Z``."""
    base = rfc3339(t)[:-1]
    return f"{base}.{int(round((t % 1) * 1e6)) % 1000000:06d}Z"


def lease_object(kubelet, node_uid: str, now: float) -> dict:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": kubelet.name, "namespace": NODE_LEASE_NAMESPACE,
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node",
                                              "name": kubelet.name, "uid": node_uid}]},
            "spec": {"holderIdentity": kubelet.name,
                     "leaseDurationSeconds": NODE_LEASE_DURATION_SECONDS,
                     "renewTime": micro_time(now)}}
