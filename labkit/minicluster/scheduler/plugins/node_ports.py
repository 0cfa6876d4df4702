"""NodePorts: two pods cannot both listen on the same ``hostPort`` of a node.

A port bound on 0.0.0.0 conflicts with the same protocol/port on any address; a port on a
specific address conflicts with the same address or 0.0.0.0 (framework/types.go
``HostPortInfo.CheckConflict``). Pods without host ports skip this plugin.
Upstream: plugins/nodeports/node_ports.go.
"""
from __future__ import annotations

from .base import Plugin
from ..status import SKIPPED, unschedulable

REASON = "node(s) didn't have free ports for the requested pod ports"  # ErrReason
ANY_IP = "0.0.0.0"


def conflicts(used: dict, ip: str, protocol: str, port: int) -> bool:
    if port <= 0:
        return False
    if ip == ANY_IP:
        return any(p == protocol and n == port for (_, p, n) in used)
    return (ANY_IP, protocol, port) in used or (ip, protocol, port) in used


class NodePorts(Plugin):
    name = "NodePorts"

    def pre_filter(self, state, pod, snap):
        return SKIPPED if not pod.host_ports else None

    def filter(self, state, pod, ni):
        for ip, proto, port in pod.host_ports:
            if conflicts(ni.used_ports, ip, proto, port):
                return unschedulable(REASON)
        return None
