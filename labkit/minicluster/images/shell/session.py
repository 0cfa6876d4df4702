"""An interactive shell inside a container: ``kubectl exec -it web -- sh``.

A ``sh`` started by ``kubectl exec -i`` reads its commands from stdin and runs each line as it
arrives; variables, functions and the current directory carry over from one line to the next.
With ``-t`` the container also gets a terminal (a pty). Its *line discipline*, in the kernel,
not in the shell, is what makes typing feel normal:

- it **echoes** every key back (the client's own terminal is in raw mode and shows nothing);
- it keeps the line until Enter: Backspace erases, Ctrl-C (``^C``) drops the line,
  Ctrl-D on an empty line is end-of-file (the shell exits);
- it turns each ``\\n`` of output into ``\\r\\n``, and the shell prints a prompt (``/ # `` in
  busybox and Alpine, ``# `` for Debian's ``sh``, ``root@web-7d4b9c-x2k8q:/# `` for bash).

:class:`ShellSession` is the shell, :class:`Terminal` the line discipline, both fed by the
API server's exec stream (:mod:`labkit.minicluster.http.streaming`).

Simplifications: a line runs to completion before its output is shown and takes no virtual
time (``sleep 5`` returns at once, as every exec does here); a command that would never end
(``sleep infinity``, ``tail -f``) is stopped as if by Ctrl-C (status 130); no job control,
history, tab completion or cursor keys (escape sequences are ignored).
"""
from __future__ import annotations

import math

from ..process import ExecError
from .runtime import Capture, Shell, ShellExit, Takeover, Wait
from .script import _base, proc_pid, working_directory

#: what ``kubectl exec -i`` treats as an interactive shell: a shell with no script to run
SHELLS = {"sh", "ash", "bash", "dash"}


def is_interactive_shell(argv: list[str]) -> bool:
    """``sh`` or ``/bin/bash`` alone (or with ``-i``/``-l``): a shell that reads its commands
    from stdin, one line at a time."""
    return bool(argv) and _base(argv[0]) in SHELLS and all(a in ("-i", "-l", "-il", "-li")
                                                           for a in argv[1:])


class ShellSession:
    """One shell process started by exec, kept between lines."""

    def __init__(self, proc, argv: list[str]):
        from .builtins import lookup
        self.proc = proc
        self.sh = Shell(proc, proc.env, name=_base(argv[0]), pid=proc_pid(proc))
        self.cwd = self.sh.vars["PWD"] = proc.fs.workdir  # this shell's own (see working_directory)
        if lookup(self.sh, argv[0]) is None:
            raise ExecError(f'OCI runtime exec failed: exec failed: unable to start container '
                            f'process: exec: "{argv[0]}": executable file not found in $PATH: unknown')
        self.exit_code: int | None = None
        self.pid1 = False
        self.before_line = self.after_line = self.on_exit = None  # the kubelet's hooks

    @classmethod
    def attached(cls, proc) -> "ShellSession":
        """``kubectl attach``: the session *is* the container's PID 1 shell (started with
        ``stdin: true``): its own directory, its output also in the container log, and its
        ``exit`` ends the container."""
        self = cls.__new__(cls)
        self.proc, self.sh, self.exit_code, self.pid1 = proc, proc.shell, None, True
        self.before_line = self.after_line = self.on_exit = None
        return self

    def prompt(self) -> str:
        """The prompt a root shell of this image prints (PS1, when set, wins)."""
        sh = self.sh
        cwd = sh.fs.cwd if self.pid1 else self.cwd
        home = sh.vars.get("HOME", "/root")
        short = "~" + cwd[len(home):] if cwd == home or cwd.startswith(home + "/") else cwd
        if "PS1" in sh.vars:
            return sh.vars["PS1"].replace("\\w", short).replace("\\$", "#") \
                .replace("\\h", sh.vars.get("HOSTNAME", "")).replace("\\u", "root")
        if sh.name == "bash":
            return f"root@{sh.vars.get('HOSTNAME', '')}:{short}# "
        if sh.flavor == "bash":  # Debian's /bin/sh is dash
            return "# "
        return f"{short} # "

    def run_line(self, line: str, now: float) -> tuple[str, str]:
        """Run one line at virtual time ``now``: ``(stdout, stderr)``. An ``exit`` ends the
        session (``exit_code`` is set)."""
        if self.before_line is not None:
            self.before_line()
        out, err = Capture(), Capture()
        sh = self.sh
        streams = sh.out, sh.err
        sh.out, sh.err, sh.now, sh.stdin = out, err, now, ""
        if self.pid1:  # PID 1's output also goes to the container log (kubectl logs)
            self._run(sh, sh.run_script(line), now, err)
            sh.out, sh.err = streams
            for stream, text in (("stdout", out.text()), ("stderr", err.text())):
                if text:
                    self.proc.emit(now, text, stream)
        else:
            with working_directory(sh.fs, self.cwd):
                self._run(sh, sh.run_script(line), now, err)
                self.cwd = sh.fs.cwd
        if self.after_line is not None:
            self.after_line()
        self._ended()
        return out.text(), err.text()

    def _ended(self) -> None:
        if self.exit_code is not None and self.on_exit is not None:
            on_exit, self.on_exit = self.on_exit, None
            on_exit(self.exit_code)

    def _run(self, sh, gen, now: float, err) -> None:
        """Drive the line's interpreter to its end, as run_exec does for one command."""
        total = 0.0
        try:
            while True:
                d = next(gen)
                total += d.seconds if isinstance(d, Wait) else d
                sh.now = now + total
                if math.isinf(total):
                    gen.close()
                    sh.status = 130
                    return
        except StopIteration as stop:
            sh.status = int(stop.value or 0)
        except ShellExit as e:
            self.exit_code = e.code & 255
        except Takeover:  # ``exec nginx`` from a prompt: the session becomes that program
            self.exit_code = 0
        except RecursionError:
            err.write(f"{sh.name}: stack overflow\n")
            sh.status = 2
        except Exception as e:  # noqa: BLE001 - a model gap must not end the session
            err.write(f"{sh.name}: {type(e).__name__}: {e}\n")
            sh.status = 2

    def end(self) -> int:
        """End of input: the shell exits with the status of its last command."""
        if self.exit_code is None:
            self.exit_code = self.sh.status & 255
        self._ended()
        return self.exit_code


class Terminal:
    """The pty's line discipline between the keys a client sends and a :class:`ShellSession`.

    ``feed(keys, now)`` returns what the client's screen should show. ``tty=False`` is the
    plain pipe of ``kubectl exec -i`` without ``-t``: no echo, no prompt, no ``\\r``."""

    def __init__(self, session: ShellSession, tty: bool = True, greet: bool = True):
        self.session, self.tty, self.greet = session, tty, greet
        self.line = ""
        self._escape = ""

    def start(self) -> str:
        """The first prompt; none on ``kubectl attach``, which joins a shell that printed its
        prompt long ago (kubectl says "If you don't see a command prompt, try pressing enter.")."""
        return self.session.prompt() if self.tty and self.greet else ""

    @property
    def ended(self) -> bool:
        return self.session.exit_code is not None

    def _show(self, text: str) -> str:
        return text.replace("\r\n", "\n").replace("\n", "\r\n") if self.tty else text

    def _enter(self, now: float) -> str:
        line, self.line = self.line, ""
        out, err = self.session.run_line(line, now)
        shown = self._show(out + err)
        if not self.ended and self.tty:
            shown += self.session.prompt()
        return shown

    def feed(self, keys: str, now: float) -> str:
        shown = []
        for ch in keys:
            if self.ended:
                break
            if self._escape or ch == "\x1b":  # ESC [ ... letter: a cursor key, ignored
                self._escape += ch
                if len(self._escape) > 1 and (ch.isalpha() or ch == "~"):
                    self._escape = ""
                continue
            if ch in "\r\n":
                if self.tty:
                    shown.append("\r\n")
                shown.append(self._enter(now))
            elif not self.tty:
                self.line += ch
            elif ch in "\x7f\b":
                if self.line:
                    self.line = self.line[:-1]
                    shown.append("\b \b")
            elif ch == "\x03":
                self.line = ""
                shown.append("^C\r\n" + self.session.prompt())
            elif ch == "\x04":
                if not self.line:
                    shown.append("exit\r\n" if self.session.sh.name == "bash" else "\r\n")
                    self.session.end()
            elif ch == "\t" or ord(ch) < 32:
                continue
            else:
                self.line += ch
                shown.append(ch)
        return "".join(shown)

    def close(self, now: float) -> str:
        """stdin closed (``kubectl exec -i`` reached the end of its input): a last line without
        a newline still runs, then the shell exits."""
        shown = self._enter(now) if self.line and not self.ended else ""
        self.session.end()
        return shown
