# %% [markdown]
# # 03 · The scheduler
#
# *Module 03, Kubernetes architecture: notebook 3 of 5*
#
# **By the end of this notebook you can**
#
# 1. say what kube-scheduler watches, what it writes, and what it leaves to the kubelet;
# 2. explain its two phases, *filter* then *score*, and read the reasons behind a decision;
# 3. steer placement with resource requests, taints and tolerations, node selectors and node
#    affinity, pod affinity and anti-affinity, and topology spreading;
# 4. read a `FailedScheduling` message and fix an unschedulable pod.

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
from labkit.widgets.scheduler import record_frame

setup(SOLUTIONS, SEED)
cluster = labkit.connect(CLUSTER, seed=SEED)


def pod(name, cpu="500m", extra="", labels=None):
    """A one-container pod manifest requesting ``cpu``; ``extra`` adds lines to its spec."""
    labels = labels or {"app": name}
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {labels}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: nginx:1.27
    resources:
      requests: {{cpu: "{cpu}", memory: 256Mi}}
{extra}"""


def decision(name):
    """The scheduler's reasons for the last attempt to place pod ``name``."""
    record = [r for r in cluster.explain.records("scheduler") if r["pod"] == f"default/{name}"][-1]
    print(f"{name}: {record['node'] or 'not scheduled: ' + record['message']}")
    return record_frame(record)


def clean():
    """Delete every pod of the default namespace at once (a fresh start for the next section)."""
    for p in cluster.list("pods"):
        cluster.delete("pod", p["metadata"]["name"], grace_period=0)
    cluster.run(2)

# %% [markdown]
# ## The scheduler's job, and nothing more
#
# kube-scheduler watches for pods whose `spec.nodeName` is empty. For each one it picks a node
# and writes its choice back to the API server as a **Binding** (`POST
# /api/v1/namespaces/default/pods/NAME/binding`), which sets `spec.nodeName`. That is all. It
# does not start containers: the **kubelet** of the chosen node sees a pod bound to its node and
# runs it. The kubelet never chooses a node and never sends the binding (some articles claim it
# does).
#
# A cluster started without a scheduler shows the division of labour. Its pods stay `Pending`
# forever, with no node and not even an event:

# %%
from labkit.minicluster.cluster import MiniCluster

lonely = MiniCluster(nodes=3, seed=SEED, scheduler=False)
lonely.apply(pod("lonely"))
lonely.run(60)
print(lonely.kubectl("get pod lonely -o wide"))

# %% [markdown]
# Binding is just an API request, so we can play the scheduler by hand. The kubelet of
# `node-3` notices and starts the pod:

# %%
lonely.api.bind("lonely", "default", "node-3", user=lonely.as_user("system:kube-scheduler"))
lonely.run(5)
print(lonely.kubectl("get pod lonely -o wide"))

# %% [markdown]
# From now on we use the normal cluster (`cluster`), whose scheduler is running.
#
# ## Filter, then score
#
# For each pod, the scheduler runs a *scheduling cycle* made of plug-ins:
#
# 1. **Filter**: every node is checked by the filter plug-ins; a node fails as soon as one says
#    no, and the plug-in gives the reason. The main ones, in order: `NodeUnschedulable`
#    (cordoned), `NodeName`, `TaintToleration`, `NodeAffinity` (node selector and affinity),
#    `NodePorts`, `NodeResourcesFit` (requests), volume checks, `PodTopologySpread`,
#    `InterPodAffinity`.
# 2. **Score**: the nodes left get 0-100 points from each score plug-in, times the plug-in's
#    weight: `TaintToleration` (x3), `NodeAffinity` (x2), `InterPodAffinity` (x2),
#    `PodTopologySpread` (x2), `NodeResourcesFit` (x1: by default the node with the most free
#    CPU and memory after placement wins), `NodeResourcesBalancedAllocation` (x1: CPU and memory
#    used in similar proportions), `ImageLocality` (x1: the image is already there).
# 3. The node with the highest total wins (ties are broken at random), and the pod is bound.
#
# If only one node survives the filters, scoring is skipped. If none does, the scheduler tries
# *preemption* (evicting lower-priority pods to make room, module 05), records a
# `FailedScheduling` event, and the pod stays `Pending` until a retry succeeds. On large clusters it stops filtering once
# it has found enough feasible nodes (a percentage of the cluster), to stay fast.
#
# The mini scheduler keeps the reasons of each decision. Create a pod and read them:

# %%
cluster.apply(pod("first", cpu="1"))
cluster.run(2)
decision("first")

# %% [markdown]
# Three feasible nodes with equal scores: the winner was drawn at random (from the seeded
# random generator, so it is the same on every run). A second pod now sees the node that runs
# `first` busier than the others: that node scores lower, and the draw is between the two
# idle ones:

# %%
cluster.apply(pod("second", cpu="1"))
cluster.run(2)
decision("second")

# %% [markdown]
# ## Steering placement
#
# ### Resource requests
#
# `resources.requests` is what a container *reserves*: the scheduler adds up the requests of
# the pods on a node and only places a pod where its requests still fit in the node's
# *allocatable* CPU and memory. It does not look at actual usage, and it does not look at
# `limits` (the ceiling the kubelet enforces at run time). Ask for more than any node has:

# %%
cluster.apply(pod("huge", cpu="6"))
cluster.run(2)
%kubectl get events --field-selector involvedObject.name=huge

# %% [markdown]
# Read the message in two halves. `0/3 nodes are available: 3 Insufficient cpu.` counts, per
# reason, the nodes the filters rejected. `preemption: ...` says whether evicting
# lower-priority pods could help: here no, since every pod has the same (default) priority,
# so there is nothing to evict (and even an empty 4-CPU node could not hold 6 CPUs). The pod
# waits, and is retried when something changes in the cluster that could make it fit.

# %%
clean()

# %% [markdown]
# ### Taints and tolerations
#
# A **taint** on a node repels pods: `key=value:effect`, where the effect is `NoSchedule` (new
# pods are not placed there), `PreferNoSchedule` (avoided if possible) or `NoExecute` (running
# pods are evicted too: that is how a failed node's pods were evicted in notebook 01). A pod
# with a matching **toleration** may go there. A toleration *permits*; it does not *attract*.
# We keep `node-2` for GPU work:

# %%
%kubectl taint node node-2 dedicated=gpu:NoSchedule

# %% [markdown]
# ### Node selectors and node affinity
#
# Labels on nodes describe them; a pod's `nodeSelector` requires labels, and **node affinity**
# says the same with more operators (`In`, `NotIn`, `Exists`, `Gt`...), either *required*
# (`requiredDuringSchedulingIgnoredDuringExecution`: a filter) or *preferred* (a score with a
# weight). Label the SSD node and the GPU node:

# %%
%kubectl label node node-1 disktype=ssd

# %%
%kubectl label node node-2 gpu=true

# %%
%kubectl get nodes -L disktype,gpu

# %% [markdown]
# A pod that tolerates the GPU taint but has no selector can land anywhere, the GPU node
# included; add the selector and it must go there:

# %%
TOLERATE_GPU = """  tolerations:
  - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}
"""
cluster.apply(pod("gpu-job", cpu="1", extra=TOLERATE_GPU + "  nodeSelector: {gpu: 'true'}\n"))
cluster.run(2)
decision("gpu-job")

# %%
clean()

# %% [markdown]
# ### Pod affinity and anti-affinity
#
# These rules look at the *other pods*: "put me on a node (or in a zone) where pods labelled
# `app=cache` run" (affinity), or "never where a pod labelled `app=web` runs" (anti-affinity).
# `topologyKey` says what "where" means: `kubernetes.io/hostname` is the node,
# `topology.kubernetes.io/zone` the zone. Required anti-affinity between the replicas of one
# Deployment puts each replica on a different node, so one node failure cannot take them all.
#
# ### Topology spread constraints
#
# `topologySpreadConstraints` ask for pods to be spread evenly: the number of matching pods in
# any two domains (nodes, zones) may differ by at most `maxSkew`. Let us give the nodes zones
# and spread six replicas over them:

# %%
for node, zone in [("node-1", "zone-a"), ("node-2", "zone-b"), ("node-3", "zone-c")]:
    cluster.kubectl(f"label node {node} topology.kubernetes.io/zone={zone}")
cluster.apply("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: spread
spec:
  replicas: 6
  selector:
    matchLabels: {app: spread}
  template:
    metadata:
      labels: {app: spread}
    spec:
      terminationGracePeriodSeconds: 0
      tolerations:
      - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels: {app: spread}
      containers:
      - name: main
        image: nginx:1.27
        resources:
          requests: {cpu: 250m, memory: 128Mi}
""")
cluster.run(10)
viz.topology(cluster, namespace="default")

# %%
cluster.delete("deployment", "spread")
cluster.run(5)
%kubectl get pods

# %% [markdown]
# ## The scheduler playground
#
# Set up three nodes and one pod, and see the same scheduler decide: for each node the filter
# that rejected it and why, or its weighted scores. Things to try:
#
# * taint node-2 and watch it disappear from the candidates; then let the pod tolerate it;
# * give only node-3 an SSD and select `disktype=ssd`; then *prefer* it instead of requiring it;
# * request more CPU than node-1 has left (use its "requested" slider);
# * mark node-1 as running `app=web` and turn on the pod's anti-affinity;
# * make every node fail for a different reason and read the `0/3 nodes are available` line.

# %%
widgets.SchedulerPlayground()

# %% [markdown]
# ### Exercise 1 (3 points): predict placements
#
# Our cluster now has three 4-CPU nodes: `node-1` has `disktype=ssd`; `node-2` has `gpu=true`
# and the taint `dedicated=gpu:NoSchedule`; `node-3` has neither. No pod runs yet. These six
# pods are created **one at a time, in this order**, each one placed before the next is created
# (every pod also requests 256Mi of memory; `cache` has a required anti-affinity to pods
# labelled `app=api` on the same node). Where does each one end up?

# %%
placements = widgets.Matching(
    "m03-predict-placement",
    "Where does each pod go?",
    items=["db (3 CPU, nodeSelector disktype=ssd)",
           "train (2 CPU, tolerates dedicated=gpu, nodeSelector gpu=true)",
           "api (2 CPU, no constraints)",
           "web (500m CPU, no constraints)",
           "cache (1 CPU, anti-affinity to app=api)",
           "report (1 CPU, nodeSelector disktype=ssd)"],
    options=["node-1", "node-2", "node-3", "stays Pending"],
)
solve("m03-predict-placement")
placements

# %%
check("m03-predict-placement")

# %% [markdown]
# Once you have answered, run the next cell: it creates the six pods in that order, shows where
# they went and why, and removes them again.

# %%
SCENARIO = [
    ("db", "3", "  nodeSelector: {disktype: ssd}\n"),
    ("train", "2", TOLERATE_GPU + "  nodeSelector: {gpu: 'true'}\n"),
    ("api", "2", ""),
    ("web", "500m", ""),
    ("cache", "1", """  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: api}}
        topologyKey: kubernetes.io/hostname
"""),
    ("report", "1", "  nodeSelector: {disktype: ssd}\n"),
]

if widgets.answers.answer("m03-predict-placement") is None:
    print("Answer the quiz above first, then run this cell to compare with the real scheduler.")
else:
    reasons = []
    for name, cpu, extra in SCENARIO:
        cluster.apply(pod(name, cpu, extra))
        cluster.run(2)
        record = [r for r in cluster.explain.records("scheduler") if r["pod"] == f"default/{name}"][-1]
        reasons.append({"pod": name, "node": record["node"] or "Pending",
                        "why": "; ".join(f'{n["node"]}: {n["reasons"][0]}' for n in record["nodes"]
                                         if n["reasons"]) or "all nodes feasible: best score"})
    display(pd.DataFrame(reasons))
    clean()

# %% [markdown]
# ### Exercise 2 (3 points): fix an unschedulable pod
#
# A data scientist wrote the pod below for a training job that needs the GPU node and "a lot
# of CPU". It stays `Pending`. Read the `FailedScheduling` message the cell prints, fix the
# manifest in `trainer_yaml` and run the cell again, until the pod runs on the GPU node. The
# job needs at least 2 CPUs. Pods cannot be edited in place, so the cell deletes the old pod
# and creates yours. (Setting `spec.nodeName` yourself would skip the scheduler: not allowed.)

# %%
trainer_yaml = """
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  labels: {app: trainer}
spec:
  nodeSelector:
    gpu: "true"
  containers:
  - name: train
    image: busybox:1.36
    command: ["sh", "-c", "sleep 3600"]
    resources:
      requests:
        cpu: "6"
        memory: 2Gi
"""
solve("m03-fix-unschedulable")


def try_pod(manifest):
    if cluster.exists("pod", "trainer"):
        cluster.delete("pod", "trainer", grace_period=0)
    print(cluster.apply(manifest))
    cluster.run(5)
    print(cluster.kubectl("get pod trainer -o wide"))
    events = cluster.list("events")
    uid = cluster.get("pod", "trainer")["metadata"]["uid"] if cluster.exists("pod", "trainer") else None
    for e in events:
        if e["involvedObject"].get("uid") == uid and e["reason"] in ("FailedScheduling", "Scheduled"):
            print(f'{e["type"]}  {e["reason"]}  {e["message"]}')


try_pod(trainer_yaml)

# %%
check("m03-fix-unschedulable")

# %% [markdown]
# ## Summary
#
# * kube-scheduler watches pods without a node, picks one and writes a Binding; the kubelet of
#   that node runs the pod. Without a scheduler, pods stay Pending.
# * Each decision is **filter** (plug-ins reject nodes, each with a reason) then **score**
#   (weighted plug-in scores; the highest total wins, ties at random).
# * Requests (not usage, not limits) must fit in a node's allocatable resources. Taints repel,
#   tolerations permit; node selectors and required affinity filter, preferred affinity scores;
#   pod (anti-)affinity and topology spread constraints place pods relative to other pods.
# * `0/N nodes are available: ...` counts the nodes rejected for each reason; fix the reasons,
#   not the symptom (never hard-code `spec.nodeName`).
#
# **Go further on a real cluster.**
#
# * `kubectl describe pod NAME` shows the `FailedScheduling` events of a Pending pod;
#   `kubectl get pods --field-selector=status.phase=Pending -A` lists them all.
# * `kubectl taint node NODE key=value:NoSchedule` and `kubectl taint node NODE key-` add and
#   remove a taint; `kubectl describe node` shows taints and the "Allocated resources" the
#   scheduler counts.
# * On a kind cluster with worker nodes, the control-plane node carries the taint
#   `node-role.kubernetes.io/control-plane:NoSchedule`: that is why your pods never land there
#   (a single-node kind cluster removes that taint, so it can run your pods).
# * kube-scheduler's configuration (`KubeSchedulerConfiguration`) changes plug-in weights, or
#   switches `NodeResourcesFit` to `MostAllocated` to pack nodes instead of spreading.
