"""Turning command-line arguments and files into the objects a command acts on.

This is a small version of kubectl's ``resource.Builder``:

- resource arguments: ``pods``, ``pods web db``, ``pod/web svc/web``, ``pods,services``,
  ``all`` (the resources in the ``all`` category);
- manifests from ``-f``: a file, a directory (``.yaml``, ``.yml``, ``.json`` files; ``-R`` to
  recurse), or ``-`` for the text given as standard input; several YAML documents per file;
  ``kind: List`` is flattened into its items.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import yaml

from labkit.minicluster import errors

from .backend import KubectlError, all_resources, resource_for, resource_for_kind

#: the order kubectl's discovery lists API groups in (by group priority), for ``get all``
GROUP_ORDER = ["", "apps", "events.k8s.io", "autoscaling", "batch", "certificates.k8s.io",
               "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
               "coordination.k8s.io", "discovery.k8s.io", "scheduling.k8s.io"]


@dataclass
class Target:
    """One thing to act on: a resource type and optionally a name."""
    rt: object
    name: str | None = None


def expand_types(backend, text: str) -> list:
    """``pods,svc`` → resource types; ``all`` → every type in the ``all`` category."""
    out = []
    for part in text.split(","):
        if not part:
            continue
        if part == "all":
            cat = [rt for rt in all_resources(backend) if "all" in rt.categories]
            cat.sort(key=lambda rt: (_group_rank(rt.group), rt.plural))
            out.extend(cat)
        else:
            out.append(resource_for(backend, part))
    seen, unique = set(), []
    for rt in out:
        if id(rt) not in seen:
            seen.add(id(rt))
            unique.append(rt)
    return unique


def _group_rank(group: str) -> int:
    return GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER)


def targets(backend, args: list[str], verb: str = "get") -> tuple[list[Target], bool]:
    """Resolve resource arguments. Returns (targets, named): ``named`` is False when whole
    types were requested (``kubectl get pods``)."""
    if not args:
        raise KubectlError("Required resource not specified.")
    if any("/" in a for a in args):
        if not all("/" in a for a in args):
            raise KubectlError(
                "there is no need to specify a resource type as a separate argument when passing "
                f"arguments in resource/name form (e.g. 'kubectl {verb} resource/<resource_name>' "
                f"instead of 'kubectl {verb} resource resource/<resource_name>'")
        out = []
        for a in args:
            kind, _, name = a.partition("/")
            if not name:
                raise KubectlError(f"arguments in resource/name form must have a single resource "
                                   f"and name")
            out.append(Target(resource_for(backend, kind), name))
        return out, True
    types = expand_types(backend, args[0])
    names = args[1:]
    if not names:
        return [Target(rt) for rt in types], False
    return [Target(rt, n) for rt in types for n in names], True


# -- manifests ------------------------------------------------------------------------------------

def read_sources(paths: list[str], stdin: str | None = None, recursive: bool = False) -> list[tuple[str, str]]:
    """(source name, text) for each ``-f`` argument: ``STDIN``, files, directory contents."""
    out = []
    for path in paths:
        if path == "-":
            out.append(("STDIN", stdin or ""))
            continue
        if path.startswith(("http://", "https://")):
            raise KubectlError(f"unable to read URL \"{path}\": labkit's kubectl reads local files only")
        if not os.path.exists(path):
            raise KubectlError(f'the path "{path}" does not exist')
        if os.path.isdir(path):
            out.extend(_read_dir(path, recursive))
        else:
            with open(path, encoding="utf-8") as f:
                out.append((path, f.read()))
    return out


def _read_dir(path: str, recursive: bool) -> list[tuple[str, str]]:
    out = []
    for entry in sorted(os.listdir(path)):
        full = os.path.join(path, entry)
        if os.path.isdir(full):
            if recursive:
                out.extend(_read_dir(full, recursive))
        elif entry.endswith((".yaml", ".yml", ".json")):
            with open(full, encoding="utf-8") as f:
                out.append((full, f.read()))
    return out


class GoYamlLoader(yaml.SafeLoader):
    """YAML as kubectl reads it (sigs.k8s.io/yaml, go-yaml v2, YAML 1.1): besides ``yes``/``no``/
    ``on``/``off``, a bare ``y`` or ``n`` is a boolean too."""

    bool_values = {**yaml.SafeLoader.bool_values, "y": True, "n": False}


GoYamlLoader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _first in "yYnN":
    GoYamlLoader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$")))


def _yaml_error(source: str, e: yaml.YAMLError) -> KubectlError:
    """A YAML syntax error worded like go-yaml's (``yaml: line 3: did not find expected ...``)."""
    mark = getattr(e, "context_mark", None) or getattr(e, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    problem = getattr(e, "problem", None) or str(e)
    m = re.match(r"expected (.*), but (?:got|found) .*", problem)
    if m:
        problem = f"did not find expected {m.group(1)}"
    return KubectlError(f"error parsing {source}: error converting YAML to JSON: yaml: {where}{problem}")


def load_yaml_documents(text: str) -> list:
    return [d for d in yaml.load_all(text, Loader=GoYamlLoader) if d is not None]


def parse_documents(source: str, text) -> list[dict]:
    """The objects in one source: YAML (several documents) or JSON; Lists flattened."""
    if isinstance(text, dict):
        docs = [text]
    elif isinstance(text, list):
        docs = list(text)
    else:
        try:
            docs = load_yaml_documents(text)
        except yaml.YAMLError as e:
            raise _yaml_error(source, e) from None
    out = []
    for d in docs:
        if not isinstance(d, dict):
            raise KubectlError(f"error validating \"{source}\": error validating data: "
                               "invalid object; if you choose to ignore these errors, turn "
                               "validation off with --validate=false")
        if d.get("kind", "").endswith("List") and isinstance(d.get("items"), list):
            out.extend(i for i in d["items"] if isinstance(i, dict))
        else:
            out.append(d)
    return out


def check_object(source: str, obj: dict) -> None:
    """Client-side validation kubectl does before sending anything."""
    missing = [f"{k} not set" for k in ("apiVersion", "kind") if not obj.get(k)]
    if missing:
        raise KubectlError(f"error validating \"{source}\": error validating data: "
                           f"[{', '.join(missing)}]; if you choose to ignore these errors, turn "
                           "validation off with --validate=false")


def manifest_objects(paths, stdin=None, recursive=False) -> list[tuple[str, dict]]:
    """Every (source, object) named by ``-f`` arguments."""
    if not paths:
        raise KubectlError("must specify one of -f and -k")
    out = []
    for source, text in read_sources(paths, stdin, recursive):
        for obj in parse_documents(source, text):
            out.append((source, obj))
    return out


def type_of(backend, obj: dict, source: str = "STDIN"):
    """The resource type of a manifest; unknown or removed APIs fail as kubectl reports them."""
    try:
        return resource_for_kind(backend, str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    except errors.ApiError as e:
        meta = obj.get("metadata") or {}
        raise KubectlError(f'resource mapping not found for name: "{meta.get("name", "")}" '
                           f'namespace: "{meta.get("namespace", "")}" from "{source}": '
                           f"{e.message}\nensure CRDs are installed first") from None
