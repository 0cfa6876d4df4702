# %% [markdown]
# # 02 · The API server and etcd
#
# *Module 03, Kubernetes architecture: notebook 2 of 5*
#
# **By the end of this notebook you can**
#
# 1. explain why the API server is the cluster's only entrance, and the only client of etcd;
# 2. follow one request through authentication, authorization, admission, validation and
#    storage, and say where a refused request stops;
# 3. predict the status code the API server answers (200, 201, 401, 403, 404, 409, 422);
# 4. explain revisions and `resourceVersion`, and resume a watch without missing a change;
# 5. see optimistic concurrency refuse a stale update, and back up and restore etcd.

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
from labkit.minicluster.errors import ApiError
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)
cluster = labkit.connect(CLUSTER, seed=SEED)
api = cluster.api

# %% [markdown]
# ## One door
#
# Everything that reads or changes the cluster is an HTTPS request to **kube-apiserver**: your
# `kubectl`, the dashboard, CI pipelines, and also the scheduler, every controller and every
# kubelet. The API is REST: each object has a path, and the HTTP verb says what to do with it.
#
# | kubectl | request |
# |---|---|
# | `kubectl get pods` | `GET /api/v1/namespaces/default/pods` |
# | `kubectl get deployment web` | `GET /apis/apps/v1/namespaces/default/deployments/web` |
# | `kubectl create -f pod.yaml` | `POST /api/v1/namespaces/default/pods` |
# | `kubectl replace -f pod.yaml` | `PUT /api/v1/namespaces/default/pods/web` |
# | `kubectl apply` (object exists), `kubectl label` | `PATCH .../deployments/web` |
# | `kubectl scale deployment web --replicas=5` | `PATCH .../deployments/web/scale` (the `scale` subresource) |
# | `kubectl delete pod web` | `DELETE /api/v1/namespaces/default/pods/web` |
# | `kubectl get pods --watch` | `GET /api/v1/namespaces/default/pods?watch=1` (a stream) |
#
# Having one door means one place to check identities and permissions, to apply policies, to
# validate objects, to write an audit log, and one program that knows how objects are stored.
# etcd itself is never exposed: only the API server holds its address and certificates.
#
# ## A request's journey
#
# Each request passes the same gates, in this order; the first one that says no ends it:
#
# 1. **Authentication**: *who is asking?* A client certificate, a bearer token (ServiceAccount
#    tokens, OIDC), or nothing at all (anonymous). Unknown credentials: **401 Unauthorized**.
# 2. **Authorization**: *may this user do this verb on this resource?* Usually RBAC (Roles and
#    bindings; module 05). No: **403 Forbidden**.
# 3. **Mutating admission**: plug-ins that may *change* the object: fill in the default
#    ServiceAccount, add default tolerations, apply LimitRange defaults... A namespace that does
#    not exist is refused here (NamespaceLifecycle).
# 4. **Validation**: is the object well formed (a pod needs containers, names must be DNS
#    labels...)? No: **422 Invalid**, with the list of problems.
# 5. **Validating admission**: plug-ins that may only *refuse* (ResourceQuota, policies).
# 6. **Storage in etcd**. The name is already taken: **409 AlreadyExists**. Success:
#    **201 Created** for a new object, **200 OK** for reads, updates and deletes.
#
# The mini API server can record the gates a request passes (`api.tracing()`). Here is one
# successful request, a pod created by the cluster admin:

# %%
STAGES = ["authentication", "authorization", "mutating admission", "validation",
          "validating admission", "etcd"]


def trace(call):
    """Run ``call()`` with tracing on: (gates passed, the answer as "code reason")."""
    with api.tracing() as steps:
        try:
            call()
            answer = "201 Created"
        except ApiError as e:
            answer = f'{e.code} {e.status["reason"]}: {e.status["message"]}'
    for step in steps:  # RBAC gives no reason for system:masters or for a plain "no"
        step["detail"] = step["detail"].removesuffix(": ")
    return steps, answer


def passed(steps):
    """The gates a request got through (a refusing gate records DENIED or errors)."""
    return [s["stage"] for s in steps if "DENIED" not in s["detail"] and "error" not in s["detail"]]


def journey(steps, answer):
    """The gates as a flow: passed (green), refused (red), never reached (grey)."""
    done = passed(steps)
    failed = None if answer.startswith("2") else STAGES[len(done)] if len(done) < len(STAGES) else None
    status = {s: "ok" if s in done else "failed" if s == failed else "skipped" for s in STAGES}
    return viz.flow(STAGES, status=status, title="request")


pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}
steps, answer = trace(lambda: api.create("pods", pod, "default"))
print(answer)
pd.DataFrame(steps)

# %%
journey(steps, answer)

# %% [markdown]
# Now five more requests, each refused at a different gate (or not). Pick one in the
# drop-down to see how far it got. `system:serviceaccount:default:default` is the identity a
# pod's processes use when they call the API; by default it may do almost nothing.

# %%
sa = cluster.as_user("system:serviceaccount:default:default",
                     ["system:serviceaccounts", "system:serviceaccounts:default"])
REQUESTS = {
    "create Pod web again": lambda: api.create("pods", pod, "default"),
    "create a Pod with no containers": lambda: api.create(
        "pods", {"metadata": {"name": "empty"}, "spec": {"containers": []}}, "default"),
    "create Pod web in namespace 'nope'": lambda: api.create("pods", pod, "nope"),
    "list Secrets as the default ServiceAccount": lambda: api.list("secrets", "default", user=sa),
    "create ConfigMap settings": lambda: api.create(
        "configmaps", {"metadata": {"name": "settings"}, "data": {"colour": "blue"}}, "default"),
}
traces = {name: trace(call) for name, call in REQUESTS.items()}
pd.DataFrame([{"request": name, "gates passed": len(passed(st)),
               "answer": ans} for name, (st, ans) in traces.items()])

# %%
def show_request(request):
    steps, answer = traces[request]
    table = pd.DataFrame(steps).to_html(index=False) if steps else ""
    return (f"<p><b>answer:</b> <code>{answer}</code></p>"
            + widgets.to_html(journey(steps, answer)) + table)


widgets.Interactive({"request": W.Dropdown(options=list(REQUESTS), value="create Pod web again",
                                           description="request", layout=W.Layout(width="480px"))},
                    show_request, title="How far does a request get?")

# %% [markdown]
# Two things to notice. `AlreadyExists` is only discovered at the very end, when etcd refuses
# to create a key that exists. And a request for a kind the server does not serve never gets
# that far: kubectl first asks the API server which kinds it knows (*discovery*). The old
# `apps/v1beta1` and `extensions/v1beta1` Deployments were removed in Kubernetes 1.16, so
# manifests copied from old tutorials fail like this (the `%%apply` magic sends a cell to the
# cluster like `kubectl apply -f -`):

# %%
%%apply
apiVersion: apps/v1beta1
kind: Deployment
metadata:
  name: old-tutorial
spec:
  replicas: 1
  template:
    metadata:
      labels: {app: old}
    spec:
      containers:
      - name: web
        image: nginx:1.27

# %% [markdown]
# The fix is `apiVersion: apps/v1`, which also makes `spec.selector` required.
#
# ### Exercise 1 (3 points): predict the status code
#
# Answer from what you have just seen. Two kinds of refusal share the code 409: the name is
# taken (reason `AlreadyExists`) and the object changed under you (reason `Conflict`, below).

# %%
codes = widgets.Matching(
    "m03-status-codes",
    "What does the API server answer?",
    items=["GET Secrets as a ServiceAccount that no Role allows to",
           "POST a Pod whose spec has no containers",
           "Any request with an expired or made-up bearer token",
           "POST a new ConfigMap named settings (none exists yet)",
           "PUT an object with a resourceVersion someone else has already changed",
           "DELETE a Service that does not exist",
           "GET a Pod that exists",
           "POST a Deployment whose name is already taken"],
    options=["200 OK", "201 Created", "401 Unauthorized", "403 Forbidden", "404 NotFound",
             "409 Conflict", "422 Invalid"],
)
solve("m03-status-codes")
codes

# %%
check("m03-status-codes")

# %% [markdown]
# ## etcd: the cluster's memory
#
# etcd is a small, strongly consistent key-value database. Three or five etcd members agree on
# every write with the Raft protocol, so the cluster survives losing one or two of them. The
# API server stores each object under a key built from its resource, namespace and name. Here
# is what our new cluster holds, grouped by resource:

# %%
keys = cluster.store.keys("/registry/")
resource = [k.split("/")[2] for k in keys]
pd.Series(resource).value_counts().rename_axis("resource").reset_index(name="keys").head(12)

# %% [markdown]
# Namespaces, RBAC roles, nodes and their leases, the pod we created... **cluster state
# only**. No orders, no user sessions, no files: application data lives in the application's
# own database or volumes. etcd is built for small values (at most 1.5 MiB per request by
# default) and a total of a few GiB, read through the API server's watch cache.
#
# One key and its value (real etcd stores protobuf; the mini cluster stores JSON):

# %%
kv = cluster.store.get("/registry/configmaps/default/settings")
print(kv.key)
print(kv.value.decode())
print(f"create_revision={kv.create_revision} mod_revision={kv.mod_revision} version={kv.version}")

# %% [markdown]
# ## Revisions and resourceVersion
#
# etcd keeps one **revision** counter for the whole database; every write increments it. Each
# key remembers the revision that created it and the one that last modified it. The API server
# hands the modification revision out as the object's `metadata.resourceVersion`. A write that
# changes nothing creates no revision. Watch the number move:

# %%
rows = []


def note(what):
    cm = cluster.get("configmap", "settings")
    rows.append({"after": what, "resourceVersion": cm["metadata"]["resourceVersion"],
                 "colour": cm["data"]["colour"], "etcd revision": cluster.store.revision})


note("create (above)")
%kubectl patch configmap settings -p '{"data": {"colour": "green"}}'
note("patch colour=green")
%kubectl patch configmap settings -p '{"data": {"colour": "green"}}'
note("the same patch again")
%kubectl label configmap settings team=blue
note("add a label")
pd.DataFrame(rows)

# %% [markdown]
# ### Watches start from a revision
#
# A **watch** asks the API server for every change after a given `resourceVersion`, as a stream
# of events: `ADDED`, `MODIFIED`, `DELETED`. This is how every controller, the scheduler and
# each kubelet learn about changes without polling. The usual pattern is *list, then watch*:
# list the objects (the answer carries the list's resourceVersion), then watch from that
# revision, so no change falls in between.

# %%
listed = api.list("configmaps", "default")
start = listed["metadata"]["resourceVersion"]
print("listed", len(listed["items"]), "ConfigMaps at resourceVersion", start)

stream = []
stop = api.watch("configmaps", lambda kind, obj: stream.append(
    {"event": kind, "name": obj["metadata"]["name"], "resourceVersion": obj["metadata"]["resourceVersion"],
     "data": dict(obj.get("data") or {})}), namespace="default", resource_version=start)

cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flags"},
               "data": {"beta": "off"}})
cluster.patch("configmap", "flags", {"data": {"beta": "on"}})
cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other", "namespace": "kube-public"}})
cluster.delete("configmap", "settings")
stop()
pd.DataFrame(stream)

# %% [markdown]
# The ConfigMap created in `kube-public` is missing: this watch covers `default` only. And the
# revisions jump by more than one between events because other objects (in other namespaces,
# or of other kinds) were written in between: the counter is global.
#
# etcd does not keep history forever: the API server asks it to **compact** old revisions every
# five minutes. A watch from a compacted revision is refused with **410 Gone** (reason
# `Expired`), and the client must list again:

# %%
cluster.store.compact(cluster.store.revision)
try:
    api.watch("configmaps", lambda kind, obj: None, namespace="default", resource_version=start)
except ApiError as e:
    print(e.kubectl_message())

# %% [markdown]
# ### Exercise 2 (2 points): resume a watch
#
# A controller watches ConfigMaps in `default`. The last event it processed carried
# `resourceVersion` `last_seen`; then its connection dropped, and meanwhile more changes
# happened. From which `resourceVersion` must it start its new watch so that it misses no change
# and receives none twice? Set `resume_from`, run the cell and look at the events it would get.

# %%
cluster.patch("configmap", "flags", {"data": {"beta": "off"}})   # the controller saw this...
last_seen = cluster.get("configmap", "flags")["metadata"]["resourceVersion"]
cluster.patch("configmap", "flags", {"data": {"beta": "on"}})    # ...but not these
cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits"},
               "data": {"max": "10"}})


def replay(resource_version):
    """The events a new watch from ``resource_version`` delivers (None: list, then watch)."""
    got = []
    rv = None if resource_version is None else str(resource_version)
    try:
        stop = api.watch("configmaps", lambda kind, obj: got.append(
            {"event": kind, "name": obj["metadata"]["name"],
             "resourceVersion": obj["metadata"]["resourceVersion"]}),
            namespace="default", resource_version=rv)
        stop()
    except (ApiError, ValueError) as e:
        return getattr(e, "kubectl_message", lambda: f"error: {e}")()
    return pd.DataFrame(got, columns=["event", "name", "resourceVersion"])


resume_from = None     # your answer: a resourceVersion
solve("m03-resume-watch")
print("last_seen =", last_seen, " resume_from =", resume_from)
replay(resume_from)

# %%
check("m03-resume-watch")

# %% [markdown]
# With `resume_from = None` the watch starts by sending every existing object as `ADDED`
# (what a client gets when it starts from scratch): correct, but the controller re-processes
# objects it has already seen.
#
# ## Optimistic concurrency: 409 Conflict
#
# Two clients read the same object, each changes its copy and sends it back with `PUT`. Both
# copies carry the `resourceVersion` they were read at. The API server writes the first one and
# refuses the second, whose resourceVersion is no longer current: etcd's compare-and-swap on the
# revision. Nobody holds a lock, and nobody silently overwrites anybody.

# %%
alice = cluster.get("configmap", "flags")
bob = cluster.get("configmap", "flags")
alice["data"]["beta"] = "off"
bob["data"]["owner"] = "bob"
first = api.update("configmaps", alice, "default")
print("alice: 200 OK, resourceVersion", alice["metadata"]["resourceVersion"], "->",
      first["metadata"]["resourceVersion"])
try:
    api.update("configmaps", bob, "default")
except ApiError as e:
    print("bob:  ", e.code, e.kubectl_message())

# %% [markdown]
# Bob must read the object again, re-apply his change and retry. Controllers do exactly that.
# `kubectl apply`, `patch` and `scale` avoid most conflicts by sending a *patch* (only the fields
# they change) without a resourceVersion; the server applies it to whatever is current.
#
# ## Backing up etcd
#
# Since etcd holds the whole state of the cluster, **back it up**. On a real cluster that is a
# snapshot of the etcd database (`etcdctl snapshot save`), restored with `etcdutl snapshot
# restore` into a fresh etcd data directory. The mini cluster does the same with
# `cluster.snapshot()` and `MiniCluster.restore(...)`.

# %%
%%apply
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
      - name: shop
        image: nginx:1.27

# %%
cluster.run(10)
backup = cluster.snapshot()
print(f"snapshot: {len(backup):,} bytes, etcd revision {cluster.store.revision}")
%kubectl delete deployment shop

# %%
cluster.run(30)
print(cluster.kubectl("get deployments,pods"))
restored = type(cluster).restore(backup)
restored.run(10)
print("after restoring the snapshot into a new cluster:")
print(restored.kubectl("get deployments"))

# %% [markdown]
# A snapshot brings back the objects as they were at that revision: everything created since
# is lost, and the nodes' actual containers must catch up with the restored state. It contains
# Secrets, so store it encrypted. Application data in volumes is *not* in etcd: it needs its own
# backups (module 05 shows Velero, which backs up both objects and volumes).
#
# ## Summary
#
# * The API server is the only entrance to the cluster and the only client of etcd. Every
#   request passes authentication (401), authorization (403), mutating admission, validation
#   (422), validating admission and storage (409 if the name is taken; 201/200 on success).
# * etcd is a consistent key-value store of the cluster's objects, never of application data.
#   Every write gets a new revision; an object's `resourceVersion` is its last revision.
# * A watch from revision N delivers every change after N; list-then-watch misses nothing.
#   Compacted revisions are gone (410).
# * Updates carry the resourceVersion they were based on: a stale one gets 409 Conflict.
# * Back up etcd with snapshots; restore brings the cluster back to that revision.
#
# **Go further on a real cluster.**
#
# * `kubectl get pods -v=6` prints each HTTP request and its status code; `-v=8` also shows the
#   bodies.
# * `kubectl auth can-i list secrets --as=system:serviceaccount:default:default` asks the
#   authorizer without doing the request.
# * `kubectl get configmaps --watch --output-watch-events` shows the event types of a watch.
# * On a kind cluster, etcd runs as a static pod: `kubectl -n kube-system exec
#   etcd-kind-control-plane -- etcdctl --cacert /etc/kubernetes/pki/etcd/ca.crt --cert
#   /etc/kubernetes/pki/etcd/server.crt --key /etc/kubernetes/pki/etcd/server.key
#   get /registry/configmaps/default --prefix --keys-only` lists the keys seen above, and
#   `etcdctl snapshot save /var/lib/etcd/backup.db` (same flags) takes a snapshot.
