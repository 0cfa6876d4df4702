"""Resource quantities as the API server decodes and prints them (apimachinery pkg/api/resource).

Decoding is strict: ``"abc"`` fails the whole request (400) with ``quantities must match the
regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'``, and ``"192i"`` with
``unable to parse quantity's suffix``.

Printing is *canonical*: a quantity keeps its family of suffix (decimal ``k M G``, binary
``Ki Mi Gi``, or exponent ``e3``) and is written with the largest suffix that keeps the number
an integer. That is why ``cpu: 0.5`` comes back as ``500m``, ``memory: 1.5Gi`` as ``1536Mi`` and
``2000m`` as ``2``. Resource lists (requests, limits, quota...) are also rounded up to
milli-units (``SetDefaults_ResourceList``): ``0.0001`` becomes ``1m``.
"""
from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

FORMAT_WRONG = ("quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
SUFFIX_WRONG = "unable to parse quantity's suffix"

_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC_BY_EXP = {v: k for k, v in _DECIMAL.items()}
_BIN_BY_EXP = {v: k for k, v in _BINARY.items()}
_SUFFIX_CHARS = set("eEinumkKMGTP")


class QuantityError(ValueError):
    """A string that is not a quantity; ``str(e)`` is the upstream decoder message."""


def _split(text: str) -> tuple[str, str]:
    """(number, suffix), following apimachinery's parseQuantityString character by character."""
    pos, end = 0, len(text)
    if pos < end and text[0] in "+-":
        pos += 1
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    if pos < end and text[pos] == ".":
        pos += 1
        while pos < end and text[pos].isdigit() and text[pos].isascii():
            pos += 1
    number = text[:pos]
    i = pos
    while i < end and text[i] in _SUFFIX_CHARS:
        i += 1
    j = i + 1 if i < end and text[i] in "+-" else i
    while j < end and text[j].isdigit() and text[j].isascii():
        j += 1
    if j < end:
        raise QuantityError(FORMAT_WRONG)
    return number, text[pos:]


@lru_cache(maxsize=8192)
def parse(value) -> tuple[Decimal, str]:
    """``"1.5Gi"`` → (Decimal(1610612736), "binary"). Format is ``decimal``, ``binary`` or
    ``exponent``. Numbers (JSON ints/floats) are accepted as the decoder accepts them."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise QuantityError(FORMAT_WRONG)
    text = value if isinstance(value, str) else repr(value)
    text = text.strip()
    if not text:
        raise QuantityError(FORMAT_WRONG)
    number, suffix = _split(text)
    digits = number.lstrip("+-")
    if digits in ("", "."):
        raise QuantityError(FORMAT_WRONG)
    base = Decimal(number if not number.endswith(".") else number[:-1] or "0")
    if suffix in _DECIMAL:
        return base.scaleb(_DECIMAL[suffix]), "decimal"
    if suffix in _BINARY:
        return base * (Decimal(2) ** _BINARY[suffix]), "binary"
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        exp = suffix[1:]
        if exp.lstrip("+-").isdigit():
            return base.scaleb(int(exp)), "exponent"
    raise QuantityError(SUFFIX_WRONG)


def _decimal_string(value: Decimal, exponent_format: bool) -> str:
    """Mantissa and a power-of-1000 exponent with an integer mantissa (AsCanonicalBytes)."""
    sign, digits, exp = value.normalize().as_tuple()
    mantissa = int("".join(map(str, digits)) or "0")
    while exp % 3:
        mantissa *= 10
        exp -= 1
    prefix = "-" if sign else ""
    if exponent_format:
        return f"{prefix}{mantissa}" + (f"e{exp}" if exp else "")
    if exp in _DEC_BY_EXP:
        return f"{prefix}{mantissa}{_DEC_BY_EXP[exp]}"
    return f"{prefix}{mantissa}e{exp}"


def _binary_string(value: Decimal) -> str:
    n = int(value)
    sign = "-" if n < 0 else ""
    n, exp = abs(n), 0
    while n and n % 1024 == 0 and exp < 60:
        n //= 1024
        exp += 10
    return f"{sign}{n}{_BIN_BY_EXP.get(exp, '')}"


def format_quantity(value: Decimal, fmt: str) -> str:
    """Quantity.String(): canonical text for a value in a format family."""
    if value == 0:
        return "0"
    if fmt == "binary":
        if -1024 < value < 1024 or value != value.to_integral_value():
            fmt = "decimal"
        else:
            return _binary_string(value)
    return _decimal_string(value, fmt == "exponent")


@lru_cache(maxsize=8192)
def canonical(value, round_milli: bool = False) -> str:
    """The text the API server returns for a quantity the client sent.

    ``round_milli`` rounds up to milli-units, as resource lists are (``SetDefaults_ResourceList``).
    Raises :class:`QuantityError` for text that is not a quantity.
    """
    amount, fmt = parse(value)
    if round_milli:
        amount = (amount * 1000).to_integral_value(rounding=ROUND_CEILING) / 1000
    return format_quantity(amount, fmt)


def value_of(value) -> Decimal:
    """The numeric value (a Decimal) of a quantity."""
    return parse(value)[0]


def value_or_none(value) -> Decimal | None:
    """:func:`value_of`, or ``None`` for something that is not a quantity (for checks that
    run after decoding, where a bad value was already reported)."""
    try:
        return value_of(value)
    except (QuantityError, TypeError):
        return None


def text_of(value) -> str:
    """:func:`canonical` text for messages, or ``str(value)`` if it is not a quantity."""
    try:
        return canonical(value)
    except (QuantityError, TypeError):
        return str(value)
