"""``kubectl`` inside Python: ``run(backend, "get pods -o wide")``.

The command line is split like a shell would (``shlex``), then read like kubectl reads it (see
:mod:`.flags`), then handed to the command's function. Commands print what kubectl prints, to
``stdout`` and ``stderr``, and never raise for a user's mistake: the result carries the exit code.

    >>> r = run(cluster, "get pods")
    >>> r.returncode, r.stdout, r.stderr
    >>> r                     # in a notebook: shown exactly like a terminal

The commands live in :mod:`.get` (get, describe, logs, wait), :mod:`.apply`,
:mod:`.create` (create, run, expose), :mod:`.modify` (delete, scale, label, annotate, patch,
set image), :mod:`.rollout`, :mod:`.nodes` (cordon, uncordon, drain), :mod:`.top` and :mod:`.info`
(explain, version, api-resources, auth can-i, config, cluster-info).
"""
from __future__ import annotations

import shlex
import traceback
from dataclasses import dataclass, field

from labkit.minicluster import errors

from . import flags as flagmod
from .backend import WARNINGS, KubectlError, UserApi, format_api_error

#: command name → (function, flag spec, short help)
COMMANDS: dict = {}


def command(name: str, *flag_list, help: str = ""):
    """Register a kubectl command implemented by ``fn(ctx, parsed)``."""
    def deco(fn):
        COMMANDS[name] = (fn, flagmod.spec(*flag_list), help)
        return fn
    return deco


class TerminalOutput:
    """Something with ``stdout`` and ``stderr`` that a notebook shows as a terminal would:
    both streams, without a trailing blank line."""

    def __str__(self) -> str:
        return self.stdout + self.stderr

    def __repr__(self) -> str:
        text = str(self)
        return text[:-1] if text.endswith("\n") else text

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


@dataclass(repr=False)
class Result(TerminalOutput):
    """What a kubectl run printed, and its exit code. Displays like a terminal."""
    stdout: str = ""
    stderr: str = ""
    returncode: int = 0
    command: str = ""
    exception: BaseException | None = field(default=None, repr=False)

    @property
    def exit_code(self) -> int:
        return self.returncode

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def json(self):
        """``stdout`` parsed as JSON (for ``-o json``)."""
        import json
        return json.loads(self.stdout)

    def yaml(self):
        import yaml
        return yaml.safe_load(self.stdout)

    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def __bool__(self) -> bool:
        return self.ok


class Ctx:
    """Everything a command needs: the backend, the namespace, and where to print."""

    def __init__(self, backend, parsed, stdin: str | None = None):
        self.backend = backend
        self.stdin = stdin
        ns = parsed.get("namespace")
        self.explicit_ns = bool(ns)
        self.namespace = ns or getattr(backend, "default_namespace", "default")
        self.api = backend.api
        user = parsed.get("as")
        if user:
            from labkit.minicluster.apiserver import UserInfo
            groups = tuple(parsed.get("as-group") or ()) + ("system:authenticated",)
            self.api = UserApi(backend.api, UserInfo(user, groups))
        elif getattr(backend, "kubectl_user", None) is not None:
            self.api = UserApi(backend.api, backend.kubectl_user)
        self.out: list[str] = []
        self.err: list[str] = []
        self.failed = False
        self._warned: set = set()

    def warn(self, message: str) -> None:
        """A client-side warning (``Warning: ...`` on stderr), printed once per command, like
        kubectl's shortcut expander warning about an ambiguous short name."""
        if message not in self._warned:
            self._warned.add(message)
            self.err.append(f"Warning: {message}\n")

    def now(self) -> float:
        return self.backend.now()

    def ns(self, rt) -> str | None:
        return self.namespace if rt.namespaced else None

    def print(self, text: str = "") -> None:
        self.out.append(text if text.endswith("\n") or not text else text + "\n")

    def write(self, text: str) -> None:
        self.out.append(text)

    def error(self, text: str) -> None:
        """Print to stderr and remember that the command failed."""
        self.err.append(text if text.endswith("\n") else text + "\n")
        self.failed = True

    def api_error(self, e: errors.ApiError, prefix: str = "") -> None:
        """Print an API error as kubectl does (``prefix`` goes before the server's message,
        like ``error when creating "STDIN": ``)."""
        self.error(format_api_error(e, prefix))

    def wait_for(self, predicate, timeout: float = 300):
        """Let time pass until ``predicate()`` holds (if the backend can); returns its value or
        None on timeout or when the backend cannot wait."""
        waiter = getattr(self.backend, "wait_for", None)
        if waiter is None:
            return predicate()
        try:
            return waiter(lambda _b: predicate(), timeout=timeout)
        except TimeoutError:
            return None


def split(args) -> list[str]:
    tokens = shlex.split(args) if isinstance(args, str) else [str(a) for a in args]
    if tokens and tokens[0] == "kubectl":
        tokens = tokens[1:]
    return tokens


def run(backend, args, stdin: str | None = None) -> Result:
    """Run one kubectl command line against ``backend`` (see :mod:`labkit.kubectl.backend`)."""
    _load_commands()
    text = args if isinstance(args, str) else " ".join(map(str, args))
    try:
        tokens = split(args)
    except ValueError as e:
        return Result(stderr=f"error: {e}\n", returncode=1, command=text)
    if not tokens or tokens[0] in ("help", "--help", "-h"):
        return Result(stdout=usage(), command=text)
    name = tokens[0]
    entry = COMMANDS.get(name)
    if entry is None:
        return Result(stderr=f'error: unknown command "{name}" for "kubectl"\n', returncode=1,
                      command=text)
    fn, spec, _ = entry
    ctx = None
    try:
        parsed = flagmod.parse(tokens[1:], spec, name)
        ctx = Ctx(backend, parsed, stdin)
        token = WARNINGS.set(ctx.warn)
        try:
            code = fn(ctx, parsed)
        finally:
            WARNINGS.reset(token)
        rc = code if isinstance(code, int) else (1 if ctx.failed else 0)
        return Result("".join(ctx.out), "".join(ctx.err), rc, text)
    except KubectlError as e:
        out, err = ("".join(ctx.out), "".join(ctx.err)) if ctx else ("", "")
        return Result(out, err + f"error: {e.message}\n", e.code, text)
    except errors.ApiError as e:
        out, err = ("".join(ctx.out), "".join(ctx.err)) if ctx else ("", "")
        return Result(out, err + format_api_error(e) + "\n", 1, text)
    except Exception as e:  # noqa: BLE001 - a bug must not look like a crash of the student's code
        out, err = ("".join(ctx.out), "".join(ctx.err)) if ctx else ("", "")
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        return Result(out, err + f"error: internal error in labkit's kubectl: {detail}\n", 1, text, e)


def usage() -> str:
    _load_commands()
    lines = ["kubectl controls the Kubernetes cluster manager (labkit's Python version).", "",
             "Commands:"]
    for name in sorted(COMMANDS):
        lines.append(f"  {name:<15}{COMMANDS[name][2]}")
    lines += ["", "Usage:", "  kubectl [flags] [options]", ""]
    return "\n".join(lines)


_LOADED = False


def _load_commands() -> None:
    global _LOADED
    if not _LOADED:
        from . import apply, create, get, info, modify, nodes, rollout, top  # noqa: F401 - register
        _LOADED = True
