"""What labkit's kubectl needs from a cluster: the :class:`KubectlBackend` protocol.

Both the in-memory :class:`~labkit.minicluster.cluster.MiniCluster` and
:class:`~labkit.backends.real.RealCluster` implement it (through
:class:`~labkit.client.ClusterClient`), so every command runs unchanged on either.

Like the real kubectl, labkit's kubectl is *only a client*: everything it does goes through the
API server's methods (``get``/``list``/``create``/``update``/``patch``/``delete``), and the
client-side parts of real kubectl (``apply``'s three-way merge, ``rollout undo``, ``drain``)
are done here, with those same calls.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Callable, Protocol, runtime_checkable

from labkit.minicluster import errors
from labkit.minicluster.resources import REGISTRY, ResourceType


@runtime_checkable
class ApiLike(Protocol):
    """The API-server interface (``labkit.minicluster.apiserver.APIServer`` or
    ``labkit.backends.restapi.RestApi``). Objects are plain dicts; failures raise
    :class:`~labkit.minicluster.errors.ApiError` carrying the server's ``Status``."""

    def get(self, resource, name, namespace=None, **kw) -> dict: ...
    def list(self, resource, namespace=None, label_selector=None, field_selector=None, **kw) -> dict: ...
    def create(self, resource, obj, namespace=None, dry_run=False, **kw) -> dict: ...
    def update(self, resource, obj, namespace=None, subresource=None, dry_run=False, **kw) -> dict: ...
    def patch(self, resource, name, patch, patch_type="strategic", namespace=None,
              subresource=None, dry_run=False, **kw) -> dict: ...
    def delete(self, resource, name, namespace=None, propagation_policy=None,
               grace_period_seconds=None, preconditions=None, dry_run=False, **kw) -> Any: ...


@runtime_checkable
class KubectlBackend(Protocol):
    """Required: ``api``, ``default_namespace``, ``now()``, ``logs()``.

    Optional (used when present):

    - ``wait_for(predicate, timeout=..., step=...)``: let time pass until ``predicate(backend)``
      is truthy (the mini cluster advances virtual time; a real cluster polls). Used by
      ``rollout status``, ``delete`` (which waits for the object to go, as kubectl does),
      ``drain`` and ``wait``. Without it those commands do not wait.
    - ``evict(name, namespace, grace_period_seconds=None)``: the Eviction API (respects
      PodDisruptionBudgets); ``drain`` falls back to deleting the pod.
    - ``kubectl_user``: the identity commands run as (default: the cluster admin).
    - ``server_version()``: a ``version.Info`` dict for ``kubectl version``.
    - ``resource_for(name)``: resolve ``po``/``deploy``/``deployment.apps`` (default: the
      ``api.registry``, i.e. labkit's resource registry).
    """

    api: ApiLike
    default_namespace: str

    def now(self) -> float: ...

    def logs(self, pod: str, container: str | None = None, namespace: str | None = None,
             previous: bool = False, tail: int | None = None, timestamps: bool = False) -> str: ...


#: where client-side warnings go while a command runs (``commands.run`` points it at the
#: command's stderr); outside a command they are dropped
WARNINGS: ContextVar = ContextVar("labkit_kubectl_warnings", default=None)


def warn(message: str) -> None:
    """kubectl's warning printer: ``Warning: <message>`` on stderr."""
    sink = WARNINGS.get()
    if sink is not None:
        sink(message)


def resource_for(backend, name: str) -> ResourceType:
    """Resolve what a user types (``po``, ``deploy``, ``deployment.apps``, ``Pod``) to a
    resource type; unknown names raise kubectl's error. A short name that several resources
    claim resolves to the first and warns about the others (see :func:`ambiguous_short_name`)."""
    own = getattr(backend, "resource_for", None)
    registry = getattr(backend.api, "registry", REGISTRY)
    if _miscased_short_name(registry, str(name)):
        raise KubectlError(f'the server doesn\'t have a resource type "{name}"')
    try:
        rt = own(name) if callable(own) else registry.for_name(name)
    except errors.ApiError:
        raise KubectlError(f'the server doesn\'t have a resource type "{name}"') from None
    for other in ambiguous_short_name(registry, str(name), rt):
        warn(f'short name "{name}" could also match lower priority resource {other}')
    return rt


def _miscased_short_name(registry, name: str) -> bool:
    """``EV``, ``Deploy``: kubectl expands short names as typed (case-sensitive) and lower-cases
    only plural and singular names (``PODS`` works), so an upper-case short name that is no
    resource's name or Kind is unknown (restmapper shortcut.go, DefaultRESTMapper)."""
    base = name.split(".", 1)[0]
    if base == base.lower():
        return False
    lower = base.lower()
    types = registry.all()
    if any(lower in (t.plural, t.singular) or base == t.kind for t in types):
        return False
    return any(lower in t.short_names for t in types)


def ambiguous_short_name(registry, name: str, chosen: ResourceType) -> list[str]:
    """The lower-priority resources a short name could also mean (client-go restmapper
    shortcut.go expandResourceShortcut): none when ``name`` is some resource's plural or
    singular name or names its group (``ev.events.k8s.io``); other versions of the chosen
    resource do not count. ``kubectl get ev`` → ``["events.events.k8s.io"]``."""
    if "." in name:
        return []
    types = registry.all()
    if any(name in (t.plural, t.singular) for t in types):
        return []
    out = []
    for t in types:
        if name in t.short_names and (t.group, t.plural) != (chosen.group, chosen.plural):
            other = f"{t.plural}.{t.group}" if t.group else t.plural
            if other not in out:
                out.append(other)
    return out


def resource_for_kind(backend, api_version: str, kind: str) -> ResourceType:
    registry = getattr(backend.api, "registry", REGISTRY)
    return registry.for_kind(api_version, kind)


def all_resources(backend) -> list[ResourceType]:
    return getattr(backend.api, "registry", REGISTRY).all()


class KubectlError(Exception):
    """A client-side error, printed as ``error: <message>`` with exit code 1."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.message, self.code = message, code


class UserApi:
    """The backend's API seen as another user (``--as``/``--as-group``): every call carries
    ``user=``. On a real cluster impersonation needs headers, which labkit does not send
    (simplification), so there the calls run as the kubeconfig's user."""

    def __init__(self, api, user):
        self._api, self._user = api, user

    def __getattr__(self, name):
        attr = getattr(self._api, name)
        if name in ("get", "list", "create", "update", "patch", "delete", "watch", "bind") \
                and callable(attr):
            def call(*args, _fn: Callable = attr, **kw):
                kw.setdefault("user", self._user)
                return _fn(*args, **kw)
            return call
        return attr


def format_api_error(e, prefix: str = "") -> str:
    """How kubectl prints an API error (cmd/util/helpers.go checkErr/StandardErrorMessage):
    ``Error from server (NotFound): pods "x" not found``; Invalid errors list their causes
    (``The Deployment "web" is invalid: spec.replicas: Invalid value: -1: ...``)."""
    status = e.status
    reason, message = status.get("reason", ""), prefix + status.get("message", "")
    if reason == "Invalid":
        details = status.get("details")
        text = "The request is invalid"
        if not details:
            return text + (f": {message}" if status.get("message") else "")
        if details.get("kind") or details.get("name"):
            text = f'The {details.get("kind", "")} "{details.get("name", "")}" is invalid'
        elif status.get("message") and not details.get("causes"):
            text += ": " + message
        causes, seen = [], set()
        for c in details.get("causes") or ():
            msg = f"{c.get('field', '')}: {c.get('message', '')}"
            if msg not in seen:
                seen.add(msg)
                causes.append(msg)
        if not causes:
            return text
        if len(causes) == 1:
            return f"{text}: {causes[0]}"
        return f"{text}: \n" + "".join(f"* {c}\n" for c in causes).rstrip("\n")
    if reason == "Unauthorized":
        return f"error: You must be logged in to the server ({status.get('message', '')})"
    if reason:
        return f"Error from server ({reason}): {message}"
    return f"Error from server: {message}"
