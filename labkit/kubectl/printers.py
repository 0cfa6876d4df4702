"""What ``kubectl get`` prints: tables, ``-o wide``, ``-o yaml|json|name``, ``-o jsonpath=...``,
``-o custom-columns=...``, ``--show-labels``, ``-L``, ``-A``.

Tables are rendered from the server-side ``Table`` (:func:`to_table`, built by
:mod:`labkit.kubectl.columns`) exactly as kubectl's HumanReadablePrinter does
(k8s.io/cli-runtime/pkg/printers/tableprinter.go):

- headers are the column names in upper case; ``priority: 1`` columns appear only with ``-o wide``;
- ``-A`` adds a ``NAMESPACE`` column in front, ``-L key`` a column per label (header: the last
  path segment of the key, upper-cased), ``--show-labels`` a ``LABELS`` column at the end;
- when several kinds are printed together, names carry the kind (``deployment.apps/web``);
- cells are aligned by a Go tabwriter (minimum width 6, padding 3); a cell is cut at its first
  newline (``...``);
- an empty table prints nothing (kubectl then says ``No resources found in default namespace.``).
"""
from __future__ import annotations

import re

from . import columns, jsonpath, tabwriter
from .backend import KubectlError
from .formatting import format_labels, go_sprint
from .serialize import as_list, to_json, to_yaml

to_table = columns.to_table


class PrintError(KubectlError):
    """A bad ``-o`` value or template; kubectl prints ``error: <message>``."""


_BREAK = re.compile(r"[\n\r\f]")


def cell_text(value) -> str:
    """How a Table cell prints (Go's fmt.Sprint): ``None`` prints nothing, booleans lower-case,
    text stops at its first line break (``first...``)."""
    text = value if type(value) is str else "" if value is None else go_sprint(value)
    m = _BREAK.search(text)
    return text if m is None else text[:m.start()] + "..."


def kind_prefix(rt) -> str:
    """``deployment.apps`` or ``pod``: how kubectl names a kind in ``kind/name``."""
    return f"{rt.kind.lower()}.{rt.group}" if rt.group else rt.kind.lower()


def table_rows(table: dict, wide: bool = False, no_headers: bool = False,
               with_namespace: bool = False, show_labels: bool = False, label_columns=(),
               with_kind: str | None = None) -> list[list[str]]:
    """decorateTable + printTable: the header and cell strings of a Table, before alignment."""
    defs = table.get("columnDefinitions") or []
    keep = [i for i, d in enumerate(defs) if wide or not d.get("priority")]
    name_col = next((i for i, d in enumerate(defs)
                     if d.get("format") == "name" and d.get("type") == "string"), -1)
    rows = []
    if not table.get("rows"):
        return rows
    if not no_headers:
        header = [defs[i]["name"].upper() for i in keep]
        header += [key.split("/")[-1].upper() for key in label_columns]
        if show_labels:
            header.append("LABELS")
        rows.append((["NAMESPACE"] if with_namespace else []) + header)
    prefix = f"{with_kind}/" if with_kind else ""
    for row in table["rows"]:
        raw = row.get("cells") or []
        n = len(raw)
        out = [cell_text(raw[i]) if i < n else "" for i in keep]
        if prefix and name_col in keep:
            out[keep.index(name_col)] = prefix + out[keep.index(name_col)]
        if label_columns or show_labels or with_namespace:
            meta = (row.get("object") or {}).get("metadata") or {}
            labels = meta.get("labels") or {}
            out += [labels.get(key, "") for key in label_columns]
            if show_labels:
                out.append(format_labels(labels))
            if with_namespace:
                out.insert(0, meta.get("namespace", ""))
        rows.append(out)
    return rows


def render_table(table: dict, **options) -> str:
    """A Table as aligned text (see :func:`table_rows` for the options)."""
    return tabwriter.table(table_rows(table, **options))


def render_tables(tables: list[tuple[dict, dict]], no_headers: bool = False) -> str:
    """Several tables (``kubectl get pods,svc``), each aligned on its own and separated by a blank
    line, as kubectl's separatorWriter does. ``tables`` holds (table, options) pairs."""
    parts = [render_table(t, no_headers=no_headers, **opts) for t, opts in tables]
    parts = [p for p in parts if p]
    return ("\n" if not no_headers else "").join(parts)


# -- -o formats -----------------------------------------------------------------------------------

def object_name(obj: dict, rt=None) -> str:
    """``-o name``: ``deployment.apps/web``."""
    if rt is not None:
        return f"{kind_prefix(rt)}/{obj['metadata']['name']}"
    group = obj.get("apiVersion", "").rpartition("/")[0]
    kind = obj.get("kind", "").lower()
    return f"{kind}.{group}/{obj['metadata']['name']}" if group else f"{kind}/{obj['metadata']['name']}"


def parse_output(output: str | None) -> tuple[str, str]:
    """Split ``-o`` into (format, argument): ``jsonpath={.a}`` → (``jsonpath``, ``{.a}``)."""
    if not output:
        return "", ""
    fmt, _, arg = output.partition("=")
    fmt = fmt.strip()
    known = ("json", "yaml", "name", "wide", "jsonpath", "jsonpath-as-json", "custom-columns",
             "go-template", "jsonpath-file", "custom-columns-file", "go-template-file", "template",
             "templatefile", "kyaml")
    if fmt not in known:
        allowed = ",".join(sorted(known))
        raise PrintError(f'unable to match a printer suitable for the output format "{output}", '
                         f"allowed formats are: {allowed}")
    if fmt in ("go-template", "go-template-file", "template", "templatefile", "jsonpath-file",
               "custom-columns-file", "kyaml"):
        raise PrintError(f"-o {fmt} is not supported by labkit's kubectl")
    return fmt, arg


def print_objects(objects: list[dict], output: str, single: bool = False, rt=None,
                  no_headers: bool = False, sort_keys: bool = True) -> str:
    """Objects in a machine format. ``single``: print the object itself rather than a List
    (``kubectl get pod web -o yaml`` vs ``kubectl get pods -o yaml``)."""
    fmt, arg = parse_output(output)
    doc = objects[0] if single and len(objects) == 1 else as_list(objects)
    if fmt == "yaml":
        return to_yaml(doc)
    if fmt == "json":
        return to_json(doc, sort_keys=sort_keys)
    if fmt == "name":
        return "".join(object_name(o, rt) + "\n" for o in objects)
    if fmt in ("jsonpath", "jsonpath-as-json"):
        return _jsonpath(doc, arg, fmt == "jsonpath-as-json")
    if fmt == "custom-columns":
        return custom_columns(objects, arg, no_headers)
    raise PrintError(f"unsupported output format {output}")


def _jsonpath(doc, template: str, as_json: bool) -> str:
    if not template:
        raise PrintError("template format specified but no template given")
    try:
        groups = jsonpath.find_results(jsonpath.parse(template), doc)
    except jsonpath.JSONPathError as e:
        raise PrintError(f"error parsing jsonpath {template}, {e}") from None
    if as_json:
        return "".join(to_json([v for v in g]) for g in groups)
    return jsonpath.format_results(groups)


def custom_columns(objects: list[dict], spec: str, no_headers: bool = False) -> str:
    """``-o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image``: ``<none>`` for a
    missing value, several values joined by commas (cmd/get/customcolumn.go)."""
    if not spec:
        raise PrintError("custom-columns format specified but no custom columns given")
    cols = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise PrintError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        try:
            cols.append((header, jsonpath.parse(jsonpath.relaxed(path))))
        except jsonpath.JSONPathError as e:
            raise PrintError(str(e)) from None
    rows = [] if no_headers else [[h for h, _ in cols]]
    for obj in objects:
        row = []
        for _, parsed in cols:
            try:
                groups = jsonpath.find_results(parsed, obj)
            except jsonpath.JSONPathError as e:
                raise PrintError(str(e)) from None
            values = [go_sprint(v) for g in groups for v in g]
            row.append(",".join(values) if values else "<none>")
        rows.append(row)
    return tabwriter.table(rows)


# -- pandas ---------------------------------------------------------------------------------------

def to_frame(items: list[dict], rt, now: float | None = None, all_namespaces: bool = False,
             wide: bool = False):
    """A pandas DataFrame with the columns ``kubectl get`` shows (``NAME``, ``READY``...)."""
    import pandas as pd
    table = to_table(items, rt, now=now, wide=True)
    rows = table_rows(table, wide=wide, with_namespace=all_namespaces and rt.namespaced)
    if not rows:
        defs = [d["name"].upper() for d in table["columnDefinitions"] if wide or not d["priority"]]
        header = (["NAMESPACE"] if all_namespaces and rt.namespaced else []) + defs
        return pd.DataFrame(columns=header)
    return pd.DataFrame(rows[1:], columns=rows[0])
