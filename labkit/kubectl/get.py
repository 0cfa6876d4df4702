"""Reading commands: ``get``, ``describe``, ``logs`` and ``wait``."""
from __future__ import annotations

import re

from labkit.minicluster import errors, objects

from . import builder, jsonpath, printers
from .backend import KubectlError
from .commands import command
from .flags import ARRAY, BOOL, INT, LIST, STR, Flag

_SELECT = (Flag("selector", STR, "l"), Flag("field-selector"), Flag("all-namespaces", BOOL, "A"),
           Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"), Flag("chunk-size", INT))


# -- get ------------------------------------------------------------------------------------------

@command("get", *_SELECT, Flag("output", STR, "o"), Flag("show-labels", BOOL),
         Flag("label-columns", LIST, "L"), Flag("no-headers", BOOL), Flag("sort-by"),
         Flag("watch", BOOL, "w"), Flag("watch-only", BOOL), Flag("ignore-not-found", BOOL),
         Flag("show-kind", BOOL), Flag("server-print", BOOL), Flag("show-managed-fields", BOOL),
         Flag("output-watch-events", BOOL), Flag("subresource"), Flag("raw"),
         Flag("template"), Flag("allow-missing-template-keys", BOOL),
         help="Display one or many resources")
def cmd_get(ctx, p):
    if not p.args and not p.get("filename"):
        ctx.err.append('You must specify the type of resource to get. Use "kubectl api-resources" '
                       "for a complete list of supported resources.\n\n")
        raise KubectlError("Required resource not specified.\nUse \"kubectl explain <resource>\" for "
                           "a detailed description of that resource (e.g. kubectl explain pods).\n"
                           "See 'kubectl get -h' for help and examples")
    output = p.get("output") or ""
    fmt, _ = printers.parse_output(output)
    if (p.get("watch") or p.get("watch-only")) and fmt in ("", "wide") and not p.get("filename"):
        from . import watch
        return watch.watch(ctx, p, builder.targets(ctx.backend, p.args)[0], fmt == "wide")
    groups = fetch(ctx, p)  # [(rt, [objs], named)]
    objs = [o for _, items, _ in groups for o in items]
    if p.get("sort-by"):
        objs = sort_objects(objs, p.get("sort-by"))
        groups = _regroup(groups, objs)
    if fmt and fmt != "wide":
        if not p.get("show-managed-fields"):
            objs = [_without_managed_fields(o) for o in objs]
        single = len(groups) == 1 and groups[0][2] and len(objs) == 1 and not p.get("filename") \
            and len(p.args) <= 2 and "," not in (p.args[0] if p.args else "")
        rt = groups[0][0] if len(groups) == 1 else None
        try:
            ctx.write(printers.print_objects(objs, output, single=single, rt=rt,
                                             no_headers=p.get("no-headers")))
        except printers.PrintError as e:
            raise KubectlError(str(e)) from None
        return
    _print_tables(ctx, p, groups, wide=fmt == "wide")


def fetch(ctx, p, verb: str = "get") -> list:
    """Objects named by the arguments or ``-f`` files, grouped by type, in argument order."""
    if p.get("filename"):
        tgts = []
        for source, obj in builder.manifest_objects(p.get("filename"), ctx.stdin, p.get("recursive")):
            tgts.append(builder.Target(builder.type_of(ctx.backend, obj, source),
                                       (obj.get("metadata") or {}).get("name")))
        named = True
    else:
        tgts, named = builder.targets(ctx.backend, p.args, verb)
    groups: list = []
    for t in tgts:
        if named:
            try:
                obj = ctx.api.get(t.rt, t.name, ctx.ns(t.rt))
            except errors.ApiError as e:
                if not (e.code == 404 and p.get("ignore-not-found")):
                    ctx.api_error(e)
                continue
            items = [_with_kind(t.rt, obj)]
        else:
            ns = None if p.get("all-namespaces") else ctx.ns(t.rt)
            result = ctx.api.list(t.rt, ns, label_selector=p.get("selector") or None,
                                  field_selector=p.get("field-selector") or None)
            items = [_with_kind(t.rt, o) for o in result.get("items", [])]
        if groups and groups[-1][0] is t.rt:
            groups[-1][1].extend(items)
        else:
            groups.append((t.rt, items, named))
    return groups


def _with_kind(rt, obj: dict) -> dict:
    obj.setdefault("apiVersion", rt.api_version)
    obj.setdefault("kind", rt.kind)
    return obj


def _without_managed_fields(obj: dict) -> dict:
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = dict(obj, metadata={k: v for k, v in meta.items() if k != "managedFields"})
    return obj


def _regroup(groups, objs):
    by_kind: dict = {}
    for rt, _, named in groups:
        by_kind.setdefault(rt.kind, (rt, [], named))
    for o in objs:
        by_kind[o.get("kind")][1].append(o)
    return list(by_kind.values())


def _print_tables(ctx, p, groups, wide: bool) -> None:
    kinds = {rt.kind for rt, items, _ in groups if items}
    with_kind = len(kinds) > 1 or p.get("show-kind")
    all_ns = p.get("all-namespaces")
    tables = []
    for rt, items, _ in groups:
        if not items:
            continue
        table = printers.to_table(items, rt, now=ctx.now(), wide=True)
        tables.append((table, {"wide": wide, "with_namespace": bool(all_ns and rt.namespaced),
                               "show_labels": p.get("show-labels"),
                               "label_columns": p.get("label-columns") or (),
                               "with_kind": printers.kind_prefix(rt) if with_kind else None}))
    text = printers.render_tables(tables, no_headers=p.get("no-headers"))
    ctx.write(text)
    if not text and not ctx.failed and not p.get("ignore-not-found"):
        all_namespaced = not all_ns and all(rt.namespaced for rt, _, _ in groups)
        ctx.err.append(f"No resources found in {ctx.namespace} namespace.\n" if all_namespaced
                       else "No resources found\n")


def sort_objects(objs: list[dict], field: str) -> list[dict]:
    """``--sort-by``: order by a JSONPath field (numbers numerically, text naturally);
    objects without the field (or with null there) come first."""
    try:
        parsed = jsonpath.parse(jsonpath.relaxed(field))
    except jsonpath.JSONPathError as e:
        raise KubectlError(str(e)) from None

    def key(obj):
        try:
            # a null (an unset Time such as a legacy Event's eventTime) counts as missing
            values = [v for g in jsonpath.find_results(parsed, obj) for v in g if v is not None]
        except jsonpath.JSONPathError:
            values = []
        if not values:
            return (0, 0, ())
        v = values[0]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (1, v, ())
        return (2, 0, _natural(str(v) if not isinstance(v, (dict, list)) else repr(v)))

    return sorted(objs, key=key)


def _natural(text: str) -> tuple:
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", text))


# -- describe -------------------------------------------------------------------------------------

@command("describe", *_SELECT, Flag("show-events", BOOL, default=True),
         help="Show details of a specific resource or group of resources")
def cmd_describe(ctx, p):
    from . import describe
    if not p.args and not p.get("filename"):
        raise KubectlError('You must specify the type of resource to describe. Use "kubectl '
                           'api-resources" for a complete list of supported resources.')
    show_events = p.get("show-events", True)
    if p.get("filename"):
        infos = [(rt, o) for rt, items, _ in fetch(ctx, p, "describe") for o in items]
    else:
        tgts, named = builder.targets(ctx.backend, p.args, "describe")
        infos, missing = [], None
        for t in tgts:
            if named:
                try:
                    infos.append((t.rt, ctx.api.get(t.rt, t.name, ctx.ns(t.rt))))
                except errors.ApiError as e:
                    if e.code != 404:
                        raise
                    missing = missing or e
                    if not (len(p.args) == 2 and "/" not in p.args[0]):
                        ctx.api_error(e)
                continue
            ns = None if p.get("all-namespaces") else ctx.ns(t.rt)
            items = ctx.api.list(t.rt, ns, label_selector=p.get("selector") or None,
                                 field_selector=p.get("field-selector") or None)["items"]
            infos.extend((t.rt, o) for o in items)
        if missing is not None and len(p.args) == 2 and "/" not in p.args[0]:
            # the exact name failed, so upstream turns events off unless asked for
            return _describe_prefix(ctx, tgts[0].rt, p.args[1], missing,
                                    show_events and p.has("show-events"))
    if len(infos) > 1 and not p.has("show-events"):
        show_events = False
    texts = [describe.describe(ctx.backend, rt, obj, api=ctx.api, show_events=show_events)
             for rt, obj in infos]
    ctx.write("\n\n".join(texts))
    if not infos and not ctx.failed:
        ctx.err.append("No resources found\n" if p.get("all-namespaces") else
                       f"No resources found in {ctx.namespace} namespace.\n")


def _describe_prefix(ctx, rt, prefix, original, show_events):
    """``kubectl describe pods web`` also describes every pod whose name starts with ``web``."""
    from . import describe
    items = [o for o in ctx.api.list(rt, ctx.ns(rt))["items"]
             if o["metadata"]["name"].startswith(prefix)]
    if not items:
        ctx.api_error(original)
        return
    for obj in items:
        ctx.write(describe.describe(ctx.backend, rt, obj, api=ctx.api, show_events=show_events) + "\n")


# -- logs -----------------------------------------------------------------------------------------

@command("logs", Flag("container", STR, "c"), Flag("previous", BOOL, "p"), Flag("tail", INT, default=-1),
         Flag("timestamps", BOOL), Flag("follow", BOOL, "f"), Flag("all-containers", BOOL),
         Flag("selector", STR, "l"), Flag("prefix", BOOL), Flag("since"), Flag("limit-bytes", INT),
         Flag("max-log-requests", INT, default=5), Flag("pod-running-timeout"),
         help="Print the logs for a container in a pod")
def cmd_logs(ctx, p):
    tail = p.get("tail")
    tail = None if tail is None or tail < 0 else tail
    if p.get("selector"):
        pods = ctx.api.list("pods", ctx.namespace, label_selector=p.get("selector"))["items"]
        tail = 10 if tail is None else tail
        for pod in pods[:p.get("max-log-requests", 5)]:
            _pod_logs(ctx, p, pod, tail, prefix=p.get("prefix"))
        return
    if not p.args:
        raise KubectlError("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
                           "POD or TYPE/NAME is a required argument for the logs command\n"
                           "See 'kubectl logs -h' for help and examples")
    arg = p.args[0]
    container = p.get("container") or (p.args[1] if len(p.args) > 1 else None)
    pod = _pod_for(ctx, arg)
    _pod_logs(ctx, p, pod, tail, container=container, prefix=p.get("prefix"))


def _pod_for(ctx, arg: str) -> dict:
    """A pod, or the first pod of a workload (``deploy/web``), as kubectl picks it."""
    if "/" not in arg:
        return ctx.api.get("pods", arg, ctx.namespace)
    kind, _, name = arg.partition("/")
    from .backend import resource_for
    rt = resource_for(ctx.backend, kind)
    if rt.kind == "Pod":
        return ctx.api.get("pods", name, ctx.namespace)
    owner = ctx.api.get(rt, name, ctx.ns(rt))
    selector = _selector_text((owner.get("spec") or {}).get("selector"))
    pods = ctx.api.list("pods", ctx.namespace, label_selector=selector or None)["items"]
    pods = [q for q in pods if q["metadata"].get("deletionTimestamp") is None] or pods
    if not pods:
        raise KubectlError(f"timed out waiting for the condition")
    pods.sort(key=lambda q: (q.get("status", {}).get("phase") != "Running", q["metadata"]["name"]))
    if len(pods) > 1:
        ctx.err.append(f"Found {len(pods)} pods, using pod/{pods[0]['metadata']['name']}\n")
    return pods[0]


def _selector_text(sel) -> str:
    from .formatting import selector_string
    if isinstance(sel, dict) and ("matchLabels" in sel or "matchExpressions" in sel):
        return selector_string(sel)
    if isinstance(sel, dict):  # ReplicationController / Service: a plain map
        return ",".join(f"{k}={v}" for k, v in sorted(sel.items()))
    return ""


def default_container(ctx, pod: dict, quiet: bool = False) -> str:
    """The container kubectl picks when none is named (:func:`objects.default_container`),
    saying so on stderr when it fell back to the first of several."""
    spec = pod.get("spec") or {}
    name = objects.default_container(pod)
    annotated = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    names = [c["name"] for c in spec.get("containers") or ()]
    if name != annotated and not quiet and (len(names) > 1 or spec.get("initContainers")
                                            or spec.get("ephemeralContainers")):
        every = names + [f"{c['name']} (ephem)" for c in spec.get("ephemeralContainers") or ()] + \
            [f"{c['name']} (init)" for c in spec.get("initContainers") or ()]
        ctx.err.append(f'Defaulted container "{name}" out of: {", ".join(every)}\n')
    return name


def _pod_logs(ctx, p, pod: dict, tail, container=None, prefix=False) -> None:
    name, ns = pod["metadata"]["name"], pod["metadata"].get("namespace", ctx.namespace)
    containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or ()]
    chosen = [container] if container else containers if p.get("all-containers") else None
    if chosen is None:
        chosen = [default_container(ctx, pod)]
    for c in chosen:
        if c not in containers and not any(c == ic.get("name") for ic in
                                           (pod.get("spec") or {}).get("initContainers") or ()):
            raise errors.bad_request(f"container {c} is not valid for pod {name}")
        text = ctx.backend.logs(name, container=c, namespace=ns, previous=p.get("previous"),
                                tail=tail, timestamps=p.get("timestamps"))
        if prefix:
            text = "".join(f"[pod/{name}/{c}] {line}\n" for line in text.splitlines())
        ctx.write(text)


# -- exec -----------------------------------------------------------------------------------------

_EXEC_USAGE = "exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]"


@command("exec", Flag("container", STR, "c"), Flag("stdin", BOOL, "i"), Flag("tty", BOOL, "t"),
         Flag("quiet", BOOL, "q"), Flag("filename", ARRAY, "f"), Flag("pod-running-timeout"),
         help="Execute a command in a container")
def cmd_exec(ctx, p):
    """``kubectl exec`` (kubectl/pkg/cmd/exec/exec.go). There is no terminal in a notebook:
    ``-t`` falls back to plain streams with kubectl's own warning, and ``-i`` reads the text
    given as the command's input (``cluster.kubectl(..., stdin="...")``), or nothing."""
    dash = p.dash_args or []
    positional = p.args[:len(p.args) - len(dash)]
    if not positional:
        raise KubectlError(f"expected '{_EXEC_USAGE}'.\nPOD or TYPE/NAME is a required argument "
                           "for the exec command\nSee 'kubectl exec -h' for help and examples")
    if len(positional) > 1:
        raise KubectlError("exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- "
                           "[COMMAND] instead\nSee 'kubectl exec -h' for help and examples")
    argv = dash
    if not argv:
        raise KubectlError("you must specify at least one command for the container")
    pod = _pod_for(ctx, positional[0])
    name, ns = pod["metadata"]["name"], pod["metadata"].get("namespace", ctx.namespace)
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise KubectlError(f"cannot exec into a container in a completed pod; current phase is {phase}")
    container = p.get("container") or default_container(ctx, pod, p.get("quiet"))
    if p.get("stdin") and p.get("tty") and not p.get("quiet"):
        ctx.err.append("Unable to use a TTY - input is not a terminal or the right kind of file\n")
    stdin = (ctx.stdin or "") if p.get("stdin") else None
    try:
        result = ctx.backend.exec(name, argv, container=container, namespace=ns, stdin=stdin)
    except errors.ApiError as e:
        message = e.status.get("message", "")
        if message.startswith("unable to upgrade connection") or e.code == 500:
            raise KubectlError(message) from None  # kubectl prints these as "error: ..."
        raise
    ctx.write(result.stdout)
    ctx.err.append(result.stderr)
    if result.exit_code:
        ctx.err.append(f"command terminated with exit code {result.exit_code}\n")
    return result.exit_code


# -- wait -----------------------------------------------------------------------------------------

@command("wait", *_SELECT, Flag("for"), Flag("timeout", STR, default="30s"), Flag("all", BOOL),
         help="Wait for a specific condition on one or many resources")
def cmd_wait(ctx, p):
    cond = p.get("for")
    if not cond:
        raise KubectlError("--for must be specified, one of: delete, create, condition=..., jsonpath=...")
    timeout = _seconds(p.get("timeout"))
    groups = fetch(ctx, p, "wait")
    objs = [(rt, o) for rt, items, _ in groups for o in items]
    if not objs and not ctx.failed:
        raise KubectlError("no matching resources found")
    for rt, obj in objs:
        name, ns = obj["metadata"]["name"], obj["metadata"].get("namespace")
        ref = f"{printers.kind_prefix(rt)}/{name}"
        check = _condition_check(ctx, rt, name, ns, cond)
        if ctx.wait_for(check, timeout) is None and not check():
            plural = rt.plural + (f".{rt.group}" if rt.group else "")
            raise KubectlError(f"timed out waiting for the condition on {plural}/{name}")
        ctx.print(f"{ref} condition met")


def _condition_check(ctx, rt, name, ns, cond: str):
    def current():
        try:
            return ctx.api.get(rt, name, ns)
        except errors.ApiError as e:
            if e.code == 404:
                return None
            raise
    if cond == "delete":
        return lambda: current() is None
    if cond.startswith("condition="):
        ctype, _, want = cond[len("condition="):].partition("=")
        want = want or "True"

        def has_condition():
            obj = current()
            return obj is not None and any(
                c.get("type", "").lower() == ctype.lower() and str(c.get("status")).lower() == want.lower()
                for c in (obj.get("status") or {}).get("conditions") or ())
        return has_condition
    if cond.startswith("jsonpath="):
        expr, _, want = cond[len("jsonpath="):].rpartition("=")
        parsed = jsonpath.parse(jsonpath.relaxed(expr.strip("'\"")))

        def matches():
            obj = current()
            values = [v for g in jsonpath.find_results(parsed, obj) for v in g] if obj else []
            return bool(values) and all(jsonpath.format_results([[v]]) == want for v in values)
        return matches
    raise KubectlError(f'unrecognized condition: "{cond}"')


def _seconds(text) -> float:
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?", str(text or ""))
    if not m or not any(m.groups()):
        try:
            return float(text)
        except (TypeError, ValueError):
            raise KubectlError(f'invalid argument "{text}" for "--timeout" flag: time: invalid '
                               f'duration "{text}"') from None
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


# -- events ---------------------------------------------------------------------------------------

def _event_time(e: dict) -> float:
    """SortableEvents (cmd/events): the series' last observation, else lastTimestamp, else
    eventTime."""
    from .formatting import parse_time
    ts = (e.get("series") or {}).get("lastObservedTime") or e.get("lastTimestamp") or e.get("eventTime")
    return parse_time(ts) or 0.0


@command("events", Flag("all-namespaces", BOOL, "A"), Flag("for"), Flag("types", LIST),
         Flag("no-headers", BOOL), Flag("output", STR, "o"), Flag("watch", BOOL, "w"), Flag("chunk-size", INT),
         help="List events")
def cmd_events(ctx, p):
    """``kubectl events``: unlike ``get events``, sorted by time, OBJECT as ``Kind/name``."""
    from . import tabwriter
    from .describe.writer import event_age
    all_ns = p.get("all-namespaces")
    selector = None
    if p.get("for"):
        kind, sep, name = p.get("for").partition("/")
        if not sep:
            raise KubectlError("--for must be in resource/name form")
        from .backend import resource_for
        rt = resource_for(ctx.backend, kind)
        selector = (f"involvedObject.kind={rt.kind},involvedObject.apiVersion={rt.api_version},"
                    f"involvedObject.name={name}")
    items = ctx.api.list("events", None if all_ns else ctx.namespace, field_selector=selector)["items"]
    types = [t.lower() for t in p.get("types") or ()]
    items = [e for e in items if not types or (e.get("type") or "").lower() in types]
    if not items:
        ctx.err.append("No events found.\n" if all_ns else f"No events found in {ctx.namespace} namespace.\n")
        return
    items.sort(key=_event_time)
    now = ctx.now()
    rows = [] if p.get("no-headers") else [(["NAMESPACE"] if all_ns else []) +
                                           ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]]
    for e in items:
        inv = e.get("involvedObject") or {}
        row = [event_age(e, now), e.get("type", ""), e.get("reason", ""),
               f"{inv.get('kind', '')}/{inv.get('name', '')}", (e.get("message") or "").strip()]
        rows.append(([e["metadata"].get("namespace", "")] if all_ns else []) + row)
    ctx.write(tabwriter.table(rows))
