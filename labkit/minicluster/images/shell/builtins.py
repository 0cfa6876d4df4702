"""Shell builtins (``echo``, ``exit``, ``trap``, ``test``...) and command lookup.

Which commands exist depends on the image, as in real containers: busybox has ``wget``,
``nslookup`` and ``nc`` but no ``bash`` or ``curl``; Debian-based images (nginx, mysql, perl)
have bash and coreutils but no ``wget`` or ``ping``; a distroless image (agnhost, goproxy,
pause) has no shell at all, so ``kubectl exec ... -- sh`` fails there with
``exec: "sh": executable file not found in $PATH``.

Every command is ``fn(sh, argv, io) -> exit status`` (or a generator returning it, when the
command takes virtual time, like ``sleep``).
"""
from __future__ import annotations

import fnmatch
import math
import re

from .expand import ExpansionError, expand_pattern, expand_regex, expand_str, expand_words


def parse_duration(text: str):
    """``sleep`` arguments: ``30``, ``0.5``, ``1m``, ``2h``, ``infinity``; None if invalid."""
    if text == "infinity":
        return math.inf
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", text)
    if not m:
        return None
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


# -- builtins -----------------------------------------------------------------------------------
def b_true(sh, argv, io):
    return 0


def b_false(sh, argv, io):
    return 1


def b_echo(sh, argv, io):
    args = argv[1:]
    newline, escapes = True, sh.flavor != "bash"
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0] or (escapes and "E" not in args[0])
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text, stop = _unescape(text)
        if stop:
            newline = False
    io.out.write(text + ("\n" if newline else ""))
    return 0


def _unescape(text: str):
    if "\\" not in text:
        return text, False
    out, i = [], 0
    table = {"n": "\n", "t": "\t", "\\": "\\", "a": "\a", "b": "\b", "r": "\r", "v": "\v", "f": "\f"}
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "c":
                return "".join(out), True
            if nxt in table:
                out.append(table[nxt])
                i += 2
                continue
            if nxt == "0":
                m = re.match(r"0([0-7]{0,3})", text[i + 1:])
                out.append(chr(int(m.group(1) or "0", 8)))
                i += 1 + len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out), False


def b_printf(sh, argv, io):
    if len(argv) < 2:
        sh.error("printf: usage: printf format [arguments]" if sh.flavor == "bash" else "printf: not enough arguments")
        return 2 if sh.flavor == "bash" else 1
    fmt, args = argv[1], argv[2:]
    out = []
    while True:
        text, used = _format(fmt, args)
        out.append(text)
        args = args[used:]
        if not args or used == 0:
            break
    io.out.write("".join(out))
    return 0


def _format(fmt, args):
    out, i, used = [], 0, 0
    fmt_text, _ = _unescape(fmt)
    while i < len(fmt_text):
        c = fmt_text[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        m = re.match(r"%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdiouxXfeEgGc%b])", fmt_text[i:])
        if not m:
            out.append(c)
            i += 1
            continue
        flags, width, prec, conv = m.groups()
        i += m.end()
        if conv == "%":
            out.append("%")
            continue
        arg = args[used] if used < len(args) else ""
        used += 1
        spec = "%" + flags + width + (("." + prec) if prec else "")
        if conv in "diouxX":
            try:
                val = int(arg or "0", 0)
            except ValueError:
                val = 0
            out.append((spec + conv.replace("u", "d").replace("i", "d")) % val)
        elif conv in "feEgG":
            try:
                val = float(arg or "0")
            except ValueError:
                val = 0.0
            out.append((spec + conv) % val)
        elif conv == "b":
            out.append(_unescape(arg)[0])
        elif conv == "c":
            out.append(arg[:1])
        else:
            out.append((spec + "s") % arg)
    return "".join(out), used


def b_exit(sh, argv, io):
    from .runtime import ShellExit
    code = sh.status
    if len(argv) > 1:
        try:
            code = int(argv[1])
        except ValueError:
            sh.error(f"exit: {argv[1]}: numeric argument required" if sh.flavor == "bash"
                     else f"exit: Illegal number: {argv[1]}")
            code = 2
    raise ShellExit(code & 255)


def b_return(sh, argv, io):
    from .runtime import _Return
    raise _Return(int(argv[1]) if len(argv) > 1 and argv[1].lstrip("-").isdigit() else sh.status)


def b_break(sh, argv, io):
    from .runtime import _Break
    raise _Break(int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1)


def b_continue(sh, argv, io):
    from .runtime import _Continue
    raise _Continue(int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1)


def b_export(sh, argv, io):
    for arg in argv[1:]:
        if arg == "-p":
            continue
        name, eq, value = arg.partition("=")
        if eq:
            sh.set(name, value)
        sh.exported.add(name)
    if len(argv) == 1 or argv[1:] == ["-p"]:
        for k, v in sh.environ().items():
            io.out.write(f"export {k}='{v}'\n")
    return 0


def b_local(sh, argv, io):
    for arg in argv[1:]:
        name, eq, value = arg.partition("=")
        sh.set(name, value if eq else (sh.get(name) or ""))
    return 0


def b_unset(sh, argv, io):
    for name in argv[1:]:
        if name in ("-v", "-f"):
            continue
        sh.vars.pop(name, None)
        sh.arrays.pop(name, None)
        sh.funcs.pop(name, None)
        sh.exported.discard(name)
    return 0


def b_set(sh, argv, io):
    args = argv[1:]
    if not args:
        for k in sorted(sh.vars):
            io.out.write(f"{k}='{sh.vars[k]}'\n")
        return 0
    while args:
        a = args[0]
        if a == "--":
            sh.positional = args[1:]
            return 0
        if a in ("-o", "+o") and len(args) > 1:
            opt = {"errexit": "e", "xtrace": "x", "nounset": "u", "pipefail": "p"}.get(args[1])
            if opt:
                (sh.options.add if a == "-o" else sh.options.discard)(opt)
            args = args[2:]
            continue
        if re.fullmatch(r"[-+][a-zA-Z]+", a):
            for ch in a[1:]:
                (sh.options.add if a[0] == "-" else sh.options.discard)(ch)
            args = args[1:]
            continue
        sh.positional = args
        return 0
    return 0


def b_shift(sh, argv, io):
    n = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1
    if n > len(sh.positional):
        return 1
    sh.positional = sh.positional[n:]
    return 0


def b_cd(sh, argv, io):
    target = argv[1] if len(argv) > 1 else (sh.get("HOME") or "/")
    if not sh.fs.isdir(target):
        sh.error(f"cd: can't cd to {target}: No such file or directory" if sh.flavor != "bash"
                 else f"cd: {target}: No such file or directory")
        return 2 if sh.flavor != "bash" else 1
    sh.fs.cwd = sh.fs.abspath(target)
    sh.set("PWD", sh.fs.cwd)
    sh.exported.add("PWD")
    return 0


def b_pwd(sh, argv, io):
    io.out.write(sh.fs.cwd + "\n")
    return 0


def b_read(sh, argv, io):
    names = [a for a in argv[1:] if not a.startswith("-")]
    data = sh.stdin
    if not data:
        return 1
    line, _, rest = data.partition("\n")
    sh.stdin = rest
    fields = line.split(None, max(len(names) - 1, 0)) if names else [line]
    for k, name in enumerate(names or ["REPLY"]):
        sh.set(name, fields[k] if k < len(fields) else "")
    return 0


def b_trap(sh, argv, io):
    args = argv[1:]
    if not args:
        for sig, action in sh.traps.items():
            io.out.write(f"trap -- '{action}' {sig}\n")
        return 0
    action, sigs = args[0], args[1:]
    if not sigs:  # ``trap SIG``: reset
        action, sigs = "-", args
    for sig in sigs:
        name = sig.upper().removeprefix("SIG")
        name = {"0": "EXIT", "15": "TERM", "2": "INT", "1": "HUP", "3": "QUIT"}.get(name, name)
        if action == "-":
            sh.traps.pop(name, None)
        else:
            sh.traps[name] = action
    return 0


def b_wait(sh, argv, io):
    from .runtime import Wait
    remaining = sh.bg_until - sh.now
    if remaining > 0:
        yield Wait(remaining + sh.debt)
        sh.debt = 0.0
        if sh.pending:
            yield from sh.check_signals()
            return 128 + 15
    return 0


def b_sleep(sh, argv, io):
    if len(argv) < 2:
        sh.error("sleep: missing operand" if sh.flavor == "bash" else "usage: sleep [N]...")
        return 1
    total = 0.0
    for arg in argv[1:]:
        d = parse_duration(arg)
        if d is None:
            sh.err.write(f"sleep: invalid number '{arg}'\n" if sh.flavor != "bash"
                         else f"sleep: invalid time interval '{arg}'\n")
            return 1
        total += d
    yield from sh.sleep(total)
    return 0


def b_exec(sh, argv, io):
    from .runtime import ShellExit
    if len(argv) == 1:
        return 0
    status = yield from sh.run_argv(argv[1:], io)
    raise ShellExit(status)


def b_eval(sh, argv, io):
    return (yield from sh.run_script(" ".join(argv[1:])))


def b_source(sh, argv, io):
    if len(argv) < 2 or not sh.fs.isfile(argv[1]):
        sh.error(f"{argv[1] if len(argv) > 1 else '.'}: not found")
        return 1
    return (yield from sh.run_script(sh.fs.read(argv[1])))


def b_type(sh, argv, io):
    status = 0
    for name in argv[1:]:
        if name in BUILTINS:
            io.out.write(f"{name} is a shell builtin\n")
        elif lookup(sh, name):
            io.out.write(f"{name} is /usr/bin/{name}\n" if sh.flavor == "bash" else f"{name} is /bin/{name}\n")
        else:
            io.out.write(f"{name}: not found\n")
            status = 1
    return status


def b_command(sh, argv, io):
    args = argv[1:]
    if args and args[0] == "-v":
        found = [a for a in args[1:] if lookup(sh, a)]
        for a in found:
            io.out.write((a if a in BUILTINS else f"/usr/bin/{a}") + "\n")
        return 0 if len(found) == len(args[1:]) else 1
    if not args:
        return 0
    return (yield from sh.run_argv(args, io))


def b_kill(sh, argv, io):
    args = [a for a in argv[1:] if not a.startswith("-")]
    if not args:
        sh.error("kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]")
        return 2 if sh.flavor == "bash" else 1
    return 0


def b_let(sh, argv, io):
    from .expand import arith
    value = 0
    for expr in argv[1:]:
        value = yield from arith(sh, expr)
    return 0 if value else 1


# -- test / [ / [[ ------------------------------------------------------------------------------
def b_test(sh, argv, io):
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            sh.error("[: missing ]" if sh.flavor != "bash" else "[: missing `]'")
            return 2
        args = args[:-1]
    try:
        return 0 if _Test(sh, args).run() else 1
    except ValueError as e:
        sh.error(f"{argv[0]}: {e}")
        return 2


class _Test:
    """POSIX ``test`` over already-expanded arguments."""

    UNARY = {"-e", "-f", "-d", "-s", "-r", "-w", "-x", "-z", "-n", "-L", "-h", "-p", "-S", "-b", "-c"}
    BINARY = {"=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "<", ">"}

    def __init__(self, sh, args):
        self.sh, self.args, self.i = sh, args, 0

    def run(self) -> bool:
        if not self.args:
            return False
        v = self.or_()
        if self.i != len(self.args):
            raise ValueError(f"{self.args[self.i]}: unexpected operator")
        return v

    def or_(self):
        v = self.and_()
        while self.i < len(self.args) and self.args[self.i] == "-o":
            self.i += 1
            v = self.and_() or v
        return v

    def and_(self):
        v = self.not_()
        while self.i < len(self.args) and self.args[self.i] == "-a":
            self.i += 1
            v = self.not_() and v
        return v

    def not_(self):
        if self.i < len(self.args) and self.args[self.i] == "!" and self.i + 1 < len(self.args):
            self.i += 1
            return not self.not_()
        return self.primary()

    def primary(self):
        a = self.args
        i = self.i
        if i + 2 < len(a) + 0 and a[i + 1] in self.BINARY:
            self.i += 3
            return binary(self.sh, a[i], a[i + 1], a[i + 2])
        if a[i] == "(":
            self.i += 1
            v = self.or_()
            self.i += 1
            return v
        if a[i] in self.UNARY and i + 1 < len(a):
            self.i += 2
            return unary(self.sh, a[i], a[i + 1])
        self.i += 1
        return a[i] != ""


def unary(sh, op, arg) -> bool:
    fs = sh.fs
    if op == "-z":
        return arg == ""
    if op == "-n":
        return arg != ""
    if op in ("-e", "-r", "-w", "-x"):
        return fs.exists(arg)
    if op == "-f":
        return fs.isfile(arg)
    if op == "-d":
        return fs.isdir(arg)
    if op == "-s":
        return fs.isfile(arg) and fs.read(arg) != "" or fs.isdir(arg)
    return False


def binary(sh, a, op, b) -> bool:
    if op in ("=", "=="):
        return a == b
    if op == "!=":
        return a != b
    if op in ("<", ">"):
        return a < b if op == "<" else a > b
    try:
        x, y = int(a), int(b)
    except ValueError:
        bad = a if not a.lstrip("-").isdigit() else b
        raise ValueError(f"{bad}: integer expression expected" if sh.flavor == "bash"
                         else f"illegal number: {bad}")
    return {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y,
            "-ge": x >= y}[op]


def eval_cond(sh, words):
    """bash's ``[[ ... ]]``: no field splitting, ``==`` matches patterns, ``=~`` regexes."""
    pos = [0]

    def peek():
        return words[pos[0]] if pos[0] < len(words) else None

    def or_():
        v = yield from and_()
        while peek() == "||":
            pos[0] += 1
            w = yield from and_()
            v = v or w
        return v

    def and_():
        v = yield from not_()
        while peek() == "&&":
            pos[0] += 1
            w = yield from not_()
            v = v and w
        return v

    def not_():
        if peek() == "!":
            pos[0] += 1
            v = yield from not_()
            return not v
        return (yield from primary())

    def primary():
        i = pos[0]
        if peek() == "(":
            pos[0] += 1
            v = yield from or_()
            pos[0] += 1
            return v
        if i + 2 < len(words) + 1 and i + 1 < len(words) and words[i + 1] in \
                ("==", "=", "!=", "=~", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
            op = words[i + 1]
            left = yield from expand_str(sh, words[i])
            pos[0] += 3
            rhs = words[i + 2] if i + 2 < len(words) else ""
            if op in ("==", "=", "!="):
                pat = yield from expand_pattern(sh, rhs)
                hit = fnmatch.fnmatchcase(left, pat)
                return hit if op != "!=" else not hit
            if op == "=~":
                rx = yield from expand_regex(sh, rhs)
                rx = rx.replace("[[:space:]]", r"\s").replace("[[:digit:]]", r"\d").replace(
                    "[[:alpha:]]", "[A-Za-z]").replace("[[:alnum:]]", "[A-Za-z0-9]")
                try:
                    m = re.search(rx, left)
                except re.error:
                    raise ExpansionError("invalid regular expression")
                sh.arrays["BASH_REMATCH"] = ([m.group(0)] + [g or "" for g in m.groups()]) if m else []
                return m is not None
            right = yield from expand_str(sh, rhs)
            if op in ("<", ">"):
                return left < right if op == "<" else left > right
            return binary(sh, left, op, right)
        w = words[i]
        if w in _Test.UNARY and i + 1 < len(words):
            arg = yield from expand_str(sh, words[i + 1])
            pos[0] += 2
            return unary(sh, w, arg)
        pos[0] += 1
        v = yield from expand_str(sh, w)
        return v != ""

    result = yield from or_()
    return result


BUILTINS = {
    ":": b_true, "true": b_true, "false": b_false, "echo": b_echo, "printf": b_printf,
    "exit": b_exit, "return": b_return, "break": b_break, "continue": b_continue,
    "export": b_export, "local": b_local, "declare": b_local, "typeset": b_local,
    "readonly": b_export, "unset": b_unset, "set": b_set, "shift": b_shift, "cd": b_cd,
    "pwd": b_pwd, "read": b_read, "trap": b_trap, "wait": b_wait, "sleep": b_sleep,
    "exec": b_exec, "eval": b_eval, ".": b_source, "source": b_source, "type": b_type,
    "command": b_command, "kill": b_kill, "let": b_let, "test": b_test, "[": b_test,
}


def lookup(sh, name: str):
    """The function that runs command ``name`` in this shell's image, or None."""
    from .tools import flavor_tools
    base = name.rsplit("/", 1)[-1]
    image = sh.proc.image
    prog = image.program(base) if hasattr(image, "program") else None
    if getattr(image, "shell", None) is None:
        return prog
    if "/" not in name and base in BUILTINS:
        return BUILTINS[base]
    if prog is not None:
        return prog
    if base in ("sleep", "echo", "printf", "test", "[", "true", "false", "kill"):
        return BUILTINS[base]
    return flavor_tools(image).get(base)


__all__ = ["BUILTINS", "lookup", "eval_cond", "parse_duration", "expand_words"]
