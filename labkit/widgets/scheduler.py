"""The scheduler playground: set up three nodes and one pod, see what kube-scheduler decides.

    widgets.SchedulerPlayground()

For each node you choose its CPU, how much CPU running pods already request, a ``disktype``
label, a taint, whether it is cordoned and whether it already runs a pod labelled ``app=web``.
For the pod you choose its CPU and memory requests, a toleration, a node selector, a preferred
node affinity and a required pod anti-affinity. Every change re-runs one scheduling cycle of the
mini cluster's real scheduler (:func:`labkit.minicluster.scheduler.explain`: the same filter and
score plugins that place pods in the cluster) and shows, per node, the plugin that filtered it
out and why, or its weighted scores, and the node chosen. When no node fits, the message is the
one a real cluster puts in the pod's ``FailedScheduling`` event: ``0/3 nodes are available: ...``.

The functions :func:`make_node`, :func:`make_pod` and :func:`decide` are usable without the
widget (tests, notebook cells). Simplification: the pods already running are drawn as one pod per
node holding the chosen CPU request; memory is 8 GiB per node.
"""
from __future__ import annotations

import ipywidgets as W
import pandas as pd

from .base import Panel, esc

TAINTS = ["none", "dedicated=gpu:NoSchedule", "dedicated=gpu:PreferNoSchedule"]
DISKS = ["none", "ssd", "hdd"]
NODE_MEMORY = "8Gi"


def _taint(text: str) -> list:
    if not text or text == "none":
        return []
    kv, effect = text.split(":")
    key, value = kv.split("=")
    return [{"key": key, "value": value, "effect": effect}]


def make_node(name: str, cpu: float = 4, disktype: str = "none", taint: str = "none",
              cordoned: bool = False) -> dict:
    """A Node object as a kubelet registers it (Ready, ``cpu`` cores, 8 GiB)."""
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64"}
    if disktype and disktype != "none":
        labels["disktype"] = disktype
    spec = {}
    if _taint(taint):
        spec["taints"] = _taint(taint)
    if cordoned:
        spec["unschedulable"] = True
        spec.setdefault("taints", []).append({"key": "node.kubernetes.io/unschedulable",
                                              "effect": "NoSchedule"})
    res = {"cpu": _cpu(cpu), "memory": NODE_MEMORY, "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "spec": spec, "status": {"capacity": dict(res), "allocatable": dict(res),
                                     "conditions": [{"type": "Ready", "status": "True"}]}}


def _cpu(cores: float) -> str:
    milli = int(round(float(cores) * 1000))
    return f"{milli // 1000}" if milli % 1000 == 0 else f"{milli}m"


def make_pod(name: str = "new-pod", cpu: float = 1, memory_gi: float = 0.5,
             tolerate_gpu: bool = False, node_selector: str = "none", prefer_disk: str = "none",
             avoid_web: bool = False, labels=None, node: str | None = None) -> dict:
    """A Pod with one container and the chosen requests and constraints."""
    requests = {}
    if cpu:
        requests["cpu"] = _cpu(cpu)
    if memory_gi:
        requests["memory"] = f"{int(round(float(memory_gi) * 1024))}Mi"
    spec = {"containers": [{"name": "main", "image": "nginx:1.27",
                            "resources": {"requests": requests} if requests else {}}]}
    if tolerate_gpu:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                "effect": "NoSchedule"}]
    if node_selector and node_selector != "none":
        spec["nodeSelector"] = {"disktype": node_selector}
    affinity = {}
    if prefer_disk and prefer_disk != "none":
        affinity["nodeAffinity"] = {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "preference": {"matchExpressions": [
                {"key": "disktype", "operator": "In", "values": [prefer_disk]}]}}]}
    if avoid_web:
        affinity["podAntiAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}},
             "topologyKey": "kubernetes.io/hostname"}]}
    if affinity:
        spec["affinity"] = affinity
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "labels": dict(labels or {})},
            "spec": spec, "status": {"phase": "Running" if node else "Pending"}}


def decide(nodes: list[dict], pod: dict, running=(), seed: int = 0) -> dict:
    """One scheduling cycle (dry run): the scheduler's explain record for ``pod``."""
    from labkit.minicluster.scheduler import explain
    return explain(pod, nodes, list(running), seed=seed)


def record_frame(record: dict) -> pd.DataFrame:
    """Per node: verdict, filtering plugin and reason, weighted scores, total (strings, no NaN)."""
    plugins = sorted({p for n in record["nodes"] for p in n["scores"]})
    rows = []
    for n in record["nodes"]:
        verdict = ("chosen" if n["selected"] else "feasible" if n["feasible"] else
                   "filtered out" if n["evaluated"] else "not examined")
        row = {"node": n["node"], "verdict": verdict, "filtered by": n["filteredBy"] or "",
               "reason": "; ".join(n["reasons"])}
        for p in plugins:
            s = n["scores"].get(p)
            row[p] = "" if s is None else str(s["weighted"])
        row["total"] = "" if n["total"] is None else str(n["total"])
        rows.append(row)
    return pd.DataFrame(rows)


def summary(record: dict) -> str:
    """One sentence: where the pod goes, or the FailedScheduling message."""
    if record["node"]:
        feasible = record["feasibleNodes"]
        how = "the only node left after filtering" if feasible == 1 else \
            f"the highest total score among {feasible} feasible nodes"
        totals = [n["total"] for n in record["nodes"] if n["total"] is not None]
        best = totals.count(max(totals)) if totals else 0
        if best > 1:
            how += f" ({best} nodes tie: the scheduler picks one of the best at random)"
        return f'Bound to {record["node"]}: {how}.'
    return f"Pending. FailedScheduling: {record['message']}"


class SchedulerPlayground(Panel):
    """Three nodes and a pod; every change re-runs the scheduler (see the module docstring)."""

    title = "Scheduler playground"

    def __init__(self, nodes: int = 3, title: str | None = None):
        super().__init__()
        if title:
            self.title = title
        self.node_controls = []
        columns = []
        for i in range(1, int(nodes) + 1):
            ctl = {"cpu": W.FloatSlider(value=4, min=1, max=8, step=0.5, description="CPU cores"),
                   "used": W.FloatSlider(value=0, min=0, max=8, step=0.5, description="requested"),
                   "disktype": W.Dropdown(options=DISKS, value="none", description="disktype"),
                   "taint": W.Dropdown(options=TAINTS, value="none", description="taint"),
                   "cordoned": W.Checkbox(value=False, description="cordoned", indent=False),
                   "web": W.Checkbox(value=False, description="runs app=web", indent=False)}
            self.node_controls.append(ctl)
            columns.append(W.VBox([W.HTML(f"<b>node-{i}</b>"), *ctl.values()]))
        self.pod_controls = {
            "cpu": W.FloatSlider(value=1, min=0, max=10, step=0.25, description="CPU request"),
            "memory_gi": W.FloatSlider(value=0.5, min=0, max=12, step=0.5,
                                       description="memory Gi"),
            "tolerate_gpu": W.Checkbox(value=False, description="tolerates dedicated=gpu",
                                       indent=False),
            "node_selector": W.Dropdown(options=DISKS, value="none",
                                        description="nodeSelector"),
            "prefer_disk": W.Dropdown(options=DISKS, value="none", description="prefers disk"),
            "avoid_web": W.Checkbox(value=False, description="anti-affinity to app=web",
                                    indent=False)}
        for ctl in [*self.pod_controls.values(), *(c for n in self.node_controls
                                                   for c in n.values())]:
            ctl.observe(lambda _c: self.update(), "value")
        self.view = W.HTML()
        self.view.add_class("labkit-view")
        self.record = None
        self.update()
        pod_box = W.VBox([W.HTML("<b>the new pod</b>"), *self.pod_controls.values()])
        self._finish([W.HBox(columns), pod_box, self.view],
                     "<p><i>Initial setting: three empty 4-CPU nodes, a pod requesting 1 CPU "
                     f"and 0.5 Gi.</i></p>{self.view.value}",
                     f"{self.title}: {len(self.node_controls)} nodes, one pod")

    # -- model ------------------------------------------------------------------------------
    def nodes(self) -> list[dict]:
        return [make_node(f"node-{i}", c["cpu"].value, c["disktype"].value, c["taint"].value,
                          c["cordoned"].value)
                for i, c in enumerate(self.node_controls, start=1)]

    def running(self) -> list[dict]:
        """One pod per node standing for what already runs there."""
        pods = []
        for i, c in enumerate(self.node_controls, start=1):
            if c["used"].value or c["web"].value:
                pods.append(make_pod(f"running-{i}", c["used"].value, 0,
                                     labels={"app": "web"} if c["web"].value else {},
                                     node=f"node-{i}"))
        return pods

    def pod(self) -> dict:
        return make_pod("new-pod", **{k: c.value for k, c in self.pod_controls.items()})

    def update(self) -> None:
        try:
            self.record = decide(self.nodes(), self.pod(), self.running())
        except Exception as exc:  # noqa: BLE001 - a strange combination shows, never breaks
            self.record = None
            self.view.value = f"<pre>error: {esc(exc)}</pre>"
            return
        ok = bool(self.record["node"])
        colour = "#1a7f37" if ok else "#b42318"
        self.view.value = (f'<p style="color:{colour}"><b>{esc(summary(self.record))}</b></p>'
                           + record_frame(self.record).to_html(index=False))

    @property
    def decision(self) -> str | None:
        """The chosen node, or None when the pod stays Pending."""
        return self.record["node"] if self.record else None


__all__ = ["SchedulerPlayground", "make_node", "make_pod", "decide", "record_frame", "summary"]
