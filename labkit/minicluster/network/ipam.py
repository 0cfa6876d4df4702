"""IP address management: who gets which address (deterministically).

Four allocators, each modelled on the component that owns it in a kind cluster:

- **Node CIDRs** (kube-controller-manager's node-ipam controller, ``--allocate-node-cidrs``):
  every node gets the next free ``/24`` of the cluster CIDR ``10.244.0.0/16`` in
  ``spec.podCIDR``/``spec.podCIDRs``. The control-plane node of a kind cluster takes
  ``10.244.0.0/24``; it is not modelled as a Node here but keeps its range, so ``node-1`` gets
  ``10.244.1.0/24`` exactly as the first worker of a kind cluster does.
- **Pod IPs** (the CNI's host-local IPAM on each node): addresses of the node's range in order,
  ``.2``, ``.3``, ... (``.1`` is the gateway), continuing after the last one handed out and
  wrapping around, so a released address is not reused at once.
- **Node IPs** (the docker network of kind): the control plane is ``172.18.0.2``, nodes get
  ``172.18.0.3``, ``172.18.0.4``, ... in the order they ask.
- **Service ClusterIPs and NodePorts** (the API server's allocators): a random free value, taken
  first from the upper "dynamic" band of the range; the lower band (the first 256 ClusterIPs,
  the first 128 NodePorts) is left for values users choose (KEP-3070). ``10.96.0.1`` is the
  ``kubernetes`` Service, ``10.96.0.10`` is ``kube-dns``.

Simplification: a cluster with more than 255 nodes continues into ``10.245.0.0/16`` and
onwards, as if the cluster CIDR were larger than kind's ``/16``.
"""
from __future__ import annotations

import ipaddress


def ip_int(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))


def int_ip(n: int) -> str:
    return str(ipaddress.IPv4Address(n))


def in_cidr(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(cidr, strict=False)
    except ValueError:
        return False


class NodeCIDRAllocator:
    """Per-node /24 ranges out of the cluster CIDR (nodeipam range allocator)."""

    def __init__(self, cluster_cidr="10.244.0.0/16", mask=24, reserved=1):
        self.net = ipaddress.IPv4Network(cluster_cidr)
        self.mask = mask
        self.reserved = reserved  # index 0 belongs to the (unmodelled) control-plane node
        self.by_node: dict[str, int] = {}
        self.used: set[int] = set()
        self._low = reserved  # no free index below this one (keeps allocation O(1) amortized)

    def cidr(self, index: int) -> str:
        size = 2 ** (32 - self.mask)
        return f"{int_ip(int(self.net.network_address) + index * size)}/{self.mask}"

    def index_of(self, cidr: str) -> int:
        size = 2 ** (32 - self.mask)
        return (ip_int(cidr.split("/")[0]) - int(self.net.network_address)) // size

    def occupy(self, node: str, cidr: str) -> None:
        """Record a range a node already has (after a restore, or set by hand)."""
        i = self.index_of(cidr)
        self.by_node[node] = i
        self.used.add(i)

    def allocate(self, node: str) -> str:
        if node in self.by_node:
            return self.cidr(self.by_node[node])
        i = max(self.reserved, self._low)
        while i in self.used:
            i += 1
        self._low = i + 1
        self.by_node[node] = i
        self.used.add(i)
        return self.cidr(i)

    def release(self, node: str) -> None:
        i = self.by_node.pop(node, None)
        if i is not None:
            self.used.discard(i)
            self._low = min(self._low, i)


class HostLocalIPAM:
    """The pod addresses of one node: host-local's round-robin over the node's range."""

    def __init__(self, cidr: str):
        net = ipaddress.IPv4Network(cidr)
        self.cidr = cidr
        self.first = int(net.network_address) + 2  # .1 is the bridge/gateway
        self.last = int(net.broadcast_address) - 1
        self.next = self.first
        self.used: set[int] = set()

    def occupy(self, ip: str) -> None:
        n = ip_int(ip)
        self.used.add(n)
        if n >= self.next - 1:
            self.next = n + 1 if n < self.last else self.first

    def allocate(self) -> str | None:
        size = self.last - self.first + 1
        for step in range(size):
            n = self.first + (self.next - self.first + step) % size
            if n not in self.used:
                self.used.add(n)
                self.next = n + 1 if n < self.last else self.first
                return int_ip(n)
        return None

    def release(self, ip: str) -> None:
        self.used.discard(ip_int(ip))


class BandAllocator:
    """A random-offset allocator over ``[low, high]`` with a static lower band (the API server's
    bitmap allocator with KEP-3070 bands). ``in_use`` is asked at allocation time, so nothing
    leaks when a create fails after choosing a value."""

    def __init__(self, low: int, high: int, static_band: int, rng):
        self.low, self.high, self.static, self.rng = low, high, static_band, rng

    def contains(self, value: int) -> bool:
        return self.low <= value <= self.high

    def allocate(self, in_use) -> int | None:
        dyn_low = min(self.low + self.static, self.high)
        for lo, hi in ((dyn_low, self.high), (self.low, dyn_low - 1)):
            if hi < lo:
                continue
            size = hi - lo + 1
            start = self.rng.randrange(size)
            for step in range(size):
                value = lo + (start + step) % size
                if value not in in_use:
                    return value
        return None


def band_size(size: int, upper: int) -> int:
    """KEP-3070: the static band is size/16, at least 16, at most ``upper`` (256 IPs, 128 ports)."""
    return min(max(16, size // 16), upper)


class NodeIPs:
    """Node InternalIPs on the kind docker network 172.18.0.0/16."""

    CONTROL_PLANE_IP = "172.18.0.2"

    def __init__(self):
        self.by_node: dict[str, str] = {}
        self.next = ip_int("172.18.0.3")

    def get(self, node: str) -> str:
        if node not in self.by_node:
            self.by_node[node] = int_ip(self.next)
            self.next += 1
        return self.by_node[node]

    def occupy(self, node: str, ip: str) -> None:
        self.by_node[node] = ip
        self.next = max(self.next, ip_int(ip) + 1)
