# %% [markdown]
# # 04 · Controllers and the reconcile loop
#
# *Module 03, Kubernetes architecture: notebook 4 of 5*
#
# **By the end of this notebook you can**
#
# 1. explain the declarative API: you write the *desired* state, controllers make the
#    *observed* state match it;
# 2. name the controllers of `kube-controller-manager` (node, job, endpoints, service account
#    and token, replicaset, deployment...) and say what the `cloud-controller-manager` is for;
# 3. read a reconcile loop from the cluster's own records: who did what, at which time, after
#    a pod is killed;
# 4. write a tiny controller of your own and check that it converges and is idempotent;
# 5. say what happens when a node fails, and what Kubernetes does *not* do (create a node);
# 6. predict what a HorizontalPodAutoscaler does with a measured CPU load.

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
cluster = labkit.connect(CLUSTER, seed=SEED)

# %% [markdown]
# ## Say *what*, not *how*
#
# With an imperative tool you give orders: "start three containers", "start one more".
# If an order is lost, or a container dies after it ran, nobody notices.
#
# Kubernetes is **declarative**. You store a description of the state you want (an object
# with a `spec`) through the API server, and you are done. Programs called **controllers**
# run forever, each in a loop:
#
# 1. **observe** the current state (through watches on the API server);
# 2. **compare** it with the desired state;
# 3. **act** to reduce the difference (create, update or delete objects), then start again.
#
# This is the **reconcile loop**. It is *level-triggered*: a controller looks at the whole
# current state each time, not only at what just changed, so a missed event or a crash of the
# controller itself does no harm: the next pass sees the difference and fixes it. And because
# it acts only on a difference, running it twice does nothing more (it is *idempotent*).
#
# Most objects show both sides: `spec` is what you asked for, `status` is what the
# controllers observed last.

# %%
cluster.apply("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
""")
cluster.run(5)
deployment = cluster.get("deployment", "web")
pd.DataFrame({"spec (desired)": {"replicas": deployment["spec"]["replicas"]},
              "status (observed)": {"replicas": deployment["status"]["replicas"]}})

# %% [markdown]
# ## One process, many controllers
#
# `kube-controller-manager` is a single program that runs a few dozen controllers side by
# side, sharing one cache of the cluster (one watch per resource type). Each controller owns
# one small job:
#
# | controller | watches | makes sure that |
# |---|---|---|
# | **node** (node lifecycle) | Nodes and their Leases | a node whose kubelet stops renewing its Lease becomes `NotReady` and gets `NoSchedule` and `NoExecute` taints |
# | **taint eviction** | Pods, Nodes | pods on a node with a `NoExecute` taint they do not tolerate (or no longer tolerate, once their `tolerationSeconds` run out) are deleted |
# | **replicaset** | ReplicaSets, Pods | exactly `spec.replicas` pods match the ReplicaSet (creates or deletes pods) |
# | **deployment** | Deployments, ReplicaSets | a ReplicaSet exists for the current pod template; rolling updates scale the new one up and the old ones down |
# | **job** | Jobs, Pods | pods run until `completions` of them succeed, retrying up to `backoffLimit` |
# | **endpoints** / **endpointslice** | Services, Pods | each Service lists the addresses of its ready pods (what kube-proxy programs) |
# | **serviceaccount** | Namespaces | every namespace has a `default` ServiceAccount |
# | **token** | ServiceAccounts, Secrets | a Secret of type `kubernetes.io/service-account-token` that names a ServiceAccount gets a long-lived token for it. Since 1.24 no such Secret is created automatically: pods get short-lived tokens from the TokenRequest API instead (a projected volume, on by default since 1.21) |
# | **namespace**, **garbage collector**, **podgc**... | | a deleted namespace is emptied; objects whose owner is gone are deleted; orphaned pods are cleaned up |
#
# Note what the Deployment controller creates: **ReplicaSets**, not the older
# ReplicationControllers (some articles get this wrong). The controllers of the table run in
# our cluster too:

# %%
running = cluster.controllers.controllers
pd.DataFrame({"running in this cluster": {name: name in running for name in [
    "nodelifecycle", "taint-eviction-controller", "replicaset", "deployment", "job", "endpoints",
    "endpointslice", "serviceaccount", "serviceaccount-token", "namespace", "garbagecollector",
    "podgc"]}})

# %% [markdown]
# **cloud-controller-manager.** Some controllers need to talk to a cloud provider: to learn
# whether a VM behind a node still exists, to program routes, to create a load balancer for a
# Service of type `LoadBalancer`. They used to live in kube-controller-manager; today they run
# in a separate `cloud-controller-manager` that each provider ships, so Kubernetes itself
# contains no cloud-specific code. A kind or bare-metal cluster runs none (our mini cluster
# neither).
#
# ### Exercise 1 (2 points): match controllers to jobs

# %%
controllers = widgets.Matching(
    "m03-controller-match",
    "Which controller does this?",
    items=["Notices that a node stopped renewing its Lease and marks it NotReady",
           "Keeps the number of pods of a ReplicaSet equal to spec.replicas",
           "Creates a new ReplicaSet when the pod template changes, and scales old ones down",
           "Runs pods until a given number of them complete successfully",
           "Keeps the list of ready pod addresses behind each Service up to date",
           "Creates the 'default' ServiceAccount in every new namespace",
           "Fills in the token of a Secret of type kubernetes.io/service-account-token",
           "Creates a cloud load balancer for a Service of type LoadBalancer"],
    options=["node controller", "replicaset controller", "deployment controller", "job controller",
             "endpoints controller", "serviceaccount controller", "token controller",
             "cloud-controller-manager"],
)
solve("m03-controller-match")
controllers

# %%
check("m03-controller-match")

# %% [markdown]
# ## Kill a pod, watch the loop
#
# Let us break something and watch who repairs it. Two sources tell the story:
#
# * a **watch** on pods: the stream of changes the API server sends to every controller
#   (ADDED / MODIFIED / DELETED, with the object);
# * the **events** the components record (`Scheduled`, `SuccessfulCreate`, `Started`...),
#   each signed by the component that reported it (`source.component`, or `reportingComponent`
#   for the scheduler's events, which use the newer `events.k8s.io` API).
#
# We open both, then force-delete one pod of the ReplicaSet (`kill_pod` does what `kubectl
# delete pod --grace-period=0 --force` does: the object is removed at once, without waiting
# for the kubelet to stop its container). `record_reconcile` also records every
# write (for the stepper widget below). Time is *virtual*: the cluster's clock only moves
# when we let it (`cluster.run(seconds)`), so the numbers are the same on every run.

# %%
replicaset = cluster.list("replicasets")[0]["metadata"]["name"]
victim = sorted(p["metadata"]["name"] for p in cluster.list("pods"))[0]
start = cluster.now()
log = []


def on_pod(change, pod):
    log.append({"time": round(cluster.now() - start, 3), "source": "watch: pods",
                "what": f"{change} {pod['metadata']['name']}",
                "detail": f"node={pod['spec'].get('nodeName') or '-'} "
                          f"phase={pod['status'].get('phase')}"})


def on_event(change, event):
    if change == "ADDED":
        # legacy events name their author in source.component, the scheduler's (events.k8s.io
        # API) in reportingComponent
        author = event["source"].get("component") or event["reportingComponent"]
        log.append({"time": round(cluster.now() - start, 3), "source": author,
                    "what": f"{event['reason']} {event['involvedObject']['kind'].lower()}/"
                            f"{event['involvedObject']['name']}",
                    "detail": event["message"]})


version = cluster.api.list("pods", "default")["metadata"]["resourceVersion"]
stop_pods = cluster.api.watch("pods", on_pod, namespace="default", resource_version=version)
stop_events = cluster.api.watch("events", on_event, namespace="default", resource_version=version)
run = widgets.record_reconcile(cluster, replicaset, lambda c: c.kill_pod(victim), seconds=5)
stop_pods()
stop_events()
print(f"killed {victim}")
pd.DataFrame(log)

# %% [markdown]
# Read it top to bottom: the pod is DELETED; the **replicaset-controller** creates a new pod
# (`SuccessfulCreate`) that has no node; the **default-scheduler** picks one (`Scheduled`, the
# pod is MODIFIED with a node); the **kubelet** of that node starts the container
# (`Pulled`, `Created`, `Started`) and reports `phase=Running` a virtual second later. Nobody
# called anybody: each one reacted to a change it saw through the API server.
#
# An ordinary `kubectl delete pod` is *graceful*: the pod first gets a `deletionTimestamp` and
# shows `Terminating` while the kubelet stops its container (up to 30 s by default). The
# ReplicaSet controller stops counting a pod as soon as it is terminating, so the replacement
# is created at once, not after the old pod is gone.
#
# The stepper replays the same repair write by write, with the ReplicaSet controller's view:
# *desired* (`spec.replicas`) against *observed* (active pods) and how many are ready.

# %%
widgets.ReconcileStepper(run)

# %% [markdown]
# ### Exercise 2 (2 points): explain a recovery
#
# Put the steps of the repair in order.

# %%
recovery = widgets.Ordering(
    "m03-recovery-order",
    "First step at the top:",
    items=["The scheduler picks a node and creates the pod's binding",
           "The ReplicaSet controller counts 2 active pods where 3 are desired",
           "The kubelet reports the pod Running and Ready in its status",
           "You force-delete one of the three pods of the web ReplicaSet",
           "The kubelet of that node sees the pod bound to it and starts its containers",
           "The API server removes the pod from etcd and tells every watcher",
           "The ReplicaSet controller creates a new Pod object, with no node yet"],
)
solve("m03-recovery-order")
recovery

# %%
check("m03-recovery-order")

# %% [markdown]
# ## Write a tiny controller
#
# A controller is a function from (desired, observed) to actions, called in a loop. Yours
# manages a ConfigMap called `app-config`: its `data` must equal `DESIRED`.
#
# Write `reconcile(desired, observed)`. Both arguments are dicts of strings (`observed` is
# `{}` while the ConfigMap does not exist). Return a **list of actions**:
#
# * `("set", key, value)`: make `data[key] == value`;
# * `("delete", key)`: remove `key`.
#
# `run_controller` then plays the control loop against the cluster: read the ConfigMap, call
# your function, apply the actions, wait a second, repeat until you return no action. It
# runs three scenarios: the ConfigMap does not exist yet (*start*); someone edited it by hand
# (*drift*: a value changed, a key removed, an extra key added); nothing changed (*steady*).
# A good controller converges in each, touches only what differs, and does nothing at all
# when there is nothing to do.
#
# ### Exercise 3 (4 points): write a tiny controller

# %%
DESIRED = {"color": "blue", "replicas": "3", "mode": "production"}


def reconcile(desired, observed):
    actions = []
    # your code: compare desired and observed, append ("set", key, value) / ("delete", key)
    return actions


solve("m03-tiny-controller")
controller_run = widgets.run_controller(cluster, reconcile, DESIRED)
pd.DataFrame(controller_run)

# %%
check("m03-tiny-controller")

# %% [markdown]
# ## When a node fails
#
# A node can die too: power, kernel panic, network cut. Its kubelet then stops renewing its
# **Lease** (every 10 s normally). What follows is a chain of controllers and timers:
#
# 1. when no renewal has been seen for the *node monitor grace period* (50 s since v1.32; older
#    documents say 40 s), the **node controller** sets the node's `Ready` condition to
#    `Unknown` (`kubectl` shows `NotReady`), marks its pods not ready, and adds the taints
#    `node.kubernetes.io/unreachable:NoSchedule` and `node.kubernetes.io/unreachable:NoExecute`;
# 2. every pod *tolerates* that taint for **300 s** (the `DefaultTolerationSeconds` admission
#    plugin adds the toleration to each pod): a short network blip must not restart
#    everything;
# 3. when the toleration runs out, the **taint eviction controller** deletes the pods; their
#    ReplicaSet controller now counts too few active pods and creates replacements, which the
#    scheduler places on healthy nodes.
#
# The deleted pods stay `Terminating` in the API: only the dead node's kubelet could confirm
# their containers stopped. They go when the node comes back or its Node object is deleted.
#
# What Kubernetes does **not** do is create a new node. The control plane only manages
# objects; machines come from outside: a person, a cloud's node group, or an add-on such as
# the **Cluster Autoscaler** (or Karpenter), which adds nodes when pods cannot be scheduled.
# (Some articles claim Kubernetes replaces failed nodes: it does not.)
#
# The tolerations the admission plugin added to our pods:

# %%
pd.DataFrame(cluster.list("pods")[0]["spec"]["tolerations"])

# %% [markdown]
# Now fail `node-2` and let 400 virtual seconds pass (this takes a fraction of a second).

# %%
failed = widgets.record_reconcile(cluster, replicaset, lambda c: c.fail_node("node-2"), seconds=400)
failed.frame()

# %% [markdown]
# About 50 s after the failure the node controller marked the pod on node-2 not ready, yet
# the ReplicaSet controller created nothing: it still counted 3 active pods and only updated
# its status (`in sync` stays true, only `ready` drops). 305 s later the taint eviction
# controller deleted the pod (the 300 s toleration counts from the `NoExecute` taint, which
# the mini cluster's node controller adds on its next 5 s pass; a real one adds it within a
# fraction of a second), and the loop you saw earlier ran again.

# %%
print(cluster.kubectl("get nodes"))
print(cluster.kubectl("get pods -o wide"))

# %%
widgets.ReconcileStepper(failed, title="Node failure, step by step")

# %% [markdown]
# ### Exercise 4 (2 points): node failure, true or false?

# %%
node_failure = widgets.Classify(
    "m03-node-failure",
    "True or false?",
    items=["The node controller marks the node NotReady about 50 s after its last Lease renewal",
           "The pods of a failed node are evicted at once, the moment it stops answering",
           "After the toleration period the pods are deleted and their controllers create "
           "replacements on healthy nodes",
           "Kubernetes creates a new node to replace the failed one",
           "Adding machines when pods do not fit is the job of an add-on such as the cluster "
           "autoscaler",
           "The old pod object disappears at once, even though its node cannot confirm the "
           "containers stopped"],
    buckets=["true", "false"],
)
solve("m03-node-failure")
node_failure

# %%
check("m03-node-failure")

# %% [markdown]
# ## A controller that reads metrics: the HorizontalPodAutoscaler
#
# Every controller so far compared two things stored in the API (a ReplicaSet's `replicas`
# and its pods). The **HorizontalPodAutoscaler** (HPA) controller compares a *measurement*
# with a target: every **15 s** it reads the CPU use of a workload's pods from the metrics API
# (served by the **metrics-server** add-on, which collects it from the kubelets) and sets the
# workload's `replicas` through its `/scale` subresource:
#
# $$\text{desiredReplicas} = \left\lceil \text{currentReplicas} \times
#   \frac{\text{current utilization}}{\text{target utilization}} \right\rceil$$
#
# Utilization is CPU use as a **percentage of the pods' CPU request**, so a pod without a
# request cannot be autoscaled on it. Three rules keep the loop calm: a ratio within
# **10 %** of the target changes nothing; one step may at most double the replicas (or go to
# 4); and a scale-*down* waits until the recommendations have stayed low for **5 minutes**
# (scale-ups are immediate). `spec.behavior` can tune each direction.
#
# The Kubernetes walkthrough's example: `php-apache` answers each request with a burst of CPU.

# %%
PHP_APACHE = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: php-apache
spec:
  selector:
    matchLabels:
      run: php-apache
  template:
    metadata:
      labels:
        run: php-apache
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports:
        - containerPort: 80
        resources:
          limits:
            cpu: 500m
          requests:
            cpu: 200m
---
apiVersion: v1
kind: Service
metadata:
  name: php-apache
  labels:
    run: php-apache
spec:
  ports:
  - port: 80
  selector:
    run: php-apache
"""
cluster.apply(PHP_APACHE)
cluster.wait_for(lambda c: c.get("deployments", "php-apache")["status"].get("readyReplicas") == 1)
print(cluster.kubectl("autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10"))

# %% [markdown]
# Now a load generator: a busybox pod that requests the Service in a loop. We let the load
# run for 3 minutes, stop it, and watch 8 more minutes, reading the HPA's status every
# sync period (on the mini cluster, these 11 virtual minutes take a few seconds).

# %%
LOAD = ["run", "load-generator", "--image=busybox:1.28", "--restart=Never", "--",
        "/bin/sh", "-c", "while sleep 0.01; do wget -q -O- http://php-apache; done"]
print(cluster.kubectl(LOAD))
rows = []
for step in range(1, 45):
    cluster.run(15)
    if step == 12:
        print(cluster.kubectl("get hpa php-apache"))
        cluster.kubectl("delete pod load-generator --wait=false")
    status = cluster.get("horizontalpodautoscalers", "php-apache").get("status") or {}
    current = (status.get("currentMetrics") or [{}])[0].get("resource", {}).get("current", {})
    rows.append({"second": 15 * step, "load": step < 12,
                 "CPU (% of request)": current.get("averageUtilization"),
                 "replicas": cluster.get("deployments", "php-apache")["spec"]["replicas"]})
hpa_run = pd.DataFrame(rows).set_index("second")
hpa_run[hpa_run["replicas"].diff() != 0]

# %%
import matplotlib.pyplot as plt

with viz.figures.style():
    fig, ax = plt.subplots(figsize=(7, 3))
    hpa_run["replicas"].plot(ax=ax, drawstyle="steps-post", label="replicas")
    ax.axvline(12 * 15, color="grey", linestyle=":", label="load stopped")
    ax.set_xlabel("virtual seconds")
    ax.set_ylabel("replicas")
    ax.legend()
viz.figure(fig, "php-apache replicas set by the HPA")

# %% [markdown]
# Read the table row by row:
#
# * at 15 s the HPA has no number yet: metrics-server reports a new pod only once it has two
#   samples of it (`kubectl get hpa` shows `<unknown>/50%`);
# * at 30 s the pod runs at 250 % of its request: the formula asks for ceil(1 × 250 / 50) = 5,
#   the rate limit allows max(2 × 1, 4) = 4;
# * at 45 s the three new pods have no metrics yet; on a scale-up the HPA counts them as idle,
#   which gives a cautious 5;
# * once every pod reports, the load spreads and the Deployment reaches 10 (the maximum):
#   utilization settles near 56 %, within 10 % of the target, so nothing changes;
# * the load stops at 180 s and CPU falls to 0 %, yet the replicas stay: each scale-down takes
#   the *highest* recommendation of the last 5 minutes, and the metrics lag the load by up to
#   half a minute (a 15 s scrape of a 15 s CPU window), so the syncs just after the stop still
#   asked for 10, then 9. Only at 525 s, 5 minutes after those, does the Deployment shrink: to
#   9, then to 1.
#
# `kubectl describe hpa` lists the conditions and the events behind each decision:

# %%
print(cluster.kubectl("describe hpa php-apache"))

# %% [markdown]
# On a real cluster, install metrics-server first (kind has none): without it the HPA shows
# `<unknown>` targets and the event `FailedGetResourceMetric`.
#
# ### Exercise 5 (2 points): how does the HPA decide?

# %%
hpa_quiz = widgets.Classify(
    "m03-hpa",
    "True or false?",
    items=["4 pods at 100 % CPU of their request, with a 50 % target: the HPA asks for 8 pods",
           "A pod without a CPU request can still be autoscaled on CPU utilization",
           "A utilization of 54 % against a 50 % target changes the replica count",
           "When the load stops, the HPA removes the extra pods at its next 15 s sync",
           "The HPA changes the Deployment through its scale subresource, and the Deployment's "
           "ReplicaSet controller then creates or deletes the pods"],
    buckets=["true", "false"],
)
solve("m03-hpa")
hpa_quiz

# %%
check("m03-hpa")

# %% [markdown]
# ## Summary
#
# * Kubernetes is declarative: you store the desired state (`spec`); controllers observe the
#   actual state, compare, and act, forever. The loop is level-triggered and idempotent.
# * `kube-controller-manager` runs many small controllers (node, replicaset, deployment, job,
#   endpoints, serviceaccount, token, namespace, garbage collector...);
#   `cloud-controller-manager` holds the cloud-specific ones.
# * A Deployment's controller creates ReplicaSets; the ReplicaSet controller creates Pods; the
#   scheduler binds them; the kubelet runs them. They coordinate only through the API server.
# * A failed node becomes NotReady after ~50 s; its pods are evicted after a 300 s toleration
#   and recreated elsewhere. New machines come from outside Kubernetes (cluster autoscaler).
# * The HorizontalPodAutoscaler is a controller too: every 15 s it compares measured CPU (from
#   metrics-server) with a target and sets `replicas`; scale-downs wait 5 minutes.
#
# **Go further on a real cluster.** On kind: `kubectl get pods -w` in one terminal and
# `kubectl delete pod <one of web's pods>` in another; then
# `kubectl events` (sorted by time). Stop a node with `docker stop kind-worker`
# and watch `kubectl get nodes -w` and `kubectl get pods -o wide -w` for about six minutes.
# `kubectl -n kube-system logs kube-controller-manager-kind-control-plane` shows the
# controllers starting. A real controller is written with client-go or controller-runtime
# (Kubebuilder, Operator SDK): the same loop as your `reconcile`, with watches and a work
# queue around it.
