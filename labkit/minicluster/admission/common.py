"""What every admission plugin needs: the request, store look-ups, and the Forbidden error.

Plugins read the store directly (upstream they read shared informer caches); a read of an
empty bucket costs nothing, so a namespace without LimitRanges or ResourceQuotas pays nothing.
"""
from __future__ import annotations

import weakref
from typing import NamedTuple

from .. import errors
from ..objects import loads


class Request(NamedTuple):
    """admission.Attributes: what is being done, to what, by whom."""
    operation: str  # CREATE, UPDATE, DELETE
    rt: object  # ResourceType
    obj: dict
    old: dict | None
    user: object
    dry_run: bool = False

    @property
    def namespace(self) -> str | None:
        return (self.obj.get("metadata") or {}).get("namespace") if self.obj else None

    @property
    def name(self) -> str:
        """extractResourceName: the name, else the generateName prefix, else ``Unknown``."""
        meta = (self.obj or {}).get("metadata") or {}
        return meta.get("name") or meta.get("generateName") or "Unknown"


def forbidden(req: Request, message: str, causes: list | None = None) -> errors.ApiError:
    """admission.NewForbidden: ``pods "web" is forbidden: <message>``."""
    rt = req.rt
    status = errors.status(403, "Forbidden", f'{rt.group_resource} "{req.name}" is forbidden: '
                           f"{message}", {"name": req.name, **({"group": rt.group} if rt.group
                                                              else {}), "kind": rt.plural})
    if causes:
        status["details"]["causes"] = causes
    return errors.ApiError(status)


def aggregate(messages: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message alone, several in brackets."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def get(api, group_resource: str, namespace: str | None, name: str) -> dict | None:
    key = f"/registry/{group_resource}/{namespace}/{name}" if namespace else \
        f"/registry/{group_resource}/{name}"
    kv = api.store.get(key)
    if kv is None:
        return None
    obj = loads(kv.value)
    obj["metadata"]["resourceVersion"] = str(kv.mod_revision)
    return obj


def list_in(api, group_resource: str, namespace: str | None = None) -> list[dict]:
    """Every stored object of a resource (in a namespace), decoded."""
    prefix = f"/registry/{group_resource}/{namespace}/" if namespace else \
        f"/registry/{group_resource}/"
    kvs, _ = api.store.range(prefix)
    out = []
    for kv in kvs:
        obj = loads(kv.value)
        obj["metadata"]["resourceVersion"] = str(kv.mod_revision)
        out.append(obj)
    return out


def has_any(api, group_resource: str, namespace: str | None = None) -> bool:
    """Is there any such object (in the namespace)? Free when there are none at all."""
    if not api.store.count(f"/registry/{group_resource}/"):
        return False
    prefix = f"/registry/{group_resource}/{namespace}/" if namespace else \
        f"/registry/{group_resource}/"
    return api.store.count(prefix) > 0


_CACHES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _bucket_cache(api, group_resource: str) -> dict:
    """A dict for remembering reads of one resource, emptied by any write to it (a store
    watch). Namespaces, ServiceAccounts and PriorityClasses are read on every pod creation
    and change rarely."""
    caches = _CACHES.get(api.store)
    if caches is None:
        caches = _CACHES[api.store] = {}
    cache = caches.get(group_resource)
    if cache is None:
        cache = caches[group_resource] = {}
        api.store.watch(f"/registry/{group_resource}/", lambda _ev: cache.clear())
    return cache


def cached_list(api, group_resource: str) -> list[dict]:
    """:func:`list_in` (cluster-wide), remembered until the resource changes."""
    cache = _bucket_cache(api, group_resource)
    if "*" not in cache:
        cache["*"] = list_in(api, group_resource)
    return cache["*"]


def cached_get(api, group_resource: str, namespace: str | None, name: str) -> dict | None:
    """:func:`get`, remembered until the resource changes (treat the result as read-only)."""
    cache = _bucket_cache(api, group_resource)
    key = (namespace, name)
    if key not in cache:
        cache[key] = get(api, group_resource, namespace, name)
    return cache[key]
