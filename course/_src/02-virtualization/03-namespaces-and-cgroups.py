# %% [markdown]
# # 03 · Linux namespaces and cgroups
#
# *Module 02, virtualization and containers: notebook 3 of 5*
#
# **By the end of this notebook you can**
#
# 1. explain why a container is "just a process" with a restricted view and a budget;
# 2. name the seven classic Linux namespaces and what each one isolates;
# 3. read the namespaces and cgroup limits of *this notebook's own process* from the real kernel;
# 4. explain how cgroups limit CPU and memory, and what happens when a limit is hit.
#
# Unlike the rest of the course, this notebook reads your actual machine. Values such as
# namespace inode numbers and cgroup paths differ from machine to machine, so they appear only
# in the live panels when you run the notebook; everything else is the same everywhere. On a
# system without `/proc` (macOS, Windows) the readings say so instead of failing.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0

# %%
import os

import ipywidgets as W
import pandas as pd

from labkit import widgets
from labkit.course_checks import m02_kernel
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)

# %% [markdown]
# ## A container is a process
#
# When a container engine (Docker, containerd, CRI-O) starts a container, it unpacks the
# image's files on disk and starts an ordinary process on the host, with two extra things:
#
# * **namespaces** decide what the process can *see*: its own file system tree, process list,
#   network interfaces, host name, users...;
# * **control groups (cgroups)** decide how much it can *use*: CPU time, memory, number of
#   processes, disk I/O.
#
# There is no guest kernel and no hypervisor: the host kernel enforces both. That is why a
# container starts as fast as a process does.
#
# ## The seven namespaces
#
# | namespace | isolates | inside a container this means... |
# |---|---|---|
# | **mnt** (mount) | the mount table: which file systems are where | the container sees its image as `/`, plus only the volumes mounted into it |
# | **uts** | host name and NIS domain name | the container can have its own host name (Kubernetes sets it to the pod name) |
# | **pid** | process IDs | the container's first process is PID 1 and it cannot see the host's processes |
# | **net** | network interfaces, IP addresses, routes, ports, firewall rules | its own `eth0` and IP; two containers can both listen on port 80 |
# | **user** | user and group IDs | root (UID 0) inside can map to an unprivileged UID outside |
# | **ipc** | System V IPC and POSIX message queues, shared memory | processes in different containers cannot share memory segments |
# | **cgroup** | the view of the cgroup hierarchy | the container sees its own cgroup as the root, and cannot browse the host's |
#
# Recent kernels (5.6+) add an eighth, **time**, for per-namespace clocks. Docker gives every
# container its own mnt, uts, pid, net and ipc namespaces; a cgroup namespace by default on
# cgroup v2 hosts; and a user namespace only when configured (rootless mode or `userns-remap`),
# so by default root in a container is root on the host, restricted by other means. All
# containers in one Kubernetes **pod** share the net, uts and ipc namespaces: that is why they
# reach each other on `localhost`.
#
# ### Reading the kernel
#
# Every process has a directory `/proc/<pid>/ns/` with one entry per namespace; `/proc/self`
# is the process reading it. Each entry is a link like `net:[4026531840]`: two processes are
# in the same namespace exactly when their links show the same number.

# %%
NAMESPACES = ["mnt", "uts", "pid", "net", "user", "ipc", "cgroup"]
ns_dir = "/proc/self/ns"
pd.DataFrame({"namespace": NAMESPACES,
              "listed in /proc/self/ns": ["yes" if os.path.exists(f"{ns_dir}/{n}") else "no"
                                          for n in NAMESPACES]})

# %% [markdown]
# The exact links (with this machine's inode numbers) and whether this notebook shares each
# namespace with PID 1 (in a container, PID 1 is the container's first process; on a plain
# Linux host it is `init`/systemd):

# %%
widgets.LiveView(m02_kernel.namespace_table, title="This process's namespaces",
                 fallback="A table of /proc/self/ns links and whether each is shared with PID 1.")

# %% [markdown]
# ### Exercise 1 (2 points): count namespaces from a live reading
#
# Set `ns_count` to the number of entries in `/proc/self/ns` **on the machine running this
# notebook** (compute it with Python, do not guess: kernels differ; entries such as
# `pid_for_children` count too). On a machine without `/proc`, set it to `0`.

# %%
ns_count = None
solve("m02-ns-count")

# %%
check("m02-ns-count")

# %% [markdown]
# ### Exercise 2 (2 points): what does each namespace isolate?

# %%
ns_quiz = widgets.Matching(
    "m02-ns-match",
    "Which namespace isolates...",
    items=["the host name", "the list of network interfaces and ports", "process IDs",
           "the mount table (what is at /)", "user and group IDs",
           "shared memory and message queues", "the view of the cgroup tree"],
    options=NAMESPACES,
)
solve("m02-ns-match")
ns_quiz

# %%
check("m02-ns-match")

# %% [markdown]
# ## cgroups: budgets for groups of processes
#
# A **control group** is a set of processes that the kernel accounts for and limits together.
# Controllers handle one resource each: `cpu` (time slices), `memory`, `pids` (how many
# processes), `io` (disk bandwidth), `cpuset` (which CPU cores)... Two layouts exist:
#
# * **cgroup v1**: one hierarchy per controller, mounted at `/sys/fs/cgroup/<controller>/`;
#   memory limit in `memory.limit_in_bytes`, CPU quota in `cpu.cfs_quota_us` / `cpu.cfs_period_us`.
# * **cgroup v2** (the default on current distributions): one unified hierarchy at
#   `/sys/fs/cgroup/`; limits in `memory.max`, `cpu.max` ("quota period"), `pids.max`.
#
# `/proc/self/cgroup` tells which cgroup this process belongs to (one line per v1 hierarchy,
# or a single `0::/path` line on v2). Kubernetes turns a container's `resources.limits` into
# exactly these files: `limits.memory: 256Mi` becomes a memory limit of 268435456 bytes, and
# `limits.cpu: 500m` a CPU quota of 50 ms per 100 ms period.
#
# Here is this notebook's own cgroup, read live:

# %%
widgets.LiveView(m02_kernel.cgroup_table, title="This process's cgroup limits",
                 fallback="The cgroup version, this process's cgroup path, and its memory, "
                          "CPU and process-count limits (or 'no limit').")

# %% [markdown]
# ### Exercise 3 (3 points): read your memory limit
#
# Write code that finds the memory limit, in bytes, of the cgroup this notebook runs in.
# Set `memory_limit` to that number, or to `None` when there is no limit (v2 writes `max`;
# v1 writes a huge number, about 2**63, when unlimited; treat anything above 2**60 as no limit).
# If the file cannot be read at all, use `None` as well.
#
# Hints: on v2, read the path from the `0::` line of `/proc/self/cgroup` and look at
# `/sys/fs/cgroup/<path>/memory.max` (fall back to `/sys/fs/cgroup/memory.max`); on v1, use the
# `memory` line and `/sys/fs/cgroup/memory/<path>/memory.limit_in_bytes` (falling back to
# `/sys/fs/cgroup/memory/memory.limit_in_bytes`).

# %%
memory_limit = "not answered"
solve("m02-memory-limit")

# %%
check("m02-memory-limit")

# %% [markdown]
# ## What a limit does
#
# A CPU limit and a memory limit behave very differently when reached:
#
# * **CPU is compressible.** With a quota of *Q* ms per *P* ms period, the group's processes
#   may run for *Q* ms of CPU time in each period, then they are *throttled* (paused) until the
#   next period. The program just runs slower.
# * **Memory is not.** Memory cannot be taken back from a program that uses it. When the group
#   needs more than its limit and the kernel cannot reclaim enough (caches), the kernel's
#   **OOM killer** kills a process in the group. In Kubernetes the container then shows
#   `OOMKilled` and is restarted (as its pod's `restartPolicy` says).
#
# Move the sliders to see both effects on one container:

# %%
def limits(cpu_quota_ms, cpu_wanted_cores, memory_limit_mib, memory_used_mib):
    period = 100
    allowed = cpu_quota_ms / period                      # cores' worth of CPU time
    got = min(allowed, cpu_wanted_cores)
    throttled = cpu_wanted_cores > allowed
    rows = [("CPU", f"quota {cpu_quota_ms} ms per {period} ms = {allowed:.2f} cores",
             f"wants {cpu_wanted_cores:.2f} cores, runs at {got:.2f}",
             f"throttled: runs {got / cpu_wanted_cores:.0%} as fast" if throttled else "not throttled"),
            ("memory", f"limit {memory_limit_mib} MiB", f"uses {memory_used_mib} MiB",
             "OOM killed: the kernel kills the process" if memory_used_mib > memory_limit_mib
             else "fine")]
    return pd.DataFrame(rows, columns=["resource", "limit", "demand", "outcome"]).to_html(index=False)


widgets.Interactive(
    {"cpu_quota_ms": W.IntSlider(value=50, min=10, max=400, step=10, description="cpu quota"),
     "cpu_wanted_cores": W.FloatSlider(value=1.0, min=0.1, max=4.0, step=0.1, description="cpu wanted"),
     "memory_limit_mib": W.IntSlider(value=256, min=64, max=1024, step=64, description="mem limit"),
     "memory_used_mib": W.IntSlider(value=200, min=0, max=1024, step=16, description="mem used")},
    limits, title="A container's limits")

# %% [markdown]
# ## Summary
#
# * A container is a host process placed in its own namespaces (what it sees) and cgroups
#   (what it may use); the host kernel enforces both.
# * Seven classic namespaces: mnt, uts, pid, net, user, ipc, cgroup (plus time on new kernels).
#   `/proc/<pid>/ns/*` shows them; same inode number = same namespace.
# * cgroups account and limit CPU, memory, pids and I/O; v1 has one tree per controller, v2 one
#   unified tree.
# * Hitting a CPU limit slows a container down (throttling); hitting a memory limit gets it
#   killed (OOMKilled).
#
# **Go further on a real machine.** `lsns` lists all namespaces on a host; `unshare --uts
# --fork bash` then `hostname demo` changes the host name only inside the new namespace;
# `docker run --memory 64m ...` and `cat /sys/fs/cgroup/memory.max` inside the container show
# the limit. On a Kubernetes node, `crictl inspect <container>` shows the namespaces and cgroup
# a pod's container got.
