"""labkit's kubectl against the real kubectl v1.37, command by command.

The real binary talks to a served MiniCluster (labkit's HTTP API server) holding the same objects
as the cluster labkit's kubectl runs against; both must print the same bytes and exit with the
same code. ``describe`` and every message are computed by kubectl itself, so this checks labkit's
emulation against upstream code directly. (``get`` tables come from the server, which uses
labkit's own column code: there it checks the client-side decoration and alignment.)

Ages: the clusters start 30 minutes before the wall clock and are advanced to it before each
command, so AGE columns read ``30m`` on both sides (real kubectl measures against the wall
clock). Controllers and the scheduler are off: objects keep exactly the status written here.
"""
import os
import shlex
import subprocess
import time

import pytest

from labkit._tools import kubectl_path
from labkit.kubectl import run
from labkit.kubectl.formatting import rfc3339
from labkit.minicluster.cluster import MiniCluster

#: Real kubectl warns on stderr that labkit's HTTP server publishes only a stub OpenAPI v3
#: document (it then falls back to its built-in patch metadata); a real cluster does not.
OPENAPI_STUB_WARNING = "warning: error calculating patch from openapi v3 spec"


def populate(c):
    """The same objects in every cluster: workloads, pods in many states, a node, events..."""
    api, t = c.api, lambda dt=0: rfc3339(c.now() + dt)
    api.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {
        "kubernetes.io/hostname": "node-1", "node-role.kubernetes.io/control-plane": ""}},
        "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"],
                 "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}})
    node = api.get("nodes", "node-1")
    node["status"] = {
        "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"},
        "allocatable": {"cpu": "3800m", "memory": "7Gi", "pods": "110", "ephemeral-storage": "100Gi"},
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                        "message": "kubelet is posting ready status", "lastHeartbeatTime": t(),
                        "lastTransitionTime": t()}],
        "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "node-1"}],
        "nodeInfo": {"machineID": "m1", "systemUUID": "u1", "bootID": "b1", "kernelVersion": "6.1.0",
                     "osImage": "Debian GNU/Linux 12", "containerRuntimeVersion": "containerd://1.7.0",
                     "kubeletVersion": "v1.33.1", "kubeProxyVersion": "", "operatingSystem": "linux",
                     "architecture": "amd64"}}
    api.update("nodes", node, subresource="status")
    api.create("deployments", {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "name": "web", "labels": {"app": "web"}, "annotations": {"note": "x" * 150, "multi": "a\nb"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}}, "spec": {
                "containers": [{"name": "web", "image": "nginx:1.25",
                                "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}],
                                "env": [{"name": "A", "value": "1"},
                                        {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
                                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                                "readinessProbe": {"exec": {"command": ["cat", "/tmp/ok"]}},
                                "volumeMounts": [{"name": "data", "mountPath": "/data"},
                                                 {"name": "cfg", "mountPath": "/etc/cfg", "readOnly": True}]}],
                "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}],
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
                                {"operator": "Exists"}]}}}})
    api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-abc", "labels": {"app": "web"}},
                        "spec": {"nodeName": "node-1", "containers": [
                            {"name": "web", "image": "nginx:1.25", "command": ["sh", "-c"], "args": ["echo hi\nsleep 10"],
                             "resources": {"requests": {"cpu": "250m", "memory": "64Mi"},
                                           "limits": {"cpu": "500m", "memory": "128Mi"}}},
                            {"name": "side", "image": "busybox"}],
                            "initContainers": [{"name": "init", "image": "busybox"}]}})
    p = api.get("pods", "web-abc")
    p["status"] = {
        "phase": "Running", "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}], "hostIP": "172.18.0.2",
        "startTime": t(), "qosClass": "Burstable",
        "conditions": [{"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": t()},
                       {"type": "Ready", "status": "False", "lastProbeTime": None, "lastTransitionTime": t()}],
        "initContainerStatuses": [{"name": "init", "image": "busybox", "imageID": "", "containerID": "containerd://i1",
                                   "ready": True, "restartCount": 0, "state": {"terminated": {
                                       "exitCode": 0, "reason": "Completed", "startedAt": t(), "finishedAt": t()}}}],
        "containerStatuses": [
            {"name": "web", "image": "nginx:1.25", "imageID": "", "containerID": "containerd://c1", "ready": True,
             "restartCount": 3, "state": {"running": {"startedAt": t()}},
             "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": t(), "finishedAt": t()}}},
            {"name": "side", "image": "busybox", "imageID": "", "containerID": "", "ready": False, "restartCount": 0,
             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}
    api.update("pods", p, subresource="status")
    for i, (reason, typ, count) in enumerate([("Scheduled", "Normal", 1), ("BackOff", "Warning", 5)]):
        api.create("events", {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"web-abc.{i}"},
                              "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-abc",
                                                 "uid": p["metadata"]["uid"], "apiVersion": "v1"},
                              "reason": reason, "message": f"{reason} happened", "type": typ, "count": count,
                              "source": {"component": "kubelet"}, "firstTimestamp": t(), "lastTimestamp": t(i)})
    simple = [
        ("services", {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "type": "NodePort",
                                                            "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
        ("configmaps", {"metadata": {"name": "cfg"}, "data": {"a.conf": "x=1\ny=2\n", "b": "hello"}}),
        ("secrets", {"metadata": {"name": "s"}, "data": {"k": "c2VjcmV0"}, "type": "Opaque"}),
        ("namespaces", {"metadata": {"name": "dev", "labels": {"team": "a"}}}),
        ("resourcequotas", {"metadata": {"name": "q", "namespace": "dev"}, "spec": {"hard": {"pods": "10"}}}),
        ("cronjobs", {"metadata": {"name": "cj"}, "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {
            "template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}}),
        ("statefulsets", {"metadata": {"name": "db"}, "spec": {
            "serviceName": "db", "replicas": 3, "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "pg", "image": "postgres:16"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}),
        ("replicasets", {"metadata": {"name": "rs1"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "rs1"}},
            "template": {"metadata": {"labels": {"app": "rs1"}}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}}),
        ("serviceaccounts", {"metadata": {"name": "bot"}, "imagePullSecrets": [{"name": "reg"}, {"name": "reg2"}]}),
        ("roles", {"metadata": {"name": "reader"}, "rules": [
            {"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}]}),
        ("rolebindings", {"metadata": {"name": "rb"}, "roleRef": {"kind": "Role", "name": "reader",
                                                                  "apiGroup": "rbac.authorization.k8s.io"},
                          "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}]}),
        ("horizontalpodautoscalers", {"metadata": {"name": "web"}, "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1,
            "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}),
        ("ingresses", {"metadata": {"name": "ing"}, "spec": {"ingressClassName": "nginx", "rules": [
            {"host": "a.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                "service": {"name": "web", "port": {"number": 80}}}}]}}], "tls": [{"hosts": ["a.example.com"]}]}}),
        ("persistentvolumeclaims", {"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
    ]
    for resource, obj in simple:
        api.create(resource, obj)


def new_cluster(start):
    c = MiniCluster(nodes=0, scheduler=False, controllers=[], start=start, seed=7)
    populate(c)
    return c


def catch_up(c, at=None):
    """Let the virtual clock reach the wall clock (real kubectl measures ages against it), or the
    instant ``at``."""
    c.run(max(0.0, (time.time() if at is None else at) - c.now()))


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """(kubectl runner on served cluster A, cluster B for labkit's kubectl)."""
    start = float(int(time.time())) - 1830
    a, b = new_cluster(start), new_cluster(start)
    handle = a.serve(time_mode="manual")
    cfg = tmp_path_factory.mktemp("kube") / "config"
    handle.write_kubeconfig(cfg)
    env = dict(os.environ, KUBECONFIG=str(cfg))

    def real(line, stdin=None, at=None):
        with a.lock:
            catch_up(a, at)
        r = subprocess.run([kubectl_path(), *shlex.split(line)], env=env, input=stdin,
                           capture_output=True, text=True, timeout=60)
        err = "".join(l for l in r.stderr.splitlines(True) if not l.startswith(OPENAPI_STUB_WARNING))
        return r.stdout, err, r.returncode

    yield real, b
    handle.stop()


def same(oracle, line, stdin=None):
    real, b = oracle
    expected = real(line, stdin)
    catch_up(b)
    ours = run(b, line, stdin=stdin)
    assert ours.exception is None, ours.exception
    assert (ours.stdout, ours.stderr, ours.returncode) == expected


READ = [
    "describe pod web-abc", "describe deploy web", "describe node node-1", "describe svc web",
    "describe cm cfg", "describe secret s", "describe ns dev", "describe cronjob cj", "describe sts db",
    "describe rs rs1", "describe sa bot", "describe role reader", "describe rolebinding rb",
    "describe hpa web", "describe ing ing", "describe pvc data", "describe pods web", "describe nope x",
    "describe pod nope", "describe quota q -n dev",
    "get pods -o wide", "get pods --show-labels -L app", "get deploy,rs,sts,cj -A", "get events -o wide", "get nodes -o wide",
    "get pods -o custom-columns=NAME:.metadata.name,IMG:.spec.containers[*].image",
    "get pods -o jsonpath='{range .items[*]}{.metadata.name}{\"\\n\"}{end}'",
    "get pod web-abc -o yaml", "get deploy web -o json", "get pods,svc --show-kind", "get cm --sort-by=.metadata.name",
    "get ns --no-headers", "get pod nope", "get foo", "get", "get deploy -n dev", "api-versions",
    "rollout history deployment/web", "rollout status deployment/web --watch=false",
    "events", "events -A", "events --for pod/web-abc --types=Warning", "events -n dev", "top nodes",
    "top pods -n kube-public",
]


@pytest.mark.parametrize("line", READ)
def test_reading_commands_match_real_kubectl(oracle, line):
    same(oracle, line)


APP = """apiVersion: apps/v1
kind: Deployment
metadata: {name: app, labels: {app: app}}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25", env: [{name: A, value: "1"}, {name: B, value: "2"}]}
      - {name: side, image: busybox}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-cfg}
data: {a: "1", b: "2"}
"""
APP2 = APP.replace("replicas: 2", "replicas: 3").replace(', {name: B, value: "2"}', "") \
    .replace("      - {name: side, image: busybox}\n", "").replace('b: "2"', 'c: "3"')

#: A session run step by step on both clusters (order matters: each step sees the last one's effects).
SESSION = [
    ("create deployment web2 --image=nginx:1.25 --replicas=2", None),
    ("create deployment web2 --image=nginx:1.25", None),
    ("create deployment multi --image=nginx --image=redis:7 --dry-run=client -o yaml", None),
    ("create configmap c1 --from-literal=a=1", None),
    ("create configmap c1 --from-literal=a=1", None),
    ("create secret generic s1 --from-literal=p=x", None),
    ("create secret generic s1 --from-literal=p=x", None),
    ("create namespace team", None),
    ("create role r1 --verb=get,list --resource=pods,deployments.apps --dry-run=client -o json", None),
    ("create rolebinding rb1 --role=r1 --user=jane --serviceaccount=default:bot", None),
    ("create job j1 --image=busybox --dry-run=client -o yaml -- echo hi", None),
    ("create cronjob cj1 --image=busybox --schedule='*/5 * * * *' --dry-run=client -o json", None),
    ("create service nodeport np1 --tcp=80:8080 --dry-run=client -o json", None),
    ("run nginx --image=nginx --port=80", None),
    ("run bb --image=busybox --restart=Never --dry-run=client -o yaml -- sleep 10", None),
    ("expose deployment web2 --port=80 --target-port=8080", None),
    ("label cm c1 x=1", None), ("label cm c1 x=2", None), ("label cm c1 x=2 --overwrite", None),
    ("label cm c1 x- y=3", None), ("label cm c1 zz-", None), ("annotate cm c1 note=hi", None),
    ("annotate cm c1 note=ho", None),
    ("scale deployment web2 --replicas=3", None), ("scale deploy/web2 --replicas=3 --current-replicas=2", None),
    ("set image deployment/web2 nginx=nginx:1.26", None), ("set image deployment/web2 foo=nginx:1.26", None),
    ("patch deployment web2 -p '{\"spec\":{\"replicas\":4}}'", None),
    ("patch deployment web2 -p '{\"spec\":{\"replicas\":4}}'", None),
    ("patch deployment web2 --type=json -p '[{\"op\":\"replace\",\"path\":\"/spec/nope/x\",\"value\":5}]'", None),
    ("rollout pause deployment/web2", None), ("rollout pause deployment/web2", None),
    ("rollout resume deployment/web2", None), ("rollout undo deployment/web2", None),
    ("rollout pause rs/rs1", None),
    ("cordon node-1", None), ("cordon node-1", None), ("uncordon node-1", None), ("cordon node-x", None),
    ("auth can-i list pods", None),
    ("taint nodes node-1 dedicated=gpu:NoSchedule", None), ("taint nodes node-1 other=x:NoExecute", None),
    ("taint nodes node-1 nope-", None),
    ("taint nodes node-1 other=y:NoExecute --overwrite", None), ("taint pods x a=b:NoSchedule", None),
    ("apply -f -", APP), ("apply -f -", APP), ("apply -f -", APP2), ("apply -f - --dry-run=server", APP),
    ("get cm app-cfg -o yaml", None), ("get deploy app -o jsonpath={.spec.template.spec.containers}", None),
    ("apply -f -", "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\nspec: {}\n"),
    ("apply -f -", "metadata: {name: nokind}\n"),
    ("apply -f - -n other", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: dev}\n"),
    ("create -f -", APP),
    ("replace -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-cfg}\ndata: {z: '9'}\n"),
    ("delete cm c1", None), ("delete cm c1", None), ("delete cm c1 --ignore-not-found", None),
    ("delete cm -l app=none", None), ("delete cm", None), ("delete cm nope1 nope2", None),
    ("delete secret s1 --grace-period=0 --force --wait=false", None),
    ("delete deploy web2 --cascade=orphan --wait=false", None),
    ("delete deploy multi --cascade=bogus", None), ("delete ns team --wait=false", None),
]


def test_a_session_of_changes_matches_real_kubectl(oracle):
    """Both clusters are held at the same instant: objects created here get equal timestamps."""
    real, b = oracle
    at = time.time() + 1
    for line, stdin in SESSION:
        expected = real(line, stdin, at)
        catch_up(b, at)
        ours = run(b, line, stdin=stdin)
        assert ours.exception is None, (line, ours.exception)
        assert (ours.stdout, ours.stderr, ours.returncode) == expected, line


def test_diff_matches_real_kubectl_up_to_temporary_paths(oracle):
    """kubectl diff runs ``diff -u -N`` on two temporary directories with random names and file
    times; everything else must be identical."""
    import re
    real, b = oracle
    at = time.time() + 2

    def norm(text):
        text = re.sub(r"/tmp/(LIVE|MERGED)-\d+", r"/tmp/\1", text)
        return re.sub(r"\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [+-]\d{4}", "\tTIME", text)

    for manifest in (APP.replace("app-cfg", "diff-cfg").replace("name: app", "name: diffapp"),
                     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {b: hello, c: new}\n"):
        out, err, code = real("diff -f -", manifest, at)
        catch_up(b, at)
        ours = run(b, "diff -f -", stdin=manifest)
        assert ours.exception is None
        assert (norm(ours.stdout), ours.stderr, ours.returncode) == (norm(out), err, code)


def test_the_same_kubectl_over_a_real_cluster_client(tmp_path):
    """labkit's kubectl through RealCluster (the official client over HTTPS) prints what it prints
    through the in-memory cluster directly: the backend protocol is all it relies on."""
    from labkit.backends.real import RealCluster
    start = float(int(time.time())) - 1830
    a, b = new_cluster(start), new_cluster(start)
    handle = a.serve(time_mode="manual")
    try:
        handle.write_kubeconfig(tmp_path / "config")
        rc = RealCluster(kubeconfig=str(tmp_path / "config"))
        at = time.time() + 1
        for line in ["get pods -o wide", "describe pod web-abc", "describe node node-1", "version",
                     "auth can-i list pods", "events", "get deploy web -o yaml", "rollout history deploy/web",
                     "create configmap zz --from-literal=a=1", "label cm zz x=1", "delete cm zz --wait=false"]:
            with a.lock:
                catch_up(a, at)
            catch_up(b, at)
            over_http, direct = run(rc, line), run(b, line)
            assert over_http.exception is None and direct.exception is None, line
            assert (over_http.stdout, over_http.stderr, over_http.returncode) == \
                (direct.stdout, direct.stderr, direct.returncode), line
    finally:
        handle.stop()
