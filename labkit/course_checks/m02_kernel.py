"""Live readings of the Linux kernel for notebook 02-03 (namespaces and cgroups), and its checks.

Everything here reads the process it runs in (``/proc/self``, ``/sys/fs/cgroup``) and degrades
gracefully: on a machine without ``/proc`` (macOS, Windows) or with unreadable files, a reading
is ``None`` / "not available" instead of an exception. The values differ from machine to
machine, which is why the notebook shows them only in live panels.
"""
from __future__ import annotations

import os
from pathlib import Path

from labkit.grading import register_check
from labkit.solutions import solution
from labkit.widgets.answers import register_quiz

NB3 = "02-virtualization/03-namespaces-and-cgroups"
NAMESPACES = ["mnt", "uts", "pid", "net", "user", "ipc", "cgroup"]
#: v1 writes a huge page-aligned number when there is no memory limit; above this = unlimited.
UNLIMITED = 2 ** 60
PROC = Path("/proc")
CGROUP_ROOT = Path("/sys/fs/cgroup")


def _read(path) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _link(path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def namespace_entries(pid: str = "self") -> dict:
    """``{name: link}`` for every entry of ``/proc/<pid>/ns`` ({} when unavailable)."""
    base = PROC / pid / "ns"
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return {}
    return {name: _link(base / name) for name in names}


def namespace_table():
    """This process's namespaces, and whether each is shared with PID 1 (a DataFrame)."""
    import pandas as pd
    mine, init = namespace_entries(), namespace_entries("1")
    if not mine:
        return "<p>/proc/self/ns is not available on this system (not Linux?).</p>"
    rows = [(name, link, "n/a" if init.get(name) is None else
             ("yes" if init[name] == link else "no")) for name, link in mine.items()]
    return pd.DataFrame(rows, columns=["entry", "link", "same as PID 1"])


def cgroup_lines() -> list[tuple[str, str, str]]:
    """``/proc/self/cgroup`` as ``(hierarchy id, controllers, path)`` triples."""
    text = _read(PROC / "self" / "cgroup") or ""
    return [tuple(line.split(":", 2)) for line in text.splitlines() if line.count(":") >= 2]


def cgroup_version() -> int | None:
    """2 when /sys/fs/cgroup is the unified (v2) hierarchy, 1 for v1 (or hybrid), else None."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return 2
    if CGROUP_ROOT.is_dir() and any(CGROUP_ROOT.iterdir()):
        return 1
    return None


def _path_for(controller: str) -> str:
    for _hid, controllers, path in cgroup_lines():
        if (controller == "" and controllers == "") or controller in controllers.split(","):
            return path
    return "/"


def _limit_file(version: int, v2_name: str, v1_controller: str, v1_name: str) -> Path | None:
    """The limit file for this process's cgroup, falling back to the hierarchy's root."""
    if version == 2:
        base, rel = CGROUP_ROOT, _path_for("")
        name = v2_name
    else:
        base, rel = CGROUP_ROOT / v1_controller, _path_for(v1_controller)
        name = v1_name
    for candidate in (base / rel.lstrip("/") / name, base / name):
        if candidate.is_file():
            return candidate
    return None


def memory_limit() -> int | None:
    """This process's cgroup memory limit in bytes, or None (no limit, or unreadable)."""
    version = cgroup_version()
    if version is None:
        return None
    path = _limit_file(version, "memory.max", "memory", "memory.limit_in_bytes")
    value = _read(path) if path else None
    if value is None or value == "max":
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return None if number >= UNLIMITED else number


def cpu_limit() -> str:
    """This process's CPU quota as text ("50000 us per 100000 us", "no limit", "not available")."""
    version = cgroup_version()
    if version == 2:
        path = _limit_file(2, "cpu.max", "", "")
        text = _read(path) if path else None
        if text is None:
            return "not available"
        quota, _, period = text.partition(" ")
        return "no limit" if quota == "max" else f"{quota} us per {period} us"
    if version == 1:
        q = _limit_file(1, "", "cpu", "cpu.cfs_quota_us")
        p = _limit_file(1, "", "cpu", "cpu.cfs_period_us")
        quota, period = (_read(q) if q else None), (_read(p) if p else None)
        if quota is None:
            return "not available"
        return "no limit" if quota == "-1" else f"{quota} us per {period} us"
    return "not available"


def cgroup_table():
    """The cgroup facts the notebook shows live (a DataFrame, or a note when not available)."""
    import pandas as pd
    version = cgroup_version()
    if version is None:
        return "<p>No cgroup file system at /sys/fs/cgroup on this system (not Linux?).</p>"
    mem = memory_limit()
    rows = [("cgroup version", f"v{version}"),
            ("this process's cgroup", _path_for("" if version == 2 else "memory")),
            ("memory limit", "no limit" if mem is None else f"{mem} bytes ({mem / 2**20:.0f} MiB)"),
            ("CPU quota", cpu_limit())]
    return pd.DataFrame(rows, columns=["reading", "value"])


# -- checks ----------------------------------------------------------------------------------
# The right answers are read from the kernel when the check runs. The student's check() and the
# grader (which re-runs the notebook with papermill, then re-checks) both run on the machine
# that executed the notebook, so they read the same kernel.

register_quiz("m02-ns-match", {
    "the host name": ("uts", "UNIX Time-sharing System: hostname and domain name"),
    "the list of network interfaces and ports": ("net", "network"),
    "process IDs": ("pid", "process IDs"),
    "the mount table (what is at /)": ("mnt", "mounts"),
    "user and group IDs": ("user", "UIDs and GIDs"),
    "shared memory and message queues": ("ipc", "inter-process communication"),
    "the view of the cgroup tree": ("cgroup", "the cgroup hierarchy"),
}, "descriptions", 2, NB3, "What does each namespace isolate?")


@register_check("m02-ns-count", points=2, notebook=NB3, title="Count namespaces",
                answers=("ns_count",))
def ns_count(ctx):
    r = ctx.result()
    r.part("ns_count matches this machine's /proc/self/ns",
           ctx.answer("ns_count") == len(namespace_entries()),
           hint="count every entry with os.listdir (including *_for_children ones); "
                "do not type a number from memory")
    return r


@solution("m02-ns-count")
def _solve_ns_count(ns):
    ns["ns_count"] = len(namespace_entries())


@register_check("m02-memory-limit", points=3, notebook=NB3, title="Read your memory limit",
                answers=("memory_limit",))
def memory_limit_check(ctx):
    got = ctx.answers.get("memory_limit", "not answered")
    r = ctx.result()
    if got == "not answered":
        return r.fail("memory_limit is not set yet",
                      hint="a number of bytes, or None when there is no limit")
    want = memory_limit()
    hint = ("read the file again: 'max' or a value above 2**60 means no limit (None)"
            if want is None else "find your cgroup's path in /proc/self/cgroup and read the "
            "memory limit file under /sys/fs/cgroup for it")
    r.part("memory_limit matches what the kernel enforces for this notebook", got == want,
           hint=hint)
    return r


@solution("m02-memory-limit")
def _solve_memory(ns):
    ns["memory_limit"] = memory_limit()
