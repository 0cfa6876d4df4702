"""VolumeBinding: a pod's PersistentVolumeClaims must be (or become) bound to volumes its node
can reach. Upstream: pkg/scheduler/framework/plugins/volumebinding (v1.37), with the matching
rules of pkg/controller/volume/persistentvolume (:mod:`...controllers.persistentvolume_util`).

- **PreFilter**: pods without claims skip the plugin. A claim that does not exist fails the pod
  everywhere (``persistentvolumeclaim "data" not found``), as does one being deleted. A claim
  that is unbound and whose class binds *immediately* must first be bound by the PV controller:
  ``pod has unbound immediate PersistentVolumeClaims``. Bound volumes pinned to nodes by
  ``kubernetes.io/hostname`` narrow the search to those nodes at once.
- **Filter**, per node: a bound volume's ``nodeAffinity`` must admit the node (``node(s) had
  volume node affinity conflict``); each unbound *WaitForFirstConsumer* claim needs a free
  matching volume reachable from the node, or a class that can provision there (not
  ``kubernetes.io/no-provisioner``, ``allowedTopologies`` matching): else ``node(s) didn't find
  available persistent volumes to bind``.
- **PreBind** (:class:`VolumeBinder`): once a node is chosen, before the pod is bound, the
  scheduler binds the chosen static volumes (writes their ``claimRef``) and marks claims to
  provision with ``volume.kubernetes.io/selected-node``. It then checks every second until the PV
  controller and the provisioner have bound all the pod's claims (at most 600 s,
  ``bindTimeoutSeconds``); only then is the pod bound to the node.

Simplifications: no CSIStorageCapacity check and no capacity scoring; the reservation of chosen
volumes (Reserve/assume cache) is replaced by writing them at once, before the next pod's cycle.
"""
from __future__ import annotations

from .base import Plugin
from ..status import SKIPPED, unresolvable
from ...controllers.persistentvolume_util import (ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER,
                                                  ANN_SELECTED_NODE, NO_PROVISIONER,
                                                  annotations, claim_class, claims_of,
                                                  find_best_match, is_delay_binding_mode,
                                                  is_volume_bound_to_claim,
                                                  local_volume_node_names, node_affinity_ok)
from ..helpers import node_selector_matches

NAME = "VolumeBinding"
UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict"
REASON_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
BIND_TIMEOUT_SECONDS = 600  # VolumeBindingArgs.bindTimeoutSeconds
POLL_SECONDS = 1.0  # checkBindings polls once a second


def informers_of(snap):
    """The shared informers behind the snapshot's lister (None in a bare framework test)."""
    return getattr(getattr(snap, "lister", None), "informers", None)


def is_fully_bound(claim: dict) -> bool:
    """isPVCFullyBound: the claim names its volume and the PV controller finished binding."""
    return bool((claim.get("spec") or {}).get("volumeName")) and \
        ANN_BIND_COMPLETED in annotations(claim)


def pod_claims(pod: dict, informers):
    """The pod's claims sorted as GetPodVolumeClaims does, or a rejecting Status."""
    ns = pod["metadata"].get("namespace") or "default"
    claims_inf, classes = informers["persistentvolumeclaims"], informers["storageclasses"]
    bound, delayed, immediate = [], [], []
    for name in claims_of(pod):
        claim = claims_inf.get(name, ns)
        if claim is None:
            return unresolvable(f'persistentvolumeclaim "{name}" not found')
        if claim["metadata"].get("deletionTimestamp"):
            return unresolvable(f'persistentvolumeclaim "{name}" is being deleted')
        if is_fully_bound(claim):
            bound.append(claim)
        elif is_delay_binding_mode(claim, classes.get) and not claim["spec"].get("volumeName"):
            delayed.append(claim)
        else:
            immediate.append(claim)  # includes claims pre-bound to a volume by name
    return bound, delayed, immediate


def node_decisions(data: dict, labels: dict, node: str):
    """FindPodVolumes for one node: (reasons, static bindings [(claim, pv)], claims to
    provision)."""
    reasons, pvs = [], data["volumes"]
    bound_ok, found = True, True
    for claim in data["bound"]:
        pv = pvs.get(claim["spec"]["volumeName"])
        if pv is None:
            found = False
            break
        if not node_affinity_ok(pv, labels, node):
            bound_ok = False
            break
    bindings, provision, unbound_ok = [], [], True
    if found and bound_ok:
        taken: set = set()
        for claim in data["delayed"]:
            free = [v for v in pvs.list() if v["metadata"]["name"] not in taken]
            pv = find_best_match(claim, free, True, node=(labels, node))
            if pv is not None:
                taken.add(pv["metadata"]["name"])
                bindings.append((claim, pv))
            elif can_provision(claim, data["classes"], labels, node):
                provision.append(claim)
            else:
                unbound_ok = False
    if not bound_ok:
        reasons.append(REASON_NODE_CONFLICT)
    if not unbound_ok:
        reasons.append(REASON_BIND_CONFLICT)
    if not found:
        reasons.append(REASON_PV_NOT_EXIST)
    return reasons, bindings, provision


def can_provision(claim: dict, classes, labels: dict, node: str) -> bool:
    """checkVolumeProvisions: the class has a real provisioner whose topology admits the node."""
    sc = classes.get(claim_class(claim))
    if sc is None or sc.get("provisioner") == NO_PROVISIONER:
        return False
    topo = sc.get("allowedTopologies")
    if not topo:
        return True
    terms = [{"matchExpressions": [{"key": e.get("key"), "operator": "In",
                                    "values": e.get("values") or []}
                                   for e in t.get("matchLabelExpressions") or ()]} for t in topo]
    return node_selector_matches({"nodeSelectorTerms": terms}, labels, node)


class VolumeBinding(Plugin):
    name = NAME

    def pre_filter(self, state, pod, snap):
        informers = informers_of(snap)
        if informers is None or not claims_of(pod.pod):
            return SKIPPED
        result = pod_claims(pod.pod, informers)
        if not isinstance(result, tuple):
            return result
        bound, delayed, immediate = result
        if immediate:
            return unresolvable(UNBOUND_IMMEDIATE)
        pvs = informers["persistentvolumes"]
        state[NAME] = {"bound": bound, "delayed": delayed, "volumes": pvs,
                       "classes": informers["storageclasses"]}
        eligible = None  # GetEligibleNodes
        for claim in bound:
            pv = pvs.get(claim["spec"]["volumeName"])
            names = local_volume_node_names(pv) if pv is not None else None
            if names is not None:
                eligible = names if eligible is None else eligible & names
        return eligible

    def filter(self, state, pod, ni):
        data = state.get(NAME)
        if data is None:
            return None
        reasons = node_decisions(data, ni.labels, ni.name)[0]
        return unresolvable(*reasons) if reasons else None


class VolumeBinder:
    """The PreBind half, run by the scheduler for a pod that uses claims (see the module
    docstring). ``waiting`` holds the keys of pods whose volumes are being bound."""

    def __init__(self, scheduler):
        self.s = scheduler
        self.waiting: set = set()

    def pre_bind(self, qp, info, pod: dict, node: str) -> bool:
        """True when the binder took over the pod (the scheduler must not bind it now)."""
        informers = self.s.informers
        if not claims_of(pod):
            return False
        ni = self.s.snapshot.get(node)
        result = pod_claims(pod, informers)
        if not isinstance(result, tuple):
            return False  # the claims changed meanwhile: let the binding fail or succeed as is
        bound, delayed, _ = result
        if not delayed:
            return False
        data = {"bound": bound, "delayed": delayed, "volumes": informers["persistentvolumes"],
                "classes": informers["storageclasses"]}
        _, bindings, provision = node_decisions(data, ni.labels if ni else {}, node)
        try:
            self._write(bindings, provision, node)
        except Exception as e:  # an ApiError: give the pod back to the queue
            self.s.prebind_failed(qp, info, pod, f"binding volumes: {getattr(e, 'message', e)}")
            return True
        self.waiting.add(info.key)
        deadline = self.s.loop.clock.now() + BIND_TIMEOUT_SECONDS
        self.s.loop.call_later(POLL_SECONDS, self._check, qp, info, pod, node, deadline)
        return True

    def _write(self, bindings, provision, node: str) -> None:
        """bindAPIUpdate: claimRef on each chosen volume, selected-node on each claim."""
        api, user = self.s.api, self.s.user
        for claim, pv in bindings:
            if is_volume_bound_to_claim(pv, claim) and pv["spec"].get("claimRef", {}).get("uid"):
                continue
            new = {**pv, "metadata": {**pv["metadata"], "annotations": {
                **annotations(pv), ANN_BOUND_BY_CONTROLLER: "yes"}},
                "spec": {**pv["spec"], "claimRef": {
                    "kind": "PersistentVolumeClaim", "namespace": claim["metadata"]["namespace"],
                    "name": claim["metadata"]["name"], "uid": claim["metadata"]["uid"],
                    "apiVersion": "v1", "resourceVersion": claim["metadata"]["resourceVersion"]}}}
            api.update("persistentvolumes", new, user=user)
        for claim in provision:
            if annotations(claim).get(ANN_SELECTED_NODE) == node:
                continue
            new = {**claim, "metadata": {**claim["metadata"], "annotations": {
                **annotations(claim), ANN_SELECTED_NODE: node}}}
            api.update("persistentvolumeclaims", new, claim["metadata"]["namespace"], user=user)

    def _check(self, qp, info, pod, node, deadline) -> None:
        """checkBindings: done when every claim is fully bound; fail on a vanished claim, a
        reset selected node, or the timeout."""
        if info.key not in self.waiting:
            return
        claims = self.s.informers["persistentvolumeclaims"]
        problem, done = None, True
        for name in claims_of(pod):
            claim = claims.get(name, info.namespace)
            if claim is None:
                problem = f'persistentvolumeclaim "{name}" not found'
                break
            if not is_fully_bound(claim):
                done = False
                if not claim["spec"].get("volumeName") and \
                        annotations(claim).get(ANN_SELECTED_NODE) not in (None, node):
                    problem = f"selectedNode annotation reset for PVC {name!r}"
                    break
        if problem is None and not done and self.s.loop.clock.now() >= deadline:
            problem = "context deadline exceeded"
        if problem is not None:
            self.waiting.discard(info.key)
            self.s.prebind_failed(qp, info, pod, f"binding volumes: {problem}")
        elif done:
            self.waiting.discard(info.key)
            self.s.bind_now(qp, info, pod, node)
        else:
            self.s.loop.call_later(POLL_SECONDS, self._check, qp, info, pod, node, deadline)
