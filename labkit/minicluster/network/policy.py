"""NetworkPolicy: which pod may talk to which (networking.k8s.io/v1, as a CNI such as Calico or
Cilium enforces it; the NetworkPolicy reference and docs "Network Policies").

- A pod is *isolated for ingress* as soon as one policy of its namespace selects it
  (``podSelector``) with ``Ingress`` in ``policyTypes``; likewise for egress. A pod no policy
  selects accepts and sends everything.
- An isolated pod accepts a connection only if *some* rule of *some* selecting policy allows it:
  policies add up, they never deny. ``podSelector: {}`` with no rules is "default deny".
- A rule allows traffic from (``from``) / to (``to``) any of its peers on any of its ``ports``.
  A missing list means "all"; an empty rule ``{}`` allows everything.
- A peer is ``podSelector`` (pods of the policy's namespace), ``namespaceSelector`` (all pods of
  matching namespaces), both in one element (pods matching *and* in matching namespaces - a
  classic mistake is to write them as two list items, which ORs them), or ``ipBlock``
  (``cidr`` minus ``except``).
- A port is a number, a *named* container port of the destination pod, or a range
  (``port``..``endPort``), with ``protocol`` TCP by default.
- A connection needs both the source's egress and the destination's ingress to allow it.
  Replies of an allowed connection are always allowed (policies are stateful). Traffic from the
  pod's own node (kubelet probes) is always allowed.

Egress is checked against the destination pod after kube-proxy's translation (pod IP and target
port), as CNIs do. Denied packets are dropped: the client sees a timeout, not a refusal.
"""
from __future__ import annotations

from typing import NamedTuple

from ..selectors import from_label_selector
from .ipam import in_cidr


class Peer(NamedTuple):
    """One side of a connection: a pod, or an address outside the pod network (a node...)."""
    ip: str
    pod: dict | None = None
    node: str | None = None


def policy_types(policy) -> list[str]:
    """Defaulting of ``spec.policyTypes``: Ingress always, Egress if there are egress rules."""
    spec = policy.get("spec") or {}
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


class PolicyEngine:
    def __init__(self, network):
        self.network = network

    def _ns_labels(self, name) -> dict:
        ns = self.network.namespaces.get(name)
        labels = dict(((ns or {}).get("metadata") or {}).get("labels") or {})
        labels.setdefault("kubernetes.io/metadata.name", name)  # set by the API server since v1.22
        return labels

    def selecting(self, pod, direction: str) -> list[dict]:
        """The policies that isolate ``pod`` for ``direction`` ("Ingress" or "Egress")."""
        ns = pod["metadata"]["namespace"]
        out = []
        for pol in self.network.policies.list(ns):
            if direction not in policy_types(pol):
                continue
            sel = from_label_selector((pol.get("spec") or {}).get("podSelector") or {})
            if sel.matches(pod["metadata"].get("labels")):
                out.append(pol)
        return out

    def allowed(self, src: Peer, dst: Peer, port: int, protocol: str = "TCP") -> tuple[bool, str]:
        """(allowed?, why) for a new connection from ``src`` to ``dst`` on ``port``."""
        if src.pod is not None:
            ok, why = self._check(src.pod, "Egress", dst, port, protocol)
            if not ok:
                return False, why
        if dst.pod is not None:
            if src.pod is None and src.node and src.node == dst.pod["spec"].get("nodeName"):
                return True, "traffic from the pod's own node is always allowed"
            ok, why = self._check(dst.pod, "Ingress", src, port, protocol)
            if not ok:
                return False, why
        return True, "allowed"

    def _check(self, pod, direction, other: Peer, port, protocol):
        pols = self.selecting(pod, direction)
        name = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        if not pols:
            return True, f"{direction.lower()} of {name} is not isolated"
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        port_pod = pod if direction == "Ingress" else other.pod
        for pol in pols:
            for rule in (pol.get("spec") or {}).get(key) or ():
                if self._peers_match(rule.get(peers_key), other, pol["metadata"]["namespace"]) and \
                        self._ports_match(rule.get("ports"), port, protocol, port_pod):
                    return True, f"allowed by NetworkPolicy {pol['metadata']['namespace']}/{pol['metadata']['name']}"
        names = ", ".join(p["metadata"]["name"] for p in pols)
        return False, f"{direction.lower()} of {name} is isolated by NetworkPolicy {names} and no rule allows it"

    def _peers_match(self, peers, other: Peer, policy_ns) -> bool:
        if not peers:
            return True
        return any(self._peer_matches(p, other, policy_ns) for p in peers)

    def _peer_matches(self, peer, other: Peer, policy_ns) -> bool:
        block = peer.get("ipBlock")
        if block:
            return in_cidr(other.ip, block.get("cidr", "")) and \
                not any(in_cidr(other.ip, e) for e in block.get("except") or ())
        if other.pod is None:
            return False
        pod_ns = other.pod["metadata"]["namespace"]
        if "namespaceSelector" in peer:
            if not from_label_selector(peer["namespaceSelector"] or {}).matches(self._ns_labels(pod_ns)):
                return False
        elif pod_ns != policy_ns:
            return False
        if "podSelector" in peer:
            return from_label_selector(peer["podSelector"] or {}).matches(other.pod["metadata"].get("labels"))
        return True

    @staticmethod
    def _ports_match(ports, port, protocol, pod) -> bool:
        if not ports:
            return True
        for p in ports:
            if p.get("protocol", "TCP") != protocol:
                continue
            want = p.get("port")
            if want is None:
                return True
            if isinstance(want, str) and not want.isdigit():
                want = _named_port(pod, want, protocol)
                if want is None:
                    continue
            want = int(want)
            end = p.get("endPort") or want
            if want <= port <= end:
                return True
        return False


def _named_port(pod, name, protocol):
    for c in ((pod or {}).get("spec") or {}).get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("name") == name and p.get("protocol", "TCP") == protocol:
                return p.get("containerPort")
    return None
