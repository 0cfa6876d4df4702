"""``-o yaml`` and ``-o json`` exactly as kubectl writes them.

kubectl turns an object into JSON, then (for YAML) into YAML with sigs.k8s.io/yaml, which uses
go-yaml v2. The visible consequences, reproduced here with PyYAML (both are ports of libyaml's
emitter):

- keys are sorted alphabetically (Go marshals maps in key order);
- list items are not indented under their key (``containers:\\n- image: nginx``);
- a string that would read back as another type is double-quoted (``"1"``, ``"true"``, ``""``,
  ``"2025-01-01"``); other strings needing quotes get single quotes (``'*'``);
- strings with newlines use literal blocks (``|`` / ``|-``);
- JSON is indented by 4 spaces, with ``<``, ``>`` and ``&`` escaped as ``\\u003c``... (Go's
  HTML-safe encoder).
"""
from __future__ import annotations

import re

import yaml

from .formatting import go_json

_RESOLVER = yaml.resolver.Resolver()
#: go-yaml v2 also reads these as booleans (YAML 1.1); PyYAML's resolver does not.
_GO_BOOLS = {"y", "Y", "n", "N"}
_BASE60_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


_NON_STRING_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "null",
                                                         "timestamp", "merge")}


def _needs_double_quotes(s: str) -> bool:
    """go-yaml's ``resolve(s) != str``: would this plain scalar read back as another type?"""
    if s in _GO_BOOLS or s == "" or _BASE60_FLOAT.match(s):
        return True
    if s[0] in "+-.0123456789":  # go-yaml tries strconv.ParseInt/ParseFloat on these
        try:
            float(s.replace("_", ""))
            return True
        except ValueError:
            pass
    return _RESOLVER.resolve(yaml.ScalarNode, s, (True, False)) in _NON_STRING_TAGS


class _GoYamlDumper(yaml.SafeDumper):
    """A SafeDumper whose string styles follow go-yaml v2's encoder."""

    def ignore_aliases(self, data):
        return True


def _represent_str(dumper, data: str):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if _needs_double_quotes(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _represent_none(dumper, _):
    return dumper.represent_scalar("tag:yaml.org,2002:null", "null")


def _represent_float(dumper, data: float):
    if data == int(data) and abs(data) < 1e21:
        return dumper.represent_scalar("tag:yaml.org,2002:int", str(int(data)))
    return dumper.represent_scalar("tag:yaml.org,2002:float", repr(data))


_GoYamlDumper.add_representer(str, _represent_str)
_GoYamlDumper.add_representer(type(None), _represent_none)
_GoYamlDumper.add_representer(float, _represent_float)


def to_yaml(obj) -> str:
    """YAML as ``kubectl get -o yaml`` prints it."""
    return yaml.dump(obj, Dumper=_GoYamlDumper, default_flow_style=False, sort_keys=True,
                     allow_unicode=True, width=80)


def to_json(obj, sort_keys: bool = True) -> str:
    """JSON as ``kubectl get -o json`` prints it (4-space indent, trailing newline)."""
    return go_json(obj, indent=4, sort_keys=sort_keys) + "\n"


def as_list(items: list) -> dict:
    """The ``kind: List`` wrapper kubectl prints around several objects."""
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
