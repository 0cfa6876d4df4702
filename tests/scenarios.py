"""Backend-independent scenarios: plain functions that take a cluster and a namespace.

Each scenario drives labkit's notebook API (``apply``, ``get``, ``list``, ``scale``,
``rollout``, ``logs``, ``events``, ``delete``, ``wait_for``, ``kubectl``) and asserts what a
student would see. ``tests/test_scenarios.py`` runs every one of them against

- the in-memory :class:`~labkit.minicluster.cluster.MiniCluster`, called directly;
- :class:`~labkit.backends.real.RealCluster` (the official ``kubernetes`` client over HTTPS)
  pointed at a MiniCluster's own REST server (``cluster.serve()``, real-time clock);
- optionally a real cluster (``LABKIT_SCENARIO_CLUSTER=kind``, see the README).

So the assertions must hold on real Kubernetes too: they check names, counts, fields and
messages that upstream produces, never virtual timestamps or generated pod names.
Waiting goes through ``cluster.wait_for``: virtual time on the MiniCluster, real time (polling)
on a RealCluster.
"""
from __future__ import annotations

import pytest

from labkit.client import SimulationOnly

WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{app: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{{containerPort: 80}}]
"""

STACK = WEB.format(replicas=2) + """---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, labels: {app: web}}
data: {greeting: hello}
"""


# -- helpers -----------------------------------------------------------------------------------
def wait(c, predicate, what: str):
    """``c.wait_for`` with limits that suit each backend (virtual seconds on the MiniCluster,
    real seconds on a real or served cluster)."""
    if c.backend == "mini":
        return c.wait_for(lambda _c: predicate(), timeout=600, step=1.0, message=what)
    return c.wait_for(lambda _c: predicate(), timeout=90, step=0.2, message=what)


def rolled_out(c, name: str, ns: str, replicas: int) -> bool:
    """The Deployment's controller has seen the latest spec and every replica is updated and
    ready (what ``kubectl rollout status`` waits for), and no old pod is left."""
    d = c.get("deployments", name, ns)
    st = d.get("status") or {}
    return (st.get("observedGeneration", 0) >= d["metadata"]["generation"]
            and st.get("updatedReplicas", 0) == replicas and st.get("readyReplicas", 0) == replicas
            and st.get("replicas", 0) == replicas
            and len(running_pods(c, ns, "app=web")) == replicas)


def running_pods(c, ns: str, selector: str) -> list[dict]:
    return [p for p in c.list("pods", ns, label_selector=selector)
            if not p["metadata"].get("deletionTimestamp")]


def deploy_web(c, ns: str, replicas: int = 2) -> None:
    c.apply(WEB.format(replicas=replicas), namespace=ns)
    wait(c, lambda: rolled_out(c, "web", ns, replicas), "web did not roll out")


def image_of(c, ns: str) -> str:
    return c.get("deployments", "web", ns)["spec"]["template"]["spec"]["containers"][0]["image"]


# -- scenarios ---------------------------------------------------------------------------------
def apply_multi_doc(c, ns):
    """A multi-document manifest: one kubectl-style line per object, in file order; applying
    it again changes nothing."""
    result = c.apply(STACK, namespace=ns)
    assert str(result).split("\n")[:3] == ["deployment.apps/web created", "service/web created",
                                          "configmap/web-config created"]
    again = c.apply(STACK, namespace=ns)
    assert str(again).split("\n")[:3] == ["deployment.apps/web unchanged", "service/web unchanged",
                                         "configmap/web-config unchanged"]
    assert c.get("configmaps", "web-config", ns)["data"] == {"greeting": "hello"}
    svc = c.get("services", "web", ns)
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["ports"][0]["protocol"] == "TCP"


def get_dataframe(c, ns):
    """``get(kind)`` is a DataFrame with kubectl's columns; ``get(kind, name)`` the object."""
    deploy_web(c, ns, 3)
    df = c.get("deployments", namespace=ns)
    assert list(df.columns) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    row = df[df["NAME"] == "web"].iloc[0]
    assert (row["READY"], str(row["UP-TO-DATE"]), str(row["AVAILABLE"])) == ("3/3", "3", "3")
    pods = c.get("pods", namespace=ns, label_selector="app=web")
    assert list(pods.columns)[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(pods) == 3 and set(pods["STATUS"]) == {"Running"} and set(pods["READY"]) == {"1/1"}
    obj = c.get("deployments", "web", ns)
    assert obj["kind"] == "Deployment" and obj["apiVersion"] == "apps/v1"


def list_label_selector(c, ns):
    """Label selectors (strings, set-based, or a LabelSelector dict) pick the same pods."""
    c.apply(STACK, namespace=ns)
    wait(c, lambda: rolled_out(c, "web", ns, 2), "web did not roll out")
    assert len(running_pods(c, ns, "app=web")) == 2
    assert c.list("pods", ns, label_selector="app=nothing") == []
    assert len(c.list("pods", ns, label_selector="app in (web, api)")) == 2
    assert len(c.list("pods", ns, label_selector={"matchLabels": {"app": "web"}})) == 2
    kinds = {(o.get("kind"), o["metadata"]["name"]) for o in c.list("configmaps", ns, label_selector="app")}
    assert kinds == {("ConfigMap", "web-config")}
    pod = c.list("pods", ns, label_selector="app=web")[0]
    hash_label = pod["metadata"]["labels"]["pod-template-hash"]
    assert pod["metadata"]["name"].startswith(f"web-{hash_label}-")
    assert len(c.list("pods", ns, label_selector=f"app=web,pod-template-hash={hash_label}")) == 2


def scale(c, ns):
    """Scaling up and down converges to the new replica count."""
    deploy_web(c, ns, 2)
    c.scale("deployment", "web", 4, namespace=ns)
    assert c.get("deployments", "web", ns)["spec"]["replicas"] == 4
    wait(c, lambda: rolled_out(c, "web", ns, 4), "did not scale to 4")
    c.scale("deployment", "web", 1, namespace=ns)
    wait(c, lambda: rolled_out(c, "web", ns, 1), "did not scale to 1")
    rs = c.list("replicasets", ns, label_selector="app=web")
    assert [r["spec"]["replicas"] for r in rs] == [1]


def rollout(c, ns):
    """``rollout`` status, history, undo, pause, resume and restart, as kubectl prints them."""
    deploy_web(c, ns, 2)
    status = c.rollout("status", "web", namespace=ns)
    assert status.stdout.endswith('deployment "web" successfully rolled out\n')
    c.patch("deployment", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.27"}]}}}}, namespace=ns)
    wait(c, lambda: rolled_out(c, "web", ns, 2), "update did not roll out")
    history = c.rollout("history", "web", namespace=ns).stdout
    assert history.split("\n")[:4] == ["deployment.apps/web ", "REVISION  CHANGE-CAUSE",
                                       "1         <none>", "2         <none>"]
    assert c.rollout("undo", "web", namespace=ns).stdout == "deployment.apps/web rolled back\n"
    wait(c, lambda: rolled_out(c, "web", ns, 2) and image_of(c, ns) == "nginx:1.25",
         "undo did not roll out")
    revs = c.rollout("history", "web", namespace=ns).stdout.split("\n")[2:4]
    assert [r.split()[0] for r in revs] == ["2", "3"]  # revision 1 became 3
    assert c.rollout("pause", "web", namespace=ns).stdout == "deployment.apps/web paused\n"
    assert c.get("deployments", "web", ns)["spec"]["paused"] is True
    again = c.rollout("pause", "web", namespace=ns)
    assert again.returncode == 1 and "is already paused" in again.stderr
    assert c.rollout("resume", "web", namespace=ns).stdout == "deployment.apps/web resumed\n"
    assert "paused" not in c.get("deployments", "web", ns)["spec"]
    assert c.rollout("restart", "web", namespace=ns).stdout == "deployment.apps/web restarted\n"
    annotations = c.get("deployments", "web", ns)["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations
    wait(c, lambda: rolled_out(c, "web", ns, 2), "restart did not roll out")
    assert len(c.list("replicasets", ns, label_selector="app=web")) == 3


def logs(c, ns):
    """A running nginx container's log starts with the image's entrypoint lines; ``tail``
    keeps the last lines."""
    deploy_web(c, ns, 1)
    pod = running_pods(c, ns, "app=web")[0]["metadata"]["name"]
    text = c.logs(pod, namespace=ns)
    assert text.startswith("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, "
                           "will attempt to perform configuration\n")
    last = c.logs(pod, namespace=ns, tail=1)
    assert last.count("\n") == 1 and text.endswith(last)
    assert c.logs(pod, container="web", namespace=ns) == text


def events(c, ns):
    """Events as a DataFrame: the Deployment controller's scaling event and the kubelet's
    pod lifecycle events are there, and ``for_object`` filters by object."""
    deploy_web(c, ns, 2)
    df = c.events(namespace=ns)
    assert list(df.columns) == ["time", "first", "type", "reason", "object", "message", "count",
                                "source", "namespace"]
    scaling = df[df["reason"] == "ScalingReplicaSet"]
    assert len(scaling) == 1 and scaling.iloc[0]["object"] == "deployment/web"
    assert scaling.iloc[0]["message"].startswith("Scaled up replica set web-")
    assert scaling.iloc[0]["message"].endswith(" to 2")  # a new ReplicaSet: no "from N"
    assert {"Scheduled", "Pulled", "Created", "Started"} <= set(df["reason"])
    mine = c.events(namespace=ns, for_object="deployment/web")
    assert set(mine["object"]) == {"deployment/web"}
    assert set(df["namespace"]) == {ns}


def delete_cascade(c, ns):
    """``orphan`` leaves the ReplicaSet and pods (owner reference removed), ``foreground``
    deletes dependents before the owner, ``background`` deletes the owner at once."""
    deploy_web(c, ns, 2)
    c.delete("deployment", "web", ns, cascade="orphan")
    wait(c, lambda: not c.exists("deployments", "web", ns), "deployment not deleted")
    wait(c, lambda: not c.list("replicasets", ns, label_selector="app=web")[0]["metadata"]
         .get("ownerReferences"), "orphan did not drop the owner reference")
    assert len(running_pods(c, ns, "app=web")) == 2
    rs = c.list("replicasets", ns, label_selector="app=web")[0]["metadata"]["name"]
    c.delete("replicaset", rs, ns, cascade="foreground")
    # the owner is kept (with the foregroundDeletion finalizer) until its pods are gone
    wait(c, lambda: not c.exists("replicasets", rs, ns), "replicaset not deleted")
    assert running_pods(c, ns, "app=web") == []
    deploy_web(c, ns, 2)
    c.delete("deployment", "web", ns)
    assert not c.exists("deployments", "web", ns)
    wait(c, lambda: c.list("replicasets", ns, label_selector="app=web") == []
         and c.list("pods", ns, label_selector="app=web") == [], "dependents not collected")


def wait_for(c, ns):
    """``wait_for`` returns the predicate's value; a condition that never holds raises
    TimeoutError with the given message."""
    c.apply(WEB.format(replicas=1), namespace=ns)
    pod = wait(c, lambda: next((p["metadata"]["name"] for p in running_pods(c, ns, "app=web")
                                if p["status"].get("phase") == "Running"), None), "no pod running")
    assert pod.startswith("web-")
    with pytest.raises(TimeoutError, match="never"):
        c.wait_for(lambda _c: c.exists("configmaps", "never-created", ns), timeout=2, step=0.5,
                   message="never")


def kubectl_output(c, ns):
    """``kubectl(...)`` prints like a terminal: tables, ``-o name``, errors on stderr."""
    deploy_web(c, ns, 2)
    out = c.kubectl(f"get deploy web -n {ns}").stdout.split("\n")
    assert out[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert out[1].split()[:4] == ["web", "2/2", "2", "2"]
    names = c.kubectl(f"get pods -n {ns} -l app=web -o name").stdout.split()
    assert sorted(names) == sorted(f"pod/{p['metadata']['name']}" for p in running_pods(c, ns, "app=web"))
    jp = c.kubectl(f"get deploy web -n {ns} -o jsonpath={{.spec.template.spec.containers[0].image}}")
    assert jp.stdout == "nginx:1.25"
    missing = c.kubectl(f"get deploy nope -n {ns}")
    assert missing.returncode == 1
    assert missing.stderr == 'Error from server (NotFound): deployments.apps "nope" not found\n'
    bad = c.kubectl(f"scale deploy web -n {ns} --replicas=-1")
    assert bad.returncode == 1 and "--replicas=COUNT" in bad.stderr


def simulation_only(c, ns):
    """Powers only a simulation has: on a real cluster they raise SimulationOnly with a clear
    message; on the MiniCluster they work."""
    if c.backend == "mini":
        c.fail_node("node-1")
        wait(c, lambda: _ready_status(c, "node-1") == "Unknown", "node-1 never went NotReady")
        c.recover_node("node-1")
        wait(c, lambda: _ready_status(c, "node-1") == "True", "node-1 never recovered")
        assert isinstance(c.snapshot(), bytes)
        return
    for call in (lambda: c.fail_node("node-1"), lambda: c.recover_node("node-1"),
                 lambda: c.snapshot(), lambda: c.serve()):
        with pytest.raises(SimulationOnly, match="is only available on the in-memory cluster"):
            call()


def _ready_status(c, node: str) -> str | None:
    conds = (c.get("nodes", node).get("status") or {}).get("conditions") or []
    return next((x["status"] for x in conds if x["type"] == "Ready"), None)


SCENARIOS = [apply_multi_doc, get_dataframe, list_label_selector, scale, rollout, logs, events,
             delete_cascade, wait_for, kubectl_output, simulation_only]
