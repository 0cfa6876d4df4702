"""``kubectl apply -f``: declarative configuration with a three-way merge (client-side apply).

For each object in the manifests (staging/src/k8s.io/kubectl/pkg/cmd/apply/apply.go):

1. kubectl writes the manifest itself, as JSON, into the annotation
   ``kubectl.kubernetes.io/last-applied-configuration`` (the *modified* configuration);
2. if the object does not exist it is **created** (``deployment.apps/web created``);
3. otherwise kubectl computes a patch from three versions: the *original* (last applied,
   read back from the annotation), the *modified* (this manifest) and the *current* object
   on the server. Fields you removed from your manifest since last time are deleted; fields
   you set are changed where the server differs; fields nobody declared (defaults, status,
   changes made by controllers such as ``spec.replicas`` under an HPA... unless you declare
   them) are left alone. An empty patch prints ``unchanged``, otherwise ``configured``.

Lists whose items have a merge key (``containers`` by ``name``, ``ports`` by
``containerPort``...) are merged item by item, as a strategic merge patch does; other lists are
replaced whole. Simplification: kubectl also emits ``$setElementOrder`` directives; labkit's patch
keeps the server's order and appends new items.
"""
from __future__ import annotations

import json

from labkit.minicluster import errors
from labkit.minicluster.objects import clone
from labkit.minicluster.patch import MERGE_KEYS

from . import builder, printers
from .backend import KubectlError
from .commands import Ctx, Result, command
from .flags import BOOL, LIST, STR, Flag, Parsed

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
WARNING_NO_ANNOTATION = (
    "Warning: resource {name} is missing the kubectl.kubernetes.io/last-applied-configuration "
    "annotation which is required by kubectl apply. kubectl apply should only be used on resources "
    "created declaratively by either kubectl create --save-config or kubectl apply. The missing "
    "annotation will be patched automatically.\n")


# -- the three-way merge --------------------------------------------------------------------------

def last_applied(obj: dict) -> str:
    """GetModifiedConfiguration: the object as compact JSON (sorted keys, trailing newline) with
    the annotation map present but without the annotation itself."""
    doc = clone(obj)
    meta = doc.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    meta["annotations"] = annotations
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def with_annotation(obj: dict) -> dict:
    """The manifest plus its last-applied annotation, as kubectl sends it."""
    text = last_applied(obj)
    out = clone(obj)
    meta = out.setdefault("metadata", {})
    meta["annotations"] = {**(meta.get("annotations") or {}), LAST_APPLIED: text}
    return out


def three_way_patch(original: dict | None, modified: dict, current: dict, path: str = "") -> dict:
    """A strategic-merge patch turning ``current`` into ``modified`` while deleting what was in
    ``original`` but is no longer in ``modified`` (CreateThreeWayMergePatch)."""
    original = original if isinstance(original, dict) else {}
    current = current if isinstance(current, dict) else {}
    patch: dict = {}
    for k in original:
        if k not in modified and k in current:
            patch[k] = None
    for k, mv in modified.items():
        cv = current.get(k)
        if k not in current:
            if mv is not None:
                patch[k] = clone(mv)
            continue
        if isinstance(mv, dict) and isinstance(cv, dict):
            sub = three_way_patch(original.get(k), mv, cv, f"{path}.{k}")
            if sub:
                patch[k] = sub
        elif isinstance(mv, list) and isinstance(cv, list) and _merge_key(k, mv, path):
            sub = _list_patch(_merge_key(k, mv, path), original.get(k), mv, cv, f"{path}.{k}")
            if sub:
                patch[k] = sub
        elif mv != cv:
            patch[k] = clone(mv)
    return patch


def _merge_key(field: str, items: list, path: str) -> str | None:
    key = MERGE_KEYS.get(field)
    if key is None or not items or not all(isinstance(x, dict) for x in items):
        return None
    if field == "ports" and "port" in items[0] and "containerPort" not in items[0]:
        return "port"  # Service ports
    return key if all(key in x for x in items) else None


def _list_patch(key: str, original, modified: list, current: list, path: str) -> list:
    by_key = lambda items: {x.get(key): x for x in items or () if isinstance(x, dict)}  # noqa: E731
    orig, cur = by_key(original), by_key(current)
    mod_keys = {x.get(key) for x in modified}
    out = []
    for k in orig:
        if k not in mod_keys and k in cur:
            out.append({key: k, "$patch": "delete"})
    for item in modified:
        k = item.get(key)
        if k not in cur:
            out.append(clone(item))
            continue
        sub = three_way_patch(orig.get(k), item, cur[k], path)
        if sub:
            out.append({key: k, **sub})
    return out


# -- applying objects -----------------------------------------------------------------------------

#: what kubectl adds to a server-side apply's conflict (apply.go, applyOneObject)
CONFLICT_HINT = """Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts"""


def apply_object(ctx: Ctx, source: str, obj: dict, dry_run: str = "none", server_side: bool = False,
                 output: str = "", field_manager: str | None = None, force: bool = False) -> None:
    """Apply one manifest, printing kubectl's line (or error) into ``ctx``. Client-side
    (kubectl computes a three-way patch from the last-applied annotation) or server-side (the
    manifest is sent as an apply patch; the API server merges it and tracks field owners)."""
    builder.check_object(source, obj)
    rt = builder.type_of(ctx.backend, obj, source)
    obj = clone(obj)
    meta = obj.setdefault("metadata", {})
    name = meta.get("name")
    if not name:
        if meta.get("generateName"):
            raise KubectlError(f"from {meta['generateName']}: cannot use generate name with apply")
        raise KubectlError(f'error when retrieving current configuration of:\nResource: "{rt.group_resource}", '
                           f'GroupVersionKind: "{rt.api_version}, Kind={rt.kind}"\nfrom server for: '
                           f'"{source}": resource name may not be empty')
    ns = _namespace(ctx, rt, meta)
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry_run, "")
    ref = f"{printers.kind_prefix(rt)}/{name}"
    if server_side:
        try:
            result = ctx.api.patch(rt, name, obj, "apply", ns, dry_run=dry_run == "server",
                                   field_manager=field_manager or "kubectl", force=force)
        except errors.ApiError as e:
            if e.code == 409:
                ctx.error(f"error: {e.message}\n{CONFLICT_HINT}")
            else:
                ctx.api_error(e)
            return
        _report(ctx, ref, "serverside-applied", suffix, output, result)
        return
    try:
        current = ctx.api.get(rt, name, ns)
    except errors.ApiError as e:
        if e.code != 404:
            ctx.api_error(e, f'error when retrieving current configuration of:\nResource: '
                             f'"{rt.group_resource}", GroupVersionKind: "{rt.api_version}, Kind={rt.kind}"\n'
                             f'Name: "{name}", Namespace: "{ns or ""}"\nfrom server for: "{source}": ')
            return
        current = None
    if current is None:
        new = _prune_nulls(with_annotation(obj))
        if dry_run != "client":
            try:
                ctx.api.create(rt, new, ns, dry_run=dry_run == "server")
            except errors.ApiError as e:
                ctx.api_error(e, f'error when creating "{source}": ')
                return
        _report(ctx, ref, "created", suffix, output, new)
        return
    annotations = (current.get("metadata") or {}).get("annotations") or {}
    if LAST_APPLIED not in annotations:
        ctx.err.append(WARNING_NO_ANNOTATION.format(name=ref if rt.group else f"{rt.plural}/{name}"))
    original = None
    if annotations.get(LAST_APPLIED):
        try:
            original = json.loads(annotations[LAST_APPLIED])
        except ValueError:
            original = None
    modified = with_annotation(obj)
    patch = three_way_patch(original, modified, current)
    if patch and dry_run != "client":
        try:
            ctx.api.patch(rt, name, patch, "strategic", ns, dry_run=dry_run == "server")
        except errors.ApiError as e:
            ctx.api_error(e, f'error when applying patch:\n{json.dumps(patch, separators=(",", ":"))}\n'
                             f'to:\nResource: "{rt.group_resource}", GroupVersionKind: '
                             f'"{rt.api_version}, Kind={rt.kind}"\nName: "{name}", Namespace: '
                             f'"{ns or ""}"\nfor: "{source}": ')
            return
    _report(ctx, ref, "configured" if patch else "unchanged", suffix, output, obj)


def _namespace(ctx: Ctx, rt, meta: dict) -> str | None:
    if not rt.namespaced:
        meta.pop("namespace", None)
        return None
    own = meta.get("namespace")
    if own and ctx.explicit_ns and own != ctx.namespace:
        raise KubectlError(f'the namespace from the provided object "{own}" does not match the '
                           f'namespace "{ctx.namespace}". You must pass \'--namespace={own}\' to '
                           "perform this operation.")
    meta["namespace"] = own or ctx.namespace
    return meta["namespace"]


def _prune_nulls(obj):
    if isinstance(obj, dict):
        return {k: _prune_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_prune_nulls(v) for v in obj]
    return obj


def _report(ctx: Ctx, ref: str, verb: str, suffix: str, output: str, obj: dict) -> None:
    if output == "name":
        ctx.print(ref)
    elif output in ("yaml", "json"):
        ctx.write(printers.print_objects([obj], output, single=True))
    else:
        ctx.print(f"{ref} {verb}{suffix}")


def dry_run_mode(p: Parsed) -> str:
    value = p.get("dry-run")
    if value in (None, "", "none", False):
        return "none"
    if value in ("client", "server"):
        return value
    raise KubectlError(f'Invalid dry-run value ({value}). Must be "none", "server", or "client".')


@command("apply", Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"),
         Flag("dry-run", STR, default="none"), Flag("server-side", BOOL), Flag("output", STR, "o"),
         Flag("force-conflicts", BOOL), Flag("field-manager"), Flag("validate"), Flag("prune", BOOL),
         Flag("selector", STR, "l"), Flag("overwrite", BOOL, default=True), Flag("wait", BOOL),
         Flag("kustomize", STR, "k"), Flag("force", BOOL), Flag("grace-period"),
         help="Apply a configuration to a resource by file name or stdin")
def cmd_apply(ctx, p):
    if p.args:
        raise KubectlError(f"Unexpected args: {p.args}\nSee 'kubectl apply -h' for help and examples")
    if p.get("kustomize"):
        raise KubectlError("kustomize directories (-k) are not supported by labkit's kubectl")
    if not p.get("filename"):
        raise KubectlError("error: must specify one of -f and -k\n")
    dry_run = dry_run_mode(p)
    if p.get("force-conflicts") and not p.get("server-side"):
        raise KubectlError("--force-conflicts only works with --server-side")
    if dry_run == "client" and p.get("server-side"):
        raise KubectlError("--dry-run=client doesn't work with --server-side (did you mean "
                           "--dry-run=server instead?)")
    objects = builder.manifest_objects(p.get("filename"), ctx.stdin, p.get("recursive"))
    if not objects:
        raise KubectlError("no objects passed to apply")
    for source, obj in objects:
        try:
            apply_object(ctx, source, obj, dry_run, p.get("server-side"), p.get("output") or "",
                         p.get("field-manager"), bool(p.get("force-conflicts")))
        except KubectlError as e:
            ctx.error(f"error: {e.message}")


def apply_source(backend, source, namespace: str | None = None, dry_run: str = "none") -> Result:
    """Apply YAML text, a dict, a list of dicts, or a file/directory path (the
    ``cluster.apply(...)`` of notebooks). Errors are reported per document in the result."""
    from labkit.client import read_source
    from .flags import parse
    parsed = parse(["-n", namespace] if namespace else [], {}, "apply")
    ctx = Ctx(backend, parsed)
    label = source if isinstance(source, str) and "\n" not in source and len(source) < 200 else "STDIN"
    try:
        content = read_source(source)
        for obj in builder.parse_documents(label, content):
            try:
                apply_object(ctx, label, obj, dry_run)
            except KubectlError as e:
                ctx.error(f"error: {e.message}")
    except KubectlError as e:
        ctx.error(f"error: {e.message}")
    except OSError as e:
        ctx.error(f"error: {e}")
    return Result("".join(ctx.out), "".join(ctx.err), 1 if ctx.failed else 0, "apply")


# -- diff -----------------------------------------------------------------------------------------

def _strip(obj: dict | None) -> dict | None:
    if obj is None:
        return None
    obj = clone(obj)
    (obj.get("metadata") or {}).pop("managedFields", None)
    return obj


def merged_object(ctx: Ctx, source: str, obj: dict) -> tuple[str, dict | None, dict]:
    """(file name, live object, what applying would give): the server dry-runs the apply."""
    builder.check_object(source, obj)
    rt = builder.type_of(ctx.backend, obj, source)
    obj = clone(obj)
    meta = obj.setdefault("metadata", {})
    ns = _namespace(ctx, rt, meta)
    group = f"{rt.group}." if rt.group else ""
    name = f"{group}{rt.version}.{rt.kind}.{ns or ''}.{meta.get('name', '')}"
    try:
        live = ctx.api.get(rt, meta.get("name"), ns)
    except errors.ApiError as e:
        if e.code != 404:
            raise
        return name, None, ctx.api.create(rt, obj, ns, dry_run=True)  # the manifest as it is
    original = None
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if text:
        try:
            original = json.loads(text)
        except ValueError:
            original = None
    # GetModifiedConfiguration(annotate=false): the annotation itself is left as it is
    patch = three_way_patch(original, json.loads(last_applied(obj)), live)
    merged = ctx.api.patch(rt, meta["name"], patch, "strategic", ns, dry_run=True) if patch else live
    return name, live, merged


def _stamp(t: float | None) -> str:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(t or 0, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.000000000 +0000")


@command("diff", Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"), Flag("server-side", BOOL),
         Flag("field-manager"), Flag("force-conflicts", BOOL), Flag("selector", STR, "l"),
         Flag("prune", BOOL), Flag("concurrency"), Flag("show-managed-fields", BOOL),
         help="Diff the live version against a would-be applied version")
def cmd_diff(ctx, p):
    """``diff -u -N /tmp/LIVE-x /tmp/MERGED-y`` of the YAML of each object, as kubectl runs it
    (exit code 1 when something would change). Simplification: the temporary directory names
    are derived from the clock instead of being random."""
    import difflib

    from .serialize import to_yaml
    if not p.get("filename"):
        raise KubectlError("must specify one of -f and -k")
    stamp, now = int(ctx.now()) % 1_000_000_000, ctx.now()
    live_dir, merged_dir = f"/tmp/LIVE-{stamp}", f"/tmp/MERGED-{stamp + 1}"
    files = []
    for source, obj in builder.manifest_objects(p.get("filename"), ctx.stdin, p.get("recursive")):
        files.append(merged_object(ctx, source, obj))
    changed = False
    for name, live, merged in sorted(files, key=lambda f: f[0]):
        a = to_yaml(_strip(live)).splitlines(True) if live is not None else []
        b = to_yaml(_strip(merged)).splitlines(True)
        if a == b:
            continue
        changed = True
        ctx.write(f"diff -u -N {live_dir}/{name} {merged_dir}/{name}\n")
        lines = list(difflib.unified_diff(a, b, f"{live_dir}/{name}", f"{merged_dir}/{name}",
                                          _stamp(now if live is not None else 0), _stamp(now), lineterm=""))
        ctx.write("".join(line if line.endswith("\n") else line + "\n" for line in lines))
    return 1 if changed else 0
