"""Where a command's output goes: the container log, a file, a capture buffer, /dev/null."""
from __future__ import annotations


class Capture:
    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


class LogStream:
    """stdout/stderr of PID 1: what ``kubectl logs`` shows, stamped with the virtual time."""

    def __init__(self, sh, name: str):
        self.sh, self.name = sh, name

    def write(self, text: str) -> None:
        self.sh.proc.emit(self.sh.now, text, self.name)


class FileStream:
    def __init__(self, fs, path: str):
        self.fs, self.path = fs, path

    def write(self, text: str) -> None:
        self.fs.write(self.path, text, append=True)


class NullStream:
    def write(self, text: str) -> None:
        pass


class IO:
    __slots__ = ("stdin", "out", "err")

    def __init__(self, stdin, out, err):
        self.stdin, self.out, self.err = stdin, out, err
