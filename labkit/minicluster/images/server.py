"""Long-running server programs (web servers, databases, proxies): the common behaviour.

A server starts, writes its startup log, listens on its ports after a short start-up time,
answers requests, and stops when signalled. While it runs it needs **no timers**: a quiet
nginx among 150,000 pods costs nothing until someone talks to it.

Stopping: most servers catch SIGTERM (or the image's STOPSIGNAL, SIGQUIT for nginx) and exit
cleanly within ``STOP_SECONDS``, exit code 0 (``Completed``). A Go program without a signal
handler running as PID 1 cannot be killed by SIGTERM's default action, so the Go runtime exits
with status 2 instead (agnhost).
"""
from __future__ import annotations

from datetime import datetime, timezone

from .process import NetError, Process


def clf_time(t: float) -> str:
    """Common Log Format time: ``01/Jan/2025:00:00:10 +0000``."""
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")


def ymd_time(t: float) -> str:
    """``2025/01/01 00:00:10`` (nginx error log, Go's log package)."""
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y/%m/%d %H:%M:%S")


class ServerProcess(Process):
    """A server listening on ``PORTS`` ``STARTUP`` seconds after it starts."""

    PORTS: tuple = (80,)
    STARTUP = 0.05
    STOP_SECONDS = 0.1
    STOP_CODE = 0
    IGNORES_TERM = False
    RSS = 4 << 20
    IDLE_CPU = 1
    #: CPU seconds each request costs (drives the HPA example's CPU use)
    REQUEST_CPU = 0.0
    #: CPU use is averaged over this window (cAdvisor/metrics-server rates over ~15 s)
    CPU_WINDOW = 15.0

    __slots__ = ("_ready_at", "stopping", "requests", "_req_times")

    def __init__(self, image, argv, sandbox, now):
        super().__init__(image, argv, sandbox, now)
        self._ready_at = None  # STARTUP seconds after the start, unless startup() says otherwise
        self.stopping = False
        self.requests = 0
        self._req_times: list[float] | tuple = ()  # kept only when requests cost CPU
        self.startup(now)

    @property
    def ready_at(self) -> float:
        """When the server starts listening (a float per server only when it is not the
        usual ``STARTUP`` seconds after the start)."""
        return self.started_at + self.STARTUP if self._ready_at is None else self._ready_at

    @ready_at.setter
    def ready_at(self, t: float) -> None:
        self._ready_at = t

    # -- hooks --------------------------------------------------------------------------------
    def startup(self, now: float) -> None:
        """Write the startup log; may change ``ready_at`` or exit at once (bad config)."""

    def shutdown(self, now: float) -> None:
        """Write the shutdown log."""

    def ports(self) -> tuple:
        return self.PORTS

    # -- lifecycle ----------------------------------------------------------------------------
    def listening(self, now: float) -> set[int]:
        if self.exit_code is not None or self.stopping or now < self.ready_at:
            return set()
        return set(self.ports())

    def _on_term(self, now: float) -> None:
        if self.IGNORES_TERM:
            return
        self.stopping = True
        self.shutdown(now)
        if self.STOP_SECONDS <= 0:
            self._exit(self.STOP_CODE, None, now)
        else:
            self._due = now + self.STOP_SECONDS

    def _step(self, t: float) -> None:
        if self.stopping:
            self._exit(self.STOP_CODE, None, t)

    # -- requests -----------------------------------------------------------------------------
    def http(self, port, path, now, headers, client_ip):
        self.requests += 1
        if self.REQUEST_CPU:
            if not self._req_times:
                self._req_times = []
            self._req_times.append(now)
            if len(self._req_times) > 20000:
                del self._req_times[:10000]
        return self.handle(port, path, now, headers, client_ip or "10.244.0.1")

    def handle(self, port, path, now, headers, client_ip):
        raise NetError("connection reset by peer", "protocol")

    def cpu_millicores(self, now: float) -> int:
        if self.exit_code is not None:
            return 0
        busy = 0.0
        if self._req_times:
            since = now - self.CPU_WINDOW
            recent = sum(1 for t in self._req_times if since < t <= now)
            busy = recent * self.REQUEST_CPU / self.CPU_WINDOW * 1000
        return self._cpu_capped(self.IDLE_CPU + busy)


class ListenerProcess(ServerProcess):
    """``nc -l -p PORT`` / ``ncat --listen PORT``: accepts connections, says nothing."""

    RSS = 1 << 20

    def __init__(self, image, argv, sandbox, now, port: int):
        self._port = port
        super().__init__(image, argv, sandbox, now)

    def ports(self):
        return (self._port,)

    def tcp_exchange(self, data: str, now: float) -> str:
        if data:
            self.emit(now, data)
        return ""


class SleeperProcess(Process):
    """A program that does nothing until killed (``pause``); ignores SIGTERM only if asked."""

    RSS = 256 * 1024

    def __init__(self, image, argv, sandbox, now, ignores_term: bool = False, rss: int | None = None):
        super().__init__(image, argv, sandbox, now)
        self._ignores = ignores_term
        if rss:
            self.RSS = rss

    def _on_term(self, now):
        if not self._ignores:
            self._exit(0, None, now)
