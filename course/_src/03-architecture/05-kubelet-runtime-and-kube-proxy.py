# %% [markdown]
# # 05 · Kubelet, container runtime and kube-proxy
#
# *Module 03, Kubernetes architecture: notebook 5 of 5*
#
# **By the end of this notebook you can**
#
# 1. say what the kubelet does on each node, and what it does not do (it never picks a node);
# 2. explain how the kubelet drives containerd or CRI-O through the Container Runtime
#    Interface (CRI), and what happens on a `kubectl exec`;
# 3. read how nodes and pods report their status (Lease heartbeats, pod status);
# 4. read kube-proxy's rules for a Service and see how they spread traffic;
# 5. follow the complete creation of a pod, from `kubectl apply` to a running container, in a
#    sequence diagram generated from the cluster's own records.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0
CLUSTER = "mini"

# %%
import base64
import collections
import hashlib

import ipywidgets as W
import pandas as pd

import labkit
from labkit import viz, widgets
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)
cluster = labkit.connect(CLUSTER, seed=SEED)

# %% [markdown]
# ## The kubelet: the node's agent
#
# Every worker node runs a **kubelet**. It is the only Kubernetes component that touches the
# machine's containers, and its job is narrow:
#
# * it **watches the pods bound to its own node**: those whose `spec.nodeName` is its name
#   (a watch with a field selector). It does not choose nodes and it does not bind pods: the
#   scheduler does that, by creating the pod's `binding`. (Some articles say the kubelet
#   sends the binding request: it does not.)
# * it turns each PodSpec into running containers: volumes first, then the pod *sandbox*
#   (the network namespace with the pod IP), then init containers, then the containers,
#   restarting them according to `restartPolicy`;
# * it runs the **probes** (liveness, readiness, startup) and writes the result into the
#   pod's status;
# * it **reports**: the node's capacity and conditions, a heartbeat, and each pod's status.
#
# This is the kubelet's view of `node-1`: the same query its watch makes.

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
        ports:
        - containerPort: 80
""")
cluster.run(5)
mine = cluster.list("pods", field_selector="spec.nodeName=node-1")
pd.DataFrame([{"pod": p["metadata"]["name"], "spec.nodeName": p["spec"]["nodeName"],
               "phase": p["status"]["phase"], "podIP": p["status"].get("podIP")} for p in mine])

# %% [markdown]
# ## The container runtime and the CRI
#
# The kubelet does not create containers itself. It calls a **container runtime** through
# the **Container Runtime Interface (CRI)**, a gRPC API with two services:
#
# | CRI service | calls the kubelet makes |
# |---|---|
# | `RuntimeService` | `RunPodSandbox`, `CreateContainer`, `StartContainer`, `StopContainer`, `RemovePodSandbox`, `ContainerStatus`, `ExecSync`... |
# | `ImageService` | `PullImage`, `ImageStatus`, `RemoveImage`, `ListImages` |
#
# Two runtimes implement it in most clusters: **containerd** (used by kind, GKE, EKS, AKS...)
# and **CRI-O** (OpenShift). Both hand the actual work to a low-level OCI runtime such as
# `runc`, which sets up the namespaces and cgroups of module 02. Docker Engine itself does not
# speak CRI; the kubelet's built-in adapter for it (*dockershim*) was removed in 1.24. Images
# built with Docker run unchanged: they are OCI images.
#
# Each node reports its runtime:

# %%
print(cluster.kubectl("get nodes -o wide"))

# %% [markdown]
# ### Inside a container: `kubectl exec`
#
# `kubectl exec` follows the same chain. The API server checks that you may `create` the
# `pods/exec` subresource, then connects to the kubelet of the pod's node, which asks the
# runtime (CRI `Exec`) to start one more process *inside* the container, in its namespaces
# (module 02): it sees the container's hostname and files, not the node's. Input and output
# travel over one WebSocket, with a channel each for stdin, stdout, stderr and the final
# status. In a terminal, `kubectl exec -it POD -- sh` opens an interactive shell; a notebook
# has no terminal, so here we run one command at a time.

# %%
pod = mine[0]["metadata"]["name"]
print(cluster.kubectl(f"exec {pod} -- hostname"))
print(cluster.kubectl(f"exec {pod} -- ls /usr/share/nginx/html"))

# %% [markdown]
# The command's exit code travels back on the status channel; kubectl reports it and exits
# with it, so scripts can test it:

# %%
result = cluster.kubectl(f"exec {pod} -- sh -c 'test -f /etc/nginx/nginx.conf && exit 3'")
print(result)
print("kubectl's exit code:", result.returncode)

# %% [markdown]
# ## Status reporting: heartbeats and pod status
#
# How does the control plane know a node is alive? Its kubelet **renews a Lease** object in
# the `kube-node-lease` namespace every 10 seconds (the lease lasts 40 s). It also writes
# the Node's `status` (conditions, capacity, images), when something changes or at least
# every 5 minutes. Let us record 30 virtual seconds of writes to Leases and Nodes:

# %%
with viz.FlowRecorder(cluster, resources=("leases.coordination.k8s.io", "nodes")) as beats:
    cluster.run(30)
heartbeats = beats.frame()
heartbeats[heartbeats["object"] == "lease/node-1"]

# %% [markdown]
# One write every 10 s, by `kubelet node-1`, changing only `spec.renewTime`. This is cheap
# (a Lease is tiny) and it is what the node controller of notebook 04 watches. Pod status
# works the same way: only the kubelet of the pod's node knows whether its containers run,
# so it is the kubelet that writes `status.phase`, `status.podIP`, `status.containerStatuses`
# and the `Ready` condition (through the `pods/status` subresource).
#
# ## A pod's creation, from the cluster's own records
#
# Now the whole journey. A `FlowRecorder` listens to the API server's audit hook (who sends
# which request) and to etcd (which write it caused, at what virtual time). We create a
# Deployment with one replica and let three seconds pass.

# %%
with viz.FlowRecorder(cluster) as rec:
    cluster.apply("""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: nginx:1.27
""")
    cluster.run(3)
viz.sequence_diagram(rec.messages(), title="a Deployment becomes a running pod")

# %% [markdown]
# Read the arrows top to bottom:
#
# 1. `kubectl` sends the Deployment; the API server authenticates, authorizes, runs admission
#    and stores it in **etcd** (the only component that talks to etcd is the API server);
# 2. the **deployment controller** (in kube-controller-manager) sees it through its watch and
#    creates a **ReplicaSet** (not a ReplicationController);
# 3. the **replicaset controller** sees the ReplicaSet and creates a **Pod** with no node;
# 4. the **scheduler** sees a pod without a node, chooses one and creates its **binding**,
#    which sets `spec.nodeName`;
# 5. the **kubelet** of that node sees a pod bound to it, writes a first status, and calls the
#    **runtime**: sandbox, image, container;
# 6. the kubelet writes the status `Running`, with the pod IP.
#
# The `watch:` arrows are the notifications each component reacts to; the recorder infers them
# from the previous write to the same object or to its owner. Controllers' updates of their own
# objects' status are left out (`rec.messages(status=True)` shows them). The same recording as a
# table, with the fields each write changed:

# %%
rec.frame()

# %% [markdown]
# ### Exercise 1 (3 points): order the creation steps

# %%
creation = widgets.Ordering(
    "m03-creation-order",
    "First step at the top:",
    items=["The scheduler binds the Pod to a node",
           "The kubelet writes the Pod's status: Running, with its pod IP",
           "The Deployment controller creates a ReplicaSet",
           "kubectl sends the Deployment to the API server",
           "The runtime creates the sandbox, pulls the image and starts the container",
           "The ReplicaSet controller creates a Pod with no node",
           "The API server authenticates, authorizes, admits and stores it in etcd",
           "The kubelet on that node sees the Pod and calls the container runtime through the CRI"],
)
solve("m03-creation-order")
creation

# %%
check("m03-creation-order")

# %% [markdown]
# ### Exercise 2 (2 points): who writes which field?
#
# The table above tells you.

# %%
writers = widgets.Matching(
    "m03-field-writers",
    "Which component writes this field?",
    items=["spec.nodeName of a Pod", "status.podIP of a Pod", "status.phase = Running",
           "metadata.ownerReferences of a Pod",
           "renewTime of the node's Lease in kube-node-lease", "metadata.resourceVersion"],
    options=["kubectl", "API server", "controller-manager", "scheduler", "kubelet"],
)
solve("m03-field-writers")
writers

# %%
check("m03-field-writers")

# %% [markdown]
# ## kube-proxy: making Service addresses work
#
# A Service gets a virtual **ClusterIP** that no machine owns. **kube-proxy**, one per node,
# watches Services and their EndpointSlices (kept current by the endpointslice controller)
# and programs the node's kernel so that a connection to `ClusterIP:port` is rewritten
# (DNAT) to `podIP:targetPort` of one *ready* endpoint. kube-proxy itself is not in the data
# path: in its default `iptables` mode (and in `ipvs` or `nftables` mode) the kernel moves
# the packets.
#
# Expose `web` and look at its endpoints:

# %%
cluster.apply("""
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
""")
cluster.run(1)
service = cluster.get("service", "web")
endpoints = sorted(cluster.network.endpoints_of(service), key=lambda e: e["ip"])
print(cluster.kubectl("get service web"))
pd.DataFrame([{"address": e["ip"], "ready": e["ready"], "node": e["nodeName"],
               "pod": e["targetRef"]["name"]} for e in endpoints])

# %% [markdown]
# The main rules kube-proxy writes for it, in the `iptables-restore` format it feeds to the
# kernel (left out: the masquerade rules and the comments on the `DNAT` rules). Chain names are
# hashes of the Service port's name (and of the endpoint), computed here as kube-proxy
# computes them. Each endpoint rule catches a connection with a probability: 1/3, then 1/2 of
# what is left, then all of the rest, so each pod gets one third.

# %%
def chain(prefix, text):
    return prefix + base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def proxy_rules(service, endpoints):
    name = f"{service['metadata']['namespace']}/{service['metadata']['name']}"
    port = service["spec"]["ports"][0]
    svc_chain = chain("KUBE-SVC-", name + "tcp")
    lines = [f"-A KUBE-SERVICES -d {service['spec']['clusterIP']}/32 -p tcp -m comment "
             f'--comment "{name} cluster IP" -m tcp --dport {port["port"]} -j {svc_chain}']
    targets = [f"{e['ip']}:{port['targetPort']}" for e in endpoints if e["ready"]]
    for i, target in enumerate(targets):
        left = len(targets) - i
        odds = "" if left == 1 else f" -m statistic --mode random --probability {1 / left:0.10f}"
        lines.append(f'-A {svc_chain} -m comment --comment "{name} -> {target}"{odds} '
                     f"-j {chain('KUBE-SEP-', name + 'tcp' + target)}")
    for target in targets:
        lines.append(f"-A {chain('KUBE-SEP-', name + 'tcp' + target)} -p tcp -m tcp "
                     f"-j DNAT --to-destination {target}")
    return "\n".join(lines)


print(proxy_rules(service, endpoints))

# %% [markdown]
# Does it spread evenly? Send 300 requests to the ClusterIP from `node-1` and count which pod
# answered (the random choices come from the cluster's seeded generator):

# %%
answers = collections.Counter(
    cluster.network.request("node/node-1", f"http://{service['spec']['clusterIP']}/").pod
    for _ in range(300))
pd.DataFrame({"requests": answers}).sort_index()

# %% [markdown]
# Why do the probabilities go 1/n, 1/(n-1), ..., 1? Move the slider: the *chance to get
# there* times the rule's *probability* is the same for every endpoint.

# %%
def spread(endpoints):
    rows, reach = [], 1.0
    for i in range(endpoints):
        p = 1 / (endpoints - i)
        rows.append({"rule": f"endpoint {i + 1}", "--probability": round(p, 4),
                     "chance to get there": round(reach, 4), "share of traffic": round(reach * p, 4)})
        reach *= 1 - p
    return pd.DataFrame(rows)


widgets.Interactive({"endpoints": W.IntSlider(value=3, min=1, max=8, description="endpoints")},
                    spread, title="kube-proxy's random rules")

# %% [markdown]
# ### Exercise 3 (2 points): spot the mistakes

# %%
mistakes = widgets.Classify(
    "m03-spot-mistakes-b",
    "True or false?",
    items=["The kubelet sends the binding request that assigns a pod to its node",
           "A Deployment makes the API server create a ReplicationController",
           "The kubelet only runs pods whose spec.nodeName is its own node",
           "kube-proxy forwards every packet through its own process",
           "The kubelet talks to containerd or CRI-O through the CRI (gRPC)",
           "A node proves it is alive by renewing a Lease object every 10 seconds"],
    buckets=["true", "false"],
)
solve("m03-spot-mistakes-b")
mistakes

# %%
check("m03-spot-mistakes-b")

# %% [markdown]
# ## Summary
#
# * The kubelet runs the pods already bound to its node (the scheduler binds them). It turns
#   PodSpecs into containers by calling containerd or CRI-O through the CRI, runs the probes,
#   and reports: a Lease renewed every 10 s, the Node's status, each pod's status.
# * Pod creation is a relay through the API server: kubectl → API server/etcd → deployment
#   controller (ReplicaSet) → replicaset controller (Pod) → scheduler (binding) → kubelet →
#   runtime → kubelet (status). Nobody calls anybody else directly.
# * kube-proxy turns Services into kernel rules: a ClusterIP connection is DNATed to one ready
#   endpoint chosen at random, so traffic spreads evenly.
#
# **Go further on a real cluster.** On kind: `docker exec kind-worker crictl ps` and
# `crictl pods` list what the kubelet asked containerd for; `kubectl get lease -n
# kube-node-lease -w` shows the heartbeats; `docker exec kind-worker iptables-save | grep
# default/web` shows the rules above (the `KUBE-SVC-` chain name will match; the ClusterIP, the
# pod IPs and so the `KUBE-SEP-` names will differ, and `iptables-save` prints the
# probabilities with more digits, such as `0.33333333349`); `kubectl events` after `kubectl
# create deployment api --image=nginx` replays the sequence diagram in text. The real API server also has an audit
# log (`--audit-policy-file`) that records who sent every request, as our recorder does.
