"""The small formatters every kubectl output is built from.

- **Durations** (the AGE column, ``5m``, ``2d3h``): :func:`human_duration` is apimachinery's
  ``duration.HumanDuration``, which keeps two or three significant figures.
- **Timestamps**: RFC 3339 (``2025-01-01T00:00:05Z``, how the API stores them) in,
  RFC 1123Z (``Wed, 01 Jan 2025 00:00:05 +0000``, how ``kubectl describe`` shows them) out.
- **Labels and selectors** as ``kubectl`` prints them (``app=web,tier=db``, ``<none>``).
- **Quantities** in their canonical form (``1000m`` → ``1``, ``1024Mi`` → ``1Gi``), which is how
  the API server serializes ``resource.Quantity`` and what ``describe`` sums print.
- :func:`go_sprint`: Go's ``fmt.Sprint`` for JSON values (``map[a:1]``, ``[x y]``), used by
  ``-o custom-columns`` and the jsonpath printer.

Everything takes ``now`` explicitly: time comes from the (virtual) cluster clock, never the
wall clock.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

# -- durations -----------------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration: ``1s``..``119s``, ``2m``..``9m59s``,
    ``10m``..``179m``, ``3h``..``7h59m``, ``8h``..``47h``, ``2d``..``7d23h``, ``8d``..``729d``,
    ``2y``..``7y364d``, then whole years."""
    secs = int(seconds)  # Go's int() truncates toward zero
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60 * 2:
        return f"{secs}s"
    minutes = int(seconds // 60)
    if minutes < 10:
        s = int(seconds) % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = int(seconds // 3600)
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def short_human_duration(seconds: float) -> str:
    """duration.ShortHumanDuration: one unit only (``59s``, ``1m``, ``23h``, ``364d``, ``2y``)."""
    secs = int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m"
    hours = secs // 3600
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"


# -- timestamps ----------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def parse_time(ts: str | None) -> float | None:
    """RFC 3339 (``2025-01-01T00:00:05Z``, also with fractional seconds) → Unix seconds."""
    if not ts:
        return None
    try:
        return datetime.fromisoformat(str(ts).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def since(ts: str | None, now: float | None) -> str:
    """``translateTimestampSince``: the age of a timestamp, ``<unknown>`` when it is unset."""
    t = parse_time(ts)
    if t is None or now is None:
        return "<unknown>"
    return human_duration(now - t)


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc1123z(ts: str | None) -> str:
    """Go's ``time.RFC1123Z`` layout, as ``kubectl describe`` prints times (UTC clusters).
    An unset time prints as Go's zero time."""
    t = parse_time(ts)
    if t is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    return datetime.fromtimestamp(t, timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")


# -- labels and selectors ------------------------------------------------------------------------


def format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: ``k=v`` pairs sorted by key, or ``<none>``."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_string(selector: dict | None) -> str:
    """``metav1.LabelSelectorAsSelector(sel).String()``: requirements sorted by key;
    ``""`` for a nil or empty selector (nothing / everything)."""
    if not selector:
        return ""
    reqs = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for e in selector.get("matchExpressions") or ():
        key, op, values = e.get("key", ""), e.get("operator", ""), sorted(e.get("values") or [])
        text = {"In": f"{key} in ({','.join(values)})", "NotIn": f"{key} notin ({','.join(values)})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(op, f"{key} {op.lower()}")
        reqs.append((key, text))
    reqs.sort(key=lambda r: r[0])
    return ",".join(text for _, text in reqs)


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: like :func:`selector_string` but ``<none>`` when empty."""
    return selector_string(selector) or "<none>"


# -- Go's fmt.Sprint and encoding/json -----------------------------------------------------------


def go_sprint(value) -> str:
    """``fmt.Sprint`` of a decoded JSON value: maps as ``map[k:v]`` (sorted keys), lists as
    ``[a b]``, ``true``/``false``, ``<nil>``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(v) for v in value) + "]"
    if isinstance(value, float):
        return format(value, "g") if value != int(value) or abs(value) >= 1e21 else str(int(value))
    return str(value)


def go_json(value, indent: int | None = None, sort_keys: bool = True) -> str:
    """Go's ``json.Marshal``/``MarshalIndent``: HTML-safe escapes of ``<``, ``>``, ``&``, UTF-8
    kept, maps with sorted keys (how ``kubectl get -o json`` prints unstructured objects)."""
    if indent is None:
        text = json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, indent=indent)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# -- quantities ----------------------------------------------------------------------------------

_BINARY = (("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10))
_BINARY_SUFFIXES = {s for s, _ in _BINARY}
_NUMBER = re.compile(r"^[+-]?[0-9]*\.?[0-9]*")
_DECIMAL_SUFFIX = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P",
                   18: "E"}


def quantity_format(text: str) -> str:
    """Which format a quantity string was written in, as resource.ParseQuantity decides from its
    suffix: ``BinarySI`` (``Ki``, ``Mi``...), ``DecimalExponent`` (``1e3``) or ``DecimalSI``."""
    suffix = _NUMBER.sub("", str(text).strip(), count=1)
    if suffix in _BINARY_SUFFIXES:
        return "BinarySI"
    if suffix[:1] in ("e", "E"):
        return "DecimalExponent"
    return "DecimalSI"


def parse_quantity(text) -> Decimal:
    from labkit._kube import kubernetes_module
    _pq = kubernetes_module("kubernetes.utils").parse_quantity
    return Decimal(_pq(str(text)))


def canonical_quantity(value, fmt: str = "DecimalSI") -> str:
    """resource.Quantity.String(): the canonical spelling of ``value`` (a number, Decimal or a
    quantity string) in ``fmt``. Binary values below 1024 or fractional fall back to decimal, as
    upstream does to avoid rounding."""
    if isinstance(value, str):
        fmt = quantity_format(value)
        value = parse_quantity(value)
    d = Decimal(value)
    if d == 0:
        return "0"
    if fmt == "BinarySI":
        if -1024 < d < 1024 or d != d.to_integral_value():
            fmt = "DecimalSI"
        else:
            n = int(d)
            for suffix, shift in _BINARY:
                if n % (1 << shift) == 0:
                    return f"{n >> shift}{suffix}"
            return str(n)
    # DecimalSI (and DecimalExponent, shown the same way when it has an SI suffix): round up to
    # nano precision, then pick the largest exponent (a multiple of 3) keeping an integer mantissa
    nanos = int((d * 1_000_000_000).to_integral_value(rounding="ROUND_CEILING"))
    exp = -9
    while exp < 18 and nanos % 1000 == 0 and nanos != 0:
        nanos //= 1000
        exp += 3
    if fmt == "DecimalExponent":
        return f"{nanos}" if exp == 0 else f"{nanos}e{exp}"
    return f"{nanos}{_DECIMAL_SUFFIX[exp]}"


def sum_quantities(values) -> tuple[Decimal, str]:
    """Add quantity strings like ``Quantity.Add``; the format is that of the first value."""
    total, fmt = Decimal(0), None
    for v in values:
        if v is None:
            continue
        fmt = fmt or quantity_format(v)
        total += parse_quantity(v)
    return total, fmt or "DecimalSI"


def quantity_string(text) -> str:
    """The canonical spelling of one quantity string (``"0.5"`` → ``500m``)."""
    try:
        return canonical_quantity(str(text))
    except (ValueError, ArithmeticError):
        return str(text)
