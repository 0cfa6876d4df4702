"""``kubectl rollout``: status, history, undo, pause, resume and restart.

Everything here is client-side in real kubectl too (staging/src/k8s.io/kubectl/pkg/
polymorphichelpers): the Deployment *controller* does the rollout, kubectl only reads and writes
objects:

- **history** lists the ReplicaSets the Deployment owns, by their ``deployment.kubernetes.io/
  revision`` annotation (StatefulSets and DaemonSets: their ControllerRevisions);
- **undo** copies the pod template of an older ReplicaSet back into the Deployment (a JSON patch);
  the controller then rolls forward to it, creating a new revision number;
- **pause/resume** set ``spec.paused``; **restart** stamps the pod template with
  ``kubectl.kubernetes.io/restartedAt``, which changes the template and starts a new rollout;
- **status** reads the Deployment's status until the rollout is complete, printing each change
  (``Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...``).
"""
from __future__ import annotations

from labkit.minicluster import errors
from labkit.minicluster.objects import clone

from . import builder, printers
from .apply import dry_run_mode
from .backend import KubectlError
from .commands import command
from .describe.pods import pod_template
from .describe.workloads import _deployment_replicasets, _template_equal
from .describe.writer import PrefixWriter
from .flags import BOOL, INT, LIST, STR, Flag
from .formatting import rfc3339

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
_SKIP_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration", REVISION,
                     "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
                     "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"}
_KINDS = ("Deployment", "DaemonSet", "StatefulSet")


@command("rollout", Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"), Flag("selector", STR, "l"),
         Flag("revision", INT, default=0), Flag("to-revision", INT, default=0),
         Flag("watch", BOOL, "w", True), Flag("timeout", STR, default="0s"),
         Flag("dry-run", STR, default="none"), Flag("output", STR, "o"),
         help="Manage the rollout of a resource")
def cmd_rollout(ctx, p):
    if not p.args:
        raise KubectlError("you must specify a rollout subcommand: history, pause, restart, resume, "
                           "status, undo")
    sub, p.args = p.args[0], p.args[1:]
    fn = _SUBCOMMANDS.get(sub)
    if fn is None:
        raise KubectlError(f'unknown command "{sub}" for "kubectl rollout"')
    if not p.args and not p.get("filename"):
        raise KubectlError("required resource not specified")
    tgts, named = builder.targets(ctx.backend, p.args, f"rollout {sub}")
    for t in tgts:
        _check_supported(sub, t.rt, t.name)
        items = [ctx.api.get(t.rt, t.name, ctx.ns(t.rt))] if t.name else \
            ctx.api.list(t.rt, ctx.ns(t.rt), label_selector=p.get("selector") or None)["items"]
        for obj in items:
            fn(ctx, p, t.rt, obj)


def _check_supported(sub: str, rt, name) -> None:
    """The errors polymorphichelpers give for kinds a subcommand does not handle."""
    gk = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    if sub == "status" and rt.kind not in _KINDS:
        raise KubectlError(f"no status viewer has been implemented for {gk}")
    if sub == "history" and rt.kind not in _KINDS:
        raise KubectlError(f'no history viewer has been implemented for "{gk}"')
    if sub == "undo" and rt.kind not in _KINDS:
        raise KubectlError(f'no rollbacker has been implemented for "{gk}"')
    if sub in ("pause", "resume") and rt.kind != "Deployment":
        raise KubectlError(f'{rt.group_resource} "{name}" {"pausing" if sub == "pause" else "resuming"} '
                           "is not supported")
    if sub == "restart" and rt.kind not in _KINDS:
        raise KubectlError(f'{rt.group_resource} "{name}" restarting is not supported')


def _ref(rt, obj) -> str:
    return f"{printers.kind_prefix(rt)}/{obj['metadata']['name']}"


# -- history --------------------------------------------------------------------------------------

def _revision(obj: dict) -> int | None:
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, ""))
    except ValueError:
        return None


def history(ctx, rt, obj) -> dict[int, dict]:
    """revision number → {"template": pod template, "cause": change-cause or ""}."""
    out = {}
    if rt.kind == "Deployment":
        old, new = _deployment_replicasets(ctx.api, obj)
        for rs in old + new:
            rev = _revision(rs)
            if rev is not None:
                ann = rs["metadata"].get("annotations") or {}
                out[rev] = {"template": (rs.get("spec") or {}).get("template") or {},
                            "cause": ann.get(CHANGE_CAUSE, ""), "object": rs}
        return out
    for cr in _controller_revisions(ctx, obj):
        data = cr.get("data") or {}
        template = ((data.get("spec") or {}).get("template")) or {}
        template = {k: v for k, v in template.items() if k != "$patch"}
        out[cr.get("revision", 0)] = {"template": template, "object": cr,
                                      "cause": (cr["metadata"].get("annotations") or {}).get(CHANGE_CAUSE, "")}
    return out


def _controller_revisions(ctx, obj: dict) -> list[dict]:
    uid = obj["metadata"].get("uid")
    crs = ctx.api.list("controllerrevisions", obj["metadata"].get("namespace"))["items"]
    return [cr for cr in crs if any(r.get("uid") == uid and r.get("controller")
                                    for r in cr["metadata"].get("ownerReferences") or ())]


def _history(ctx, p, rt, obj):
    revs = history(ctx, rt, obj)
    wanted = p.get("revision") or 0
    if not revs:
        text = "No rollout history found."
    elif wanted > 0:
        if wanted not in revs:
            raise KubectlError("unable to find the specified revision")
        w = PrefixWriter()
        pod_template(w, revs[wanted]["template"])
        text = "".join(w.parts)
    else:
        from . import tabwriter
        lines = "REVISION\tCHANGE-CAUSE\n" + "".join(
            f"{r}\t{revs[r]['cause'] or '<none>'}\n" for r in sorted(revs))
        text = tabwriter.align(lines, minwidth=0, padding=2)
    header = f"with revision #{wanted}" if wanted > 0 else ""
    ctx.write(f"{_ref(rt, obj)} {header}\n{text}\n")  # the name printer adds a newline after it


# -- undo -----------------------------------------------------------------------------------------

def _undo(ctx, p, rt, obj):
    to = p.get("to-revision") or 0
    if to < 0:
        raise KubectlError(f"unable to find specified revision {to} in history")
    dry = dry_run_mode(p)
    if rt.kind == "Deployment":
        result = _undo_deployment(ctx, rt, obj, to, dry)
    else:
        result = _undo_controller_revision(ctx, rt, obj, to, dry)
    if result is None:
        return
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
    ctx.print(f"{_ref(rt, obj)} {result}{suffix}")


def _pick_revision(revs: dict, to: int, name: str, kind: str) -> int:
    if to > 0:
        if to not in revs:
            raise KubectlError(f"unable to find specified revision {to} in history")
        return to
    ordered = sorted(revs)
    if len(ordered) < 2:
        raise KubectlError(f'no rollout history found for {kind} "{name}"')
    return ordered[-2]


def _undo_deployment(ctx, rt, d, to, dry):
    name = d["metadata"]["name"]
    revs = history(ctx, rt, d)
    rev = _pick_revision(revs, to, name, "deployment")
    template = clone(revs[rev]["template"])
    if dry == "client":
        w = PrefixWriter()
        pod_template(w, template)
        ctx.write("".join(w.parts))
        return None
    if (d.get("spec") or {}).get("paused"):
        raise KubectlError("you cannot rollback a paused deployment; resume it first with "
                           "'kubectl rollout resume' and try again")
    if _template_equal(template, (d.get("spec") or {}).get("template")):
        return f"skipped rollback (current template already matches revision {rev})"
    labels = (template.get("metadata") or {}).get("labels")
    if labels:
        labels.pop("pod-template-hash", None)
    annotations = {k: v for k, v in (d["metadata"].get("annotations") or {}).items() if k in _SKIP_ANNOTATIONS}
    for k, v in (revs[rev]["object"]["metadata"].get("annotations") or {}).items():
        if k not in _SKIP_ANNOTATIONS:
            annotations[k] = v
    patch = [{"op": "replace", "path": "/spec/template", "value": template},
             {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    try:
        ctx.api.patch(rt, name, patch, "json", d["metadata"].get("namespace"), dry_run=dry == "server")
    except errors.ApiError as e:
        raise KubectlError(f"failed restoring revision {rev}: {e.message}") from None
    return "rolled back"


def _undo_controller_revision(ctx, rt, obj, to, dry):
    revs = history(ctx, rt, obj)
    rev = _pick_revision(revs, to, obj["metadata"]["name"], rt.kind.lower())
    cr = revs[rev]["object"]
    if dry == "client":
        w = PrefixWriter()
        pod_template(w, revs[rev]["template"])
        ctx.write("".join(w.parts))
        return None
    if _template_equal(revs[rev]["template"], (obj.get("spec") or {}).get("template")):
        return f"skipped rollback (current template already matches revision {rev})"
    ctx.api.patch(rt, obj["metadata"]["name"], cr.get("data") or {}, "strategic",
                  obj["metadata"].get("namespace"), dry_run=dry == "server")
    return "rolled back"


# -- pause, resume, restart -----------------------------------------------------------------------

def _pause(ctx, p, rt, obj, paused: bool = True):
    name = obj["metadata"]["name"]
    if bool((obj.get("spec") or {}).get("paused")) == paused:
        raise KubectlError(f'{rt.group_resource} "{name}" is {"already paused" if paused else "not paused"}')
    ctx.api.patch(rt, name, {"spec": {"paused": paused if paused else None}}, "strategic",
                  obj["metadata"].get("namespace"))
    ctx.print(f"{_ref(rt, obj)} {'paused' if paused else 'resumed'}")


def _restart(ctx, p, rt, obj):
    if rt.kind == "Deployment" and (obj.get("spec") or {}).get("paused"):
        raise KubectlError("can't restart paused deployment (run rollout resume first)")
    if rt.kind == "DaemonSet" and ((obj.get("spec") or {}).get("updateStrategy") or {}).get("type") == "OnDelete":
        raise KubectlError("can't restart daemonset with OnDelete update strategy")
    stamp = rfc3339(ctx.now())
    template = (obj.get("spec") or {}).get("template") or {}
    if ((template.get("metadata") or {}).get("annotations") or {}).get(RESTARTED_AT) == stamp:
        # the stamp has one-second resolution: the patch would be empty (restart.go)
        raise KubectlError(f"failed to create patch for {obj['metadata']['name']}: if restart has "
                           "already been triggered within the past second, please wait before "
                           "attempting to trigger another")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    ctx.api.patch(rt, obj["metadata"]["name"], patch, "strategic", obj["metadata"].get("namespace"))
    ctx.print(f"{_ref(rt, obj)} restarted")


# -- status ---------------------------------------------------------------------------------------

def rollout_status(obj: dict, kind: str, revision: int = 0) -> tuple[str, bool]:
    """The status viewers of polymorphichelpers/rollout_status.go: (message, done)."""
    spec, st, meta = obj.get("spec") or {}, obj.get("status") or {}, obj["metadata"]
    name, generation = meta["name"], meta.get("generation", 0)
    if kind == "Deployment":
        if revision > 0 and _revision(obj) != revision:
            raise KubectlError(f"desired revision ({revision}) is different from the running "
                               f"revision ({_revision(obj)})")
        if generation > st.get("observedGeneration", 0):
            return "Waiting for deployment spec update to be observed...\n", False
        for c in st.get("conditions") or ():
            if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
                raise KubectlError(f'deployment "{name}" exceeded its progress deadline')
        want, updated = spec.get("replicas", 1), st.get("updatedReplicas", 0)
        if updated < want:
            return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of {want} new '
                    "replicas have been updated...\n"), False
        if st.get("replicas", 0) > updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {st["replicas"] - updated} old '
                    "replicas are pending termination...\n"), False
        if st.get("availableReplicas", 0) < updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {st.get("availableReplicas", 0)} '
                    f"of {updated} updated replicas are available...\n"), False
        return f'deployment "{name}" successfully rolled out\n', True
    if kind == "DaemonSet":
        if (spec.get("updateStrategy") or {}).get("type") != "RollingUpdate":
            raise KubectlError("rollout status is only available for RollingUpdate strategy type")
        if generation > st.get("observedGeneration", 0):
            return "Waiting for daemon set spec update to be observed...\n", False
        desired = st.get("desiredNumberScheduled", 0)
        if st.get("updatedNumberScheduled", 0) < desired:
            return (f'Waiting for daemon set "{name}" rollout to finish: {st.get("updatedNumberScheduled", 0)} '
                    f"out of {desired} new pods have been updated...\n"), False
        if st.get("numberAvailable", 0) < desired:
            return (f'Waiting for daemon set "{name}" rollout to finish: {st.get("numberAvailable", 0)} of '
                    f"{desired} updated pods are available...\n"), False
        return f'daemon set "{name}" successfully rolled out\n', True
    return _statefulset_status(obj)


def _statefulset_status(sts: dict) -> tuple[str, bool]:
    spec, st = sts.get("spec") or {}, sts.get("status") or {}
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type") != "RollingUpdate":
        raise KubectlError("rollout status is only available for RollingUpdate strategy type")
    if not st.get("observedGeneration") or sts["metadata"].get("generation", 0) > st["observedGeneration"]:
        return "Waiting for statefulset spec update to be observed...\n", False
    want = spec.get("replicas", 1)
    if st.get("readyReplicas", 0) < want:
        return f"Waiting for {want - st.get('readyReplicas', 0)} pods to be ready...\n", False
    ru = strategy.get("rollingUpdate")
    if ru is not None:
        partition = ru.get("partition")
        if partition is not None and st.get("updatedReplicas", 0) < want - partition:
            return (f"Waiting for partitioned roll out to finish: {st.get('updatedReplicas', 0)} out of "
                    f"{want - partition} new pods have been updated...\n"), False
        return f"partitioned roll out complete: {st.get('updatedReplicas', 0)} new pods have been updated...\n", True
    if st.get("updateRevision") != st.get("currentRevision"):
        return (f"waiting for statefulset rolling update to complete {st.get('updatedReplicas', 0)} pods "
                f"at revision {st.get('updateRevision')}...\n"), False
    return (f"statefulset rolling update complete {st.get('currentReplicas', 0)} pods at revision "
            f"{st.get('currentRevision')}...\n"), True


def _status(ctx, p, rt, obj):
    from .get import _seconds
    name, ns = obj["metadata"]["name"], obj["metadata"].get("namespace")
    revision = p.get("revision") or 0
    timeout = _seconds(p.get("timeout")) or 600
    seen: list[str] = []

    def check():
        try:
            cur = ctx.api.get(rt, name, ns)
        except errors.ApiError as e:
            if e.code == 404:
                raise KubectlError("object has been deleted") from None
            raise
        msg, done = rollout_status(cur, rt.kind, revision)
        if not seen or seen[-1] != msg:
            seen.append(msg)
            ctx.write(msg)
        return done

    if check() or not p.get("watch"):
        return
    if not ctx.wait_for(check, timeout):
        raise KubectlError("timed out waiting for the condition")


_SUBCOMMANDS = {"history": _history, "undo": _undo, "pause": _pause,
                "resume": lambda c, p, rt, o: _pause(c, p, rt, o, False),
                "restart": _restart, "status": _status}
