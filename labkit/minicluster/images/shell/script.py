"""A container whose PID 1 is a shell script, and ``kubectl exec`` into any container.

:class:`ScriptProcess` drives the interpreter generator of :mod:`.runtime` in virtual time;
:func:`run_exec` runs one command synchronously, as ``kubectl exec`` and exec probes do.
"""
from __future__ import annotations

import math
from contextlib import contextmanager

from ..process import ExecError, Process
from .runtime import Capture, Shell, ShellExit, Takeover, Wait


class ScriptProcess(Process):
    """A container whose PID 1 is a shell (or a simple program like ``sleep`` run by it)."""

    IGNORES_TERM = True

    def __init__(self, image, argv, sandbox, now, shell_name="sh"):
        super().__init__(image, argv, sandbox, now)
        self.shell = Shell(self, sandbox.env, name=shell_name)
        self.shell.stdin = sandbox.stdin
        self.shell.pid1_entry = True
        self.gen = self.shell.main(argv)
        self.server: Process | None = None
        self._waiting = False
        self._due = now

    def _step(self, t):
        if self.server is not None:
            self.server._step(t)
            self._due = self.server._due
            return
        self.shell.now = t
        try:
            while True:
                d = next(self.gen)
                self._waiting = isinstance(d, Wait)
                if self._waiting:
                    d = d.seconds
                if d > 0:
                    self._due = None if math.isinf(d) else t + d
                    return
        except StopIteration as stop:
            self._exit(int(stop.value or 0), None, t)
        except ShellExit as e:
            self._exit(e.code & 255, None, t)
        except Takeover as tk:
            self._become(tk, t)
        except RecursionError:
            self.say(t, f"{self.shell.name}: stack overflow", stream="stderr")
            self._exit(2, None, t)
        except Exception as e:  # noqa: BLE001 - a model gap must not crash the cluster
            self.say(t, f"{self.shell.name}: {type(e).__name__}: {e}", stream="stderr")
            self._exit(2, None, t)

    BATCH_LOG = False  # a script and the server it becomes write one shared log, in order

    def _become(self, tk, t):
        srv = tk.factory(self.image, tk.argv, self.sb, t)
        self.log.extend(srv.log)
        srv.log = self.log
        srv._partial = self.partial_buffers()  # one set of buffers for both
        self.server = srv
        self._due = srv._due

    def next_event_time(self):
        if self.server is not None and self.exit_code is None:
            nxt = self.server.next_event_time()
            if self.server.exit_code is not None:
                return self.server.finished_at
            return nxt
        return super().next_event_time()

    def advance(self, now):
        if self.server is None:
            return super().advance(now)
        start = len(self.log)
        self.server.advance(now)
        if self.server.exit_code is not None and self.exit_code is None:
            self.exit_code, self.reason = self.server.exit_code, self.server.reason
            self.finished_at = self.server.finished_at
        return self.log[start:]

    def _on_term(self, now):
        if self.server is not None:
            self.server.signal_term(now)
            self.advance(now)
            return
        if "TERM" in self.shell.traps or "SIGTERM" in self.shell.traps or "15" in self.shell.traps:
            key = next(k for k in ("TERM", "SIGTERM", "15") if k in self.shell.traps)
            if key != "TERM":
                self.shell.traps["TERM"] = self.shell.traps[key]
            self.shell.pending.append("TERM")
            if self._waiting:
                self._due = now  # ``wait`` returns at once on a trapped signal

    def signal_kill(self, now):
        if self.server is not None:
            self.server.signal_kill(now)
        super().signal_kill(now)

    def memory_bytes(self, now):
        if self.server is not None:
            return self.server.memory_bytes(now)
        return super().memory_bytes(now)

    def cpu_millicores(self, now):
        if self.server is not None:
            return self.server.cpu_millicores(now)
        return super().cpu_millicores(now)

    def listening(self, now):
        if self.server is not None:
            return self.server.listening(now)
        return set(getattr(self.shell, "listen_ports", ()))

    def http(self, port, path, now, headers, client_ip):
        if self.server is not None:
            return self.server.http(port, path, now, headers, client_ip)
        return super().http(port, path, now, headers, client_ip)


def run_exec(proc, argv, now, timeout=None, stdin="", err=None):
    """``kubectl exec`` / an exec probe: a new process in the container, run synchronously.

    Returns ``(exit_code, output)``; stderr is part of ``output`` unless ``err`` (a
    :class:`Capture`) is given to receive it apart, as ``kubectl exec`` without a TTY does."""
    with working_directory(proc.fs, proc.fs.workdir):
        return _run_exec(proc, argv, now, timeout, stdin, err)


def _run_exec(proc, argv, now, timeout, stdin, err):
    from .builtins import lookup
    if not argv:
        raise ExecError("command not specified")
    sh = Shell(proc, proc.env, name=_base(argv[0]), pid=proc_pid(proc))
    sh.vars["PWD"] = proc.fs.cwd
    if lookup(sh, argv[0]) is None:
        raise ExecError(f'OCI runtime exec failed: exec failed: unable to start container '
                        f'process: exec: "{argv[0]}": executable file not found in $PATH: unknown')
    cap = Capture()
    sh.now, sh.stdin = now, stdin
    sh.out, sh.err = cap, cap if err is None else err
    gen = sh.main(argv)
    total = 0.0
    proc.last_exec_seconds = 0.0
    try:
        while True:
            d = next(gen)
            d = d.seconds if isinstance(d, Wait) else d
            total += d
            sh.now = now + total
            if timeout is not None and total > timeout or math.isinf(total):
                proc.last_exec_seconds = timeout if timeout is not None else total
                return None, cap.text()
    except StopIteration as stop:
        code = int(stop.value or 0)
    except ShellExit as e:
        code = e.code & 255
    except Takeover:
        return None, cap.text()
    except RecursionError:
        return 2, cap.text() + f"{sh.name}: stack overflow\n"
    except Exception as e:  # noqa: BLE001 - a model gap must not crash the cluster
        return 2, cap.text() + f"{sh.name}: {type(e).__name__}: {e}\n"
    proc.last_exec_seconds = total
    return code, cap.text()


@contextmanager
def working_directory(fs, cwd: str):
    """Run with the container's ``fs.cwd`` at ``cwd``, then give PID 1 its own back: an
    exec'd process starts in the container's working directory, and its ``cd`` moves neither
    PID 1 nor the next exec. (The container's processes take turns, never run at once.)"""
    saved, fs.cwd = fs.cwd, cwd
    try:
        yield
    finally:
        fs.cwd = saved


def proc_pid(proc) -> int:
    proc._exec_count = getattr(proc, "_exec_count", 0) + 1
    return 6 + proc._exec_count


def _base(path: str) -> str:
    return path.rsplit("/", 1)[-1]
