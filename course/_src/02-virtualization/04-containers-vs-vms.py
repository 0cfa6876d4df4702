# %% [markdown]
# # 04 · Containers versus virtual machines
#
# *Module 02, virtualization and containers: notebook 4 of 5*
#
# **By the end of this notebook you can**
#
# 1. compare containers and VMs on isolation, start time, memory and disk;
# 2. estimate how many of each fit on a host (density);
# 3. explain image layers, layer sharing and copy-on-write;
# 4. say what a registry is (Docker Hub, Harbor) and how images are named;
# 5. choose between a VM and a container for a given requirement.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0

# %%
import math

import ipywidgets as W
import matplotlib.pyplot as plt
import pandas as pd

from labkit import viz, widgets
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)

# %% [markdown]
# ## Two ways to isolate

# %%
viz.stack({"Virtual machines": viz.vm_layers(), "Containers": viz.container_layers()},
          title="VMs vs containers")

# %% [markdown]
# A **VM** emulates a whole computer. Each VM boots its own kernel (the guest OS: Ubuntu,
# CentOS, Windows...), so VMs on one host are separated by the hypervisor and by hardware
# virtualization: a strong boundary. The cost is a full OS per VM: memory, disk (an Ubuntu
# server image takes several GB, Windows tens of GB) and a boot sequence measured in tens of
# seconds.
#
# A **container** is a process isolated by namespaces and cgroups (notebook 03). It needs only
# the files its application uses; the kernel is the host's. It starts as fast as a process and
# takes little more memory than the application itself. The boundary is weaker: every container
# trusts the same kernel, and a kernel bug can break the isolation. Containers also cannot run a
# different kernel: a Linux host runs Linux containers.
#
# | | virtual machine | container |
# |---|---|---|
# | isolation | hardware virtualization, separate kernels | namespaces + cgroups, shared kernel |
# | start time | tens of seconds to minutes (boot an OS) | well under a second to a few seconds (start a process) |
# | memory overhead | a whole guest OS (hundreds of MB to GB) | a few MB |
# | disk size | GBs (OS image) | MBs to hundreds of MBs (app + libraries) |
# | different OS/kernel | yes (Windows VM on a Linux host) | no (same kernel as the host) |
# | typical unit | a server | one process / service |
#
# Containers have been gaining stronger isolation (user namespaces, seccomp, gVisor, and
# VM-based sandboxes such as Kata Containers), trading back a little of their lightness.

# %% [markdown]
# ## Simulation: density and start-up
#
# A model host with **64 GiB** of memory. Each application needs **512 MiB**. A VM adds a
# guest OS taking **1024 MiB** and boots in about **40 s**; a container adds about **8 MiB**
# and starts in about **0.5 s**. (Round, illustrative numbers: measure your own.)
# How many fit, and how long does starting them all take when 8 start in parallel?

# %%
HOST_MIB = 64 * 1024
models = pd.DataFrame({"overhead MiB": [1024, 8], "start s": [40.0, 0.5]},
                      index=pd.Index(["VM", "container"], name="kind"))


def fit(app_mib, overhead_mib, host_mib=HOST_MIB):
    return host_mib // (app_mib + overhead_mib)


app_sizes = [128, 256, 512, 1024, 2048]
density = pd.DataFrame({kind: [fit(a, row["overhead MiB"]) for a in app_sizes]
                        for kind, row in models.iterrows()},
                       index=pd.Index(app_sizes, name="app MiB"))
density

# %%
with viz.figures.style():
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    density.plot.bar(ax=axes[0], title="instances per 64 GiB host", rot=0)
    n = 64
    waves = math.ceil(n / 8)
    pd.Series({kind: waves * row["start s"] for kind, row in models.iterrows()}).plot.barh(
        ax=axes[1], title=f"seconds to start {n} instances (8 at a time)", color=["#fb8072", "#80b1d3"])
viz.figure(fig, "density and start-up, VMs vs containers")

# %% [markdown]
# The smaller the application, the more the guest OS dominates: at 128 MiB per app, 8× more
# containers than VMs fit. Play with the numbers:

# %%
def compare(app_mib, guest_mib, host_gib):
    host = host_gib * 1024
    vms, cts = fit(app_mib, guest_mib, host), fit(app_mib, 8, host)
    return (pd.DataFrame({"fit on the host": [vms, cts],
                          "memory spent on guest OSes (MiB)": [vms * guest_mib, cts * 8]},
                         index=["VMs", "containers"]).to_html()
            + f"<p>Containers fit <b>{cts / max(vms, 1):.1f}×</b> as many.</p>")


widgets.Interactive(
    {"app_mib": W.IntSlider(value=512, min=64, max=4096, step=64, description="app MiB"),
     "guest_mib": W.IntSlider(value=1024, min=256, max=4096, step=128, description="guest OS MiB"),
     "host_gib": W.IntSlider(value=64, min=8, max=512, step=8, description="host GiB")},
    compare, title="Density calculator")

# %% [markdown]
# ### Exercise 1 (2 points): compute density
#
# A host has **96 GiB** of memory for workloads. Each instance of a service needs **768 MiB**.
# A VM's guest OS takes **1280 MiB**; a container adds **16 MiB**. How many VMs fit, and how
# many containers? (Whole instances only; 1 GiB = 1024 MiB.)

# %%
vms_fit = None
containers_fit = None
solve("m02-density")

# %%
check("m02-density")

# %% [markdown]
# ## Images are stacks of layers
#
# A container image is not one big file. It is an ordered list of read-only **layers**, each
# a set of file changes (`FROM` brings the base image's layers, then each `RUN`, `COPY` or
# `ADD` step of a Dockerfile adds one), identified by the SHA-256 digest of its content. Two consequences:
#
# * **Sharing**: images built on the same base share those layers. A node that already has
#   `python:3.12-slim` downloads only the layers on top when pulling an app built `FROM` it,
#   and stores the shared layers once.
# * **Copy-on-write**: a running container gets one thin *writable* layer on top. Reading a
#   file reads the topmost layer that has it; changing a file first copies it up into the
#   writable layer. The image itself never changes, so one image can back many containers, and
#   everything written there is lost when the container is removed (use volumes for data).
#
# Pick an image to see its layers, and what a node that already has another image must pull:

# %%
LAYERS = {  # layer -> size in MB (made-up but realistic orders of magnitude)
    "debian:bookworm-slim base": 75, "python 3.12 runtime": 45, "pip install flask": 12,
    "COPY shop app": 2, "pip install pandas": 110, "COPY report job": 1,
    "nginx 1.27 binaries": 60, "COPY static site": 5,
}
IMAGES = {
    "shop:1.0": ["debian:bookworm-slim base", "python 3.12 runtime", "pip install flask", "COPY shop app"],
    "reports:2.3": ["debian:bookworm-slim base", "python 3.12 runtime", "pip install pandas", "COPY report job"],
    "site:5": ["debian:bookworm-slim base", "nginx 1.27 binaries", "COPY static site"],
}


def explore(image, node_has):
    layers = IMAGES[image]
    have = set(IMAGES.get(node_has, []))
    table = pd.DataFrame({"layer": layers, "MB": [LAYERS[x] for x in layers],
                          "already on the node": ["yes" if x in have else "no" for x in layers]})
    pull = sum(LAYERS[x] for x in layers if x not in have)
    diagram = viz.stack([("writable container layer (copy-on-write)", "container")]
                        + [(x, "bins") for x in reversed(layers)], title=image)
    return (widgets.to_html(diagram) + table.to_html(index=False)
            + f"<p>Image size {table['MB'].sum()} MB; to pull: <b>{pull} MB</b>.</p>")


widgets.Interactive({"image": W.Dropdown(options=list(IMAGES), description="image"),
                     "node_has": W.Dropdown(options=["(nothing)", *IMAGES], description="node has")},
                    explore, title="Image layer explorer")

# %% [markdown]
# ### Exercise 2 (2 points): layers on disk
#
# A node pulls all three images above (`shop:1.0`, `reports:2.3`, `site:5`). Each distinct
# layer is stored once. Compute `disk_mb`, the total MB of layers stored on the node, using
# `LAYERS` and `IMAGES` (a `set` helps), and `saved_mb`, how much sharing saves compared with
# storing each image separately.

# %%
disk_mb = None
saved_mb = None
solve("m02-layers-disk")

# %%
check("m02-layers-disk")

# %% [markdown]
# ## Registries
#
# Images live in **registries**. A full image reference is
# `registry/repository:tag`, optionally pinned by content as `...@sha256:<digest>`:
# `docker.io/library/nginx:1.27` is the official nginx image on **Docker Hub**, the default
# public registry (so `nginx:1.27` means the same). Companies run private registries such as
# **Harbor** (a CNCF project adding access control, vulnerability scanning, signing and
# replication) or use their cloud's registry. Tags can be moved to another image; digests
# cannot, which is why careful deployments pin digests.
#
# ### Exercise 3 (2 points): the trade-off
#
# For which requirements is a **virtual machine** the better choice than a container? Select all.

# %%
tradeoff = widgets.MultipleChoice(
    "m02-tradeoff",
    "Pick a VM (rather than a container) when...",
    options=[
        "you must run a Windows-only application on a Linux host",
        "you run untrusted code from many customers and need the strongest isolation",
        "you want 200 copies of a small web service to start in seconds",
        "the workload needs its own kernel version or kernel modules",
        "you want the same image to run on a laptop and in production",
    ],
    multiple=True,
)
solve("m02-tradeoff")
tradeoff

# %%
check("m02-tradeoff")

# %% [markdown]
# ## Summary
#
# * VMs virtualise hardware and run a guest OS each: strong isolation, heavy and slow to start.
# * Containers are isolated processes on a shared kernel: light, dense, fast; weaker isolation,
#   same kernel as the host.
# * Images are stacks of read-only, content-addressed layers; shared layers are pulled and
#   stored once; containers write to a thin copy-on-write layer.
# * Registries (Docker Hub, Harbor, cloud registries) store images; tags move, digests don't.
#
# **Go further on a real cluster.** `kubectl get pod NAME -o jsonpath='{.status.containerStatuses[*].imageID}'`
# shows the digest a pod actually runs; on a node, `crictl images` lists the stored images; on a
# machine with Docker, `docker history IMAGE` shows an image's layers.
