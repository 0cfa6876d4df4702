"""The shell interpreter (the process that runs it as PID 1 is in :mod:`.script`).

A script runs as a *generator*: each ``yield`` hands back how many virtual seconds the script
now waits (a ``sleep 30`` yields 30.0). The process model resumes it when that time has come, so
``touch /tmp/healthy; sleep 30; rm -f /tmp/healthy`` removes the file exactly 30 virtual seconds
after the container started, and an exec probe running meanwhile sees the file.

Faithful details that show up in the course:

- A shell (or ``sleep``) running as PID 1 ignores SIGTERM unless it set a ``trap``: the kernel
  does not apply the default "terminate" action to a namespace's init process. Deleting such a
  pod therefore waits the whole grace period (30 s) and ends with SIGKILL, exit code 137.
- With a trap, the shell runs it only once its foreground command (``sleep``) has finished;
  ``sleep 1000 & wait`` is the idiom that makes it react at once.
- ``set -e`` stops the script at the first failing command, ``set -x`` traces commands to
  stderr (``+ echo hi``), which ``kubectl logs`` shows.

Simplifications: pipelines run their stages one after another; background jobs other than
``sleep`` run to completion immediately; every command costs 1 ms of virtual time.
"""
from __future__ import annotations

import fnmatch
import re

from .expand import ExpansionError, expand_pattern, expand_str, expand_words
from .parser import ShellSyntaxError, parse
from .streams import IO, Capture, FileStream, LogStream, NullStream  # noqa: F401 (re-exported)

CMD_COST = 0.001      # virtual seconds per command
YIELD_DEBT = 0.05     # hand time back to the event loop at least this often
SIGNALS = {"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15}


class ShellExit(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class Takeover(Exception):
    """``exec nginx``: the script's process becomes a long-running server program."""

    def __init__(self, factory, argv):
        super().__init__(argv[0])
        self.factory, self.argv = factory, argv


class Wait:
    """Yielded by ``wait``: a wait a trapped signal may interrupt (unlike ``sleep``)."""
    __slots__ = ("seconds",)

    def __init__(self, seconds):
        self.seconds = seconds


# -- the interpreter ----------------------------------------------------------------------------
class Shell:
    """One shell: variables, functions, options, traps, and the node walker."""

    def __init__(self, proc, env=None, name="sh", positional=(), pid=1):
        self.proc = proc
        self.flavor = getattr(proc.image, "shell", None) or "busybox"
        self.name = name
        self.vars: dict[str, str] = dict(env or {})
        self.exported: set[str] = set(self.vars)
        self.arrays: dict[str, list[str]] = {}
        self.funcs: dict = {}
        self.positional = list(positional)
        self.status = 0
        self.options: set[str] = set()
        self.traps: dict[str, str] = {}
        self.fs = proc.fs
        self.now = proc.started_at
        self.out = LogStream(self, "stdout")
        self.err = LogStream(self, "stderr")
        self.stdin = ""
        self.pid = pid
        self.cond_depth = 0
        self.debt = 0.0
        self.bg_until = 0.0
        self.pending: list[str] = []
        self.in_trap = False
        self.vars.setdefault("HOME", "/root")
        self.vars.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        self.vars.setdefault("HOSTNAME", proc.sb.hostname)
        self.vars.setdefault("PWD", self.fs.cwd)

    # -- variables --------------------------------------------------------------------------
    def get(self, name: str):
        if name in self.arrays:
            arr = self.arrays[name]
            return arr[0] if arr else ""
        return self.vars.get(name)

    def get_checked(self, name: str) -> str:
        v = self.get(name)
        if v is None:
            if "u" in self.options:
                raise ExpansionError(f"{name}: parameter not set")
            return ""
        return v

    def set(self, name: str, value: str) -> None:
        self.arrays.pop(name, None)
        self.vars[name] = value

    def special(self, ch: str) -> str:
        if ch == "?":
            return str(self.status)
        if ch == "$":
            return str(self.pid)
        if ch == "#":
            return str(len(self.positional))
        if ch == "!":
            return str(self.pid + 7)
        if ch == "-":
            return "".join(sorted(self.options))
        if ch == "0":
            return self.name
        return self.positional_arg(int(ch)) if ch.isdigit() else ""

    def positional_arg(self, k: int) -> str:
        if k == 0:
            return self.name
        return self.positional[k - 1] if k <= len(self.positional) else ""

    def environ(self) -> dict:
        return {k: v for k, v in self.vars.items() if k in self.exported}

    # -- messages ---------------------------------------------------------------------------
    def error(self, msg: str) -> None:
        prefix = f"{self.name}: line 1: " if self.flavor == "bash" else f"{self.name}: "
        self.err.write(prefix + msg + "\n")

    # -- entry points -----------------------------------------------------------------------
    def main(self, argv: list[str]):
        """Run ``argv`` as PID 1 runs it (no parsing: the words are already split)."""
        try:
            status = yield from self.run_argv(list(argv), IO(self.stdin, self.out, self.err))
        except ShellExit as e:
            status = e.code
        status = yield from self._exit_trap(status)
        return status & 255

    def run_script(self, text: str):
        try:
            node = parse(text)
        except ShellSyntaxError as e:
            self.error(str(e))
            return 2
        return (yield from self.run(node))

    def _exit_trap(self, status):
        action = self.traps.pop("EXIT", None)
        if action:
            self.status = status
            try:
                yield from self.run_script(action)
            except ShellExit as e:
                return e.code
        return status

    def substitute(self, text: str):
        """``$(...)``: run in a subshell, capture stdout, strip trailing newlines."""
        cap = Capture()
        saved = (self.out, dict(self.vars), dict(self.arrays), set(self.options))
        self.out = cap
        try:
            yield from self.run_script(text)
        except ShellExit as e:
            self.status = e.code
        finally:
            status = self.status
            self.out, self.vars, self.arrays, self.options = saved
            self.status = status
        return cap.text().rstrip("\n")

    # -- time -------------------------------------------------------------------------------
    def pay(self, seconds: float = CMD_COST):
        self.debt += seconds
        if self.debt >= YIELD_DEBT:
            d, self.debt = self.debt, 0.0
            yield d

    def sleep(self, seconds: float):
        """A foreground sleep: signals wait until it is over (then traps run)."""
        if seconds > 0:
            yield seconds + self.debt
            self.debt = 0.0
        yield from self.check_signals()

    def check_signals(self):
        while self.pending and not self.in_trap:
            sig = self.pending.pop(0)
            action = self.traps.get(sig)
            if action is None:
                continue
            self.in_trap = True
            try:
                saved = self.status
                yield from self.run_script(action)
                self.status = saved
            finally:
                self.in_trap = False

    # -- node walker --------------------------------------------------------------------------
    def run(self, node):
        kind = node[0]
        if kind == "list":
            status = 0
            for item, bg in node[1]:
                status = yield from (self.run_background(item) if bg else self.run(item))
                self.status = status
            return status
        if kind == "simple":
            status = yield from self.run_simple(node)
        elif kind == "andor":
            status = yield from self.run_andor(node)
        elif kind == "pipe":
            status = yield from self.run_pipe(node)
        elif kind == "if":
            status = yield from self.run_if(node)
        elif kind == "while":
            status = yield from self.run_while(node)
        elif kind == "for":
            status = yield from self.run_for(node)
        elif kind == "case":
            status = yield from self.run_case(node)
        elif kind in ("group", "subshell"):
            status = yield from self.run_group(node)
        elif kind == "cond":
            status = yield from self.run_cond(node[1])
        elif kind == "arith":
            from .expand import arith
            status = int((yield from arith(self, node[1])) == 0)
        elif kind == "func":
            self.funcs[node[1]] = node[2]
            status = 0
        elif kind == "redir":
            status = yield from self.with_redirects(node[2], lambda io: self.run(node[1]))
        else:  # pragma: no cover - parser produces only the kinds above
            raise ShellSyntaxError(kind)
        self.status = status
        if status != 0 and "e" in self.options and self.cond_depth == 0 and \
                kind in ("simple", "pipe", "subshell", "cond", "arith", "redir"):
            raise ShellExit(status)
        return status

    def run_background(self, node):
        """``cmd &``: a background ``sleep N`` is tracked for ``wait``; anything else runs to
        completion now (simplification)."""
        if node[0] == "simple" and node[2] and node[2][0] == "sleep" and len(node[2]) == 2:
            words = yield from expand_words(self, node[2])
            from .builtins import parse_duration
            secs = parse_duration(words[1]) if len(words) == 2 else None
            if secs is not None:
                self.bg_until = max(self.bg_until, self.now + secs)
                return 0
        self.cond_depth += 1
        try:
            yield from self.run(node)
        finally:
            self.cond_depth -= 1
        return 0

    def run_andor(self, node):
        self.cond_depth += 1
        try:
            status = yield from self.run(node[1])
        finally:
            self.cond_depth -= 1
        for k, (op, pipe) in enumerate(node[2]):
            if (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            last = k == len(node[2]) - 1
            if not last:
                self.cond_depth += 1
            try:
                status = yield from self.run(pipe)
            finally:
                if not last:
                    self.cond_depth -= 1
        return status

    def run_pipe(self, node):
        cmds, negate = node[1], node[2]
        data = None
        status = 0
        saved_out, saved_in = self.out, self.stdin
        if negate:
            self.cond_depth += 1
        try:
            for k, cmd in enumerate(cmds):
                last = k == len(cmds) - 1
                cap = None if last else Capture()
                self.out = saved_out if last else cap
                if data is not None:
                    self.stdin = data
                if not last:
                    self.cond_depth += 1
                try:
                    status = yield from self.run(cmd)
                finally:
                    if not last:
                        self.cond_depth -= 1
                if cap is not None:
                    data = cap.text()
        finally:
            self.out, self.stdin = saved_out, saved_in
            if negate:
                self.cond_depth -= 1
        return int(status == 0) if negate else status

    def run_if(self, node):
        for cond, body in node[1]:
            self.cond_depth += 1
            try:
                status = yield from self.run(cond)
            finally:
                self.cond_depth -= 1
            if status == 0:
                return (yield from self.run(body))
        if node[2] is not None:
            return (yield from self.run(node[2]))
        return 0

    def run_while(self, node):
        _, cond, body, until = node
        status = 0
        while True:
            self.cond_depth += 1
            try:
                c = yield from self.run(cond)
            finally:
                self.cond_depth -= 1
            if (c == 0) == until:
                return status
            try:
                status = yield from self.run(body)
            except _Break as b:
                if b.n > 1:
                    raise _Break(b.n - 1)
                return 0
            except _Continue as c2:
                if c2.n > 1:
                    raise _Continue(c2.n - 1)
            yield from self.pay()

    def run_for(self, node):
        _, var, words, body = node
        items = (yield from expand_words(self, words)) if words is not None else list(self.positional)
        status = 0
        for item in items:
            self.set(var, item)
            try:
                status = yield from self.run(body)
            except _Break as b:
                if b.n > 1:
                    raise _Break(b.n - 1)
                break
            except _Continue as c:
                if c.n > 1:
                    raise _Continue(c.n - 1)
        return status

    def run_case(self, node):
        word = yield from expand_str(self, node[1])
        for pats, body in node[2]:
            for pat in pats:
                p = yield from expand_pattern(self, pat)
                if fnmatch.fnmatchcase(word, p):
                    return (yield from self.run(body))
        return 0

    def run_group(self, node):
        if node[0] == "group":
            return (yield from self.run(node[1]))
        saved = (dict(self.vars), dict(self.arrays), set(self.options), self.fs.cwd)
        try:
            return (yield from self.run(node[1]))
        except ShellExit as e:
            return e.code
        finally:
            self.vars, self.arrays, self.options, self.fs.cwd = saved

    def run_cond(self, words):
        from .builtins import eval_cond
        try:
            ok = yield from eval_cond(self, words)
        except ExpansionError as e:
            self.error(str(e))
            return 2
        return 0 if ok else 1

    # -- simple commands ----------------------------------------------------------------------
    def run_simple(self, node):
        _, assigns, words, redirs = node
        try:
            argv = yield from expand_words(self, words)
            values = []
            for name, raw in assigns:
                if isinstance(raw, tuple):
                    items = yield from expand_words(self, raw[1])
                    values.append((name, items))
                else:
                    values.append((name, (yield from expand_str(self, raw))))
        except ExpansionError as e:
            self.error(str(e))
            if self.cond_depth == 0:
                raise ShellExit(2 if self.flavor == "bash" else 2)
            return 1
        if "x" in self.options and (argv or values):
            shown = [f"{n}={v}" for n, v in values if isinstance(v, str)] + [_quote(a) for a in argv]
            self.err.write("+ " + " ".join(shown) + "\n")
        if not argv:
            for name, value in values:
                self._assign(name, value)
            if redirs:
                return (yield from self.with_redirects(redirs, lambda io: _ret(0)))
            return self.status if words else 0
        saved_env = {}
        for name, value in values:  # prefix assignments: only for this command's environment
            saved_env[name] = self.vars.get(name)
            self._assign(name, value)
            self.exported.add(name)
        try:
            yield from self.pay()
            return (yield from self.with_redirects(redirs, lambda io: self.run_argv(argv, io)))
        finally:
            for name, old in saved_env.items():
                if old is None:
                    self.vars.pop(name, None)
                else:
                    self.vars[name] = old

    def _assign(self, name, value):
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\[(.*)\]$", name)
        if isinstance(value, list):
            self.vars.pop(name, None)
            self.arrays[name] = value
        elif m:
            arr = self.arrays.setdefault(m.group(1), [])
            idx = int(m.group(2)) if m.group(2).isdigit() else 0
            arr.extend([""] * (idx + 1 - len(arr)))
            arr[idx] = value
        elif name.endswith("+"):
            self.set(name[:-1], (self.get(name[:-1]) or "") + value)
        else:
            self.set(name, value)

    def with_redirects(self, redirs, body):
        saved = (self.out, self.err, self.stdin)
        try:
            for fd, op, target, quoted in redirs:
                yield from self._redirect(fd, op, target, quoted)
        except OSError as e:
            self.out, self.err, self.stdin = saved
            self.error(f"can't create {e.path}: {_nice(e)}" if self.flavor != "bash"
                       else f"{e.path}: {e}")
            return 1 if self.flavor != "bash" else 1
        except _NoInput as e:
            self.out, self.err, self.stdin = saved
            self.error(f"can't open '{e.path}': No such file or directory" if self.flavor != "bash"
                       else f"{e.path}: No such file or directory")
            return 1
        try:
            return (yield from body(IO(self.stdin, self.out, self.err)))
        finally:
            self.out, self.err, self.stdin = saved

    def _redirect(self, fd, op, target, quoted):
        if op == "<<":
            self.stdin = target if quoted else (yield from expand_str(self, _dq(target)))
            return
        path = yield from expand_str(self, target)
        if op in (">&", "<&") and path.isdigit():
            stream = self.out if path == "1" else self.err if path == "2" else NullStream()
            if fd == 1:
                self.out = stream
            elif fd == 2:
                self.err = stream
            return
        if op in ("<", "<&"):
            if not self.fs.isfile(path):
                raise _NoInput(path)
            self.stdin = self.fs.read(path)
            return
        if path == "/dev/null":
            stream = NullStream()
        elif path in ("/dev/stdout", "/proc/self/fd/1"):
            stream = self.out
        elif path in ("/dev/stderr", "/proc/self/fd/2"):
            stream = self.err
        else:
            if op != ">>":
                self.fs.write(path, "")
            elif not self.fs.isfile(path):
                self.fs.write(path, "")
            stream = FileStream(self.fs, path)
        if op == "&>" or op == ">&":
            self.out = self.err = stream
        elif fd == 2:
            self.err = stream
        else:
            self.out = stream

    def run_argv(self, argv, io):
        """Find and run a command: function, builtin, or a program of the image."""
        from .builtins import lookup
        name = argv[0]
        if name in self.funcs:
            saved = self.positional
            self.positional = argv[1:]
            try:
                return (yield from self.run(self.funcs[name]))
            except _Return as r:
                return r.code
            finally:
                self.positional = saved
        fn = lookup(self, name)
        if fn is None:
            shown = name
            if "/" in name and not self.fs.exists(name):
                self.error(f"{name}: not found" if self.flavor != "bash"
                           else f"{name}: No such file or directory")
                return 127
            self.error(f"{shown}: not found" if self.flavor != "bash" else f"{shown}: command not found")
            return 127
        result = fn(self, argv, io)
        if hasattr(result, "send"):
            result = yield from result
        return int(result or 0)


class _Break(Exception):
    def __init__(self, n=1):
        self.n = n


class _Continue(_Break):
    pass


class _Return(Exception):
    def __init__(self, code):
        self.code = code


class _NoInput(Exception):
    def __init__(self, path):
        self.path = path


def _ret(value):
    return value
    yield  # pragma: no cover - makes this a generator


def _dq(text):
    """Here-document bodies expand like double-quoted text."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\$", "\\$") + '"'


def _quote(word: str) -> str:
    if word and re.fullmatch(r"[A-Za-z0-9_./:=@%+,-]+", word):
        return word
    return "'" + word.replace("'", "'\\''") + "'"


def _nice(e) -> str:
    return "nonexistent directory" if "No such file" in str(e) else str(e)
