"""``kubectl top pod`` and ``kubectl top node``: CPU and memory use, from the metrics API.

kubectl does not measure anything itself. It asks the API server for ``metrics.k8s.io``
objects, which metrics-server computes from what the kubelets report (on the mini cluster:
:mod:`labkit.minicluster.metrics_server`), and prints them (kubectl pkg/cmd/top/top_pod.go,
top_node.go, pkg/metricsutil/metrics_printer.go):

- CPU in millicores (``12m``), memory in MiB rounded down (``5Mi``);
- ``top node`` adds each node's share of its allocatable CPU and memory (``CPU(%)``);
- without metrics-server: ``error: Metrics API not available``; when the API has nothing yet
  for pods that exist: ``error: metrics not available yet`` (the first scrapes need a few
  seconds), and, for pods older than two minutes, ``Metrics not available for pod ...``.
"""
from __future__ import annotations

import math

from labkit.minicluster.kubelet.containers import go_duration
from labkit.minicluster.resources import NODE_METRICS, POD_METRICS
from labkit.minicluster.upstream import METRICS_CREATION_DELAY_SECONDS

from . import tabwriter
from .backend import KubectlError, all_resources
from .commands import command
from .flags import BOOL, STR, Flag
from .formatting import parse_quantity, parse_time

MiB = 1024 * 1024
_USE = {"pod": "pod [NAME | -l label]", "node": "node [NAME | -l label]"}
_ALIASES = {"pod": "pod", "pods": "pod", "po": "pod", "node": "node", "nodes": "node", "no": "node"}

#: kubectl v1.37's ``top`` help (pkg/cmd/top/top.go), printed to stderr when no subcommand is given
TOP_HELP = """Display resource (CPU/memory) usage.

 This command provides a view of recent resource consumption for nodes and pods. It fetches \
metrics from the Metrics Server, which aggregates this data from the kubelet on each node. The \
Metrics Server must be installed and running in the cluster for this command to work.

 The metrics shown are specifically optimized for Kubernetes autoscaling decisions, such as those \
made by the Horizontal Pod Autoscaler (HPA) and Vertical Pod Autoscaler (VPA). Because of this, \
the values may not match those from standard OS tools like 'top', as the metrics are designed to \
provide a stable signal for autoscalers rather than for pinpoint accuracy.

 FAQ for Metrics Server: https://github.com/kubernetes-sigs/metrics-server/blob/master/FAQ.md

 When to use this command:

  *  For on-the-fly spot-checks of resource usage (e.g. identify which pods are consuming the \
most resources at a glance, or get a quick sense of the load on your nodes)
  *  Understand current resource consumption patterns
  *  Validate the behavior of your HPA or VPA configurations by seeing the metrics they use for \
scaling decisions.

 It is not intended to be a replacement for full-featured monitoring solutions. Its primary \
design goal is to provide a low-overhead signal for autoscalers, not to be a perfectly accurate \
monitoring tool. For high-accuracy reporting, historical analysis, dashboarding, or alerting, \
you should use a dedicated monitoring solution.

Available Commands:
  node          Display resource (CPU/memory) usage of nodes
  pod           Display resource (CPU/memory) usage of pods

Usage:
  kubectl top [flags] [options]

Use "kubectl top <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands).
"""


@command("top", Flag("all-namespaces", BOOL, "A"), Flag("selector", STR, "l"),
         Flag("field-selector"), Flag("sort-by"), Flag("containers", BOOL),
         Flag("no-headers", BOOL), Flag("sum", BOOL), Flag("show-capacity", BOOL),
         Flag("use-protocol-buffers", BOOL, default=True),
         help="Display resource (CPU/memory) usage")
def cmd_top(ctx, p):
    if not p.args:
        ctx.err.append(TOP_HELP)
        return 1
    what = _ALIASES.get(p.args[0])
    if what is None:
        raise KubectlError(f'unknown command "{p.args[0]}"\nSee \'kubectl top -h\' for help and examples')
    args = p.args[1:]
    if len(args) > 1:
        raise KubectlError(f"{_USE[what]}\nSee 'kubectl top {what} -h' for help and examples")
    name = args[0] if args else ""
    if p.get("sort-by") not in (None, "", "cpu", "memory"):
        raise KubectlError("--sort-by accepts only cpu or memory")
    if name and (p.get("selector") or (what == "pod" and p.get("field-selector"))):
        raise KubectlError("only one of NAME or selector can be provided" if what == "pod" else
                           "only one of NAME or --selector can be provided")
    if not metrics_available(ctx.backend):
        raise KubectlError("Metrics API not available")
    return top_pods(ctx, p, name) if what == "pod" else top_nodes(ctx, p, name)


def metrics_available(backend) -> bool:
    """Does discovery list ``metrics.k8s.io``? (top.go SupportedMetricsAPIVersionAvailable)"""
    if any(rt.group == POD_METRICS.group for rt in all_resources(backend)):
        return True
    api = backend.api
    call = getattr(api, "_call", None)
    if call is None or hasattr(api, "store"):
        return False
    try:  # a real cluster: ask its discovery
        call("GET", f"/apis/{POD_METRICS.group}")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


# -- pods -----------------------------------------------------------------------------------------

def top_pods(ctx, p, name: str):
    ns = None if p.get("all-namespaces") else ctx.namespace
    labels, fields = p.get("selector") or None, p.get("field-selector") or None
    if name:
        items = [ctx.api.get(POD_METRICS, name, ns)]
    else:
        items = ctx.api.list(POD_METRICS, ns, label_selector=labels)["items"]
    if fields:  # kubectl v1.37 applies a field selector to the pods, then keeps their metrics
        pods = ctx.api.list("pods", ns, label_selector=labels, field_selector=fields)["items"]
        keep = {(q["metadata"]["namespace"], q["metadata"]["name"]) for q in pods}
        items = [m for m in items if (m["metadata"].get("namespace"), m["metadata"]["name"]) in keep]
    if not items:
        _why_no_pod_metrics(ctx, labels, fields)
        ctx.err.append("No resources found\n" if p.get("all-namespaces") else
                       f"No resources found in {ctx.namespace} namespace.\n")
        return 0
    rows = _pod_rows(items, p)
    ctx.write(tabwriter.align("".join("\t".join(r) + "\t\n" for r in rows)))
    return 0


def _why_no_pod_metrics(ctx, labels, fields) -> None:
    """top_pod.go verifyEmptyMetrics: pods that should have metrics make it an error."""
    pods = ctx.api.list("pods", ctx.namespace, label_selector=labels,
                        field_selector=fields)["items"]
    if not pods:
        return
    now = ctx.now()
    for pod in pods:
        created = parse_time(pod["metadata"].get("creationTimestamp")) or now
        if now - created > METRICS_CREATION_DELAY_SECONDS:
            meta = pod["metadata"]
            raise KubectlError(f"Metrics not available for pod {meta['namespace']}/{meta['name']}, "
                               f"age: {go_duration(now - created)}")
    raise KubectlError("metrics not available yet")


def pod_usage(m: dict) -> tuple[int, int]:
    """A pod's (millicores, bytes): its containers' usage added up (getPodMetrics)."""
    return _usage([c.get("usage") or {} for c in m.get("containers") or ()])


def _usage(usages) -> tuple[int, int]:
    cpu = sum(parse_quantity(u.get("cpu", "0")) for u in usages)
    memory = sum(parse_quantity(u.get("memory", "0")) for u in usages)
    return math.ceil(cpu * 1000), math.ceil(memory)


def _sort_key(sort_by):
    return {"cpu": lambda u: -u[0], "memory": lambda u: -u[1]}.get(sort_by)


def _pod_rows(items, p) -> list[list[str]]:
    """metrics_printer.go PrintPodMetrics: header, one row per pod (or container), the sum."""
    with_ns, containers = bool(p.get("all-namespaces")), bool(p.get("containers"))
    sort_by = p.get("sort-by")
    items = sorted(items, key=lambda m: (m["metadata"].get("namespace", "") if with_ns else "",
                                         m["metadata"]["name"]))
    if sort_by:
        items.sort(key=lambda m: _sort_key(sort_by)(pod_usage(m)))
    rows, width = [], 3
    if not p.get("no-headers"):
        head = (["NAMESPACE"] if with_ns else []) + (["POD"] if containers else [])
        width += len(head)  # upstream widens the sum's columns only when it prints headers
        rows.append(head + ["NAME", "CPU(cores)", "MEMORY(bytes)"])
    for m in items:
        prefix = [m["metadata"].get("namespace", "")] if with_ns else []
        if not containers:
            rows.append(prefix + [m["metadata"]["name"], *_cells(pod_usage(m))])
            continue
        cs = sorted(m.get("containers") or (), key=lambda c: c["name"])
        if sort_by:
            cs.sort(key=lambda c: _sort_key(sort_by)(_usage([c.get("usage") or {}])))
        for c in cs:
            rows.append(prefix + [m["metadata"]["name"], c["name"],
                                  *_cells(_usage([c.get("usage") or {}]))])
    if p.get("sum"):
        total = [sum(u) for u in zip(*(pod_usage(m) for m in items))]
        rows.append([""] * (width - 2) + ["________", "________"])
        rows.append([""] * (width - 3) + ["", *_cells(total)])
    return rows


def _cells(usage) -> list[str]:
    """printSingleResourceUsage: ``MilliValue()m`` and ``Value()/MiB Mi``."""
    return [f"{usage[0]}m", f"{usage[1] // MiB}Mi"]


# -- nodes ----------------------------------------------------------------------------------------

def top_nodes(ctx, p, name: str):
    labels = p.get("selector") or None
    if name:
        items = [ctx.api.get(NODE_METRICS, name)]
    else:
        items = ctx.api.list(NODE_METRICS, label_selector=labels)["items"]
    if not items:
        raise KubectlError("metrics not available yet")
    nodes = [ctx.api.get("nodes", name)] if name else \
        ctx.api.list("nodes", label_selector=labels)["items"]
    field = "capacity" if p.get("show-capacity") else "allocatable"
    available = {n["metadata"]["name"]: (n.get("status") or {}).get(field) or {} for n in nodes}
    ctx.write(tabwriter.align("".join("\t".join(r) + "\t\n" for r in _node_rows(items, available, p))))
    return 0


def _node_rows(items, available: dict, p) -> list[list[str]]:
    """PrintNodeMetrics: each node's usage and its share of what is available; nodes without
    metrics get ``<unknown>``."""
    items = sorted(items, key=lambda m: m["metadata"]["name"])
    if p.get("sort-by"):
        items.sort(key=lambda m: _sort_key(p.get("sort-by"))(_usage([m.get("usage") or {}])))
    rows = [] if p.get("no-headers") else [["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)",
                                            "MEMORY(%)"]]
    for m in items:
        name = m["metadata"]["name"]
        cpu, memory = _usage([m.get("usage") or {}])
        cells = _cells((cpu, memory))
        row = [name, cells[0]]
        if name in available:
            alloc = available.pop(name)
            row += [_percent(cpu, alloc.get("cpu"), 1000), cells[1],
                    _percent(memory, alloc.get("memory"), 1)]
        else:
            row += [cells[1]]
        rows.append(row)
    for name in sorted(available):
        rows.append([name] + ["<unknown>"] * 4)
    return rows


def _percent(used: int, quantity, scale: int) -> str:
    """``int64(used / available * 100)%`` (both as milli-values upstream)."""
    total = math.ceil(parse_quantity(quantity or "0") * scale)
    return f"{int(used / total * 100) if total else 0}%"
