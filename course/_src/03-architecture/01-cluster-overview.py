# %% [markdown]
# # 01 · Cluster overview
#
# *Module 03, Kubernetes architecture: notebook 1 of 5*
#
# **By the end of this notebook you can**
#
# 1. tell the control plane from the worker nodes, and name the components of each;
# 2. say in one sentence what each component does, and what it does *not* do;
# 3. explain why every component talks to the API server, and nobody else talks to etcd;
# 4. use the "company" analogy, and say where it stops being true;
# 5. watch a live cluster react when you scale a Deployment or a node fails.

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
# ## Two kinds of machines
#
# A Kubernetes cluster is a set of machines called **nodes**. They play two roles:
#
# * The **control plane** keeps the cluster's state and makes the cluster-wide decisions:
#   which node runs a new pod, how many copies of an application must exist, what to do when a
#   node goes silent. Its components usually run on dedicated machines (three or five of them
#   for high availability) that do not run your applications.
# * The **worker nodes** run your applications. Each one has an agent, the *kubelet*, that
#   starts the containers of the pods assigned to its node and reports how they are doing.
#
# The diagram is drawn from *this notebook's* cluster: its real node names, whether each node
# is Ready and how many pods it runs.

# %%
viz.architecture(cluster)

# %% [markdown]
# ## The control plane, one component at a time
#
# | component | its job | what it does *not* do |
# |---|---|---|
# | **kube-apiserver** | the REST front end of the cluster: checks who you are and what you may do, validates objects, stores them in etcd and streams changes to watchers; it can run as several identical copies behind a load balancer | start containers or decide anything on its own |
# | **etcd** | a consistent, highly available key-value store (the Raft protocol keeps its copies in agreement): every object of the cluster, with a revision number per change | hold your application's data; be read by anything but the API server |
# | **kube-scheduler** | watches for pods that have no node yet, filters out nodes that cannot take them, scores the rest and records its choice with a *Binding* | run the pod: it only writes down a node name |
# | **kube-controller-manager** | one program running many **controllers**; each watches one kind of object and keeps acting until reality matches what was declared (Deployment, ReplicaSet, Job, Node, EndpointSlice, ServiceAccount...) | take orders: it compares declared and observed state, again and again |
# | **cloud-controller-manager** | the loops that need a cloud provider's API: cloud load balancers for Services, routes, noticing deleted cloud machines | exist on your laptop: clusters outside a cloud run without it |
#
# ## On every worker node
#
# | component | its job |
# |---|---|
# | **kubelet** | watches the API server for pods bound to *its* node, asks the container runtime to run them, runs their probes, and reports node and pod status back |
# | **container runtime** | pulls images and runs containers (containerd, CRI-O), driven by the kubelet through the Container Runtime Interface (CRI) |
# | **kube-proxy** | watches Services and EndpointSlices and programs the node (iptables, IPVS or nftables rules) so that a Service's virtual IP reaches one of its pods |
#
# Each of these is an ordinary client of the API server, with its own identity. In the mini
# cluster they are Python objects, and each one authenticates as the same user its real
# counterpart does:

# %%
who = [("kube-scheduler", cluster.scheduler.user.name)]
who += [(f"kube-controller-manager: {name}", c.user.name)
        for name, c in cluster.controllers.controllers.items() if name in
        ("deployment", "replicaset", "nodelifecycle", "endpointslice")]
who += [(f"kubelet on {name}", k.user.name) for name, k in sorted(cluster.kubelets.items())]
pd.DataFrame(who, columns=["component", "authenticates to the API server as"])

# %% [markdown]
# ## A hub with spokes: everybody talks to the API server
#
# Components never call each other. The scheduler does not tell a kubelet to start a pod; the
# Deployment controller does not ask the scheduler for anything. Each one **writes objects to**
# and **watches objects from** the API server, and the API server is the only program that
# reads and writes etcd. So a new Deployment travels like this:
#
# 1. `kubectl apply` sends the Deployment to the API server, which stores it in etcd.
# 2. The **Deployment controller** sees it (a watch event) and creates a **ReplicaSet**.
# 3. The **ReplicaSet controller** sees the ReplicaSet and creates the **Pods**, with no node.
# 4. The **scheduler** sees pods without a node and writes a Binding for each: `spec.nodeName`.
# 5. The **kubelet** of that node sees a pod bound to it and starts its containers through
#    the runtime, then reports the pod's status.
#
# Every step leaves an *event* that names the component that reported it. Apply a Deployment
# and read the `source` column (most components fill in the event's `source.component`; the
# scheduler writes its events through the newer `events.k8s.io` API, which names the reporter
# in `reportingComponent` instead, so the table falls back to that field):

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
        resources:
          requests: {cpu: 250m, memory: 128Mi}
""")
cluster.run(10)
# every event, in the order the API server stored them (resourceVersion); first of each kind
events = sorted(cluster.list("events"), key=lambda e: int(e["metadata"]["resourceVersion"]))
steps = pd.DataFrame([{"source": (e.get("source") or {}).get("component") or e.get("reportingComponent"),
                       "reason": e["reason"],
                       "object": f'{e["involvedObject"]["kind"]}/{e["involvedObject"]["name"]}',
                       "message": e["message"]} for e in events if "web" in e["involvedObject"]["name"]])
steps.drop_duplicates(["source", "reason"]).reset_index(drop=True)

# %% [markdown]
# `deployment-controller` created a ReplicaSet (not a ReplicationController, an older object
# some tutorials still mention), `replicaset-controller` created the pods,
# `default-scheduler` assigned each one to a node, and the `kubelet` pulled the image and
# started the container. Ownership is recorded in the objects themselves:

# %%
viz.ownership(cluster)

# %% [markdown]
# ## The company analogy, and where it breaks
#
# A popular way to picture the architecture is a company:
#
# | in the company | in Kubernetes |
# |---|---|
# | headquarters | the control plane |
# | the secretary's office, through which every request goes | kube-apiserver |
# | the archive | etcd |
# | the dispatcher | kube-scheduler |
# | the decision makers, who check that plans are met | kube-controller-manager |
# | the external-relations office | cloud-controller-manager |
# | a branch site (a factory) | a worker node |
# | the factory manager | kubelet |
# | the gatekeeper | kube-proxy |
#
# It helps you remember the names. It is also wrong in ways that matter:
#
# * **Nobody gives orders.** Headquarters does not phone the factories. The API server only
#   stores what is wanted; every component *watches* for the objects it cares about and acts
#   on its own. A kubelet pulls its work; nothing is pushed to it.
# * **There is no single decision maker.** The controller manager is dozens of small,
#   independent loops, and the scheduler makes decisions too. Each loop only compares
#   "declared" with "observed" for its own kind of object and nudges the two together.
# * **The archive is not passive.** etcd is the single source of truth, and its watch
#   feature is how changes reach everybody (through the API server).
# * **The factories keep working when headquarters is closed.** If the control plane stops,
#   running pods keep running; only changes (new pods, rescheduling, scaling) wait.
# * **The gatekeeper checks nobody's papers.** kube-proxy does not authenticate anyone (the API
#   server does that for API requests; NetworkPolicies filter pod traffic). It writes routing
#   rules, and with iptables or IPVS the packets do not even pass through kube-proxy itself.
# * **A factory manager cannot take work elsewhere.** A kubelet runs only pods already bound
#   to its node; placement is the scheduler's job.
#
# ### Exercise 1 (2 points): map the analogy

# %%
analogy = widgets.Matching(
    "m03-analogy",
    "Which part of a cluster plays each role?",
    items=["The managers who keep checking that plans are met",
           "The archive where every record is filed",
           "A branch site where the work is done",
           "The gatekeeper who directs visitors to the right door",
           "Headquarters (the head office that runs the company)",
           "The dispatcher who assigns each new job to a site",
           "The site manager who runs the jobs assigned to this site",
           "The secretary every request must go through"],
    options=["control plane", "worker node", "kube-apiserver", "etcd", "kube-scheduler",
             "kube-controller-manager", "kubelet", "kube-proxy"],
)
solve("m03-analogy")
analogy

# %%
check("m03-analogy")

# %% [markdown]
# ## A dashboard on the cluster
#
# The dashboard below shows the nodes (with the share of each node's CPU and memory that pods
# have *requested*, which is what the scheduler counts), the pods of the `default` namespace and
# the last events. Its buttons scale the Deployment, fail or recover a node, and let virtual
# time pass. It also redraws itself after every cell you run below it, so keep it in view while
# you run the next cells.

# %%
dashboard = widgets.ClusterDashboard(cluster)
dashboard

# %% [markdown]
# ### Scale up
#
# `kubectl scale` only changes one number, `spec.replicas`, in the Deployment stored in etcd.
# The rest follows from the watches: the ReplicaSet controller creates the missing pods, the
# scheduler places them, kubelets start them.

# %%
%kubectl scale deployment web --replicas=6

# %%
cluster.run(10)
%kubectl get deployment,replicaset,pods -o wide

# %% [markdown]
# ### A node fails
#
# Now `node-2` loses power: its kubelet stops sending heartbeats. Watch what happens, and
# when:
#
# * for about 50 seconds (the node monitor grace period), nothing: the control plane cannot
#   tell a dead node from a slow one;
# * then the **node lifecycle controller** sets the node's `Ready` condition to `Unknown`
#   (`kubectl` shows `NotReady`) and taints it `node.kubernetes.io/unreachable` (`NoSchedule`
#   and `NoExecute`);
# * pods tolerate that taint for 300 seconds by default (the API server added the toleration
#   when they were created); after that they are evicted and their ReplicaSet creates
#   replacements, which the scheduler places on the healthy nodes.

# %%
cluster.fail_node("node-2")
cluster.run(60)
%kubectl get nodes

# %%
cluster.run(330)
dashboard_now = widgets.dashboard.nodes_frame(cluster)
dashboard_now

# %%
%kubectl get pods -o wide

# %%
viz.topology(cluster, namespace="default")

# %% [markdown]
# The old pods of `node-2` show `Terminating`: they were deleted gracefully, and only the
# node's kubelet can confirm that their containers stopped, so they stay until it comes back
# (or until the Node object is deleted). The Deployment has its six running pods again, on `node-1` and
# `node-3`. Notice what did **not** happen: no new node appeared. Core Kubernetes reschedules
# pods; it never creates machines. Adding nodes when the cluster is short of capacity is the
# job of a *cluster autoscaler*, an add-on that talks to your cloud provider.
#
# Bring the node back:

# %%
cluster.recover_node("node-2")
cluster.run(30)
%kubectl get nodes

# %% [markdown]
# The node is Ready again, but the pods do **not** move back: the scheduler only places new
# pods, it never rebalances running ones.
#
# ### Exercise 2 (3 points): label the components

# %%
components = widgets.Matching(
    "m03-label-components",
    "Which component does this?",
    items=["Runs the Deployment, ReplicaSet, Job and Node controllers in one process",
           "Programs each node so that a Service's virtual IP reaches its pods",
           "Validates requests and is the only component that reads and writes etcd",
           "Pulls images and runs containers when asked through the CRI",
           "Watches for pods with no node and writes a Binding for each",
           "Creates cloud load balancers for Services of type LoadBalancer",
           "Stores every object of the cluster as a key and a value, with revisions",
           "Starts the containers of pods bound to its node and reports their status"],
    options=["kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager",
             "cloud-controller-manager", "kubelet", "kube-proxy", "container runtime"],
)
solve("m03-label-components")
components

# %%
check("m03-label-components")

# %% [markdown]
# ### Exercise 3 (2 points): who does what?
#
# Some articles about Kubernetes get these wrong. Sort each statement.

# %%
statements = widgets.Classify(
    "m03-who-does-what",
    "True or false?",
    items=["The kubelet sends the request that binds a new pod to its node",
           "The scheduler binds a pod to a node; the kubelet only runs pods already bound to it",
           "Creating a Deployment makes the API server create a ReplicationController",
           "The Deployment controller creates a ReplicaSet, and the ReplicaSet controller creates the Pods",
           "Controllers read and write etcd directly, bypassing the API server, to be fast",
           "etcd is a good place to keep an application's data, such as a shop's orders",
           "When a node fails, core Kubernetes creates a new node to replace it",
           "Pods that are already running keep running if the control plane stops for a while"],
    buckets=["true", "false"],
)
solve("m03-who-does-what")
statements

# %%
check("m03-who-does-what")

# %% [markdown]
# ## Summary
#
# * The **control plane** (kube-apiserver, etcd, kube-scheduler, kube-controller-manager,
#   and in clouds cloud-controller-manager) keeps the state and makes decisions; **worker
#   nodes** (kubelet, container runtime, kube-proxy) run the pods.
# * Every component is a client of the API server; only the API server talks to etcd. Work
#   flows through watched objects, not through commands.
# * Deployment → ReplicaSet → Pods is built by two controllers; the **scheduler** binds each
#   pod to a node; the **kubelet** runs what is bound to its node.
# * A failed node is detected after about 50 s and its pods are replaced 5 minutes later;
#   Kubernetes does not replace the node itself.
# * The company analogy names the parts but hides the essential idea: independent loops
#   reconciling declared and observed state.
#
# **Go further on a real cluster.** Create one with kind (`kind create cluster`), then:
#
# * `kubectl get pods -n kube-system -o wide`: the control plane runs as *static pods* on the
#   control-plane node (`kube-apiserver-kind-control-plane`, `etcd-...`, `kube-scheduler-...`,
#   `kube-controller-manager-...`), next to the `kube-proxy` DaemonSet and CoreDNS;
# * `kubectl get --raw='/readyz?verbose'`: the API server's own health checks, including etcd;
# * `kubectl events -A` (sorted by time) after `kubectl create deployment web --image=nginx
#   --replicas=3`: the same reporters as above;
# * `docker stop kind-worker` (with a multi-node kind cluster) fails a node for real; watch
#   `kubectl get nodes -w` and `kubectl get pods -o wide -w`.
