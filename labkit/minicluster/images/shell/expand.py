"""Word expansion: turning ``"$HOSTNAME-${items[$i]}"`` into the strings a command receives.

The shell expands each word when the command runs, in the POSIX order: parameters
(``$VAR``, ``${VAR:-default}``, ``${#VAR}``, ``${VAR%.txt}``, arrays), command substitution
(``$(hostname)``, backquotes), arithmetic (``$((1 + 2))``), then *field splitting* of unquoted
results on blanks, then pathname expansion (``*``), then quote removal.

Expansion functions are generators (``yield from``) because a command substitution runs
commands, and commands may take virtual time (``$(sleep 1; date)``).
"""
from __future__ import annotations

import fnmatch
import posixpath
import re

_SPECIAL = set("$`'\"\\*?~[")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ExpansionError(ValueError):
    """``sh: VAR: parameter not set`` and the like (a non-interactive shell exits)."""


# -- segments ----------------------------------------------------------------------------------
def _segments(sh, raw: str):
    """Generator of (text, quoted, is_expansion) pieces, or ("@", list) for ``"$@"``-like
    multi-field values. Malformed text is a "bad substitution", never a crash."""
    from .parser import ShellSyntaxError
    try:
        return (yield from _scan_segments(sh, raw))
    except (ValueError, IndexError, ShellSyntaxError) as e:
        if isinstance(e, ExpansionError):
            raise
        raise ExpansionError("syntax error: bad substitution") from None


def _scan_segments(sh, raw: str):
    out = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "\\":
            if i + 1 < n:
                out.append((raw[i + 1], True, False))
            i += 2
        elif c == "'":
            j = raw.index("'", i + 1)
            out.append((raw[i + 1:j], True, False))
            i = j + 1
        elif c == '"':
            i = yield from _dquote(sh, raw, i + 1, out)
        elif c == "$":
            i = yield from _dollar(sh, raw, i, out, quoted=False)
        elif c == "`":
            j = raw.index("`", i + 1)
            text = yield from sh.substitute(raw[i + 1:j].replace("\\`", "`"))
            out.append((text, False, True))
            i = j + 1
        elif c == "~" and i == 0:
            j = i + 1
            while j < n and raw[j] not in "/:":
                j += 1
            out.append((sh.get("HOME") or "/root", True, False) if j == 1 else (raw[:j], False, False))
            i = j
        else:
            j = i + 1
            while j < n and raw[j] not in "\\'\"$`":
                j += 1
            out.append((raw[i:j], False, False))
            i = j
    return out


def _dquote(sh, raw, i, out):
    n = len(raw)
    buf = []
    while i < n and raw[i] != '"':
        c = raw[i]
        if c == "\\" and i + 1 < n:
            nxt = raw[i + 1]
            if nxt in '$`"\\':
                buf.append(nxt)
                i += 2
                continue
            if nxt == "\n":
                i += 2
                continue
            buf.append(c)
            i += 1
        elif c == "$":
            if buf:
                out.append(("".join(buf), True, False))
                buf = []
            i = yield from _dollar(sh, raw, i, out, quoted=True)
        elif c == "`":
            if buf:
                out.append(("".join(buf), True, False))
                buf = []
            j = raw.index("`", i + 1)
            text = yield from sh.substitute(raw[i + 1:j])
            out.append((text, True, True))
            i = j + 1
        else:
            buf.append(c)
            i += 1
    out.append(("".join(buf), True, False))
    return i + 1


def _dollar(sh, raw, i, out, quoted):
    from .parser import _match_close
    n = len(raw)
    if raw.startswith("$((", i):
        j = _match_close(raw, i + 3, "(", ")")
        value = yield from arith(sh, raw[i + 3:j - 1])
        out.append((str(value), quoted, True))
        return j + 1
    if raw.startswith("$(", i):
        j = _match_close(raw, i + 2, "(", ")")
        text = yield from sh.substitute(raw[i + 2:j - 1])
        out.append((text, quoted, True))
        return j
    if raw.startswith("${", i):
        j = _match_close(raw, i + 2, "{", "}")
        value = yield from _brace(sh, raw[i + 2:j - 1], quoted)
        out.append(value if isinstance(value, tuple) else (value, quoted, True))
        return j
    if i + 1 < n and raw[i + 1] in "@*":
        args = list(sh.positional)
        out.append(("@", args) if quoted and raw[i + 1] == "@" else (" ".join(args), quoted, True))
        return i + 2
    if i + 1 < n and raw[i + 1] in "?$#!-0123456789":
        out.append((sh.special(raw[i + 1]), quoted, True))
        return i + 2
    m = _NAME.match(raw, i + 1)
    if not m:
        out.append(("$", quoted, False))
        return i + 1
    name = m.group(0)
    out.append((sh.get_checked(name), quoted, True))
    return m.end()


def _brace(sh, body: str, quoted: bool):
    """``${...}`` parameter expansion."""
    if body.startswith("#") and len(body) > 1:
        name = body[1:]
        if name.endswith(("[@]", "[*]")):
            return str(len(sh.arrays.get(name[:-3], [])))
        return str(len(sh.get_checked(name)))
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?$#!@*])(\[([^\]]*)\])?", body)
    if not m:
        raise ExpansionError(f"syntax error: bad substitution")
    name, index = m.group(1), m.group(3)
    rest = body[m.end():]
    if index is not None:
        arr = sh.arrays.get(name)
        if arr is None:
            arr = [sh.get(name)] if sh.get(name) is not None else []
        if index in ("@", "*"):
            if quoted and index == "@" and not rest:
                return ("@", list(arr))
            value = " ".join(arr)
        else:
            idx_text = yield from expand_str(sh, index)
            k = yield from arith(sh, idx_text)
            value = arr[k] if -len(arr) <= k < len(arr) else ""
        isset = True
    elif name.isdigit() or name in "?$#!@*":
        value = sh.special(name) if not name.isdigit() else sh.positional_arg(int(name))
        isset = value != ""
    else:
        value = sh.get(name)
        isset = value is not None
        if value is None:
            value = ""
    if not rest:
        if not isset and "u" in sh.options:
            raise ExpansionError(f"{name}: parameter not set")
        return value
    return (yield from _modifier(sh, name, value, isset, rest))


def _modifier(sh, name, value, isset, rest):
    for op in (":-", ":=", ":+", ":?", "-", "=", "+", "?"):
        if rest.startswith(op):
            word = yield from expand_str(sh, rest[len(op):])
            empty = (not isset) or (op.startswith(":") and value == "")
            kind = op[-1]
            if kind == "-":
                return word if empty else value
            if kind == "=":
                if empty:
                    sh.set(name, word)
                    return word
                return value
            if kind == "+":
                return "" if empty else word
            if empty:
                raise ExpansionError(f"{name}: {word or 'parameter not set'}")
            return value
    for op in ("##", "#", "%%", "%"):
        if rest.startswith(op):
            pat = yield from expand_str(sh, rest[len(op):])
            return _trim(value, pat, op)
    if rest.startswith("/"):
        glob_all = rest.startswith("//")
        spec = rest[2:] if glob_all else rest[1:]
        pat, _, rep = spec.partition("/")
        pat = yield from expand_str(sh, pat)
        rep = yield from expand_str(sh, rep)
        rx = re.compile(fnmatch.translate(pat)[4:-3] if pat else "(?!)")
        return rx.sub(lambda m: rep, value, count=0 if glob_all else 1)
    if rest.startswith(":"):
        parts = rest[1:].split(":")
        off = yield from arith(sh, parts[0] or "0")
        if len(parts) > 1:
            ln = yield from arith(sh, parts[1])
            return value[off:off + ln] if ln >= 0 else value[off:ln]
        return value[off:]
    raise ExpansionError("syntax error: bad substitution")


def _trim(value: str, pat: str, op: str) -> str:
    cands = range(len(value) + 1)
    if op in ("#", "##"):
        order = cands if op == "#" else reversed(cands)
        for k in order:
            if fnmatch.fnmatchcase(value[:k], pat):
                return value[k:]
        return value
    order = reversed(cands) if op == "%" else cands
    for k in order:
        if fnmatch.fnmatchcase(value[k:], pat):
            return value[:k]
    return value


# -- public entry points -------------------------------------------------------------------------
def expand_words(sh, raws):
    """Expand a list of raw words into argv (field splitting and globbing included)."""
    out = []
    for raw in raws:
        if not (_SPECIAL & set(raw)):
            out.append(raw)
            continue
        segs = yield from _segments(sh, raw)
        out.extend(_split_fields(sh, segs))
    return out


def expand_str(sh, raw: str):
    """Expand one word to one string (no splitting): assignments, redirections, ``[[ ]]``."""
    if not (_SPECIAL & set(raw)):
        return raw
    segs = yield from _segments(sh, raw)
    return "".join(" ".join(s[1]) if s[0] == "@" and isinstance(s[1], list) else s[0]
                   for s in segs)


def expand_pattern(sh, raw: str):
    """Expand a ``case``/``[[ == ]]`` pattern: quoted parts match literally."""
    segs = yield from _segments(sh, raw)
    return "".join(_glob_escape(s[0]) if s[1] is True else s[0] for s in segs
                   if not (s[0] == "@" and isinstance(s[1], list)))


def expand_regex(sh, raw: str):
    """Expand the right side of ``=~``: quoted parts match literally."""
    segs = yield from _segments(sh, raw)
    return "".join(re.escape(s[0]) if s[1] is True and not s[2] else s[0] for s in segs
                   if not (s[0] == "@" and isinstance(s[1], list)))


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _split_fields(sh, segs) -> list[str]:
    fields: list[str] = []
    cur: list[str] = []
    have = False  # the current field exists (even if empty, e.g. "")
    globbable = False
    ifs = sh.get("IFS")
    seps = " \t\n" if ifs is None else ifs
    for seg in segs:
        if seg[0] == "@" and isinstance(seg[1], list):
            items = seg[1]
            for k, item in enumerate(items):
                cur.append(item)
                if k < len(items) - 1:
                    fields.append("".join(cur))
                    cur = []
                have = True
            continue
        text, quoted, expansion = seg
        if quoted or not expansion:
            cur.append(text)
            have = have or quoted or text != ""
            if not quoted and ("*" in text or "?" in text):
                globbable = True
            continue
        pieces = re.split(f"[{re.escape(seps)}]+", text) if seps else [text]
        for k, piece in enumerate(pieces):
            if k > 0 and (have or cur):
                fields.append("".join(cur))
                cur, have = [], False
            if piece:
                cur.append(piece)
                have = True
    if have or cur:
        fields.append("".join(cur))
    if globbable:
        fields = [g for f in fields for g in _glob(sh, f)]
    return fields


def _glob(sh, pattern: str) -> list[str]:
    if not any(ch in pattern for ch in "*?"):
        return [pattern]
    head, tail = posixpath.split(pattern)
    if any(ch in head for ch in "*?"):
        return [pattern]
    base = head or "."
    try:
        names = sh.fs.listdir(base)
    except OSError:
        return [pattern]
    hits = [n for n in names if fnmatch.fnmatchcase(n, tail) and not n.startswith(".")]
    if not hits:
        return [pattern]
    return [posixpath.join(head, n) if head else n for n in hits]


# -- arithmetic ----------------------------------------------------------------------------------
_ATOK = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\+\+|--|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||"
                   r"[-+*/%]=|[-+*/%()<>!?:=~^&|,]))")
_ASSIGN_OPS = ("=", "+=", "-=", "*=", "/=", "%=")
_BIN = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7,
        ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10, "**": 11}


def arith(sh, text: str):
    """Evaluate ``$(( ... ))`` (integers, C operators, variables by name)."""
    text = yield from expand_str(sh, text)
    toks = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _ATOK.match(text, pos)
        if not m or m.end() == pos:
            raise ExpansionError(f"arithmetic syntax error")
        toks.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
    if not toks:
        return 0
    p = _Arith(sh, toks)
    value = p.expr(0)
    if p.i != len(toks):
        raise ExpansionError("arithmetic syntax error")
    return value


class _Arith:
    def __init__(self, sh, toks):
        self.sh, self.toks, self.i = sh, toks, 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def var(self, name) -> int:
        v = self.sh.get(name) or "0"
        try:
            return int(v)
        except ValueError:
            return 0

    def expr(self, min_prec):
        t = self.peek()
        if min_prec == 0 and t is not None and _NAME.fullmatch(t) and \
                self.i + 1 < len(self.toks) and self.toks[self.i + 1] in _ASSIGN_OPS:
            op = self.toks[self.i + 1]
            self.i += 2
            return self._assign(t, op, self.expr(0))
        left = self.unary()
        while True:
            op = self.peek()
            if op == "?" and min_prec == 0:
                self.i += 1
                a = self.expr(0)
                if self.peek() != ":":
                    raise ExpansionError("arithmetic syntax error")
                self.i += 1
                b = self.expr(0)
                left = a if left else b
                continue
            prec = _BIN.get(op)
            if prec is None or prec < min_prec:
                return left
            self.i += 1
            right = self.expr(prec if op == "**" else prec + 1)
            left = _apply(op, left, right)

    def _assign(self, name, op, rhs):
        value = rhs if op == "=" else _apply(op[0], self.var(name), rhs)
        self.sh.set(name, str(value))
        return value

    def unary(self):
        t = self.peek()
        if t is None:
            raise ExpansionError("arithmetic syntax error")
        self.i += 1
        if t in ("-", "+"):
            v = self.unary()
            return -v if t == "-" else v
        if t == "!":
            return int(not self.unary())
        if t == "~":
            return ~self.unary()
        if t in ("++", "--"):
            name = self.toks[self.i]
            self.i += 1
            v = self.var(name) + (1 if t == "++" else -1)
            self.sh.set(name, str(v))
            return v
        if t == "(":
            v = self.expr(0)
            if self.peek() != ")":
                raise ExpansionError("arithmetic syntax error")
            self.i += 1
            return v
        if t.isdigit():
            return int(t, 8) if len(t) > 1 and t.startswith("0") else int(t)
        if _NAME.fullmatch(t):
            if self.peek() in ("++", "--"):
                op = self.toks[self.i]
                self.i += 1
                v = self.var(t)
                self.sh.set(t, str(v + (1 if op == "++" else -1)))
                return v
            return self.var(t)
        raise ExpansionError("arithmetic syntax error")


def _cdiv(a, b):
    if b == 0:
        raise ExpansionError("division by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _cmod(a, b):
    return a - b * _cdiv(a, b)


def _apply(op, a, b):
    if op == "+": return a + b
    if op == "-": return a - b
    if op == "*": return a * b
    if op == "/": return _cdiv(a, b)
    if op == "%": return _cmod(a, b)
    if op == "**": return a ** b
    if op == "<<": return a << b
    if op == ">>": return a >> b
    if op == "&": return a & b
    if op == "|": return a | b
    if op == "^": return a ^ b
    if op == "&&": return int(bool(a) and bool(b))
    if op == "||": return int(bool(a) or bool(b))
    return int({"==": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b,
                ">=": a >= b}[op])
