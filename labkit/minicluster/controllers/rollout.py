"""``kubectl rollout`` as functions over the API: history, undo, status, restart, pause, resume.

These are *client-side* helpers, exactly like kubectl's (k8s.io/kubectl/pkg/polymorphichelpers
and pkg/cmd/rollout, v1.33): they only ``get``/``list``/``patch`` objects through an ``api``
(the mini cluster's :class:`~labkit.minicluster.apiserver.APIServer` or the real-cluster
``RestApi``), so they behave the same against both backends. Note how a rollback works: there
is no "rollback" API - ``kubectl rollout undo`` copies the chosen old ReplicaSet's pod template
back into the Deployment, and the Deployment controller then finds that the matching old
ReplicaSet is "new" again and gives it the next revision number.

Success values are kubectl's stdout; failures raise :class:`RolloutError` whose
``kubectl_message()`` is kubectl's stderr line (``error: ...``).
"""
from __future__ import annotations

from datetime import datetime, timezone

from ..clock import rfc3339
from ..errors import ApiError
from ..objects import clone, owner_of
from ..selectors import from_label_selector
from ..upstream import (CHANGE_CAUSE_ANNOTATION, POD_TEMPLATE_HASH_LABEL,
                        RESTARTED_AT_ANNOTATION)
from . import deployment_util as du
from .history import go_json, template_of, template_patch

_KINDS = {"deployment": "deployments", "deployments": "deployments", "deploy": "deployments",
          "statefulset": "statefulsets", "statefulsets": "statefulsets", "sts": "statefulsets",
          "daemonset": "daemonsets", "daemonsets": "daemonsets", "ds": "daemonsets"}


class RolloutError(Exception):
    """A kubectl-side failure; ``str(e)`` is the message without kubectl's ``error:`` prefix."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def kubectl_message(self) -> str:
        return f"error: {self.message}"


def _resource(kind: str) -> str:
    try:
        return _KINDS[kind.lower().split(".")[0]]
    except KeyError:
        raise RolloutError(f'no rollout support for "{kind}"') from None


def _ref(resource: str, name: str) -> str:
    """kubectl's name printer: ``deployment.apps/web``."""
    return f"{resource[:-1]}.apps/{name}"


def _get(api, resource, name, namespace):
    try:
        return api.get(resource, name, namespace)
    except ApiError as e:
        raise RolloutError(e.message) from None


# -- history ----------------------------------------------------------------------------------
def deployment_replicasets(api, d: dict) -> tuple[dict | None, list[dict]]:
    """(new ReplicaSet, old ReplicaSets) of a Deployment, as kubectl's GetAllReplicaSets."""
    sel = str(from_label_selector(d["spec"].get("selector")))
    items = api.list("replicasets", d["metadata"]["namespace"], label_selector=sel)["items"]
    owned = [rs for rs in items
             if (owner_of(rs) or {}).get("uid") == d["metadata"]["uid"]]
    new = du.find_new_rs(d, owned)
    return new, [rs for rs in owned if new is None or rs["metadata"]["uid"] != new["metadata"]["uid"]]


def controller_revisions(api, obj: dict) -> list[dict]:
    """The ControllerRevisions a StatefulSet or DaemonSet owns, oldest revision first."""
    items = api.list("controllerrevisions", obj["metadata"]["namespace"])["items"]
    owned = [r for r in items if (owner_of(r) or {}).get("uid") == obj["metadata"]["uid"]]
    return sorted(owned, key=lambda r: r.get("revision", 0))


def rollout_history(api, deployment, namespace: str = "default", kind: str = "deployment"):
    """``[(revision, change-cause or None, pod template), ...]`` sorted by revision.

    ``deployment`` is a name or the object itself. For Deployments the entries come from the
    ReplicaSets' ``deployment.kubernetes.io/revision`` annotations (templates without the
    ``pod-template-hash`` label); for StatefulSets/DaemonSets from ControllerRevisions."""
    resource = _resource(kind)
    obj = deployment if isinstance(deployment, dict) else _get(api, resource, deployment, namespace)
    out = {}
    if resource == "deployments":
        new, old = deployment_replicasets(api, obj)
        for rs in old + ([new] if new else []):
            tpl = clone(rs["spec"].get("template") or {})
            (tpl.get("metadata") or {}).get("labels", {}).pop(POD_TEMPLATE_HASH_LABEL, None)
            cause = (rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE_ANNOTATION)
            out[du.revision(rs)] = (du.revision(rs), cause or None, tpl)
    else:
        for r in controller_revisions(api, obj):
            cause = (r["metadata"].get("annotations") or {}).get(CHANGE_CAUSE_ANNOTATION)
            out[r.get("revision", 0)] = (r.get("revision", 0), cause or None, template_of(r))
    return [out[k] for k in sorted(out)]


def rollout_history_text(api, name: str, namespace: str = "default", kind: str = "deployment",
                         revision: int | None = None, describe_template=None) -> str:
    """kubectl rollout history's output. For one ``revision`` the template is rendered by
    ``describe_template(template) -> str`` (kubectl's DescribePodTemplate; the kubectl package
    passes its describer); without one a short summary is printed."""
    resource = _resource(kind)
    entries = rollout_history(api, name, namespace, kind)
    head = _ref(resource, name)
    if revision:
        match = [e for e in entries if e[0] == revision]
        if not match:
            raise RolloutError("unable to find the specified revision")
        body = (describe_template or _describe_template)(match[0][2])
        return f"{head} with revision #{revision}\n{body}\n"
    if not entries:
        return f"{head} \nNo rollout history found.\n"
    width = max(len("REVISION"), *(len(str(r)) for r, _, _ in entries)) + 2
    lines = ["REVISION".ljust(width) + "CHANGE-CAUSE"]
    lines += [str(r).ljust(width) + (cause or "<none>") for r, cause, _ in entries]
    return f"{head} \n" + "\n".join(lines) + "\n\n"


def _describe_template(tpl: dict) -> str:
    meta, spec = tpl.get("metadata") or {}, tpl.get("spec") or {}
    labels = ",".join(f"{k}={v}" for k, v in sorted((meta.get("labels") or {}).items()))
    lines = ["Pod Template:", f"  Labels:\t{labels or '<none>'}", "  Containers:"]
    for c in spec.get("containers") or []:
        lines += [f"   {c.get('name')}:", f"    Image:\t{c.get('image')}"]
    return "\n".join(lines)


# -- undo -------------------------------------------------------------------------------------
def rollout_undo(api, name: str, namespace: str = "default", to_revision: int | None = None,
                 kind: str = "deployment") -> str:
    """``kubectl rollout undo [--to-revision=N]``; returns ``deployment.apps/web rolled back``."""
    resource, to = _resource(kind), int(to_revision or 0)
    if to < 0:
        raise RolloutError(f"unable to find specified revision {to} in history")
    obj = _get(api, resource, name, namespace)
    if resource == "deployments":
        result = _undo_deployment(api, obj, to)
    else:
        result = _undo_controller_revision(api, resource, obj, to)
    return f"{_ref(resource, name)} {result}"


def _undo_deployment(api, d: dict, to: int) -> str:
    new, old = deployment_replicasets(api, d)
    target = None
    if to:
        target = next((rs for rs in old + ([new] if new else []) if du.revision(rs) == to), None)
        if target is None:
            raise RolloutError(f"unable to find specified revision {to} in history")
    else:
        ranked = sorted(old + ([new] if new else []), key=du.revision, reverse=True)
        if len(ranked) < 2:
            raise RolloutError(f'no rollout history found for deployment "{d["metadata"]["name"]}"')
        target = ranked[1]
    if d["spec"].get("paused"):
        raise RolloutError("you cannot rollback a paused deployment; resume it first with "
                           "'kubectl rollout resume' and try again")
    if du.equal_ignore_hash(target["spec"]["template"], d["spec"]["template"]):
        return f"skipped rollback (current template already matches revision {to})"
    tpl = clone(target["spec"]["template"])
    (tpl.get("metadata") or {}).get("labels", {}).pop(POD_TEMPLATE_HASH_LABEL, None)
    annotations = {k: v for k, v in (d["metadata"].get("annotations") or {}).items()
                   if k in du.ANNOTATIONS_TO_SKIP}
    annotations.update({k: v for k, v in (target["metadata"].get("annotations") or {}).items()
                        if k not in du.ANNOTATIONS_TO_SKIP})
    patch = [{"op": "replace", "path": "/spec/template", "value": tpl},
             {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    try:
        api.patch("deployments", d["metadata"]["name"], patch, "json", d["metadata"]["namespace"])
    except ApiError as e:
        raise RolloutError(f"failed restoring revision {to}: {e.message}") from None
    return "rolled back"


def _undo_controller_revision(api, resource: str, obj: dict, to: int) -> str:
    revisions = controller_revisions(api, obj)
    if to == 0 and len(revisions) <= 1:
        raise RolloutError("no last revision to roll back to")
    target = revisions[-2] if to == 0 else next(
        (r for r in revisions if r.get("revision") == to), None)
    if target is None:
        raise RolloutError(f"unable to find specified revision {to} in history")
    if go_json(template_patch(obj)) == go_json(target.get("data")):
        return f"skipped rollback (current template already matches revision {to})"
    try:
        api.patch(resource, obj["metadata"]["name"], target["data"], "strategic",
                  obj["metadata"]["namespace"])
    except ApiError as e:
        raise RolloutError(f"failed restoring revision {to}: {e.message}") from None
    return "rolled back"


# -- status -----------------------------------------------------------------------------------
def rollout_status(api, name: str, namespace: str = "default", kind: str = "deployment",
                   revision: int | None = None, obj: dict | None = None) -> tuple[str, bool]:
    """One evaluation of kubectl's status viewer: ``(line, done)``, e.g.
    ``('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been
    updated...', False)`` or ``('deployment "web" successfully rolled out', True)``."""
    resource = _resource(kind)
    obj = obj or _get(api, resource, name, namespace)
    return {"deployments": _deployment_status, "statefulsets": _statefulset_status,
            "daemonsets": _daemonset_status}[resource](obj, revision)


def _deployment_status(d: dict, revision) -> tuple[str, bool]:
    name, spec, st = d["metadata"]["name"], d["spec"], d.get("status") or {}
    if revision:
        if du.revision(d) != int(revision):
            raise RolloutError(f"desired revision ({revision}) is different from the running "
                               f"revision ({du.revision(d)})")
    if d["metadata"].get("generation", 0) > st.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed...", False
    cond = du.get_condition(st, "Progressing")
    if cond is not None and cond.get("reason") == du.REASON_TIMED_OUT:
        raise RolloutError(f'deployment "{name}" exceeded its progress deadline')
    want, updated = spec.get("replicas", 1), st.get("updatedReplicas", 0)
    if updated < want:
        return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of {want} '
                "new replicas have been updated..."), False
    if st.get("replicas", 0) > updated:
        return (f'Waiting for deployment "{name}" rollout to finish: '
                f"{st.get('replicas', 0) - updated} old replicas are pending termination..."), False
    if st.get("availableReplicas", 0) < updated:
        return (f'Waiting for deployment "{name}" rollout to finish: '
                f"{st.get('availableReplicas', 0)} of {updated} updated replicas are "
                "available..."), False
    return f'deployment "{name}" successfully rolled out', True


def _daemonset_status(ds: dict, revision) -> tuple[str, bool]:
    name, st = ds["metadata"]["name"], ds.get("status") or {}
    if ((ds["spec"].get("updateStrategy") or {}).get("type") or "RollingUpdate") != "RollingUpdate":
        raise RolloutError("rollout status is only available for RollingUpdate strategy type")
    if ds["metadata"].get("generation", 0) > st.get("observedGeneration", 0):
        return "Waiting for daemon set spec update to be observed...", False
    desired = st.get("desiredNumberScheduled", 0)
    if st.get("updatedNumberScheduled", 0) < desired:
        return (f'Waiting for daemon set "{name}" rollout to finish: '
                f"{st.get('updatedNumberScheduled', 0)} out of {desired} new pods have been "
                "updated..."), False
    if st.get("numberAvailable", 0) < desired:
        return (f'Waiting for daemon set "{name}" rollout to finish: '
                f"{st.get('numberAvailable', 0)} of {desired} updated pods are available..."), False
    return f'daemon set "{name}" successfully rolled out', True


def _statefulset_status(sts: dict, revision) -> tuple[str, bool]:
    spec, st = sts["spec"], sts.get("status") or {}
    strategy = spec.get("updateStrategy") or {"type": "RollingUpdate"}
    if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
        raise RolloutError("rollout status is only available for RollingUpdate strategy type")
    if not st.get("observedGeneration") or \
            sts["metadata"].get("generation", 0) > st.get("observedGeneration", 0):
        return "Waiting for statefulset spec update to be observed...", False
    want = spec.get("replicas", 1)
    if st.get("readyReplicas", 0) < want:
        return f"Waiting for {want - st.get('readyReplicas', 0)} pods to be ready...", False
    ru = strategy.get("rollingUpdate")
    if ru is not None:
        if ru.get("partition") is not None and \
                st.get("updatedReplicas", 0) < want - ru["partition"]:
            return (f"Waiting for partitioned roll out to finish: {st.get('updatedReplicas', 0)} "
                    f"out of {want - ru['partition']} new pods have been updated..."), False
        return (f"partitioned roll out complete: {st.get('updatedReplicas', 0)} new pods have "
                "been updated..."), True
    if st.get("updateRevision") != st.get("currentRevision"):
        return (f"waiting for statefulset rolling update to complete "
                f"{st.get('updatedReplicas', 0)} pods at revision {st.get('updateRevision')}..."), False
    return (f"statefulset rolling update complete {st.get('currentReplicas', 0)} pods at "
            f"revision {st.get('currentRevision')}..."), True


def watch_rollout_status(api, name: str, namespace: str = "default", kind: str = "deployment",
                         step=None, timeout: float = 600, revision: int | None = None) -> str:
    """``kubectl rollout status`` (watching): one line per ADDED/MODIFIED event of the object
    until done. ``step()`` lets time pass (``lambda: cluster.run(1)`` on the mini cluster) and
    returns the virtual seconds it advanced; raises :class:`RolloutError` on timeout."""
    resource = _resource(kind)
    lines, done = [], [False]
    first, ok = rollout_status(api, name, namespace, kind, revision)
    lines.append(first)
    if ok:
        return "\n".join(lines) + "\n"

    def on_event(etype, obj):
        if done[0] or obj["metadata"]["name"] != name or etype not in ("ADDED", "MODIFIED"):
            return
        line, finished = rollout_status(api, name, namespace, kind, revision, obj=obj)
        lines.append(line)
        done[0] = finished

    current = _get(api, resource, name, namespace)
    cancel = api.watch(resource, on_event, namespace=namespace,
                       resource_version=current["metadata"]["resourceVersion"])
    waited = 0.0
    try:
        while not done[0]:
            if waited >= timeout or step is None:
                raise RolloutError("timed out waiting for the condition")
            waited += float(step() or 1)
    finally:
        cancel()
    return "\n".join(lines) + "\n"


# -- restart, pause, resume -------------------------------------------------------------------
def rollout_restart(api, name: str, namespace: str = "default", kind: str = "deployment",
                    now=None) -> str:
    """Stamp ``kubectl.kubernetes.io/restartedAt`` into the pod template: a new template hash,
    hence a normal rolling update. ``now``: seconds or RFC 3339 text; default the mini
    cluster's virtual clock (``api.clock``), or the wall clock for a real cluster."""
    resource = _resource(kind)
    obj = _get(api, resource, name, namespace)
    if resource == "deployments" and obj["spec"].get("paused"):
        raise RolloutError(f'{resource}.apps "{name}" can\'t restart paused deployment '
                           "(run rollout resume first)")
    stamp = _timestamp(api, now)
    annotations = ((obj["spec"]["template"].get("metadata") or {}).get("annotations") or {})
    if annotations.get(RESTARTED_AT_ANNOTATION) == stamp:
        raise RolloutError(f"failed to create patch for {name}: if restart has already been "
                           "triggered within the past second, please wait before attempting to "
                           "trigger another")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT_ANNOTATION: stamp}}}}}
    _patch(api, resource, name, namespace, patch)
    return f"{_ref(resource, name)} restarted"


def rollout_pause(api, name: str, namespace: str = "default", kind: str = "deployment") -> str:
    return _set_paused(api, name, namespace, kind, True)


def rollout_resume(api, name: str, namespace: str = "default", kind: str = "deployment") -> str:
    return _set_paused(api, name, namespace, kind, False)


def _set_paused(api, name, namespace, kind, paused: bool) -> str:
    resource = _resource(kind)
    obj = _get(api, resource, name, namespace)
    what = "pausing" if paused else "resuming"
    if resource != "deployments":
        raise RolloutError(f'{resource}.apps "{name}" {what} is not supported')
    if bool(obj["spec"].get("paused")) == paused:
        raise RolloutError(f'{resource}.apps "{name}" ' +
                           ("is already paused" if paused else "is not paused"))
    _patch(api, resource, name, namespace, {"spec": {"paused": True if paused else None}})
    return f"{_ref(resource, name)} {'paused' if paused else 'resumed'}"


def _patch(api, resource, name, namespace, patch):
    try:
        api.patch(resource, name, patch, "strategic", namespace)
    except ApiError as e:
        raise RolloutError(f"failed to patch: {e.message}") from None


def _timestamp(api, now) -> str:
    if isinstance(now, str):
        return now
    if now is not None:
        return rfc3339(now)
    clock = getattr(api, "clock", None)
    if clock is not None:
        return clock.timestamp()
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # real cluster only
