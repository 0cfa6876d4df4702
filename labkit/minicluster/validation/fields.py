"""Field errors, worded and typed exactly like k8s.io/apimachinery/pkg/util/validation/field.

A *cause* is the JSON the API server puts in ``details.causes`` of a 422 Invalid:
``{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.selector"}``.
The message (``ErrorBody``) prints the bad value the way Go's ``fmt`` does: strings quoted
(``%q``), numbers and booleans plain, other values with ``%#v`` (for instance a label map prints
as ``map[string]string{"app":"web"}``).
"""
from __future__ import annotations

import json


class Raw(str):
    """A bad value already rendered the Go way (printed as is, not quoted)."""


class Omit:
    """A bad value that is not printed (``field.OmitValueType``)."""


def go_string(s: str) -> str:
    """Go's ``%q`` for a string (close enough: JSON escaping of a str)."""
    return json.dumps(s, ensure_ascii=False)


def go_map(m: dict | None, value_type: str = "string") -> str:
    """``map[string]string{"a":"1", "b":"2"}`` (Go's ``%#v`` sorts map keys)."""
    if m is None:
        return f"map[string]{value_type}(nil)"
    inner = ", ".join(f"{go_string(str(k))}:{go_value(v)}" for k, v in sorted(m.items()))
    return f"map[string]{value_type}{{{inner}}}"


def go_value(v) -> str:
    """How ``field.Error.ErrorBody`` prints a bad value."""
    if isinstance(v, Raw):
        return str(v)
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if not v.is_integer() else str(int(v))
    if isinstance(v, str):
        return go_string(v)
    if isinstance(v, dict):
        return go_map(v)
    if isinstance(v, list):
        return "[]string{" + ", ".join(go_value(x) for x in v) + "}"
    return str(v)


def label_selector_repr(sel: dict | None) -> Raw:
    """``v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:...}``."""
    if sel is None:
        return Raw("null")
    exprs = sel.get("matchExpressions")
    if exprs is None:
        exprs_text = "[]v1.LabelSelectorRequirement(nil)"
    else:
        items = []
        for e in exprs:
            e = e or {}
            values = e.get("values")
            vals = "[]string(nil)" if values is None else \
                "[]string{" + ", ".join(go_string(str(x)) for x in values) + "}"
            items.append(f'v1.LabelSelectorRequirement{{Key:{go_string(str(e.get("key", "")))}, '
                         f'Operator:{go_string(str(e.get("operator", "")))}, Values:{vals}}}')
        exprs_text = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    return Raw(f"v1.LabelSelector{{MatchLabels:{go_map(sel.get('matchLabels'))}, "
               f"MatchExpressions:{exprs_text}}}")


def cause(field: str, reason: str, message: str) -> dict:
    return {"reason": reason, "message": message, "field": field}


def _body(kind: str, value, detail: str) -> str:
    s = kind if isinstance(value, Omit) else f"{kind}: {go_value(value)}"
    return f"{s}: {detail}" if detail else s


def required(field: str, detail: str = "") -> dict:
    return cause(field, "FieldValueRequired", f"Required value: {detail}" if detail
                 else "Required value")


def forbidden(field: str, detail: str = "") -> dict:
    return cause(field, "FieldValueForbidden", f"Forbidden: {detail}" if detail else "Forbidden")


def invalid(field: str, value, detail: str = "") -> dict:
    return cause(field, "FieldValueInvalid", _body("Invalid value", value, detail))


def duplicate(field: str, value) -> dict:
    return cause(field, "FieldValueDuplicate", _body("Duplicate value", value, ""))


def not_found(field: str, value) -> dict:
    return cause(field, "FieldValueNotFound", _body("Not found", value, ""))


def not_supported(field: str, value, valid) -> dict:
    detail = "supported values: " + ", ".join(go_string(str(v)) for v in valid) if valid else ""
    return cause(field, "FieldValueNotSupported", _body("Unsupported value", value, detail))


def too_long(field: str, max_length: int) -> dict:
    return cause(field, "FieldValueTooLong", f"Too long: may not be more than {max_length} bytes")


def too_many(field: str, actual: int, maximum: int) -> dict:
    return cause(field, "FieldValueTooMany",
                 f"Too many: {actual}: must have at most {maximum} items")


IMMUTABLE = "field is immutable"  # apimachinery FieldImmutableErrorMsg
NEGATIVE = "must be greater than or equal to 0"  # IsNegativeErrorMsg


def nonnegative(field: str, value) -> list[dict]:
    """ValidateNonnegativeField."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return [invalid(field, value, NEGATIVE)]
    return []


def immutable(field: str, new, old, render=None) -> list[dict]:
    """ValidateImmutableField; ``render`` turns the new value into its Go ``%#v`` text."""
    if new == old:
        return []
    return [invalid(field, render(new) if render else new, IMMUTABLE)]


def one_of(obj: dict, members, path: str, what: str):
    """A union field (exactly one member set, like a volume's source or a probe's handler):
    the chosen ``(member, value)`` or ``None``, and the causes for the others, which upstream
    reports after the chosen member's own errors."""
    chosen, extra = None, []
    for m in members:
        if obj.get(m) is None:
            continue
        if chosen:
            extra.append(forbidden(f"{path}.{m}", f"may not specify more than 1 {what} type"))
        else:
            chosen = (m, obj[m])
    if chosen is None:
        extra.append(required(path, f"must specify a {what} type"))
    return chosen, extra
