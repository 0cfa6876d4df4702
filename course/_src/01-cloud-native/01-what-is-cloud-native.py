# %% [markdown]
# # 01 · What is cloud native?
#
# *Module 01, cloud native: notebook 1 of 4*
#
# **By the end of this notebook you can**
#
# 1. say what "cloud native" means, word by word, and name its four pillars;
# 2. tell a cloud-native application from one that merely runs in a data centre;
# 3. explain why renting computing like electricity changes the economics of running software;
# 4. say in one paragraph what Kubernetes is and what it does for you.
#
# Run the cells from top to bottom (Shift+Enter). Graded exercises are marked **Exercise**;
# each is followed by a `check(...)` cell that tells you how you did.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0
CLUSTER = "mini"

# %%
import pandas as pd

import labkit
from labkit import viz, widgets
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)

# %% [markdown]
# ## Two words: *cloud* and *native*
#
# **Cloud** says *where* the software runs: on computing rented from a shared pool (a public
# cloud such as AWS, Azure or Google Cloud, or a private cloud in your own company) instead of
# on a few machines you bought and placed in a server room.
#
# **Native** says *how* it was built: designed from the first line for that environment. A
# cloud-native application expects machines to come and go, expects to be started many times
# in parallel, and expects to be changed many times a day. It turns those facts into strengths:
# elasticity (grow and shrink with demand) and distribution (no single machine matters).
#
# Moving an old application unchanged onto a rented virtual machine ("lift and shift") puts it
# *in* the cloud; it does not make it cloud *native*.
#
# Cloud native is therefore a way of building and running software, a set of technologies
# *and* a set of working habits. Four pillars hold it up:
#
# | pillar | in one sentence |
# |---|---|
# | **DevOps** | the people who write the software and the people who run it work as one team, and automate the path between them |
# | **Continuous delivery** | every change is built, tested and made ready to release automatically, so releasing is routine and small |
# | **Microservices** | the application is a set of small services, each owning one job and talking to the others over the network |
# | **Containers** | each service ships as an image that bundles its code and dependencies and runs the same everywhere |
#
# On top of those, an orchestrator (for almost everyone today: **Kubernetes**) places the
# containers on machines, restarts them, scales them and connects them.

# %% [markdown]
# ## What makes an application cloud native?
#
# A useful checklist; an application scores better the more of these are true:
#
# * **Packaged as containers** built from an open-source stack (a container runtime, Kubernetes).
# * **Split into services** with clear APIs, so each can be changed, released and scaled alone.
# * **Disposable instances**: any copy can be killed and replaced at any moment; state lives in
#   databases, queues or volumes designed for it, not in the memory of one process.
# * **Declarative operations**: you describe the state you want ("three copies of version
#   1.4") and automation makes it so, instead of running steps by hand.
# * **Elastic**: copies are added when load rises and removed when it falls.
# * **Observable**: it exposes health checks, metrics and logs, so machines can notice trouble.
# * **Delivered continuously** through an automated pipeline, many small releases rather than a
#   few large ones.
#
# The widget below is a warm-up (not graded): sort each trait. Press **Check** for feedback.

# %%
warmup = widgets.Classify(
    "m01-traits-warmup",
    "Does this trait help an application be cloud native?",
    items=[
        "Each instance can be replaced at any time without losing data",
        "Configuration is edited by hand on each server after installation",
        "Releases are built and tested by an automated pipeline",
        "The application must always run on the same physical machine",
    ],
    buckets=["helps", "hurts"],
)
warmup

# %% [markdown]
# ### Exercise 1 (2 points): classify statements
#
# Sort each statement about a hypothetical shop application. Your answer is recorded as you
# click; the `check` cell below grades it (you can re-run it as often as you like).

# %%
statements = widgets.Classify(
    "m01-classify",
    "Cloud native, or not?",
    items=[
        "The shop runs as twelve small services, each released on its own schedule",
        "Shopping carts are kept in the memory of the web server that served the first page",
        "A crashed copy of the catalogue service is replaced automatically",
        "Adding capacity for the holiday sale means ordering servers two months ahead",
        "Every commit is built into a container image and tested automatically",
        "The team applies a YAML description of the desired state; automation converges to it",
    ],
    buckets=["cloud native", "not cloud native"],
)
solve("m01-classify")
statements

# %%
check("m01-classify")

# %% [markdown]
# ## Why the cloud? Computing as a utility
#
# Cloud computing pools the servers, storage and networks of huge data centres and hands them
# out on demand over the network. Three advantages follow:
#
# * **Cost**: you pay for what you use, and the provider's scale makes each unit cheaper;
#   nobody buys a server for a peak that lasts one hour a week.
# * **Computing power**: thousands of machines are a request away, for a large job or a spike.
# * **Reliability**: capacity is spread over many machines, racks and sites, so a failure of
#   one is absorbed by the others.
#
# An analogy: a hundred years ago factories ran their own generators; today they plug into
# the **power grid** and pay per kilowatt-hour. Cloud computing does the same to computing
# power: a utility you draw from, metered by use.
#
# The interactive model below compares two ways to serve a workload whose demand changes over
# a day. *Own servers* must be sized for the peak and cost the same all day; *pay as you go*
# bills each hour for what that hour needs (at a higher unit price). Move the sliders: when
# does renting win? (The prices are made-up round numbers; the *shape* of the answer is the point.)

# %%
import ipywidgets as W

HOURS = list(range(24))


def daily_demand(base, peak):
    """Servers needed in each hour: ``base`` all day, rising to ``peak`` from 18:00 to 21:00."""
    return [peak if 18 <= h < 22 else base for h in HOURS]


def costs(demand, owned_price=1.0, cloud_price=1.6):
    owned = max(demand) * len(demand) * owned_price   # sized for the peak, paid every hour
    cloud = sum(demand) * cloud_price                  # paid per server-hour actually used
    return owned, cloud


def compare(base, peak):
    demand = daily_demand(base, peak)
    owned, cloud = costs(demand)
    table = pd.DataFrame({"servers paid for per day (server-hours)": [max(demand) * 24, sum(demand)],
                          "cost per day": [owned, cloud]},
                         index=["own servers (sized for peak)", "pay as you go"])
    winner = "pay as you go" if cloud < owned else "own servers"
    return (table.to_html() + f"<p>Cheaper here: <b>{winner}</b>; average use is "
            f"{sum(demand) / len(demand) / max(demand):.0%} of the peak.</p>")


widgets.Interactive(
    {"base": W.IntSlider(value=4, min=1, max=40, description="base load"),
     "peak": W.IntSlider(value=40, min=1, max=80, description="evening peak")},
    compare, title="Own servers or the grid?")

# %% [markdown]
# ### Exercise 2 (2 points): the cost of a spiky week
#
# A ticketing site needs **2 servers** for most of the week, but **50 servers** during the
# **6 hours** after tickets for a concert go on sale (one sale per week). A week has 168 hours.
# Owning a server costs **1.0** per hour (you must own enough for the peak, all week long);
# renting one costs **1.6** per server-hour actually used.
#
# Compute both weekly costs and which option is cheaper (`"own"` or `"rent"`).

# %%
cost_owned = None     # weekly cost when owning enough servers for the peak
cost_rented = None    # weekly cost when renting exactly what each hour needs
cheaper = None        # "own" or "rent"
solve("m01-grid-cost")

# %%
check("m01-grid-cost")

# %% [markdown]
# ## Kubernetes in one paragraph
#
# **Kubernetes** (often **k8s**: a *k*, eight letters, an *s*) is an open-source system that
# deploys, scales and manages containerised applications across a group of machines. Google
# released it as open source in 2014, building on more than a decade of running its own
# workloads on an internal system called Borg; since 2015 it belongs to the Cloud Native
# Computing Foundation (CNCF). What it does for you:
#
# | feature | what it means |
# |---|---|
# | service discovery and load balancing | containers get stable DNS names and virtual IPs; traffic is spread over healthy copies |
# | storage orchestration | local disks, cloud volumes or network storage (NFS, Ceph...) are attached where pods run |
# | automated rollouts and rollbacks | a new version replaces the old one step by step, and can be undone |
# | automatic bin packing | each container states the CPU and memory it needs; Kubernetes places it where it fits |
# | self-healing | failed containers are restarted, pods of a failed machine are recreated elsewhere, unhealthy ones get no traffic |
# | secrets and configuration | passwords and settings are stored in the cluster and handed to containers without rebuilding images |
#
# This course runs a small Kubernetes cluster *inside this notebook* (simulated, in memory, with
# a virtual clock), so everything is instant and repeatable. Here it is:

# %%
cluster = labkit.connect(CLUSTER, seed=SEED)
viz.architecture(cluster)

# %% [markdown]
# Module 03 takes this picture apart component by component. For now: the **control plane**
# (top) makes the decisions, the **nodes** (bottom) run your containers.
#
# ## Summary
#
# * Cloud native = built *for* the cloud: containers, microservices, DevOps and continuous
#   delivery, run by an orchestrator.
# * Cloud-native applications are disposable, elastic, declarative, observable and
#   continuously delivered.
# * The cloud turns computing into a metered utility, like the power grid: spiky workloads are
#   where paying per use wins most.
# * Kubernetes is the orchestrator: it places, connects, heals, scales and updates containers.
#
# **Go further on a real cluster.** With any cluster (kind, minikube, a cloud one) and
# `kubectl`: `kubectl cluster-info` shows the API server address. On kind or minikube,
# `kubectl get pods -n kube-system` also lists the control-plane components running as pods
# (a managed cloud cluster hides its control plane: you see only the node components).
# In this course, `CLUSTER = "kind"` in the parameters cell (or `labkit.connect("kind")`) points
# the same notebook code at a kind cluster.
