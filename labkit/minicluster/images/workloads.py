"""Test and teaching images: agnhost, goproxy, pause, and labkit's own failure makers.

============================  ===================================================================
``agnhost liveness``          ``/healthz`` answers 200 for the first 10 s, then 500 (the docs'
                              HTTP liveness example: the kubelet restarts it)
``agnhost netexec``           HTTP on 8080: ``/hostname``, ``/echo?msg=``, ``/exit?code=``
``agnhost serve-hostname``    answers its hostname on 9376
``goproxy``                   an HTTP proxy listening on 8080 (TCP probe example)
``pause``                     does nothing; exits 0 on SIGTERM
``labkit/crasher``            logs, then exits with a code after N seconds (CrashLoopBackOff)
``labkit/stress``, ``stress`` burns CPU (``--cpu N``) or holds memory (``--vm-bytes``)
``labkit/leaker``             memory grows by N MiB/s until the OOM killer strikes (OOMKilled)
``labkit/job``, ``perl``      finite work: prints its result and exits 0 (Jobs)
============================  ===================================================================
"""
from __future__ import annotations

import math
import re

from .process import Process
from .server import ServerProcess, SleeperProcess, ymd_time

MiB = 1 << 20


def klog_time(t: float) -> str:
    """klog's header time: ``I0101 00:00:05.000000``."""
    from datetime import datetime, timezone
    d = datetime.fromtimestamp(t, tz=timezone.utc)
    return d.strftime("%m%d %H:%M:%S.") + f"{int((t % 1) * 1e6):06d}"


def _opt(argv, *names, default=None):
    """Value of ``--name=v``, ``--name v``, ``-name v`` in argv."""
    for k, a in enumerate(argv):
        for n in names:
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
            if a == n and k + 1 < len(argv):
                return argv[k + 1]
    return default


def parse_bytes(text: str | None, default: int = 0) -> int:
    """``150M`` (stress: 1000-based per its docs? no: stress uses 1024) → bytes; ``256Mi`` too."""
    if not text:
        return default
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)[Bb]?", text.strip())
    if not m:
        return default
    mult = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m.group(2)]
    return int(float(m.group(1)) * mult)


def parse_seconds(text: str | None, default: float) -> float:
    if text is None:
        return default
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", str(text))
    if not m:
        return default
    return float(m.group(1)) * {None: 1, "s": 1, "ms": 0.001, "m": 60, "h": 3600}[m.group(2)]


# -- agnhost --------------------------------------------------------------------------------------
class AgnhostLiveness(ServerProcess):
    """test/images/agnhost/liveness: ``/healthz`` is 200 ``ok`` while the process is younger
    than 10 s, then 500 ``error: <seconds>``."""

    PORTS = (8080,)
    RSS = 6 * MiB
    STOP_SECONDS = 0.0
    STOP_CODE = 2

    def handle(self, port, path, now, headers, client_ip):
        age = now - self.started_at
        if path.split("?")[0] == "/healthz":
            if age > 10:
                return 500, f"error: {age:.6f}"
            return 200, "ok"
        if path.split("?")[0] == "/started":
            return 200, "ok"
        return 404, "404 page not found\n"


class AgnhostNetexec(ServerProcess):
    PORTS = (8080,)
    RSS = 7 * MiB
    STOP_SECONDS = 0.0
    STOP_CODE = 2

    def ports(self):
        return (int(_opt(self.argv, "--http-port", default="8080")),)

    def startup(self, now):
        self.say(now, f"I{klog_time(now)}       1 log.go:245] Started HTTP server on port {self.ports()[0]}",
                 f"I{klog_time(now)}       1 log.go:245] Started UDP server on port  8081", stream="stderr")

    def handle(self, port, path, now, headers, client_ip):
        route, _, query = path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        self.say(now, f"I{klog_time(now)}       1 log.go:245] GET {path}", stream="stderr")
        if route == "/hostname":
            return 200, self.sb.hostname
        if route == "/echo":
            return 200, params.get("msg", "")
        if route == "/clientip":
            return 200, f"{client_ip}:{40000 + self.requests}"
        if route == "/healthz":
            return 200, "ok"
        if route == "/exit":
            code = int(params.get("code", "0"))
            self._exit(code, None, now)
            return 200, ""
        if route in ("/", ""):
            from datetime import datetime, timezone
            d = datetime.fromtimestamp(now, tz=timezone.utc)
            return 200, f"NOW: {d:%Y-%m-%d %H:%M:%S}.{int((now % 1) * 1e9):09d} +0000 UTC"
        return 404, "404 page not found\n"


class ServeHostname(ServerProcess):
    PORTS = (9376,)
    RSS = 3 * MiB
    STOP_SECONDS = 0.0
    STOP_CODE = 2

    def ports(self):
        return (int(_opt(self.argv, "--port", default="9376")),)

    def startup(self, now):
        self.say(now, f"{ymd_time(now)} Serving on port {self.ports()[0]}.", stream="stderr")

    def handle(self, port, path, now, headers, client_ip):
        return 200, self.sb.hostname


class TestWebserver(ServerProcess):
    PORTS = (80,)
    RSS = 3 * MiB

    def handle(self, port, path, now, headers, client_ip):
        return 200, "Hello World!"


def agnhost_main(image, argv, sb, now):
    sub = argv[1] if len(argv) > 1 else ""
    cls = {"liveness": AgnhostLiveness, "netexec": AgnhostNetexec,
           "serve-hostname": ServeHostname, "test-webserver": TestWebserver}.get(sub)
    if cls is not None:
        return cls(image, argv, sb, now)
    if sub == "pause":
        return SleeperProcess(image, argv, sb, now)
    return OneShot(image, argv, sb, now, AGNHOST_USAGE if not sub else
                   f'Error: unknown command "{sub}" for "agnhost"\nRun \'agnhost --help\' for usage.\n',
                   code=0 if not sub else 1, stream="stdout" if not sub else "stderr")


AGNHOST_USAGE = """agnhost is a multi-purpose test image.

Usage:
  agnhost [command]

Available Commands:
  liveness        Starts a server that fails liveness checks after 10 seconds
  netexec         Creates HTTP(S), UDP, and (optionally) SCTP servers with various endpoints
  pause           Pauses the execution
  serve-hostname  Serves the hostname
  test-webserver  Creates a test webserver.
"""


# -- small programs -------------------------------------------------------------------------------
class OneShot(Process):
    """Prints a message and exits (usage errors, ``--version``...)."""

    IGNORES_TERM = False

    def __init__(self, image, argv, sandbox, now, text="", code=0, stream="stdout", delay=0.0):
        super().__init__(image, argv, sandbox, now)
        self._text, self._code, self._stream = text, code, stream
        self._due = now + delay

    def _step(self, t):
        if self._text:
            self.emit(t, self._text if self._text.endswith("\n") else self._text + "\n", self._stream)
        self._exit(self._code, None, t)


class Goproxy(ServerProcess):
    """registry.k8s.io/goproxy:0.1: an HTTP proxy on 8080; plain requests get 500."""

    PORTS = (8080,)
    RSS = 3 * MiB
    STOP_SECONDS = 0.0
    STOP_CODE = 2

    def handle(self, port, path, now, headers, client_ip):
        return 500, "This is a proxy server. Does not respond to non-proxy requests.\n"


def pause_main(image, argv, sb, now):
    return PauseProcess(image, argv, sb, now)


class PauseProcess(SleeperProcess):
    def _on_term(self, now):
        self.say(now, "Shutting down, got signal: Terminated", stream="stderr")
        self._exit(0, None, now)


# -- labkit failure makers ------------------------------------------------------------------------
class Crasher(Process):
    """``labkit/crasher [--after 5] [--exit-code 1] [--message TEXT]``: starts, works for a
    while, then dies. With ``--flaky P`` each run crashes only with probability P."""

    IGNORES_TERM = False
    RSS = 2 * MiB

    def __init__(self, image, argv, sandbox, now):
        super().__init__(image, argv, sandbox, now)
        env = sandbox.env
        self.after = parse_seconds(_opt(argv, "--after", default=env.get("CRASH_AFTER")), 5.0)
        self.code = int(_opt(argv, "--exit-code", "--code", default=env.get("EXIT_CODE", "1")))
        self.message = _opt(argv, "--message", default=env.get("CRASH_MESSAGE",
                                                               "panic: something went wrong"))
        flaky = _opt(argv, "--flaky", default=env.get("CRASH_PROBABILITY"))
        rng = sandbox.rng
        self.crashes = True if flaky is None else (rng.random() < float(flaky) if rng else True)
        self.say(now, f"{ymd_time(now)} starting crasher (pid 1)",
                 f"{ymd_time(now)} working...")
        self._due = now + self.after if self.crashes else None

    def _step(self, t):
        self.say(t, f"{ymd_time(t)} {self.message}", stream="stderr")
        self._exit(self.code, None, t)

    def _on_term(self, now):
        self._exit(0, None, now)


class Stress(Process):
    """``stress --cpu N --vm 1 --vm-bytes 150M --vm-hang 1 --timeout 60s`` (polinux/stress),
    ``stress -cpus 2`` (vish/stress), ``labkit/stress``: CPU and memory hogs.

    Memory is allocated in the first tenth of a second; if it exceeds the container's limit, the
    OOM killer ends the process at once (``OOMKilled``), as in the docs' memory-demo-2."""

    IGNORES_TERM = False

    def __init__(self, image, argv, sandbox, now):
        super().__init__(image, argv, sandbox, now)
        self.cpus = float(_opt(argv, "--cpu", "-c", "-cpus", default="0") or 0)
        vms = int(_opt(argv, "--vm", "-m", default="0") or 0)
        self.vm_bytes = parse_bytes(_opt(argv, "--vm-bytes", "-mem-total", default=None),
                                    256 * MiB if vms else 0) * max(vms, 1)
        if _opt(argv, "-mem-total") is not None:
            self.vm_bytes = parse_bytes(_opt(argv, "-mem-total"), 0)
        timeout = _opt(argv, "--timeout", "-t", default=None)
        self.timeout = parse_seconds(timeout, 0) if timeout else None
        if "-cpus" in argv or "-mem-total" in argv:  # vish/stress (Go, klog)
            self.say(now, f"I{klog_time(now)}       1 main.go:26] Allocating \"{self.vm_bytes}\" memory, "
                          f"in \"4Ki\" chunks, with a 1ms sleep between allocations",
                     f"I{klog_time(now)}       1 main.go:29] Spawning a thread to consume CPU",
                     stream="stderr")
        else:
            self.say(now, f"stress: info: [1] dispatching hogs: {int(self.cpus)} cpu, 0 io, {vms} vm, 0 hdd")
        if self.timeout:
            self._due = now + self.timeout

    def memory_bytes(self, now):
        if self.exit_code is not None:
            return 0
        return 700 * 1024 + (self.vm_bytes if now >= self.started_at + 0.1 else 0)

    def _oom_time(self):
        limit = self.sb.mem_limit
        if limit and self.exit_code is None and self.vm_bytes + 700 * 1024 > limit:
            return self.started_at + 0.1
        return None

    def cpu_millicores(self, now):
        if self.exit_code is not None:
            return 0
        return self._cpu_capped(self.cpus * 1000 + (100 if self.vm_bytes else 0) + 1)

    def _step(self, t):
        self.say(t, f"stress: info: [1] successful run completed in {int(self.timeout)}s")
        self._exit(0, None, t)


class Leaker(Process):
    """``labkit/leaker [--rate 10Mi] [--start 5Mi]``: memory grows steadily; the log shows it
    once per second; at the memory limit the kernel kills it (exit 137, ``OOMKilled``)."""

    IGNORES_TERM = False

    def __init__(self, image, argv, sandbox, now):
        super().__init__(image, argv, sandbox, now)
        self.rate = parse_bytes(_opt(argv, "--rate", default=sandbox.env.get("LEAK_RATE", "10Mi")),
                                10 * MiB)
        self.base = parse_bytes(_opt(argv, "--start", default="5Mi"), 5 * MiB)
        self._logged = 0  # seconds already reported in the log
        self.say(now, f"{ymd_time(now)} leaking {self.rate // MiB} MiB per second")

    def memory_bytes(self, now):
        if self.exit_code is not None:
            return 0
        return int(self.base + self.rate * max(0.0, now - self.started_at))

    def _oom_time(self):
        limit = self.sb.mem_limit
        if not limit or self.exit_code is not None:
            return None
        if self.base >= limit:
            return self.started_at
        return self.started_at + (limit - self.base) / self.rate if self.rate else None

    def advance(self, now):
        oom = self._oom_time()
        end = now if oom is None else min(now, oom - 1e-6)  # nothing is logged once killed
        upto = int(math.floor(end - self.started_at + 1e-9))
        upto = min(upto, self._logged + 3600)
        while self._logged < upto:
            self._logged += 1
            t = self.started_at + self._logged
            self.say(t, f"{ymd_time(t)} allocated {self.memory_bytes(t) // MiB} MiB")
        return super().advance(now)


class Job(Process):
    """``labkit/job [--seconds 5] [--exit-code 0]``: works for a while, prints progress, exits."""

    IGNORES_TERM = False

    def __init__(self, image, argv, sandbox, now):
        super().__init__(image, argv, sandbox, now)
        self.seconds = parse_seconds(_opt(argv, "--seconds", default=sandbox.env.get("JOB_SECONDS")), 5.0)
        self.code = int(_opt(argv, "--exit-code", default=sandbox.env.get("EXIT_CODE", "0")))
        self.say(now, "job started")
        self._due = now + self.seconds

    def cpu_millicores(self, now):
        return 0 if self.exit_code is not None else self._cpu_capped(950)

    def _step(self, t):
        self.say(t, f"job finished in {self.seconds:g}s" if self.code == 0 else
                 f"job failed after {self.seconds:g}s", stream="stdout" if self.code == 0 else "stderr")
        self._exit(self.code, None, t)


def pi_digits(n: int) -> str:
    """π to ``n`` significant digits, rounded, as Perl's ``bignum`` ``bpi(n)`` prints it."""
    guard = 10
    scale = 10 ** (n + guard)

    def arctan_inv(x):
        total, term, k, sign = 0, scale // x, 1, 1
        x2 = x * x
        while term:
            total += sign * (term // k)
            term //= x2
            k += 2
            sign = -sign
        return total

    pi = 4 * (4 * arctan_inv(5) - arctan_inv(239))
    digits = str((pi + 5 * 10 ** guard) // 10 ** (guard + 1))  # n significant digits, rounded
    return digits[0] + "." + digits[1:]


def perl_cmd(sh, argv, io):
    """A sliver of Perl: ``print bpi(N)`` (the Job example), ``print "text"``, ``sleep N``."""
    script = " ".join(a for k, a in enumerate(argv[1:], 1)
                      if not a.startswith("-") or argv[k - 1] in ("-e", "-wle", "-le", "-we"))
    for a in argv[1:]:
        if a.startswith("-") and "e" in a and argv.index(a) + 1 < len(argv):
            script = argv[argv.index(a) + 1]
    newline = any(a.startswith("-") and "l" in a for a in argv[1:])
    for stmt in (s.strip() for s in script.split(";") if s.strip()):
        m = re.fullmatch(r"print\s+bpi\((\d+)\)", stmt)
        if m:
            n = int(m.group(1))
            yield from sh.sleep(0.5 + n / 1000)
            io.out.write(pi_digits(n) + ("\n" if newline else ""))
            continue
        m = re.fullmatch(r"print\s+[\"'](.*)[\"']", stmt, re.S)
        if m:
            io.out.write(m.group(1).replace("\\n", "\n") + ("\n" if newline else ""))
            continue
        m = re.fullmatch(r"sleep\s*\(?\s*(\d+)\s*\)?", stmt)
        if m:
            yield from sh.sleep(float(m.group(1)))
            continue
        m = re.fullmatch(r"exit\s*\(?\s*(\d+)\s*\)?", stmt)
        if m:
            return int(m.group(1))
    return 0


class Fluentd(ServerProcess):
    """The fluentd-elasticsearch DaemonSet image: tails /var/log and ships to Elasticsearch
    (which is not there: it keeps warning, as a real one would)."""

    PORTS = ()
    RSS = 80 * MiB
    STOP_SECONDS = 1.0

    def startup(self, now):
        t = _fluent_time(now)
        self.say(now, f'{t} [info]: parsing config file is succeeded path="/etc/fluent/fluent.conf"',
                 f"{t} [info]: using configuration file: <ROOT>",
                 f"{t} [info]: starting fluentd-1.16.2 pid=7 ruby=\"3.1.4\"",
                 f"{t} [info]: #0 starting fluentd worker pid=19 ppid=7 worker=0",
                 f"{t} [info]: fluentd worker is now running worker=0")

    def shutdown(self, now):
        self.say(now, f"{_fluent_time(now)} [info]: Received graceful stop",
                 f"{_fluent_time(now)} [info]: Worker 0 finished with status 0")


def _fluent_time(t):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")
