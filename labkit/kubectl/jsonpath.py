"""kubectl's JSONPath templates: ``-o jsonpath='{.items[*].metadata.name}'``.

This is the template language of k8s.io/client-go/util/jsonpath, not the original JSONPath:
text outside braces is printed as is, ``{...}`` actions are evaluated against the object, and
``{range ...}...{end}`` loops. Supported, as upstream:

=============================  =================================================
``{.metadata.name}``           a field (``$`` and ``@`` name the current object)
``{.items[0]}`` ``[-1]``       an index; ``[1:3]``, ``[::2]`` slices; ``[*]`` all
``{.items[0,2]}``              a union
``{..name}``                   recursive descent
``{.items[*]['metadata.name']}`` a quoted key
``[?(@.type=="Ready")]``       a filter (``== != < > <= >=``, or existence)
``{"\\n"}`` ``{'\\t'}``        a literal
``{range .items[*]}..{end}``   a loop
=============================  =================================================

Output rules: strings print as they are; maps and lists print as compact JSON; several results
of one action are separated by a space. Missing keys print nothing (kubectl passes
``--allow-missing-template-keys=true`` by default). Simplification: map wildcards iterate in
sorted key order (Go's map order is random).
"""
from __future__ import annotations

import re

from .formatting import go_json, go_sprint


class JSONPathError(ValueError):
    """A template that does not parse or cannot be evaluated (kubectl prints it as ``error:``)."""


# -- parsing --------------------------------------------------------------------------------------
# A template is a list of nodes: ("text", str) or ("action", [steps]) where a step is one of
#   ("field", name) ("wild",) ("recursive",) ("index", start, stop, step, single)
#   ("union", [[steps], ...]) ("filter", left, op, right) ("literal", value) ("ident", name)

_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_TERMINATORS = set(" \t\r\n.,[]$@{}")


def parse(template: str) -> list:
    nodes, pos = [], 0
    while pos < len(template):
        start = template.find("{", pos)
        if start < 0:
            nodes.append(("text", template[pos:]))
            break
        if start > pos:
            nodes.append(("text", template[pos:start]))
        steps, pos = _parse_action(template, start + 1)
        nodes.append(("action", steps))
    return nodes


def _parse_action(s: str, pos: int, stop: str = "}") -> tuple[list, int]:
    steps: list = []
    while True:
        if pos >= len(s) or s[pos] in "\r\n":
            if stop == "":
                return steps, pos
            raise JSONPathError("unclosed action")
        if stop and s.startswith(stop, pos):
            return steps, pos + len(stop)
        if s.startswith("[?(", pos):
            step, pos = _parse_filter(s, pos + 3)
            steps.append(step)
            continue
        if s.startswith("..", pos):
            if steps and steps[-1] == ("recursive",):
                raise JSONPathError("invalid multiple recursive descent")
            steps.append(("recursive",))
            pos += 2
            if pos < len(s) and (s[pos].isalnum() or s[pos] == "_"):
                name, pos = _read_field(s, pos)
                steps.append(("wild",) if name == "*" else ("field", name))
            continue
        c = s[pos]
        if c in " @$":
            pos += 1
        elif c == "[":
            step, pos = _parse_array(s, pos)
            steps.extend(step)
        elif c in "\"'":
            end = pos + 1
            while end < len(s) and not (s[end] == c and s[end - 1] != "\\"):
                if s[end] == "\n":
                    break
                end += 1
            if end >= len(s) or s[end] != c:
                raise JSONPathError("unterminated quoted string")
            steps.append(("literal", _unquote(s[pos + 1:end])))
            pos = end + 1
        elif c == ".":
            name, pos = _read_field(s, pos + 1)
            steps.append(("wild",) if name == "*" else ("field", name))
        elif c in "+-" or c.isdigit():
            m = re.match(r"[+-]?[\d.]*", s[pos:])
            text = m.group(0)
            pos += len(text)
            try:
                steps.append(("literal", int(text)))
            except ValueError:
                try:
                    steps.append(("literal", float(text)))
                except ValueError:
                    raise JSONPathError(f"cannot parse number {text}") from None
        elif c.isalnum() or c == "_":
            end = pos
            while end < len(s) and s[end] not in _TERMINATORS:
                end += 1
            word = s[pos:end]
            pos = end
            steps.append(("literal", word == "true") if word in ("true", "false") else ("ident", word))
        else:
            raise JSONPathError(f"unrecognized character in action: U+{ord(c):04X} '{c}'")


def _read_field(s: str, pos: int) -> tuple[str, int]:
    out = []
    while pos < len(s):
        c = s[pos]
        if c == "\\" and pos + 1 < len(s):
            out.append(s[pos + 1])
            pos += 2
            continue
        if c in _TERMINATORS:
            break
        out.append(c)
        pos += 1
    return "".join(out), pos


def _parse_array(s: str, pos: int) -> tuple[list, int]:
    end = s.find("]", pos)
    if end < 0 or "\n" in s[pos:end]:
        raise JSONPathError("unterminated array")
    text = s[pos + 1:end]
    pos = end + 1
    if text == "*":
        text = ":"
    parts = text.split(",")
    if len(parts) > 1:
        return [("union", [_parse_action(f"[{p.strip()}]", 0, "")[0] for p in parts])], pos
    m = re.match(r"^'([^']*)'$", text)
    if m:
        return [("field", m.group(1))], pos
    m = _SLICE.match(text)
    if not m:
        raise JSONPathError(f"invalid array index {text}")
    start, stop, step = m.group(1), m.group(2), m.group(3)
    if stop is None:  # a single index i means [i:i+1]
        if start == "":
            return [("index", None, None, None, False)], pos
        i = int(start)
        return [("index", i, i + 1, None, True)], pos
    return [("index", int(start) if start else None, int(stop[1:]) if stop[1:] else None,
             int(step[1:]) if step and step[1:] else None, False)], pos


def _parse_filter(s: str, pos: int) -> tuple[tuple, int]:
    begin = end = False
    pair = ""
    i = pos
    while True:
        if i >= len(s) or s[i] == "\n":
            raise JSONPathError("unterminated filter")
        c = s[i]
        if c in "\"'":
            if not begin:
                begin, pair = True, c
            elif s[i - 1] != "\\" and c == pair:
                end = True
        elif c == ")" and begin == end:
            break
        i += 1
    if i + 1 >= len(s) or s[i + 1] != "]":
        raise JSONPathError("unclosed array expect ]")
    text = s[pos:i]
    m = _FILTER.match(text)
    if not m:
        return ("filter", _parse_action(text, 0, "")[0], "exists", []), i + 2
    left = _parse_action(m.group(1), 0, "")[0]
    right = _parse_action(m.group(3), 0, "")[0]
    return ("filter", left, m.group(2), right), i + 2


def _unquote(text: str) -> str:
    try:
        return text.encode("latin-1", "backslashreplace").decode("unicode_escape") \
            if "\\" in text else text
    except UnicodeDecodeError:
        return text


# -- evaluation -----------------------------------------------------------------------------------

def find_results(nodes: list, data) -> list[list]:
    """Evaluate a parsed template: a list of result groups, one per action or text."""
    out: list[list] = []
    i = 0
    while i < len(nodes):
        kind, value = nodes[i]
        if kind == "text":
            out.append([value])
            i += 1
            continue
        if value and value[0] == ("ident", "range"):
            body_start = i + 1
            body_end = _matching_end(nodes, body_start)
            body = nodes[body_start:body_end]
            for item in _walk([data], value[1:]):
                out.extend(find_results(body, item))
            i = body_end + 1
            continue
        if value and value[0] == ("ident", "end"):
            raise JSONPathError("not in range, nothing to end")
        out.append(_walk([data], value))
        i += 1
    return out


def _matching_end(nodes: list, start: int) -> int:
    depth = 0
    for j in range(start, len(nodes)):
        kind, value = nodes[j]
        if kind != "action" or not value:
            continue
        if value[0] == ("ident", "range"):
            depth += 1
        elif value[0] == ("ident", "end"):
            if depth == 0:
                return j
            depth -= 1
    return len(nodes)


def _walk(values: list, steps: list) -> list:
    for step in steps:
        values = _step(values, step)
    return values


def _step(values: list, step: tuple) -> list:
    kind = step[0]
    if kind == "field":
        return [v[step[1]] for v in values if isinstance(v, dict) and step[1] in v]
    if kind == "literal":
        return [step[1] for _ in values]
    if kind == "wild":
        out = []
        for v in values:
            if isinstance(v, dict):
                out.extend(v[k] for k in sorted(v))
            elif isinstance(v, (list, str)):
                out.extend(v)
        return out
    if kind == "recursive":
        return _recursive(values)
    if kind == "index":
        return _index(values, step)
    if kind == "union":
        out = []
        for branch in step[1]:
            out.extend(_walk(values, branch))
        return out
    if kind == "filter":
        return _filter(values, step)
    if kind == "ident":
        raise JSONPathError(f"unrecognized identifier {step[1]}")
    raise JSONPathError(f"unexpected node {step}")


def _recursive(values: list) -> list:
    out = []
    for v in values:
        children = ([v[k] for k in sorted(v)] if isinstance(v, dict) else
                    list(v) if isinstance(v, list) else [])
        if children:
            out.append(v)
            out.extend(_recursive(children))
    return out


def _index(values: list, step: tuple) -> list:
    _, start, stop, stride, single = step
    out = []
    for v in values:
        if v is None:
            continue
        if not isinstance(v, list):
            raise JSONPathError(f"{_type_name(v)} is not array or slice")
        n = len(v)
        a = 0 if start is None else (start + n if start < 0 else start)
        b = n if stop is None else (stop + n if stop < 0 or (single and stop == 0) else stop)
        if a == b:
            continue
        if a >= n or a < 0:
            raise JSONPathError(f"array index out of bounds: index {a}, length {n}")
        if b > n or b < 0:
            raise JSONPathError(f"array index out of bounds: index {b - 1}, length {n}")
        if a > b:
            raise JSONPathError(f"starting index {a} is greater than ending index {b}")
        if stride is not None and stride <= 0:
            raise JSONPathError("step must be > 0")
        out.extend(v[a:b:stride or 1])
    return out


def _filter(values: list, step: tuple) -> list:
    _, left, op, right = step
    out = []
    for v in values:
        if not isinstance(v, list):
            raise JSONPathError(f"{go_sprint(v)} is not array or slice and cannot be filtered")
        for item in v:
            lefts = _walk([item], left)
            if op == "exists":
                if lefts:
                    out.append(item)
                continue
            rights = _walk([item], right)
            if not lefts or not rights:
                continue
            if len(lefts) > 1 or len(rights) > 1:
                raise JSONPathError("can only compare one element at a time")
            if _compare(lefts[0], op, rights[0]):
                out.append(item)
    return out


def _compare(a, op: str, b) -> bool:
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    num = (int, float)
    if not ((isinstance(a, num) and isinstance(b, num)) or (isinstance(a, str) and isinstance(b, str))):
        raise JSONPathError("incompatible types for comparison")
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}.get(op, False) \
        if op in ("<", ">", "<=", ">=") else _bad_op(op)


def _bad_op(op):
    raise JSONPathError(f"unrecognized filter operator {op}")


def _equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    return a == b


def _type_name(v) -> str:
    return {dict: "map[string]interface {}", str: "string", bool: "bool", int: "int64",
            float: "float64"}.get(type(v), type(v).__name__)


# -- printing -------------------------------------------------------------------------------------

def format_results(groups: list[list]) -> str:
    """JSONPath.PrintResults: each result printed, results of one group separated by a space."""
    out = []
    for group in groups:
        texts = [_text(v) for v in group]
        out.append(" ".join(texts))
    return "".join(out)


def _text(v) -> str:
    if isinstance(v, (dict, list)):
        return go_json(v)
    if v is None:
        return "null"
    return go_sprint(v)


def execute(template: str, data) -> str:
    """Parse and run a template against ``data`` (a decoded JSON object)."""
    return format_results(find_results(parse(template), data))


def relaxed(expr: str) -> str:
    """RelaxedJSONPathExpression (``--sort-by``, custom columns): ``.a.b``, ``a.b``, ``{.a.b}``
    and ``{a.b}`` all mean ``{.a.b}``."""
    m = re.match(r"^\{?(\.?[^{}]*)\}?$", expr.strip())
    if not m:
        raise JSONPathError("unexpected path string, expected a 'name1.name2' or '.name1.name2' "
                            "or '{name1.name2}' or '{.name1.name2}'")
    inner = m.group(1)
    if not inner.startswith("."):
        inner = "." + inner
    return "{" + inner + "}"
