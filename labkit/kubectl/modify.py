"""Commands that change existing objects: ``delete``, ``scale``, ``label``, ``annotate``,
``patch`` and ``set image`` (staging/src/k8s.io/kubectl/pkg/cmd/...).

``label``/``annotate`` send a JSON merge patch of the metadata; ``scale`` sets
``spec.replicas``; ``set image`` patches the pod template, which (for a Deployment) starts a
rollout. ``delete`` waits, like kubectl, until the objects are really gone (a pod first
terminates gracefully), letting the cluster's time pass.
"""
from __future__ import annotations

import json

import yaml

from labkit.minicluster import errors

from . import builder, printers
from .apply import dry_run_mode
from .backend import KubectlError
from .commands import command
from .flags import BOOL, INT, LIST, STR, Flag

FORCE_WARNING = ("Warning: Immediate deletion does not wait for confirmation that the running "
                 "resource has been terminated. The resource may continue to run on the cluster "
                 "indefinitely.\n")


def _objects(ctx, p, verb: str) -> list[tuple]:
    """(resource type, object) pairs named by arguments, ``-f``, ``-l`` or ``--all``."""
    if p.get("filename"):
        out = []
        for source, obj in builder.manifest_objects(p.get("filename"), ctx.stdin, p.get("recursive")):
            rt = builder.type_of(ctx.backend, obj, source)
            ns = ((obj.get("metadata") or {}).get("namespace") or ctx.namespace) if rt.namespaced else None
            try:
                out.append((rt, ctx.api.get(rt, obj["metadata"]["name"], ns)))
            except errors.ApiError as e:
                if not (e.code == 404 and p.get("ignore-not-found")):
                    ctx.api_error(e)
        return out
    tgts, named = builder.targets(ctx.backend, p.args, verb)
    if not named and not (p.get("all") or p.get("selector") or p.get("field-selector")):
        raise KubectlError("resource(s) were provided, but no name was specified")
    out = []
    for t in tgts:
        if t.name is not None:
            try:
                out.append((t.rt, ctx.api.get(t.rt, t.name, ctx.ns(t.rt))))
            except errors.ApiError as e:
                if not (e.code == 404 and p.get("ignore-not-found")):
                    ctx.api_error(e)
            continue
        ns = None if p.get("all-namespaces") else ctx.ns(t.rt)
        items = ctx.api.list(t.rt, ns, label_selector=p.get("selector") or None,
                             field_selector=p.get("field-selector") or None)["items"]
        out.extend((t.rt, o) for o in items)
    return out


# -- delete ---------------------------------------------------------------------------------------

_CASCADE = {"background": "Background", "true": "Background", "foreground": "Foreground",
            "orphan": "Orphan", "false": "Orphan"}


@command("delete", Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"), Flag("selector", STR, "l"),
         Flag("field-selector"), Flag("all", BOOL), Flag("all-namespaces", BOOL, "A"),
         Flag("cascade", STR, default="background"), Flag("grace-period", INT, default=-1),
         Flag("force", BOOL), Flag("now", BOOL), Flag("wait", BOOL, default=True), Flag("timeout"),
         Flag("ignore-not-found", BOOL), Flag("dry-run", STR, default="none"), Flag("output", STR, "o"),
         Flag("interactive", BOOL, "i"), Flag("raw"),
         help="Delete resources by file names, stdin, resources and names, or by resources and label selector")
def cmd_delete(ctx, p):
    cascade = _CASCADE.get(str(p.get("cascade")).lower())
    if cascade is None:
        raise KubectlError(f'invalid cascade value ({p.get("cascade")}). Must be "background", '
                           '"foreground", or "orphan"')
    grace = p.get("grace-period")
    if p.get("now"):
        grace = 1
    if grace == 0 and not p.get("force"):
        grace = 1
    if p.get("force") and grace < 0:
        grace = 0
    dry = dry_run_mode(p)
    if not p.args and not p.get("filename"):
        raise KubectlError("You must provide one or more resources by argument or filename.\n"
                           "Example resource specifications include:\n   '-f rsrc.yaml'\n   "
                           "'--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")
    objs = _objects(ctx, p, "delete")
    if p.get("force") and grace == 0:
        ctx.err.append(FORCE_WARNING)
    deleted = []
    for rt, obj in objs:
        name, ns = obj["metadata"]["name"], obj["metadata"].get("namespace")
        if dry != "client":
            try:
                ctx.api.delete(rt, name, ns, propagation_policy=cascade,
                               grace_period_seconds=grace if grace >= 0 else None,
                               dry_run=dry == "server")
            except errors.ApiError as e:
                if not (e.code == 404 and p.get("ignore-not-found")):
                    ctx.api_error(e)
                continue
        deleted.append((rt, obj))
        _print_deleted(ctx, p, rt, name, ns, grace, dry)
    named = any(a for a in p.args if "/" in a) or len(p.args) > 1
    if not objs and not ctx.failed and not (named and p.get("ignore-not-found")):
        ctx.print("No resources found")
    if p.get("wait") and dry == "none" and deleted:
        _wait_gone(ctx, deleted, grace)


def _print_deleted(ctx, p, rt, name, ns, grace, dry) -> None:
    kind = printers.kind_prefix(rt)
    if p.get("output") == "name":
        ctx.print(f"{kind}/{name}")
        return
    op = "force deleted" if grace == 0 else "deleted"
    if ns:
        op += f" from {ns} namespace"
    op += {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
    ctx.print(f'{kind} "{name}" {op}')


def _wait_gone(ctx, deleted, grace) -> None:
    def gone():
        for rt, obj in deleted:
            try:
                cur = ctx.api.get(rt, obj["metadata"]["name"], obj["metadata"].get("namespace"))
            except errors.ApiError:
                continue
            if cur["metadata"].get("uid") == obj["metadata"].get("uid"):
                return False
        return True
    ctx.wait_for(gone, timeout=max(grace, 30) + 90)


# -- scale ----------------------------------------------------------------------------------------

@command("scale", Flag("replicas", INT, default=-1), Flag("current-replicas", INT, default=-1),
         Flag("resource-version"), Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"),
         Flag("selector", STR, "l"), Flag("all", BOOL), Flag("timeout"), Flag("dry-run", STR, default="none"),
         Flag("output", STR, "o"),
         help="Set a new size for a deployment, replica set, or replication controller")
def cmd_scale(ctx, p):
    replicas = p.get("replicas")
    if replicas is None or replicas < 0:
        raise KubectlError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    dry = dry_run_mode(p)
    objs = _objects(ctx, p, "scale")
    if not objs and not ctx.failed:
        raise KubectlError("no objects passed to scale")
    for rt, obj in objs:
        if rt.kind not in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
            ctx.api_error(errors.no_route())
            continue
        current = (obj.get("spec") or {}).get("replicas", 0)
        if p.get("current-replicas", -1) >= 0 and p.get("current-replicas") != current:
            raise KubectlError(f"Expected replicas to be {p.get('current-replicas')}, was {current}")
        if dry != "client":
            ctx.api.patch(rt, obj["metadata"]["name"], {"spec": {"replicas": replicas}}, "merge",
                          obj["metadata"].get("namespace"), dry_run=dry == "server")
        suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
        ctx.print(f"{printers.kind_prefix(rt)}/{obj['metadata']['name']} scaled{suffix}")


@command("autoscale", Flag("min", INT, default=-1), Flag("max", INT, default=-1),
         Flag("cpu-percent", INT, default=-1), Flag("name"), Flag("filename", LIST, "f"),
         Flag("recursive", BOOL, "R"), Flag("dry-run", STR, default="none"), Flag("output", STR, "o"),
         help="Auto-scale a deployment, replica set, stateful set, or replication controller")
def cmd_autoscale(ctx, p):
    """kubectl autoscale (pkg/cmd/autoscale): an autoscaling/v2 HPA named after its target,
    ``--cpu-percent`` becoming a CPU utilization metric (without it the API server defaults
    the target to 80 %)."""
    lo, hi = p.get("min", -1), p.get("max", -1)
    if hi < 1:
        raise KubectlError(f"--max=MAXPODS is required and must be at least 1, max: {hi}")
    if hi < lo:
        raise KubectlError(f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: {hi}, min: {lo}")
    dry = dry_run_mode(p)
    for rt, obj in _objects(ctx, p, "autoscale"):
        if rt.kind not in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
            raise KubectlError(f"cannot autoscale a {rt.kind}: {rt.kind} is not scalable")
        spec = {"scaleTargetRef": {"apiVersion": rt.api_version, "kind": rt.kind,
                                   "name": obj["metadata"]["name"]}, "maxReplicas": hi}
        if lo > 0:
            spec["minReplicas"] = lo
        if p.get("cpu-percent", -1) >= 0:
            spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": p.get("cpu-percent")}}}]
        hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": p.get("name") or obj["metadata"]["name"]}, "spec": spec}
        if dry != "client":
            hpa = ctx.api.create("horizontalpodautoscalers", hpa, obj["metadata"].get("namespace"),
                                 dry_run=dry == "server")
        suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
        ctx.print(f"horizontalpodautoscaler.autoscaling/{hpa['metadata']['name']} autoscaled{suffix}")


# -- label and annotate ---------------------------------------------------------------------------

def _split_changes(args: list[str], what: str) -> tuple[list[str], dict, list[str]]:
    """GetResourcesAndPairs: resources first, then ``key=value`` / ``key-`` changes."""
    resources, add, remove = [], {}, []
    found = False
    for a in args:
        pair = ("=" in a and not a.startswith("=")) or (a.endswith("-") and a != "-")
        if pair:
            found = True
            if "=" in a:
                k, _, v = a.partition("=")
                add[k] = v
            else:
                remove.append(a[:-1])
        elif found:
            raise KubectlError(f"all resources must be specified before {what} changes: {a}")
        else:
            resources.append(a)
    if not add and not remove:
        raise KubectlError(f"at least one {what} update is required")
    both = [k for k in add if k in remove]
    if both:
        raise KubectlError(f"can not both modify and remove the following {what}(s) in the "
                           f"same command: {', '.join(both)}")
    return resources, add, remove


def _change_metadata(ctx, p, field: str, noun: str) -> None:
    resources, add, remove = _split_changes(p.args, noun)
    p.args = resources
    dry = dry_run_mode(p)
    for rt, obj in _objects(ctx, p, field[:-1] if field == "labels" else "annotate"):
        current = dict((obj.get("metadata") or {}).get(field) or {})
        if not p.get("overwrite"):
            clash = [(k, current[k]) for k in add if k in current and current[k] != add[k]
                     and k != "kubernetes.io/change-cause"]
            if clash and field == "labels":
                raise KubectlError("; ".join(f"'{k}' already has a value ({v}), and --overwrite is false"
                                             for k, v in clash))
            if clash:
                raise KubectlError("--overwrite is false but found the following declared annotation(s): " +
                                   "; ".join(f"'{k}' already has a value ({v})" for k, v in clash))
        if field == "labels" and dry == "none":
            for k in remove:
                if k not in current:
                    ctx.print(f'label "{k}" not found.')
        added = [k for k, v in add.items() if current.get(k) != v]
        removed = [k for k in remove if k in current]
        if (added or removed) and dry != "client":
            patch = {"metadata": {field: {**{k: add[k] for k in added}, **{k: None for k in removed}}}}
            ctx.api.patch(rt, obj["metadata"]["name"], patch, "merge", obj["metadata"].get("namespace"),
                          dry_run=dry == "server")
        if field == "labels":
            msg = ("modified" if added and removed else "labeled" if added else
                   "unlabeled" if removed else "not labeled")
        else:
            msg = "annotated"
        suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
        ctx.print(f"{printers.kind_prefix(rt)}/{obj['metadata']['name']} {msg}{suffix}")


_META_FLAGS = (Flag("overwrite", BOOL), Flag("all", BOOL), Flag("all-namespaces", BOOL, "A"),
               Flag("selector", STR, "l"), Flag("field-selector"), Flag("filename", LIST, "f"),
               Flag("recursive", BOOL, "R"), Flag("resource-version"), Flag("dry-run", STR, default="none"),
               Flag("output", STR, "o"), Flag("list", BOOL), Flag("local", BOOL))


@command("label", *_META_FLAGS, help="Update the labels on a resource")
def cmd_label(ctx, p):
    _change_metadata(ctx, p, "labels", "label")


@command("annotate", *_META_FLAGS, help="Update the annotations on a resource")
def cmd_annotate(ctx, p):
    _change_metadata(ctx, p, "annotations", "annotation")


# -- patch ----------------------------------------------------------------------------------------

@command("patch", Flag("patch", STR, "p"), Flag("patch-file"), Flag("type", STR, default="strategic"),
         Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"), Flag("dry-run", STR, default="none"),
         Flag("output", STR, "o"), Flag("local", BOOL), Flag("subresource"),
         help="Update fields of a resource")
def cmd_patch(ctx, p):
    text = p.get("patch")
    if p.get("patch-file"):
        with open(p.get("patch-file"), encoding="utf-8") as f:
            text = f.read()
    if not text:
        raise KubectlError("must specify --patch or --patch-file containing the contents of the patch")
    ptype = p.get("type")
    if ptype not in ("json", "merge", "strategic"):
        raise KubectlError(f'--type must be one of [json merge strategic], not "{ptype}"')
    try:
        body = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise KubectlError(f'unable to parse "{text}": {e}') from None
    dry = dry_run_mode(p)
    for rt, obj in _objects(ctx, p, "patch"):
        name, ns = obj["metadata"]["name"], obj["metadata"].get("namespace")
        try:
            new = ctx.api.patch(rt, name, body, ptype, ns, subresource=p.get("subresource"),
                                dry_run=dry != "none")
        except errors.ApiError as e:
            ctx.api_error(e)
            continue
        changed = new.get("metadata", {}).get("resourceVersion") != obj["metadata"].get("resourceVersion") \
            if dry == "none" else _strip_rv(new) != _strip_rv(obj)
        suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
        if p.get("output") and p.get("output") != "name":
            ctx.write(printers.print_objects([new], p.get("output"), single=True))
            continue
        ctx.print(f"{printers.kind_prefix(rt)}/{name} patched{'' if changed else ' (no change)'}{suffix}")


def _strip_rv(obj: dict) -> str:
    o = dict(obj, metadata={k: v for k, v in (obj.get("metadata") or {}).items()
                            if k not in ("resourceVersion", "generation", "managedFields")})
    return json.dumps(o, sort_keys=True)


# -- set image ------------------------------------------------------------------------------------

def _pod_spec(obj: dict) -> dict:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        return ((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


@command("set", Flag("all", BOOL), Flag("selector", STR, "l"), Flag("filename", LIST, "f"),
         Flag("recursive", BOOL, "R"), Flag("dry-run", STR, default="none"), Flag("output", STR, "o"),
         Flag("local", BOOL), Flag("all-namespaces", BOOL, "A"),
         help="Set specific features on objects")
def cmd_set(ctx, p):
    if not p.args or p.args[0] != "image":
        raise KubectlError("labkit's kubectl supports 'kubectl set image' only")
    args = p.args[1:]
    resources = [a for a in args if "=" not in a]
    changes = dict(a.split("=", 1) for a in args if "=" in a)
    if not changes:
        raise KubectlError("at least one image update is required")
    p.args = resources
    dry = dry_run_mode(p)
    for rt, obj in _objects(ctx, p, "set image"):
        obj.setdefault("kind", rt.kind)
        pod_spec = _pod_spec(obj)
        containers = (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or [])
        patch_containers, changed = _image_patch(pod_spec, changes)
        for cname in changes:
            if cname != "*" and not any(c.get("name") == cname for c in containers):
                raise KubectlError(f'unable to find container named "{cname}"')
        if not changed:
            continue
        patch = _wrap_pod_spec(obj, patch_containers)
        if dry != "client":
            ctx.api.patch(rt, obj["metadata"]["name"], patch, "strategic",
                          obj["metadata"].get("namespace"), dry_run=dry == "server")
        suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
        ctx.print(f"{printers.kind_prefix(rt)}/{obj['metadata']['name']} image updated{suffix}")


def _image_patch(pod_spec: dict, changes: dict) -> tuple[dict, bool]:
    patch: dict = {}
    changed = False
    for field in ("initContainers", "containers"):
        items = []
        for c in pod_spec.get(field) or ():
            image = changes.get(c.get("name"), changes.get("*"))
            if image is not None and image != c.get("image"):
                items.append({"name": c["name"], "image": image})
                changed = True
        if items:
            patch[field] = items
    return patch, changed


def _wrap_pod_spec(obj: dict, pod_spec_patch: dict) -> dict:
    if obj.get("kind") == "Pod":
        return {"spec": pod_spec_patch}
    if obj.get("kind") == "CronJob":
        return {"spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec_patch}}}}}
    return {"spec": {"template": {"spec": pod_spec_patch}}}


# -- replace --------------------------------------------------------------------------------------

@command("replace", Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"), Flag("force", BOOL),
         Flag("grace-period", INT, default=-1), Flag("cascade", STR, default="background"),
         Flag("dry-run", STR, default="none"), Flag("output", STR, "o"), Flag("save-config", BOOL),
         Flag("wait", BOOL), Flag("validate"),
         help="Replace a resource by file name or stdin")
def cmd_replace(ctx, p):
    if not p.get("filename"):
        raise KubectlError("must specify --filename to replace")
    dry = dry_run_mode(p)
    for source, obj in builder.manifest_objects(p.get("filename"), ctx.stdin, p.get("recursive")):
        builder.check_object(source, obj)
        rt = builder.type_of(ctx.backend, obj, source)
        ns = ((obj.get("metadata") or {}).get("namespace") or ctx.namespace) if rt.namespaced else None
        name = obj["metadata"]["name"]
        try:
            if p.get("force"):
                ctx.api.delete(rt, name, ns)
                ctx.print(f'{printers.kind_prefix(rt)}/{name} deleted')
                ctx.wait_for(lambda: _absent(ctx, rt, name, ns), timeout=120)
                ctx.api.create(rt, obj, ns, dry_run=dry == "server")
            elif dry != "client":
                ctx.api.update(rt, obj, ns, dry_run=dry == "server")
        except errors.ApiError as e:
            ctx.api_error(e, f'error when replacing "{source}": ')
            continue
        suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
        ctx.print(f"{printers.kind_prefix(rt)}/{name} replaced{suffix}")


def _absent(ctx, rt, name, ns) -> bool:
    try:
        ctx.api.get(rt, name, ns)
        return False
    except errors.ApiError:
        return True
