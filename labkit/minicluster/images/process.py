"""A container's main process, as the kubelet sees it through the container runtime.

The kubelet never looks inside a container: it starts it, watches for it to exit, reads its
logs, sends it signals, and probes it (HTTP GET, TCP connect, exec). :class:`Process` is exactly
that surface, over a small *behaviour model* of the program inside (a web server, a shell
script, a memory leak...):

=============================  ===========================================================
``next_event_time()``          when the process next changes by itself (None: never)
``advance(now)``               run it up to ``now``; returns the new log lines
``exited``                     ``(exit_code, reason)`` once it has exited, else None
``memory_bytes(now)``          resident memory (the OOM killer compares it with the limit)
``cpu_millicores(now)``        CPU use (what metrics-server and the HPA see)
``http_get(port, path, now)``  ``(status, body)``, or raises :class:`NetError`
``tcp_open(port, now)``        is something listening on that port?
``exec(argv, now)``            ``(exit_code, output)`` of a command run inside the container
``signal_term(now)``           the graceful stop signal (the image's STOPSIGNAL)
``signal_kill(now)``           SIGKILL: exit code 137 at once
=============================  ===========================================================

Processes are lazy: nothing runs between calls. A web server with no traffic has no timers at
all; a script's ``sleep 30`` is one event 30 virtual seconds later. Exit codes and reasons are
those containerd reports: 0 → ``Completed``, non-zero → ``Error``, killed by the kernel's OOM
killer → 137 ``OOMKilled``, a process that cannot start → 128 ``StartError``.
"""
from __future__ import annotations

import math
from types import MappingProxyType

#: log lines kept per container instance (the kubelet rotates container logs at 10 MiB)
MAX_LOG_LINES = 10000
#: a line without a newline is logged once it reaches this size (containerd's 16 KiB buffer)
PARTIAL_LINE_MAX = 16 * 1024

#: one copy of each recent log line shared by every container that prints it (10,000 nginx
#: pods print the same start-up lines): memory for large clusters; cleared when full
_LINES: dict = {}
_LINES_LIMIT = 20_000

#: what a process starts with, shared by all processes until one writes (150,000 pods:
#: an empty list and a dict of two empty buffers each would cost ~120 bytes per container)
_NO_LINES: tuple = ()
_NO_PARTIAL = MappingProxyType({"stdout": "", "stderr": ""})

#: environments shared by containers (see :meth:`Sandbox.share_env`), by their items
_ENVS: dict = {}

#: one copy of each command line (every nginx pod runs ``nginx -g daemon off;``)
_ARGVS: dict = {}


def shared_argv(argv) -> tuple:
    """``argv`` as a tuple shared by every process started with the same command line."""
    argv = tuple(argv)
    if len(_ARGVS) > 10_000:
        _ARGVS.clear()
    try:
        return _ARGVS.setdefault(argv, argv)
    except TypeError:  # not all strings: kept as given
        return argv


class NetError(Exception):
    """A failed connection; ``str()`` is the message a Go client would print (the kubelet's
    probes quote it: ``dial tcp 10.244.1.5:8080: connect: connection refused``). ``kind`` is
    ``"refused"``, ``"dns"`` (no such host), ``"timeout"`` or ``"protocol"``."""

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        if kind is None:
            kind = ("dns" if "no such host" in message else "timeout" if "timeout" in message
                    else "refused" if "refused" in message else "protocol")
        self.kind = kind


class StartError(Exception):
    """The runtime could not start the container's process (exit code 128, ``StartError``)."""


class ExecError(Exception):
    """``kubectl exec`` / an exec probe could not even start the command."""


class OpenStdin(str):
    """The stdin of a container whose spec says ``stdin: true``: open, nothing arrived yet. A
    shell reading it as PID 1 waits (for ``kubectl attach``) instead of reading an empty script
    and exiting, as ``kubectl run -it ... -- sh`` relies on."""

    __slots__ = ()


class Sandbox:
    """Everything a container gets from the kubelet: its environment, filesystem, network and
    identity (hostname, pod IP), its resource limits, and a private random generator.

    The environment of the pods of one template differs only in ``HOSTNAME``: containers
    share one copy of the rest (:meth:`share_env`) and get their own dict when something
    reads ``env`` (a shell, ``kubectl exec env``); an idle nginx never does."""

    __slots__ = ("_env", "_env_base", "fs", "net", "hostname", "rng", "pod_ip", "mem_limit",
                 "cpu_limit", "node_ip", "stdin")

    def __init__(self, env=None, fs=None, net=None, hostname="localhost", rng=None, pod_ip="",
                 mem_limit=None, cpu_limit=None, node_ip="", stdin=""):
        from .fs import FileSystem
        from .network import NoNetwork
        self._env, self._env_base = dict(env or {}), None
        self.fs = fs if fs is not None else FileSystem()
        self.net = net if net is not None else NoNetwork()
        self.hostname, self.rng, self.pod_ip, self.node_ip = hostname, rng, pod_ip, node_ip
        self.mem_limit, self.cpu_limit, self.stdin = mem_limit, cpu_limit, stdin

    @property
    def env(self) -> dict:
        """The container's environment (its own dict: programs may change it)."""
        if self._env is None:
            env = self._env = dict(self._env_base)
            env["HOSTNAME"] = self.hostname
            self._env_base = None
        return self._env

    @env.setter
    def env(self, env: dict) -> None:
        self._env, self._env_base = env, None

    def share_env(self, env: dict) -> None:
        """Use ``env`` (a dict this sandbox may keep) as the environment, through a copy
        shared with every container whose environment is the same but for ``HOSTNAME``."""
        if env.get("HOSTNAME") != self.hostname or not all(type(v) is str for v in env.values()):
            self.env = env  # HOSTNAME set by the container spec, or odd values: keep it as is
            return
        env["HOSTNAME"] = ""  # keeps its place in the order; the real value comes with the copy
        key = tuple(env.items())
        if len(_ENVS) > 1000:
            _ENVS.clear()
        self._env, self._env_base = None, _ENVS.setdefault(key, env)


class Process:
    """Base behaviour: a process that runs forever quietly (like ``pause``), ignores SIGTERM
    as PID 1 does, and listens on no port. Subclasses override the ``_hooks``."""

    #: resident memory of the idle program, bytes
    RSS = 512 * 1024
    #: True when SIGTERM is ignored (PID 1 without a handler: sleep, sh, pause...)
    IGNORES_TERM = True
    #: lines written with :meth:`say` may wait, unformatted, until someone reads the log
    BATCH_LOG = True

    # slots: one process per container, 150,000 at scale (subclasses that declare none get an
    # instance dict as usual); ``exec`` records the last command's duration and a count
    __slots__ = ("image", "argv", "sb", "started_at", "finished_at", "exit_code", "reason", "_log",
                 "_pending", "_batch", "dropped", "term_at", "_due", "_partial",
                 "last_exec_seconds", "_exec_count")

    def __init__(self, image, argv: list[str], sandbox: Sandbox, now: float):
        self.image, self.argv, self.sb = image, shared_argv(argv), sandbox
        self.started_at = now
        self.finished_at: float | None = None
        self.exit_code: int | None = None
        self.reason: str | None = None
        self._log: list[tuple] | tuple = _NO_LINES  # (time, stream, text): see ``log``
        self._pending = None         # [(time, stream, lines)] said but not yet in _log
        self._batch = self.BATCH_LOG
        self.dropped = 0             # lines rotated away
        self.term_at: float | None = None
        self._due: float | None = None
        self._partial = _NO_PARTIAL  # text not yet ended by a newline, per stream

    # -- identity -----------------------------------------------------------------------------
    @property
    def env(self) -> dict:
        return self.sb.env

    @property
    def fs(self):
        return self.sb.fs

    # -- the log ------------------------------------------------------------------------------
    @property
    def log(self) -> list[tuple]:
        """The log lines, ``(time, stream, text)``. Lines a program *says* as a block (nginx's
        20 start-up lines) wait as one entry until the log is read: most containers' logs are
        never read, and 20 tuples x 150,000 pods is 200 MB (see :meth:`say`)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            for t, stream, lines in pending:
                self._append(self.started_at if t is None else t, stream, lines)
        if self._log is _NO_LINES:  # the list is made when the first line is written or read
            self._log = []
        return self._log

    @log.setter
    def log(self, lines: list) -> None:  # another process shares its log list with this one
        _ = self.log
        self._log, self._batch = lines, False

    def _log_total(self) -> int:
        """Lines ever logged (kept, rotated away or pending), without formatting pending ones."""
        waiting = sum(len(b[2]) for b in self._pending) if self._pending is not None else 0
        return len(self._log) + self.dropped + waiting

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def exited(self):
        """``(exit_code, reason)`` once the process has exited, else None."""
        return None if self.exit_code is None else (self.exit_code, self.reason)

    def next_event_time(self) -> float | None:
        """When this process next changes on its own (exit, OOM, a log line); None = never."""
        if self.exit_code is not None:
            return None
        times = [t for t in (self._due, self._oom_time()) if t is not None]
        return min(times) if times else None

    def advance(self, now: float) -> list[tuple]:
        """Run the model up to ``now``. Returns the log lines produced meanwhile."""
        start = self._log_total()
        while self.exit_code is None:
            oom, due = self._oom_time(), self._due
            nxt = min(t for t in (oom, due, math.inf) if t is not None)
            if nxt > now:
                break
            if oom is not None and oom <= nxt:
                self._flush(oom)
                self._exit(137, "OOMKilled", oom)
                break
            self._due = None
            self._step(nxt)
        if self._log_total() == start:
            return []
        return self.log[max(0, start - self.dropped):]

    def _step(self, t: float) -> None:
        """Do whatever was due at ``t`` (subclasses); may set ``self._due`` again."""

    def _exit(self, code: int, reason: str | None, t: float) -> None:
        if self.exit_code is not None:
            return
        self._flush(t)
        self.exit_code = code
        self.reason = reason or ("Completed" if code == 0 else "Error")
        self.finished_at = t
        self._due = None
        self._on_exit(t)

    def _on_exit(self, t: float) -> None:
        """Hook: persist state (a database flushes to its volume)."""

    # -- signals ------------------------------------------------------------------------------
    def signal_term(self, now: float) -> None:
        """The graceful stop signal. What happens depends on the program (``_on_term``)."""
        self.advance(now)
        if self.exit_code is None and self.term_at is None:
            self.term_at = now
            self._on_term(now)

    def _on_term(self, now: float) -> None:
        if not self.IGNORES_TERM:
            self._exit(143, "Error", now)

    def signal_kill(self, now: float) -> None:
        """SIGKILL cannot be caught: exit code 137 (128 + 9)."""
        self.advance(now)
        self._exit(137, "Error", now)

    # -- logs ---------------------------------------------------------------------------------
    def emit(self, t: float, text: str, stream: str = "stdout") -> None:
        """Write ``text`` to stdout/stderr at time ``t``; complete lines become log lines."""
        buf = self._partial[stream] + text
        *lines, rest = buf.split("\n")
        if len(rest) >= PARTIAL_LINE_MAX:  # containerd cuts very long lines into 16 KiB pieces
            lines.append(rest)
            rest = ""
        self.partial_buffers()[stream] = rest
        self._append(t, stream, lines)

    def _append(self, t: float, stream: str, lines) -> None:
        log = self.log
        if len(_LINES) > _LINES_LIMIT:
            _LINES.clear()
        for line in lines:
            log.append((t, stream, _LINES.setdefault(line, line) if len(line) < 256 else line))
        if len(log) > MAX_LOG_LINES:
            cut = len(log) - MAX_LOG_LINES
            del log[:cut]
            self.dropped += cut

    def say(self, t: float, *lines: str, stream: str = "stdout") -> None:
        """Write whole lines. They wait as blocks ``(time, stream, lines)`` until the log is
        read; blocks said at the start (time None: ``started_at``) form a tuple shared by every
        process that said the same at its start (all nginx pods of a version started in the
        same second), and become a private list at the first later line."""
        if self._batch and not self._partial[stream] and not any("\n" in line for line in lines):
            if len(_LINES) > _LINES_LIMIT:
                _LINES.clear()
            shared = tuple(_LINES.setdefault(line, line) if len(line) < 256 else line for line in lines)
            block = (None if t == self.started_at else t, stream, _LINES.setdefault(shared, shared))
            pending = self._pending
            if block[0] is None and (pending is None or type(pending) is tuple):
                pending = (pending or ()) + (_LINES.setdefault(block, block),)
                self._pending = _LINES.setdefault(pending, pending)
            elif pending is None:
                self._pending = [block]
            else:
                if type(pending) is tuple:
                    pending = self._pending = list(pending)
                pending.append(block)
            return
        for line in lines:
            self.emit(t, line + "\n", stream)

    def partial_buffers(self) -> dict:
        """The per-stream buffers of text not yet ended by a newline, made on first write
        (most programs only ever write whole lines: the shared empty buffers serve them)."""
        if self._partial is _NO_PARTIAL:
            self._partial = dict(_NO_PARTIAL)
        return self._partial

    def log_lines(self) -> list[tuple]:
        """The log so far, including text not yet ended by a newline (as containerd writes
        partial lines, ``kubectl logs`` shows them)."""
        extra = [(self.log[-1][0] if self.log else self.started_at, s, text)
                 for s, text in self._partial.items() if text]
        return self.log + extra if extra else self.log

    def _flush(self, t: float) -> None:
        for stream, rest in self._partial.items():
            if rest:
                self.log.append((t, stream, rest))
                self._partial[stream] = ""

    # -- resources ----------------------------------------------------------------------------
    def memory_bytes(self, now: float) -> int:
        return 0 if self.exit_code is not None else self.RSS

    def cpu_millicores(self, now: float) -> int:
        return 0 if self.exit_code is not None else 1

    def _oom_time(self) -> float | None:
        """When memory use crosses the container's limit (subclasses that grow override)."""
        limit = self.sb.mem_limit
        if limit and self.exit_code is None and self.memory_bytes(self.started_at) > limit:
            return self.started_at
        return None

    def _cpu_capped(self, millicores: float) -> int:
        limit = self.sb.cpu_limit
        return int(min(millicores, limit) if limit else millicores)

    # -- network ------------------------------------------------------------------------------
    def listening(self, now: float) -> set[int]:
        """TCP ports open at ``now``."""
        return set()

    def tcp_open(self, port: int, now: float) -> bool:
        self.advance(now)
        return self.exit_code is None and int(port) in self.listening(now)

    def http_get(self, port: int, path: str, now: float, headers=None, client_ip: str = ""):
        """Answer ``GET path`` on ``port``: ``(status, body)``; raises :class:`NetError` when
        nothing listens there or the port does not speak HTTP."""
        if not self.tcp_open(port, now):
            raise NetError("connect: connection refused")
        return self.http(int(port), path, now, headers or {}, client_ip)

    def http(self, port, path, now, headers, client_ip):
        raise NetError('net/http: HTTP/1.x transport connection broken: malformed HTTP response '
                       '"\\x00\\x00\\x00"', "protocol")

    # -- exec ---------------------------------------------------------------------------------
    def exec(self, argv, now: float, timeout: float | None = None, stdin: str = "", err=None):
        """Run a command inside the container (``kubectl exec``, exec probes).

        Returns ``(exit_code, output)``; ``exit_code`` is None when the command was still
        running after ``timeout`` seconds. Raises :class:`ExecError` if it cannot start.
        Standard error goes into ``output`` unless ``err`` (a shell ``Capture``) takes it.
        """
        self.advance(now)
        if self.exit_code is not None:
            raise ExecError("container not running")
        from .shell.script import run_exec
        return run_exec(self, list(argv), now, timeout, stdin, err)
