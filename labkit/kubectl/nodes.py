"""Node maintenance: ``kubectl cordon``, ``uncordon`` and ``drain`` (staging/src/k8s.io/kubectl/
pkg/cmd/drain and pkg/drain).

``cordon`` sets ``spec.unschedulable`` so the scheduler places no new pods there. ``drain``
cordons, then *evicts* every pod on the node through the Eviction API (which refuses when a
PodDisruptionBudget would be violated; kubectl retries every 5 seconds), and waits for the pods
to be gone. It refuses, unless told otherwise, to touch:

- DaemonSet pods (their controller would put them right back): ``--ignore-daemonsets`` skips them;
- pods with ``emptyDir`` volumes (their data is lost): ``--delete-emptydir-data``;
- pods no controller manages (nothing would recreate them): ``--force``.
"""
from __future__ import annotations

from labkit.minicluster import errors

from . import builder
from .backend import KubectlError
from .commands import command
from .flags import BOOL, INT, STR, Flag
from .get import _seconds

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"

_NODE_FLAGS = (Flag("selector", STR, "l"), Flag("dry-run", STR, default="none"))


def _nodes(ctx, p) -> list[dict]:
    if p.args and p.get("selector"):
        raise KubectlError("error: cannot specify both a node name and a --selector option")
    if p.get("selector"):
        return ctx.api.list("nodes", label_selector=p.get("selector"))["items"]
    if not p.args:
        raise KubectlError("USAGE: cordon NODE [flags]\nSee 'kubectl cordon -h' for help and examples")
    tgts, _ = builder.targets(ctx.backend, ["nodes", *p.args] if "/" not in p.args[0] else p.args)
    return [ctx.api.get("nodes", t.name) for t in tgts]


def set_schedulable(ctx, node: dict, unschedulable: bool, dry: str = "none") -> None:
    """cordon/uncordon one node, printing ``node/x cordoned`` or ``already cordoned``."""
    word = "cordoned" if unschedulable else "uncordoned"
    name = node["metadata"]["name"]
    if bool((node.get("spec") or {}).get("unschedulable")) == unschedulable:
        ctx.print(f"node/{name} already {word}")
        return
    if dry != "client":
        try:
            ctx.api.patch("nodes", name, {"spec": {"unschedulable": True if unschedulable else None}},
                          "strategic", dry_run=dry == "server")
        except errors.ApiError as e:
            ctx.error(f"error: unable to {'cordon' if unschedulable else 'uncordon'} node \"{name}\": {e.message}")
            return
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
    ctx.print(f"node/{name} {word}{suffix}")


@command("cordon", *_NODE_FLAGS, help="Mark node as unschedulable")
def cmd_cordon(ctx, p):
    for node in _nodes(ctx, p):
        set_schedulable(ctx, node, True, p.get("dry-run") or "none")


@command("uncordon", *_NODE_FLAGS, help="Mark node as schedulable")
def cmd_uncordon(ctx, p):
    for node in _nodes(ctx, p):
        set_schedulable(ctx, node, False, p.get("dry-run") or "none")


# -- drain ----------------------------------------------------------------------------------------

def _controller(pod: dict) -> dict | None:
    return next((r for r in pod["metadata"].get("ownerReferences") or () if r.get("controller")), None)


def _daemonset_filter(ctx, pod, opts, finished):
    ref = _controller(pod)
    if not ref or ref.get("kind") != "DaemonSet" or ref.get("apiVersion") != "apps/v1" or finished:
        return True, "ok", ""
    try:
        ctx.api.get("daemonsets", ref["name"], pod["metadata"].get("namespace"))
    except errors.ApiError as e:
        if e.code == 404 and opts["force"]:
            return True, "warning", e.message
        return False, "error", e.message
    if not opts["ignore_daemonsets"]:
        return False, "error", DAEMONSET_FATAL
    return False, "warning", DAEMONSET_WARNING


def _mirror_filter(ctx, pod, opts, finished):
    if MIRROR_ANNOTATION in (pod["metadata"].get("annotations") or {}):
        return False, "skip", ""
    return True, "ok", ""


def _local_storage_filter(ctx, pod, opts, finished):
    if finished or not any(v.get("emptyDir") is not None for v in (pod.get("spec") or {}).get("volumes") or ()):
        return True, "ok", ""
    if not opts["delete_emptydir_data"]:
        return False, "error", LOCAL_STORAGE_FATAL
    return True, "warning", LOCAL_STORAGE_WARNING


def _unreplicated_filter(ctx, pod, opts, finished):
    if finished or _controller(pod) is not None:
        return True, "ok", ""
    if opts["force"]:
        return True, "warning", UNMANAGED_WARNING
    return False, "error", UNMANAGED_FATAL


_FILTERS = (_daemonset_filter, _mirror_filter, _local_storage_filter, _unreplicated_filter)


def classify(ctx, pod: dict, opts) -> tuple[bool, str, str]:
    """Run the drain filters in upstream order, stopping at the first that keeps the pod; the
    last filter run decides: (delete?, "ok"|"skip"|"warning"|"error", message)."""
    finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
    status = (True, "ok", "")
    for f in _FILTERS:
        status = f(ctx, pod, opts, finished)
        if not status[0]:
            break
    return status


def pods_for_deletion(ctx, node: str, opts) -> tuple[list[dict], list[str], list[str]]:
    """GetPodsForDeletion: (pods to evict, warnings, errors)."""
    pods = ctx.api.list("pods", None, field_selector=f"spec.nodeName={node}")["items"]
    if opts["selector"]:
        from labkit.minicluster.selectors import parse_label_selector
        sel = parse_label_selector(opts["selector"])
        pods = [q for q in pods if sel.matches(q["metadata"].get("labels"))]
    keep, warnings, failures = [], {}, {}
    for pod in pods:
        delete, verdict, msg = classify(ctx, pod, opts)
        ref = f"{pod['metadata'].get('namespace')}/{pod['metadata']['name']}"
        if verdict == "error":
            failures.setdefault(msg or "unexpected error", []).append(ref)
        elif verdict == "warning":
            warnings.setdefault(msg, []).append(ref)
        if delete:
            keep.append(pod)
    warn = [f"{m}: {', '.join(refs)}" for m, refs in sorted(warnings.items())]
    errs = [f"cannot delete {m}: {', '.join(refs)}" for m, refs in sorted(failures.items())]
    return keep, warn, errs


@command("drain", *_NODE_FLAGS, Flag("ignore-daemonsets", BOOL), Flag("delete-emptydir-data", BOOL),
         Flag("delete-local-data", BOOL), Flag("force", BOOL), Flag("grace-period", INT, default=-1),
         Flag("timeout", STR, default="0s"), Flag("disable-eviction", BOOL), Flag("pod-selector"),
         Flag("skip-wait-for-delete-timeout", INT, default=0), Flag("chunk-size", INT),
         help="Drain node in preparation for maintenance")
def cmd_drain(ctx, p):
    nodes = _nodes(ctx, p)
    dry = p.get("dry-run") or "none"
    opts = {"force": p.get("force"), "ignore_daemonsets": p.get("ignore-daemonsets"),
            "delete_emptydir_data": p.get("delete-emptydir-data") or p.get("delete-local-data"),
            "selector": p.get("pod-selector")}
    for node in nodes:
        set_schedulable(ctx, node, True, dry)
    remaining, fatal = [], []
    for node in nodes:
        name = node["metadata"]["name"]
        err = _drain_one(ctx, p, name, opts, dry)
        if err is None:
            ctx.print(f"node/{name} drained" + {"client": " (dry run)", "server": " (server dry run)"}.get(dry, ""))
        else:
            ctx.err.append(f'error: unable to drain node "{name}" due to error: {err}, continuing command...\n')
            remaining.append(name)
            fatal.append(err)
    if remaining:
        ctx.err.append("There are pending nodes to be drained:\n" + "".join(f" {n}\n" for n in remaining))
        raise KubectlError(fatal[0] if len(fatal) == 1 else "[" + ", ".join(fatal) + "]")


def _drain_one(ctx, p, node: str, opts, dry: str) -> str | None:
    pods, warnings, errs = pods_for_deletion(ctx, node, opts)
    if errs:
        return errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"
    if warnings:
        ctx.err.append("Warning: " + "; ".join(warnings) + "\n")
    if dry == "client":
        for pod in pods:
            ctx.print(f"evicting pod {pod['metadata'].get('namespace')}/{pod['metadata']['name']} (dry run)")
        return None
    grace = p.get("grace-period")
    timeout = _seconds(p.get("timeout")) or 600
    use_eviction = not p.get("disable-eviction")
    for pod in pods:
        err = _evict(ctx, pod, grace, use_eviction, timeout)
        if err:
            return err
    return _wait_deleted(ctx, pods, use_eviction, timeout)


def _evict(ctx, pod: dict, grace: int, use_eviction: bool, timeout: float) -> str | None:
    name, ns = pod["metadata"]["name"], pod["metadata"].get("namespace")
    if use_eviction:
        ctx.print(f"evicting pod {ns}/{name}")
    waited = 0.0
    while True:
        try:
            evict = getattr(ctx.backend, "evict", None) if use_eviction else None
            if evict is not None:
                evict(name, ns, grace_period_seconds=grace if grace >= 0 else None)
            else:
                ctx.api.delete("pods", name, ns, grace_period_seconds=grace if grace >= 0 else None)
            return None
        except errors.ApiError as e:
            if e.code == 404:
                return None
            if e.code != 429 or waited >= timeout:
                return f'error when evicting pods/"{name}" -n "{ns}": {e.message}'
            ctx.err.append(f'error when evicting pods/"{name}" -n "{ns}" (will retry after 5s): {e.message}\n')
            ctx.wait_for(lambda: False, timeout=5)
            waited += 5


def _wait_deleted(ctx, pods: list[dict], use_eviction: bool, timeout: float) -> str | None:
    verb = "evicted" if use_eviction else "deleted"
    pending = list(pods)

    def gone(pod):
        try:
            cur = ctx.api.get("pods", pod["metadata"]["name"], pod["metadata"].get("namespace"))
        except errors.ApiError:
            return True
        return cur["metadata"].get("uid") != pod["metadata"].get("uid")

    def progress():
        for pod in list(pending):
            if gone(pod):
                pending.remove(pod)
                ctx.print(f"pod/{pod['metadata']['name']} {verb}")
        return not pending

    if not progress():
        ctx.wait_for(progress, timeout)
    if pending:
        pod = pending[0]
        return (f'error when waiting for pod "{pod["metadata"]["name"]}" in namespace '
                f'"{pod["metadata"].get("namespace")}" to terminate: timed out waiting for the condition')
    return None


# -- taint ----------------------------------------------------------------------------------------

_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def parse_taint(spec: str) -> dict:
    """``key=value:Effect``, ``key:Effect`` or ``key`` (cmd/taint/utils.go parseTaint)."""
    parts = spec.split(":")
    if len(parts) > 2:
        raise KubectlError(f"invalid taint spec: {spec}")
    key, value, effect = parts[0], "", parts[1] if len(parts) == 2 else ""
    if effect and effect not in _EFFECTS:
        raise KubectlError(f"invalid taint effect: {effect}, unsupported taint effect")
    if len(parts) == 2:
        kv = parts[0].split("=")
        if len(kv) > 2:
            raise KubectlError(f"invalid taint spec: {spec}")
        key, value = kv[0], kv[1] if len(kv) == 2 else ""
    if not key:
        raise KubectlError(f"invalid taint spec: {spec}, name part must be non-empty")
    taint = {"key": key}
    if value:
        taint["value"] = value
    if effect:
        taint["effect"] = effect
    return taint


def _match(a: dict, b: dict) -> bool:
    return a.get("key") == b.get("key") and a.get("effect", "") == b.get("effect", "")


def retaint(taints: list, add: list, remove: list, overwrite: bool) -> tuple[str, list, list[str]]:
    """reorganizeTaints: (tainted|untainted|modified, new taint list, errors)."""
    new = list(add) + [t for t in taints if not any(_match(t, a) for a in add)]
    added = len(taints) != len(new)
    errs, removed = [], False
    for r in remove:
        before = len(new)
        new = [t for t in new if not (_match(t, r) if r.get("effect") else t.get("key") == r["key"])]
        removed = len(new) != before
        if not removed:
            from .describe.writer import taint_string
            errs.append(f'taint "{taint_string(r)}" not found')
    op = "modified" if (added and removed) or overwrite else "tainted" if added else "untainted"
    return op, new, errs


@command("taint", Flag("overwrite", BOOL), Flag("all", BOOL), Flag("selector", STR, "l"),
         Flag("dry-run", STR, default="none"), Flag("output", STR, "o"),
         help="Update the taints on one or more nodes")
def cmd_taint(ctx, p):
    resources, specs, found = [], [], False
    for a in p.args:
        pair = ":" in a or "=" in a or a.endswith("-")
        if pair:
            found = True
            specs.append(a)
        elif found:
            raise KubectlError(f"all resources must be specified before taint changes: {a}")
        else:
            resources.append(a)
    if not resources and not p.get("all") and not p.get("selector"):
        raise KubectlError("one or more resources must be specified as <resource> <name>")
    if not specs:
        raise KubectlError("at least one taint update is required")
    add = [parse_taint(s) for s in specs if not s.endswith("-")]
    remove = [parse_taint(s[:-1]) for s in specs if s.endswith("-")]
    if any(not t.get("effect") for t in add):
        raise KubectlError(f"invalid taint spec: {next(s for s in specs if not s.endswith('-') and ':' not in s)}")
    if resources and builder.expand_types(ctx.backend, resources[0].split("/")[0])[0].kind != "Node":
        raise KubectlError(f"invalid resource type {resources[0].split('/')[0]}, only node types are supported")
    if p.get("all") or p.get("selector"):
        nodes = ctx.api.list("nodes", label_selector=p.get("selector") or None)["items"]
    else:
        names = resources[1:] if "/" not in resources[0] else [r.split("/", 1)[1] for r in resources]
        nodes = [ctx.api.get("nodes", n) for n in names]
    for node in nodes:
        name, taints = node["metadata"]["name"], (node.get("spec") or {}).get("taints") or []
        if not p.get("overwrite"):
            exists = [a["key"] for a in add for t in taints if _match(a, t)]
            if exists:
                raise KubectlError(f"node {name} already has {','.join(exists)} taint(s) with same effect(s) "
                                   "and --overwrite is false")
        op, new, errs = retaint(taints, add, remove, p.get("overwrite"))
        if errs:
            raise KubectlError(errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]")
        dry = p.get("dry-run") or "none"
        if dry != "client":
            ctx.api.patch("nodes", name, {"spec": {"taints": new or None}}, "merge", dry_run=dry == "server")
        ctx.print(f"node/{name} {op}")
