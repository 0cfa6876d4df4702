"""The node lifecycle controller: notices dead nodes and taints them (pkg/controller/nodelifecycle).

Every kubelet proves it is alive two ways: it renews its Lease ``kube-node-lease/<node>`` every
10 s, and it posts the node's status (conditions) when something changes, or every 5 minutes.
Every ``node-monitor-period`` (5 s) this controller looks at each node:

1. **Health.** If neither the Ready condition's ``lastHeartbeatTime`` nor the Lease's
   ``renewTime`` has moved for ``node-monitor-grace-period`` (50 s since v1.32; 60 s
   ``node-startup-grace-period`` for a node that never posted status), the kubelet is presumed
   dead: Ready, MemoryPressure, DiskPressure and PIDPressure become ``Unknown`` with reason
   ``NodeStatusUnknown``, "Kubelet stopped posting node status." - ``kubectl get nodes`` shows
   ``NotReady``. The controller records a ``NodeNotReady`` event on the node and marks every
   pod there ``Ready=False`` (event ``NodeNotReady`` "Node is not ready"), so Services stop
   sending them traffic.
2. **Taints.** Conditions become taints. ``NoSchedule`` ones (``node.kubernetes.io/unreachable``
   for Unknown, ``not-ready`` for False, ``memory-pressure``, ``disk-pressure``, ``pid-pressure``,
   ``network-unavailable``, and ``unschedulable`` for a cordoned node) are set on every node
   update, so the scheduler stops placing pods there. ``NoExecute`` ones (``unreachable`` /
   ``not-ready``) are added through a per-zone rate-limited queue (``--node-eviction-rate`` 0.1:
   one node every 10 s per zone) on the next pass; the taint-eviction controller
   (:mod:`.taint_eviction`) then evicts pods whose tolerations run out (300 s by default).
3. **Recovery.** When the kubelet reports Ready again, the NoExecute taints go at once and the
   NoSchedule ones on the following node update.
4. **Disruption.** A zone with no Ready node is in FullDisruption; if *every* zone is, the
   controller assumes the problem is its own (a network partition of the control plane), removes
   the NoExecute taints and stops tainting. A zone with more than 2 and at least 55 % not-ready
   nodes is in PartialDisruption: tainting slows to 0.01/s for zones over 50 nodes, and stops
   otherwise.

Events come from ``node-controller``: ``RegisteredNode`` ("Node node-1 event: Registered Node
node-1 in Controller") when a node is first seen, ``RemovingNode`` when it goes.

Simplifications: the NoExecute tainting queue is processed during the 5 s pass (upstream polls
it every 100 ms), so a node is tainted NoExecute 5 s after it was marked NotReady; zone keys use
the ``topology.kubernetes.io/region``/``zone`` labels without the failure-domain beta labels.
"""
from __future__ import annotations

from ..clock import parse_rfc3339
from ..errors import ApiError
from ..objects import clone, condition
from .base import Controller

NODE_MONITOR_PERIOD = 5  # --node-monitor-period
NODE_MONITOR_GRACE_PERIOD = 50  # --node-monitor-grace-period: 40 s until v1.31 (PR #126287)
NODE_STARTUP_GRACE_PERIOD = 60  # --node-startup-grace-period
NODE_EVICTION_RATE = 0.1  # --node-eviction-rate (nodes per second per zone)
SECONDARY_NODE_EVICTION_RATE = 0.01  # --secondary-node-eviction-rate
LARGE_CLUSTER_SIZE_THRESHOLD = 50  # --large-cluster-size-threshold
UNHEALTHY_ZONE_THRESHOLD = 0.55  # --unhealthy-zone-threshold

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
#: condition type → {condition status: taint key} (nodeConditionToTaintKeyStatusMap)
CONDITION_TAINTS = {
    "Ready": {"False": NOT_READY, "Unknown": UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
MANAGED_KEYS = {k for m in CONDITION_TAINTS.values() for k in m.values()} | {UNSCHEDULABLE}
UNKNOWN_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
LABEL_RECONCILE = (("kubernetes.io/os", "beta.kubernetes.io/os"),
                   ("kubernetes.io/arch", "beta.kubernetes.io/arch"))


def zone_key(node) -> str:
    """nodetopology.GetZoneKey: ``region:\\x00:zone`` ('' when the node has no topology labels)."""
    labels = node["metadata"].get("labels") or {}
    region = labels.get("topology.kubernetes.io/region", "")
    zone = labels.get("topology.kubernetes.io/zone", "")
    return f"{region}:\x00:{zone}" if region or zone else ""


def _before(a: str, b: str) -> bool:
    """MicroTime a < b (plain string order when both have the same layout, as clients write)."""
    return a < b if len(a) == len(b) else parse_rfc3339(a) < parse_rfc3339(b)


def has_taint(node, key, effect) -> bool:
    return any(t.get("key") == key and t.get("effect") == effect
               for t in (node.get("spec") or {}).get("taints") or ())


class ZoneQueue:
    """The NoExecute tainting queue of one zone: FIFO, de-duplicated, token-bucket limited
    (scheduler.RateLimitedTimedQueue with a burst of 1)."""

    def __init__(self, rate):
        self.rate, self.tokens, self.last = rate, 1.0, None
        self.nodes: list[str] = []

    def take(self, now) -> bool:
        if self.last is not None:
            self.tokens = min(1.0, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return True
        return False


class NodeLifecycleController(Controller):
    name = "node-controller"

    def setup(self):
        self.nodes = self.informers["nodes"]
        self.leases = self.informers["leases"]
        self.pods = self.informers["pods"]
        self.health: dict[str, dict] = {}
        self.known: dict[str, dict] = {}
        self.zones: dict[str, ZoneQueue] = {}
        self.zone_states: dict[str, str] = {}
        self.nodes.add_handler(self._on_node, lambda old, new: self._on_node(new))
        self.pods.add_handler(lambda p: self._on_pod(None, p), self._on_pod)
        self.loop.call_later(NODE_MONITOR_PERIOD, self._tick, background=True)

    # -- event-driven work: NoSchedule taints, labels, pods landing on sick nodes ----------
    def _on_node(self, node):
        self.queue.add(("node", node["metadata"]["name"]))

    def _on_pod(self, old, pod):
        node = pod["spec"].get("nodeName")
        if node and (old is None or old["spec"].get("nodeName") != node):
            self.queue.add(("pod", pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def reconcile(self, key):
        if key[0] == "node":
            node = self.nodes.get(key[1])
            if node is not None:
                self._no_schedule_pass(node)
                self._reconcile_labels(node)
        else:
            self._process_pod(key[1], key[2])

    def _no_schedule_pass(self, node):
        want = []
        for cond in (node.get("status") or {}).get("conditions") or ():
            key = CONDITION_TAINTS.get(cond.get("type"), {}).get(cond.get("status"))
            if key:
                want.append(key)
        if (node.get("spec") or {}).get("unschedulable"):
            want.append(UNSCHEDULABLE)
        have = {t["key"] for t in (node.get("spec") or {}).get("taints") or ()
                if t.get("effect") == "NoSchedule" and t.get("key") in MANAGED_KEYS}
        add = [k for k in want if k not in have]
        remove = [k for k in have if k not in want]
        if add or remove:
            self._swap_taints(node["metadata"]["name"], [(k, "NoSchedule") for k in add],
                              [(k, "NoSchedule") for k in remove])

    def _reconcile_labels(self, node):
        labels = node["metadata"].get("labels") or {}
        fix = {sec: labels[pri] for pri, sec in LABEL_RECONCILE
               if pri in labels and labels.get(sec) != labels[pri]}
        if fix:
            self.api.patch("nodes", node["metadata"]["name"], {"metadata": {"labels": fix}},
                           "merge", user=self.user)

    def _swap_taints(self, name, add, remove) -> None:
        """controllerutil.SwapNodeControllerTaint: new taints get ``timeAdded`` = now."""
        node = clone(self.api.get("nodes", name, user=self.user))
        taints = [t for t in node["spec"].get("taints") or ()
                  if (t.get("key"), t.get("effect")) not in set(remove) | set(add)]
        for key, effect in add:
            taints.append({"key": key, "effect": effect, "timeAdded": self.now()})
        old = node["spec"].get("taints") or []
        if [(t["key"], t["effect"]) for t in taints] == [(t["key"], t["effect"]) for t in old]:
            return
        if taints:
            node["spec"]["taints"] = taints
        else:
            node["spec"].pop("taints", None)
        self.api.update("nodes", node, user=self.user)

    def _process_pod(self, namespace, name):
        pod = self.pods.get(name, namespace)
        if pod is None:
            return
        node_name = pod["spec"]["nodeName"]
        health = self.health.get(node_name)
        if health is None or self.nodes.get(node_name) is None:
            return
        ready = health["ready"]
        if ready is not None and ready.get("status") != "True":
            self._mark_pods_not_ready([pod], node_name)

    # -- the periodic health pass ------------------------------------------------------------
    def _tick(self):
        try:
            self.monitor_node_health()
        finally:
            self.loop.call_later(NODE_MONITOR_PERIOD, self._tick, background=True)

    def monitor_node_health(self) -> None:
        """One pass of monitorNodeHealth over every node."""
        nodes = self.nodes.list()
        names = {n["metadata"]["name"] for n in nodes}
        for node in nodes:
            name = node["metadata"]["name"]
            if name not in self.known:
                self.known[name] = node
                self._node_event(node, "RegisteredNode", f"Registered Node {name} in Controller")
                self.zones.setdefault(zone_key(node), ZoneQueue(NODE_EVICTION_RATE))
                self._mark_reachable(node)
        for name in sorted(set(self.known) - names):
            self._node_event(self.known.pop(name), "RemovingNode", f"Removing Node {name} from Controller")
            self.health.pop(name, None)
        zone_conditions: dict[str, list] = {}
        for node in nodes:
            try:
                node, observed, current = self._update_health(node)
            except ApiError:
                continue
            zone_conditions.setdefault(zone_key(node), []).append(current)
            if current is None:
                continue
            self._taint_based_eviction(node, observed)
            if current.get("status") != "True" and observed.get("status") == "True":
                self._status_change_event(node, "NodeNotReady")
                self._mark_pods_not_ready(self.pods.on_node(node["metadata"]["name"]),
                                          node["metadata"]["name"])
        self._handle_disruption(zone_conditions, nodes)
        self._no_execute_tainting_pass()

    def _update_health(self, node):
        """tryUpdateNodeHealth: returns (node, observed Ready condition, current Ready condition)."""
        name = node["metadata"]["name"]
        now = self.clock.now()
        ready = condition(node, "Ready")
        if ready is None:
            observed = {"type": "Ready", "status": "Unknown"}
            grace = NODE_STARTUP_GRACE_PERIOD
        else:
            observed = dict(ready)
            grace = NODE_MONITOR_GRACE_PERIOD
        health = self.health.get(name)
        saved = health["ready"] if health else None
        if health is None:
            created = parse_rfc3339(node["metadata"]["creationTimestamp"])
            health = {"ready": ready, "probe": created if ready is None else now, "lease": None}
        elif (saved is None and ready is not None) or (saved is not None and ready is None):
            health = {"ready": ready, "probe": now, "lease": health["lease"]}
        elif saved is not None and saved.get("lastHeartbeatTime") != ready.get("lastHeartbeatTime"):
            health = {"ready": ready, "probe": now, "lease": health["lease"]}
        lease = self.leases.get(name, "kube-node-lease")
        renew = ((lease or {}).get("spec") or {}).get("renewTime")
        if renew and renew != health["lease"] and (health["lease"] is None or _before(health["lease"], renew)):
            health["lease"], health["probe"] = renew, now
        self.health[name] = health
        if now <= health["probe"] + grace:
            return node, observed, ready
        node = self._post_unknown(node)
        current = condition(node, "Ready")
        if current != ready:
            node = self.api.update("nodes", node, subresource="status", user=self.user)
            current = condition(node, "Ready")
            self.health[name] = {"ready": current, "probe": health["probe"], "lease": health["lease"]}
        return node, observed, current

    def _post_unknown(self, node):
        node = clone(node)
        conds = node.setdefault("status", {}).setdefault("conditions", [])
        stamp = self.now()
        for ctype in UNKNOWN_CONDITIONS:
            cond = next((c for c in conds if c.get("type") == ctype), None)
            if cond is None:
                conds.append({"type": ctype, "status": "Unknown",
                              "lastHeartbeatTime": node["metadata"]["creationTimestamp"],
                              "lastTransitionTime": stamp, "reason": "NodeStatusNeverUpdated",
                              "message": "Kubelet never posted node status."})
            elif cond.get("status") != "Unknown":
                cond.update(status="Unknown", reason="NodeStatusUnknown",
                            message="Kubelet stopped posting node status.", lastTransitionTime=stamp)
        return node

    # -- taint-based eviction ----------------------------------------------------------------
    def _taint_based_eviction(self, node, observed):
        status, name = observed.get("status"), node["metadata"]["name"]
        if status == "False":
            if has_taint(node, UNREACHABLE, "NoExecute"):
                self._swap_taints(name, [(NOT_READY, "NoExecute")], [(UNREACHABLE, "NoExecute")])
            else:
                self._mark_for_tainting(node, NOT_READY)
        elif status == "Unknown":
            if has_taint(node, NOT_READY, "NoExecute"):
                self._swap_taints(name, [(UNREACHABLE, "NoExecute")], [(NOT_READY, "NoExecute")])
            else:
                self._mark_for_tainting(node, UNREACHABLE)
        elif status == "True":
            self._mark_reachable(node)

    def _mark_for_tainting(self, node, key):
        queue = self.zones.setdefault(zone_key(node), ZoneQueue(NODE_EVICTION_RATE))
        name = node["metadata"]["name"]
        if not has_taint(node, key, "NoExecute") and name in queue.nodes:
            queue.nodes.remove(name)
        if name not in queue.nodes and not has_taint(node, key, "NoExecute"):
            queue.nodes.append(name)

    def _mark_reachable(self, node):
        name = node["metadata"]["name"]
        if has_taint(node, UNREACHABLE, "NoExecute") or has_taint(node, NOT_READY, "NoExecute"):
            self._swap_taints(name, [], [(UNREACHABLE, "NoExecute"), (NOT_READY, "NoExecute")])
        queue = self.zones.get(zone_key(node))
        if queue and name in queue.nodes:
            queue.nodes.remove(name)

    def _no_execute_tainting_pass(self):
        now = self.clock.now()
        for zone in sorted(self.zones):
            queue = self.zones[zone]
            while queue.nodes and queue.rate > 0 and queue.take(now):
                name = queue.nodes.pop(0)
                node = self.nodes.get(name)
                ready = condition(node, "Ready") if node else None
                if ready is None or ready.get("status") == "True":
                    continue
                add, opposite = (NOT_READY, UNREACHABLE) if ready["status"] == "False" \
                    else (UNREACHABLE, NOT_READY)
                try:
                    self._swap_taints(name, [(add, "NoExecute")], [(opposite, "NoExecute")])
                except ApiError:
                    queue.nodes.insert(0, name)
                    break

    def _handle_disruption(self, zone_conditions, nodes):
        new_states = {z: self._zone_state(conds) for z, conds in zone_conditions.items()}
        all_now = bool(new_states) and all(s == "FullDisruption" for s in new_states.values())
        all_before = bool(self.zone_states) and all(s == "FullDisruption" for s in self.zone_states.values())
        if all_now and not all_before:
            for node in nodes:  # entering master disruption mode: stop all evictions
                self._mark_reachable(self.nodes.get(node["metadata"]["name"]) or node)
            for z in self.zones:
                self.zones[z].rate = 0
        elif not all_now:
            for z, state in new_states.items():
                self.zones.setdefault(z, ZoneQueue(NODE_EVICTION_RATE)).rate = \
                    self._zone_rate(state, len(zone_conditions[z]))
        self.zone_states = new_states

    @staticmethod
    def _zone_state(conds) -> str:
        ready = sum(1 for c in conds if c is not None and c.get("status") == "True")
        not_ready = len(conds) - ready
        if ready == 0 and not_ready > 0:
            return "FullDisruption"
        if not_ready > 2 and not_ready / len(conds) >= UNHEALTHY_ZONE_THRESHOLD:
            return "PartialDisruption"
        return "Normal"

    @staticmethod
    def _zone_rate(state, size) -> float:
        if state == "PartialDisruption":
            return SECONDARY_NODE_EVICTION_RATE if size > LARGE_CLUSTER_SIZE_THRESHOLD else 0
        return NODE_EVICTION_RATE

    # -- pods and events ---------------------------------------------------------------------
    def _mark_pods_not_ready(self, pods, node_name):
        """controllerutil.MarkPodsNotReady: Ready=False on every pod of the node."""
        for pod in pods:
            if pod["spec"].get("nodeName") != node_name:
                continue
            ready = condition(pod, "Ready")
            if ready is None or ready.get("status") == "False":
                continue
            new = clone(pod)
            for c in new["status"]["conditions"]:
                if c["type"] == "Ready":
                    c.update(status="False", lastTransitionTime=self.now())
            try:
                self.api.update("pods", new, pod["metadata"]["namespace"], subresource="status",
                                user=self.user)
            except ApiError as e:
                if e.code == 404:
                    continue
                raise
            self.event(pod, "Warning", "NodeNotReady", "Node is not ready")

    def _node_event(self, node, reason, text):
        name = node["metadata"]["name"]
        ref = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "uid": node["metadata"]["uid"]}}
        self.event(ref, "Normal", reason, f"Node {name} event: {text}")

    def _status_change_event(self, node, status):
        name = node["metadata"]["name"]
        ref = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": name, "uid": node["metadata"]["uid"]}}
        self.event(ref, "Normal", status, f"Node {name} status is now: {status}")

