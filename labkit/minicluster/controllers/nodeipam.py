"""The node IPAM controller: gives each node its pod address range (pkg/controller/nodeipam,
range allocator, enabled by ``--allocate-node-cidrs`` as in kind).

When a node registers without ``spec.podCIDR``, the controller takes the next free ``/24`` of
the cluster CIDR (``--cluster-cidr=10.244.0.0/16``, ``--node-cidr-mask-size=24``) and writes it
to ``spec.podCIDR`` and ``spec.podCIDRs``. The node's CNI plug-in then hands out pod IPs from it
(:meth:`~labkit.minicluster.network.Network.allocate_pod_ip`). A deleted node's range becomes
free again. The ranges themselves are tracked by the cluster network
(:class:`~labkit.minicluster.network.ipam.NodeCIDRAllocator`); without a network this
controller does nothing.
"""
from __future__ import annotations

from .base import Controller


class NodeIPAMController(Controller):
    name = "node-ipam-controller"

    def setup(self):
        self.nodes = self.informers["nodes"]
        self.nodes.add_handler(self._on_node, lambda old, new: self._on_node(new), self._on_delete)

    def _on_node(self, node):
        if not (node.get("spec") or {}).get("podCIDR"):
            self.queue.add(node["metadata"]["name"])

    def _on_delete(self, node):
        network = self.ctx.network
        if network is not None:
            network.cidrs.release(node["metadata"]["name"])

    def reconcile(self, name):
        network = self.ctx.network
        node = self.nodes.get(name)
        if network is None or node is None or (node.get("spec") or {}).get("podCIDR"):
            return
        cidr = network.pod_cidr(name)
        self.api.patch("nodes", name, {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}}, "merge",
                       user=self.user)
