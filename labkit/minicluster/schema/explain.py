"""``kubectl explain``'s page, rendered from an OpenAPI v3 document the way kubectl renders it.

kubectl (v1.27+) fetches the group-version's ``/openapi/v3/...`` document and runs it through a
Go template (k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl). This module is a Python
rendition of that template (written from its behaviour, not translated line by line):

- the header ``GROUP:``/``KIND:``/``VERSION:``;
- for a field path, ``FIELD: containers <[]Container>``, found by following ``properties``,
  array ``items``, map ``additionalProperties`` and ``allOf`` references;
- ``DESCRIPTION:``, the field's description followed by its type's, word-wrapped at 76
  columns (``github.com/mitchellh/go-wordwrap``: breaks only at spaces, long words overflow);
- ``FIELDS:``, each field with its type guess (``<string>``, ``<map[string]Quantity>``,
  ``<[]Container>``), ``-required-`` and its own description, or with ``--recursive`` the
  whole tree, two spaces per level and no descriptions.

Because labkit's server serves the same document (:mod:`labkit.minicluster.http.openapi`),
``explain`` here prints what the real kubectl prints against it, byte for byte.
"""
from __future__ import annotations


class ExplainError(Exception):
    """kubectl's ``error: field "nope" does not exist`` (message without the prefix).
    ``printed`` is what kubectl had already written to stdout (the header)."""

    def __init__(self, message: str, printed: str = ""):
        super().__init__(message)
        self.printed = printed


def wrap(text: str, limit: int) -> str:
    """go-wordwrap's ``WrapString``: break at whitespace so lines fit ``limit`` characters
    where the words allow; existing newlines are kept; trailing spaces before a break go."""
    out: list[str] = []
    current = 0
    word: list[str] = []
    space: list[str] = []

    def flush() -> None:  # at a newline or the end: pending spaces only if they still fit
        out.extend(space if word or current + len(space) <= limit else ())
        out.extend(word)

    for ch in text:
        if ch == "\n":
            flush()
            space, word = [], []
            out.append("\n")
            current = 0
        elif ch.isspace() and ch != "\u00a0":
            if not space or word:
                current += len(space) + len(word)
                out.extend(space)
                out.extend(word)
                space, word = [], []
            space.append(ch)
        else:
            word.append(ch)
            if current + len(space) + len(word) > limit and len(word) < limit:
                out.append("\n")
                current = 0
                space = []
    flush()
    return "".join(out)


def indent(amount: int, text: str) -> str:
    pad = " " * amount
    return pad + text.replace("\n", "\n" + pad)


class Page:
    """One explain page over ``document`` (an OpenAPI v3 group-version document)."""

    def __init__(self, document: dict, recursive: bool = False, max_depth: int = 0):
        self.doc, self.recursive, self.max_depth = document, recursive, max_depth

    def resolve(self, ref) -> dict | None:
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        cur = self.doc
        for part in ref[1:].split("/"):
            if not part:
                continue
            cur = cur.get(part) if isinstance(cur, dict) else None
            if not isinstance(cur, dict):
                return None
        return cur

    # -- the template's pieces --------------------------------------------------------------
    def type_guess(self, s: dict) -> str:
        if s.get("items"):
            return "[]" + self.type_guess(s["items"])
        if isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"]:
            return "map[string]" + self.type_guess(s["additionalProperties"])
        if s.get("allOf") and not s.get("properties") and len(s["allOf"]) == 1:
            return self.type_guess(s["allOf"][0])
        if s.get("$ref"):
            target = self.resolve(s["$ref"])
            if not target or not target.get("type") or target.get("type") == "object":
                return s["$ref"].split("/")[-1].split(".")[-1] or "Object"
            return target["type"]
        t = s.get("type")
        return "Object" if t == "object" or not t else t

    def enum(self, s: dict, long_view: bool, limit: int, indent_amount: int = 0) -> str:
        values = s.get("enum")
        if not values:
            return ""
        out = "ENUM:" if long_view else "\n" + " " * indent_amount + "enum: "
        for i, v in enumerate(values):
            if limit > -1 and i >= limit:
                out += ", ...."
                break
            if i > 0 and not long_view:
                out += ", "
            elif long_view:
                out += "\n    "
            out += '""' if v == "" else str(v)
        return out

    def description(self, s: dict) -> str:
        s = self.resolve(s.get("$ref")) or s
        out = s["description"] + "\n" if s.get("description") else ""
        for sub in s.get("allOf") or ():
            out += self.description(sub)
        if s.get("items"):
            out += self.description(s["items"])
        if isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"]:
            out += self.description(s["additionalProperties"])
        return out

    def field_detail(self, name: str, parent: dict, level: int) -> str:
        amount = level * 2
        fs = parent["properties"][name]
        out = indent(amount, name) + f"\t<{self.type_guess(fs)}>"
        if name in (parent.get("required") or ()):
            out += " -required-"
        out += self.enum(fs, False, 4, amount) + "\n"
        if not self.recursive:
            out += indent(amount + 2, wrap(fs.get("description") or "<no description>",
                                           78 - amount)) + "\n\n"
        return out

    def field_list(self, s: dict, level: int, history: frozenset) -> str:
        ref = s.get("$ref") or ""
        if ref and ref in history:
            return ""
        history = history | {ref}
        s = self.resolve(ref) or s
        out = ""
        for name in sorted(s.get("properties") or {}):
            out += self.field_detail(name, s, level)
            if self.recursive and (self.max_depth == 0 or level < self.max_depth):
                out += self.field_list(s["properties"][name], level + 1, history)
        for sub in s.get("allOf") or ():
            out += self.field_list(sub, level, history)
        if s.get("items"):
            out += self.field_list(s["items"], level, history)
        if isinstance(s.get("additionalProperties"), dict) and s["additionalProperties"]:
            out += self.field_list(s["additionalProperties"], level, history)
        return out

    def output(self, s: dict, path: list[str], history: frozenset) -> str:
        ref = s.get("$ref") or ""
        resolved = self.resolve(ref) or s
        if path and ref and ref in history:
            return ""  # a cycle
        history = history | {ref}
        if not path:
            text = self.description(resolved) or "<empty>"
            out = "DESCRIPTION:\n" + indent(4, wrap(text, 76)) + "\n"
            fields = self.field_list(resolved, 1, frozenset())
            return out + ("FIELDS:\n" + fields if fields else "")
        props = resolved.get("properties") or {}
        if props.get(path[0]):
            sub = props[path[0]]
            out = ""
            if len(path) == 1:
                out = f"FIELD: {path[0]} <{self.type_guess(sub)}>\n" + \
                    self.enum(sub, True, -1) + "\n\n"
            return out + self.output(sub, path[1:], frozenset())
        if resolved.get("items"):
            return self.output(resolved["items"], path, history)
        extra = resolved.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return self.output(extra, path, history)
        for sub in resolved.get("allOf") or ():
            text = self.output(sub, path, history)
            if text:
                return text
        return ""


def render(document: dict, group: str, version: str, kind: str, path: list[str],
           recursive: bool = False, max_depth: int = 0) -> str:
    """The page ``kubectl explain <kind>[.path] [--recursive]`` prints."""
    page = Page(document, recursive, max_depth)
    gvk = {"group": group, "kind": kind, "version": version}
    schemas = (document.get("components") or {}).get("schemas") or {}
    head = (f"GROUP:      {group}\n" if group else "") + \
        f"KIND:       {kind}\nVERSION:    {version}\n\n"
    for name in sorted(schemas):
        if gvk in (schemas[name].get("x-kubernetes-group-version-kind") or ()):
            body = page.output(schemas[name], path, frozenset())
            if not body:
                raise ExplainError(f'field "{path[-1]}" does not exist', head)
            return head + body + "\n"
    raise ExplainError(f"GVK map[group:{group} kind:{kind} version:{version}] not found in "
                       "OpenAPI schema")
