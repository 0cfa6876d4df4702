"""Checks and reference solutions for module 03, architecture, notebooks 01-03
(course/03-architecture/: cluster overview, API server and etcd, scheduler). Notebooks 04-05
have theirs in :mod:`.m03_architecture_b`."""
from __future__ import annotations

from labkit.grading import register_check
from labkit.solutions import solution
from labkit.widgets.answers import register_quiz as quiz

NB1 = "03-architecture/01-cluster-overview"
NB2 = "03-architecture/02-api-server-and-etcd"
NB3 = "03-architecture/03-scheduler"


# -- 01 cluster overview ---------------------------------------------------------------------

quiz("m03-analogy", {
    "Headquarters (the head office that runs the company)": ("control plane", "which part manages everything else?"),
    "The secretary every request must go through": ("kube-apiserver", "the single front door"),
    "The archive where every record is filed": ("etcd", "where is the state kept?"),
    "The dispatcher who assigns each new job to a site": ("kube-scheduler", "who picks a node?"),
    "The managers who keep checking that plans are met": ("kube-controller-manager", "who runs the reconcile loops?"),
    "A branch site where the work is done": ("worker node", "where do containers run?"),
    "The site manager who runs the jobs assigned to this site": ("kubelet", "the agent on each node"),
    "The gatekeeper who directs visitors to the right door": ("kube-proxy", "Service traffic rules"),
}, "roles", 2, NB1, "Map the company analogy")

quiz("m03-label-components", {
    "Validates requests and is the only component that reads and writes etcd": ("kube-apiserver", "the front door of the control plane"),
    "Stores every object of the cluster as a key and a value, with revisions": ("etcd", "a consistent key-value store"),
    "Watches for pods with no node and writes a Binding for each": ("kube-scheduler", "placement"),
    "Runs the Deployment, ReplicaSet, Job and Node controllers in one process": ("kube-controller-manager", "many loops, one binary"),
    "Creates cloud load balancers for Services of type LoadBalancer": ("cloud-controller-manager", "talks to the cloud provider's API"),
    "Starts the containers of pods bound to its node and reports their status": ("kubelet", "the node agent"),
    "Pulls images and runs containers when asked through the CRI": ("container runtime", "containerd or CRI-O"),
    "Programs each node so that a Service's virtual IP reaches its pods": ("kube-proxy", "iptables / IPVS rules"),
}, "jobs", 3, NB1, "Label the components")

quiz("m03-who-does-what", {
    "The kubelet sends the request that binds a new pod to its node":
        ("false", "which component decides placement, and how does it record the decision?"),
    "The scheduler binds a pod to a node; the kubelet only runs pods already bound to it":
        ("true", "look at the event sources in the table above"),
    "Creating a Deployment makes the API server create a ReplicationController":
        ("false", "look at kubectl get rs, and at the event sources"),
    "The Deployment controller creates a ReplicaSet, and the ReplicaSet controller creates the Pods":
        ("true", "each controller owns one step"),
    "Controllers read and write etcd directly, bypassing the API server, to be fast":
        ("false", "who is the only client of etcd?"),
    "etcd is a good place to keep an application's data, such as a shop's orders":
        ("false", "what does etcd hold?"),
    "When a node fails, core Kubernetes creates a new node to replace it":
        ("false", "you failed a node above: did a node appear?"),
    "Pods that are already running keep running if the control plane stops for a while":
        ("true", "who actually runs the containers?"),
}, "statements", 2, NB1, "Who does what")


# -- 02 API server and etcd --------------------------------------------------------------------

quiz("m03-status-codes", {
    "POST a new ConfigMap named settings (none exists yet)": ("201 Created", "a new object was stored"),
    "GET a Pod that exists": ("200 OK", "a plain successful read"),
    "DELETE a Service that does not exist": ("404 NotFound", "there is nothing to delete"),
    "POST a Deployment whose name is already taken": ("409 Conflict", "names are unique per namespace"),
    "PUT an object with a resourceVersion someone else has already changed": ("409 Conflict", "optimistic concurrency"),
    "POST a Pod whose spec has no containers": ("422 Invalid", "the request is well-formed but the object is not valid"),
    "GET Secrets as a ServiceAccount that no Role allows to": ("403 Forbidden", "the caller is known but not allowed"),
    "Any request with an expired or made-up bearer token": ("401 Unauthorized", "who is asking?"),
}, "requests", 3, NB2, "Predict status codes")


@register_check("m03-resume-watch", points=2, notebook=NB2, title="Resume a watch",
                answers=("resume_from", "last_seen"))
def resume_watch(ctx):
    last = ctx.answer("last_seen")
    got = ctx.answer("resume_from")
    r = ctx.result()
    if not r.part("resume_from is set", got is not None,
                  hint="set resume_from to the resourceVersion to pass to the watch"):
        return r
    try:
        value = int(str(got))
    except ValueError:
        value = None
    r.part("resume_from is a revision (a number, or a number as text)", value is not None)
    if value is None:
        return r
    want = int(str(last))
    r.part("no event is missed and none is delivered twice", value == want,
           hint="a watch started from revision N delivers the changes made after N"
           if value < want else "the controller has seen revision last_seen; what does a watch "
           "from a larger revision skip?")
    return r


@solution("m03-resume-watch")
def _solve_resume(ns):
    ns["resume_from"] = ns["last_seen"]


# -- 03 scheduler ------------------------------------------------------------------------------

#: The placement exercise: pods created one at a time, in this order (see the notebook).
PLACEMENTS = {
    "db (3 CPU, nodeSelector disktype=ssd)": ("node-1", "only one node has an SSD"),
    "train (2 CPU, tolerates dedicated=gpu, nodeSelector gpu=true)": ("node-2", "a toleration permits; the selector chooses"),
    "api (2 CPU, no constraints)": ("node-3", "how much CPU is left on node-1, and who may use node-2?"),
    "web (500m CPU, no constraints)": ("node-3", "two nodes fit: which one is less loaded?"),
    "cache (1 CPU, anti-affinity to app=api)": ("node-1", "node-3 runs api; count node-1's free CPU exactly"),
    "report (1 CPU, nodeSelector disktype=ssd)": ("stays Pending", "how much CPU is left on the SSD node?"),
}

quiz("m03-predict-placement", PLACEMENTS, "pods", 3, NB3, "Predict placements")

TRAINER_NODE = "node-2"
TRAINER_FIXED = """
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  labels: {app: trainer}
spec:
  nodeSelector:
    gpu: "true"
  tolerations:
  - key: dedicated
    operator: Equal
    value: gpu
    effect: NoSchedule
  containers:
  - name: train
    image: busybox:1.36
    command: ["sh", "-c", "sleep 3600"]
    resources:
      requests:
        cpu: "3"
        memory: 2Gi
"""


def _cpu_request(pod: dict) -> int:
    from labkit.minicluster.scheduler.podinfo import pod_requests
    return int(pod_requests(pod.get("spec") or {}).get("cpu", 0))


@register_check("m03-fix-unschedulable", points=3, notebook=NB3, title="Fix an unschedulable pod",
                answers=("trainer_yaml",), cluster=["pods", "events"])
def fix_unschedulable(ctx):
    r = ctx.result()
    pod = ctx.cluster.get("pods", "trainer")
    if pod is None:
        return r.fail("there is no pod named trainer",
                      hint="run the exercise cell: it replaces the pod with your manifest")
    node = (pod.get("spec") or {}).get("nodeName")
    uid = pod["metadata"].get("uid")
    scheduled = [e for e in ctx.cluster.list("events", "default")
                 if e.get("reason") == "Scheduled" and
                 (e.get("involvedObject") or {}).get("uid") == uid]
    if not node:
        return r.fail("the pod trainer is still Pending",
                      hint="read the FailedScheduling message: each part names one reason a node "
                           "was filtered out; fix them one at a time")
    r.part("the scheduler placed it (not a hand-written spec.nodeName)", bool(scheduled),
           hint="spec.nodeName skips the scheduler and its checks; remove it and fix the real "
                "reasons instead")
    r.part("it runs on the GPU node", node == TRAINER_NODE,
           hint="the training job needs a GPU: keep the node selector")
    r.part("it still requests at least 2 CPUs", _cpu_request(pod) >= 2000,
           hint="the job needs 2 CPUs or more; lower the request only as far as a node can give")
    return r


@solution("m03-fix-unschedulable")
def _solve_trainer(ns):
    ns["trainer_yaml"] = TRAINER_FIXED
