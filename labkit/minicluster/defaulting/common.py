"""Helpers shared by the defaulters: create-if-missing dicts and canonical quantities."""
from __future__ import annotations

from ..schema.quantity import canonical


def dict_at(parent: dict, key: str) -> dict:
    """``parent[key]`` as a dict, created if missing (a JSON null becomes ``{}``)."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


def items_of(parent: dict, key: str):
    """The dict items of the list ``parent[key]`` (nothing if absent)."""
    return [x for x in parent.get(key) or () if isinstance(x, dict)]


# -- quantities -----------------------------------------------------------------------------
def resource_list(lst) -> None:
    """SetDefaults_ResourceList: round up to milli-units, print canonically."""
    if isinstance(lst, dict):
        for k, v in lst.items():
            lst[k] = canonical(v, True)


def requirements(res) -> None:
    if isinstance(res, dict):
        resource_list(res.get("limits"))
        resource_list(res.get("requests"))


def pvc_spec(spec: dict) -> None:
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    requirements(spec.get("resources"))
