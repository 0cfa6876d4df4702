# %% [markdown]
# # 05 · From one container to orchestration
#
# *Module 02, virtualization and containers: notebook 5 of 5*
#
# **By the end of this notebook you can**
#
# 1. list the problems that appear once you run many containers on many machines;
# 2. tell the story from Docker (2013) to Kubernetes (2014, from Google's Borg);
# 3. compare docker-compose, Docker Swarm, Apache Mesos and Kubernetes, and see how their
#    placement decisions differ on the same workload;
# 4. watch an orchestrator (our mini Kubernetes) place a workload and heal it.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0
CLUSTER = "mini"

# %%
import ipywidgets as W
import pandas as pd

import labkit
from labkit import viz, widgets
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)

# %% [markdown]
# ## One container is easy; a thousand are not
#
# `docker run nginx` on one machine is simple. A real application is dozens of services, each
# in several copies, on many machines. Questions appear at once:
#
# * **Scaling out**: how do I run 20 copies instead of 2, spread over machines, and back again?
# * **Recovery**: a container or a whole machine dies at 3 a.m.: who restarts it, where?
# * **Updates without downtime**: how do I replace version 1 by version 2 a few copies at a
#   time, and roll back if it misbehaves?
# * **Monitoring**: which copies are healthy? Which get traffic?
# * **Scheduling**: which machine has room for a container needing 2 CPUs and 4 GiB?
# * **Data safety**: where does a database container's data live when the container moves?
#
# An **orchestrator** answers these automatically from a description of the desired state.
#
# ## A short history
#
# | year | event |
# |---|---|
# | 2003–2004 | Google builds **Borg**, its internal cluster manager (later also Omega) |
# | 2008 | **LXC** (Linux Containers) combines cgroups and namespaces into usable containers |
# | 2013 (March) | dotCloud open-sources **Docker**: images, layers, a registry and a simple CLI make containers popular; the company renames itself Docker, Inc. |
# | 2013 | **Apache Mesos** (from UC Berkeley, 2009) becomes a top-level Apache project; Twitter and others run it in production |
# | 2014 (June) | Google announces **Kubernetes**, an open-source orchestrator built on the lessons of Borg; Docker 1.0 ships the same month |
# | 2014–2015 | **Fig**, renamed **docker-compose**, describes multi-container apps in YAML; Docker **Swarm** clusters Docker hosts |
# | 2015 (July) | Kubernetes 1.0; Google donates it to the newly founded **CNCF** |
# | 2016 | Docker 1.12 builds **Swarm mode** into the Docker engine |
# | 2017 onwards | Kubernetes becomes the de-facto standard; Docker, Mesosphere and the clouds all offer it |

# %% [markdown]
# ### Exercise 1 (2 points): put history in order

# %%
history = widgets.Ordering(
    "m02-history-order",
    "Oldest first:",
    items=["Kubernetes 1.0 and the founding of the CNCF", "Docker is open-sourced by dotCloud",
           "Swarm mode is built into the Docker engine", "Google builds Borg",
           "Google announces Kubernetes"],
)
solve("m02-history-order")
history

# %%
check("m02-history-order")

# %% [markdown]
# ## Four tools, four ideas
#
# * **docker-compose**: one YAML file describes several containers (services, networks,
#   volumes) *on one host*; `docker compose up` starts them. Great for development; no
#   scheduling across machines, no healing of a dead host.
# * **Docker Swarm**: turns several Docker hosts into one pool. A *manager* accepts commands
#   through the same Docker API (so Docker tools work unchanged) and decides where containers
#   run; you talk to the cluster, not to a particular machine. Swarm mode spreads a service's
#   tasks over the nodes and restarts failed ones.
# * **Apache Mesos**: a *two-level* scheduler. The Mesos master does not decide placement; it
#   *offers* free resources of agents to frameworks (Marathon for long-running services,
#   Chronos for jobs, Spark...) and each framework accepts or declines offers with its own
#   logic. Mesos delegates the decision; it shares a cluster between very different
#   frameworks.
# * **Kubernetes**: groups containers into **Pods** (scheduled together, sharing a network
#   namespace), selects and organises them with **Labels**, and exposes sets of pods as
#   **Services** with a stable address. Controllers keep declared state true; the scheduler
#   filters nodes that fit and scores the rest. Everything is an object behind one API.
#
# ## The same workload, four placements
#
# Three nodes with 4 CPUs and 8 GiB each. The workload: 6 copies of `web` (0.5 CPU, 0.5 GiB),
# 2 of `api` (1 CPU, 1 GiB) and 1 `db` (2 CPU, 4 GiB). Each strategy below is a simplified
# model of how that tool decides:

# %%
NODES = {"node-1": (4.0, 8.0), "node-2": (4.0, 8.0), "node-3": (4.0, 8.0)}


def workload(web=6):
    return ([("db", 2.0, 4.0)] + [("api", 1.0, 1.0)] * 2 + [("web", 0.5, 0.5)] * web)


def fits(free, cpu, mem):
    return free[0] >= cpu and free[1] >= mem


def place(strategy, containers):
    """Return [(app, node or None)] for one strategy."""
    free = {n: list(cap) for n, cap in NODES.items()}
    count = {n: 0 for n in NODES}
    offer_turn = 0
    out = []
    for app, cpu, mem in containers:
        candidates = [n for n in NODES if fits(free[n], cpu, mem)]
        if strategy == "docker-compose (one host)":
            choice = "node-1" if "node-1" in candidates else None
        elif strategy == "Swarm (spread)":
            choice = min(candidates, key=lambda n: (count[n], n), default=None)
        elif strategy == "Mesos (offers, first fit)":
            order = list(NODES)[offer_turn:] + list(NODES)[:offer_turn]
            choice = next((n for n in order if n in candidates), None)
            # the framework keeps accepting the same agent's offer until it no longer fits
            offer_turn = list(NODES).index(choice) if choice else offer_turn
        else:  # Kubernetes: filter, then score LeastAllocated (most free after placing)
            def score(n):
                c, m = NODES[n]
                return ((free[n][0] - cpu) / c + (free[n][1] - mem) / m) / 2
            choice = max(sorted(candidates), key=score, default=None)
        if choice:
            free[choice][0] -= cpu
            free[choice][1] -= mem
            count[choice] += 1
        out.append((app, choice))
    return out


STRATEGIES = ["docker-compose (one host)", "Swarm (spread)", "Mesos (offers, first fit)",
              "Kubernetes (filter + score)"]
table = pd.DataFrame({s: pd.Series([n or "NOT PLACED" for _, n in place(s, workload())])
                      .value_counts() for s in STRATEGIES}).fillna(0).astype(int)
table.index.name = "containers on"
table

# %% [markdown]
# docker-compose has only one host, so whatever does not fit is simply not started. Swarm
# spreads by count, Mesos' first-fit framework packs the first node it is offered until full,
# and Kubernetes' default scoring prefers the node with the most free capacity after placement,
# which balances load. Compare them visually (drawn with the same function that draws a real
# cluster's topology):

# %%
class Placement:
    """A pretend cluster holding a placement, readable by viz.topology()."""

    def __init__(self, placement):
        self.nodes = [{"kind": "Node", "metadata": {"name": n}} for n in NODES]
        self.pods = [{"kind": "Pod",
                      "metadata": {"name": f"{app}-{i}", "namespace": "demo",
                                   "ownerReferences": [{"kind": "App", "name": app}]},
                      "spec": {"nodeName": node} if node else {},
                      "status": {"phase": "Running" if node else "Pending"}}
                     for i, (app, node) in enumerate(placement)]

    def list(self, kind, namespace=None, all_namespaces=False):
        return {"nodes": self.nodes, "pods": self.pods}.get(kind, [])


def show(strategy, web):
    return viz.topology(Placement(place(strategy, workload(web))))


widgets.Interactive({"strategy": W.Dropdown(options=STRATEGIES, value="Kubernetes (filter + score)",
                                            description="strategy"),
                     "web": W.IntSlider(value=6, min=1, max=16, description="web copies")},
                    show, title="Placement playground")

# %% [markdown]
# Try `web = 16`: who still places everything? What does "Pending" mean for a real
# orchestrator? (It keeps the container waiting until capacity appears, instead of failing.)
#
# ### Exercise 2 (3 points): match features to orchestrators

# %%
features = widgets.Matching(
    "m02-orchestrator-match",
    "Which tool is described?",
    items=["Describes a multi-container app on a single host in one YAML file",
           "Exposes the standard Docker API; a manager schedules over the cluster",
           "Offers resources to frameworks, which make the placement decision",
           "Groups containers into Pods and selects them with Labels",
           "Grew out of Google's experience with Borg",
           "Two-level scheduling shared by Marathon, Chronos and Spark"],
    options=["docker-compose", "Docker Swarm", "Apache Mesos", "Kubernetes"],
)
solve("m02-orchestrator-match")
features

# %%
check("m02-orchestrator-match")

# %% [markdown]
# ## An orchestrator at work
#
# Now the real thing: the mini Kubernetes cluster in this notebook. We declare the `web`
# part of the workload as a Deployment with 6 replicas and resource requests, and let the
# cluster do the rest.

# %%
cluster = labkit.connect(CLUSTER, seed=SEED)
cluster.apply("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 6
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 500m, memory: 512Mi}
""")

# %%
cluster.wait_for(lambda c: len([p for p in c.list("pods") if p["status"].get("phase") == "Running"]) == 6,
                 timeout=120)
viz.topology(cluster, namespace="default")

# %% [markdown]
# The scheduler spread the six pods over the three nodes. Now a pod dies:

# %%
victim = sorted(p["metadata"]["name"] for p in cluster.list("pods"))[0]
cluster.kill_pod(victim)
cluster.wait_for(lambda c: len([p for p in c.list("pods") if p["status"].get("phase") == "Running"]) == 6,
                 timeout=120)
print(f"killed {victim}; running pods: {len(cluster.list('pods'))}")
cluster.kubectl("get deployment web")

# %% [markdown]
# Nobody restarted it by hand: the ReplicaSet controller saw 5 pods where 6 were declared and
# created a replacement, which the scheduler placed. That loop (*observe, compare with the
# declared state, act*) is the heart of Kubernetes (module 03).
#
# ### Exercise 3 (2 points): spot the mistakes
#
# Some articles about Kubernetes contain claims that are wrong. Sort each statement.

# %%
mistakes = widgets.Classify(
    "m02-spot-mistakes",
    "True or false?",
    items=[
        "Redis and Memcached are stateless, so their pods can be replaced with no consequence",
        "When a node fails, Kubernetes core creates a new node to replace it",
        "When a node fails, its pods are recreated on other nodes by their controllers",
        "Adding nodes when the cluster is full is the job of the cluster autoscaler, an add-on",
        "A Deployment with 6 replicas keeps 6 pods running even if one is deleted",
    ],
    buckets=["true", "false"],
)
solve("m02-spot-mistakes")
mistakes

# %%
check("m02-spot-mistakes")

# %% [markdown]
# ## Summary
#
# * Many containers on many machines need scaling, recovery, rolling updates, monitoring,
#   scheduling and data management: that is orchestration.
# * Docker (2013) made containers easy; Kubernetes (2014), built on Google's Borg experience,
#   became the standard orchestrator and the CNCF's first project (2015).
# * docker-compose: one host. Swarm: Docker API over a cluster, spread placement. Mesos:
#   two-level, offers delegated to frameworks. Kubernetes: Pods, Labels, Services, controllers,
#   filter-and-score scheduling.
# * Caches such as Redis and Memcached keep data in memory: they are *stateful* (Redis can
#   also persist to disk); losing a pod loses data or at least warm cache.
# * A failed node's pods are rescheduled elsewhere; new nodes come from a cluster autoscaler,
#   not from Kubernetes itself.
#
# **Go further on a real cluster.** On kind: `kubectl create deployment web --image=nginx
# --replicas=6`, then `kubectl get pods -o wide` to see the spread, `kubectl delete pod ...` and
# `kubectl get pods -w` to watch the replacement appear.
