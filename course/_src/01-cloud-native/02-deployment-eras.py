# %% [markdown]
# # 02 · Deployment eras: from physical servers to containers
#
# *Module 01, cloud native: notebook 2 of 4*
#
# **By the end of this notebook you can**
#
# 1. describe the traditional, virtualised and container eras of deploying software, and the
#    problem each one solved;
# 2. show with a small simulation why applications sharing a machine need resource isolation;
# 3. compute how well a set of servers is used (utilisation);
# 4. list what containers bring over virtual machines, and what they give up.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0

# %%
import ipywidgets as W
import matplotlib.pyplot as plt
import pandas as pd

from labkit import viz, widgets
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)

# %% [markdown]
# ## Three eras in one picture

# %%
viz.era_stacks()

# %% [markdown]
# **Traditional era.** Applications ran directly on a physical server's operating system.
# Nothing drew a boundary around an application's share of CPU, memory or disk, and every
# application could see (and damage) the others' files. Two failure modes were common:
#
# * one application grabs most of the CPU or memory and the others slow to a crawl;
# * one application's installation overwrites a library or a file that another one needs.
#
# The workaround was one application per server: safe, but most servers then sat mostly idle,
# and buying, powering and maintaining many machines is expensive.
#
# **Virtualised era.** A hypervisor splits one physical machine into several **virtual
# machines** (VMs). Each VM is a complete computer with its own operating system (the *guest
# OS*), isolated from the others. Servers are used better, applications can be added or moved
# without buying hardware, and one VM cannot read another's memory. The price: every VM boots
# and runs a full OS, which costs memory, disk, CPU and start-up time.
#
# **Container era.** A container isolates an application with features of the *host's* kernel
# instead of a whole guest OS. It has its own view of the file system, processes, network and
# its own CPU/memory limits, but shares the host kernel with the other containers. So
# containers are light: they start in a fraction of a second and dozens fit where a few VMs
# would. Module 02 looks inside (namespaces and cgroups).

# %% [markdown]
# ## Simulation: three applications on one server
#
# One server with **100 CPU units**. Three applications, each *wants* some CPU every minute:
# a web shop (steady), a reporting job (a big burst in the middle of the hour) and a mail
# service (steady, small).
#
# * **Without isolation**, the operating system shares the CPU in proportion to what each
#   application asks for: if the reporting job asks for 300 units, it gets most of the machine.
# * **With isolation** (what VMs and containers give you), each application has a guaranteed
#   share; spare capacity is still lent out, but nobody can take another's guarantee.

# %%
MINUTES = list(range(60))
demand = pd.DataFrame({
    "web shop": [40] * 60,
    "reports": [300 if 20 <= m < 35 else 5 for m in MINUTES],
    "mail": [15] * 60,
}, index=pd.Index(MINUTES, name="minute"))
guarantee = {"web shop": 50, "reports": 30, "mail": 20}  # sums to the 100 units of the server


def share_without_isolation(row, capacity=100):
    """Everyone gets CPU in proportion to what they ask for (no boundaries)."""
    total = row.sum()
    return row if total <= capacity else row * capacity / total


def share_with_isolation(row, capacity=100):
    """Each app first gets min(demand, guarantee); leftover CPU goes to whoever still wants more."""
    got = {app: min(row[app], guarantee[app]) for app in row.index}
    spare = capacity - sum(got.values())
    hungry = {app: row[app] - got[app] for app in row.index if row[app] > got[app]}
    for app, extra in hungry.items():
        got[app] += spare * extra / sum(hungry.values()) if spare > 0 else 0
    return pd.Series(got)


without = demand.apply(share_without_isolation, axis=1)
with_iso = demand.apply(share_with_isolation, axis=1)
pd.DataFrame({"web shop wanted": demand.loc[25], "got, no isolation": without.loc[25].round(1),
              "got, isolated": with_iso.loc[25].round(1)}).rename_axis("at minute 25")

# %% [markdown]
# At minute 25 the reporting burst leaves the web shop with about 11 units instead of the 40
# it needs: every customer sees a slow shop. With isolation the shop keeps its 40. The plot
# shows the whole hour:

# %%
with viz.figures.style():
    fig, axes = plt.subplots(1, 2, figsize=(9, 3), sharey=True)
    without.plot.area(ax=axes[0], title="no isolation", legend=False, linewidth=0)
    with_iso.plot.area(ax=axes[1], title="isolated (guaranteed shares)", linewidth=0)
    axes[0].set_ylabel("CPU units received")
    axes[1].legend(loc="upper left", fontsize=8)
viz.figure(fig, "CPU received per app, with and without isolation")

# %% [markdown]
# Now explore it yourself: how big must the reporting burst be before the shop suffers
# without isolation? Does isolation ever *hurt* the reporting job when the others are quiet?

# %%
def at_the_burst(burst, web, isolated):
    row = pd.Series({"web shop": web, "reports": burst, "mail": 15})
    got = share_with_isolation(row) if isolated else share_without_isolation(row)
    bars = "".join(
        f'<tr><td>{app}</td><td>{row[app]:.0f}</td><td>{got[app]:.1f}</td>'
        f'<td><div style="background:{"#1a7f37" if got[app] >= row[app] - 0.05 else "#b42318"};'
        f'width:{2 * got[app]:.0f}px;height:12px"></div></td></tr>'
        for app in row.index)
    return ("<table><tr><th>app</th><th>wants</th><th>gets</th><th></th></tr>" + bars +
            "</table><p>Green: got everything it asked for. Red: starved.</p>")


widgets.Interactive(
    {"burst": W.IntSlider(value=300, min=0, max=400, step=10, description="reports want"),
     "web": W.IntSlider(value=40, min=0, max=100, step=5, description="shop wants"),
     "isolated": W.Checkbox(value=False, description="isolation (guaranteed shares)")},
    at_the_burst, title="One server, three apps")

# %% [markdown]
# ## Utilisation: why "one app per server" was expensive
#
# **Utilisation** is the fraction of the capacity you pay for that is actually used:
#
# $$\text{utilisation} = \frac{\text{capacity used}}{\text{capacity available}}$$
#
# ### Exercise 1 (2 points): compute utilisation
#
# A company runs four applications, each alone on its own physical server with **16 CPU
# cores**. On average they use **2**, **3**, **1.5** and **5.5** cores. Compute the overall
# utilisation of the four servers as a fraction between 0 and 1 (`0.25` means 25 %). Then
# compute how many 16-core servers the same average load would need if it could be packed
# together safely (round up to whole servers).

# %%
utilisation = None       # a number between 0 and 1
servers_needed = None    # whole servers when packed together
solve("m01-utilisation")

# %%
check("m01-utilisation")

# %% [markdown]
# ## What containers bring
#
# The container era kept the isolation of the VM era but dropped the guest OS. In exchange
# for a somewhat weaker boundary (all containers trust the same kernel), you get:
#
# * **Fast, simple creation and deployment**: building an image is quicker than building a VM image.
# * **Continuous development, integration and deployment**: images are immutable, so a release
#   is a new image and a rollback is the previous one.
# * **Separation of development and operations**: the image is built at build/release time,
#   so the application no longer depends on how a particular server was set up.
# * **Observability**: health and metrics per application, not only per machine.
# * **Consistency across environments**: the same image runs on a laptop, in testing and in production.
# * **Portability** across clouds and OS distributions (any machine with a compatible kernel and runtime).
# * **Application-centric management**: you manage applications, not machines.
# * **Loosely coupled microservices**: small pieces, deployed and managed separately.
# * **Resource isolation**: predictable performance, as the simulation showed.
# * **Resource utilisation**: high efficiency and density.
#
# ### Exercise 2 (2 points): which era?
#
# Match each scenario to the era it describes.

# %%
eras = widgets.Matching(
    "m01-era-scenario",
    "Which deployment era does each scenario describe?",
    items=[
        "A reporting job's spike slows every other application on the same server",
        "Each application gets a full guest operating system, booted by a hypervisor",
        "Applications share the host's kernel but each sees only its own processes and files",
        "Adding an application means buying and racking a new physical server",
        "An image built once on a laptop runs unchanged in production, starting in under a second",
    ],
    options=["traditional", "virtualized", "container"],
)
solve("m01-era-scenario")
eras

# %%
check("m01-era-scenario")

# %% [markdown]
# ## Summary
#
# * Traditional: apps share one OS with no boundaries; the safe fix (one app per server)
#   wastes hardware.
# * Virtualised: a hypervisor runs isolated VMs, each with its own OS: better utilisation,
#   heavier instances.
# * Containers: isolation from the host kernel itself, no guest OS: light, fast, dense,
#   portable, with a weaker boundary than VMs.
# * Without isolation one application can starve the others; guaranteed shares (VM sizes,
#   container limits) keep performance predictable.
#
# **Go further on a real cluster.** Kubernetes expresses guaranteed shares as *requests*
# and caps as *limits* (`resources.requests.cpu: 500m`); module 05 fills a namespace until a
# quota refuses. On a Linux machine with Docker, `docker run --cpus 0.5 --memory 256m ...`
# sets the same kernel controls you will read in module 02.
