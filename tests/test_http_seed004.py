"""Seed 004 (a 2023 blog walkthrough, /work/shared/seeds/004_*.txt) replayed with real kubectl
against a served MiniCluster: what the post shows, and where a current cluster differs.

The post's commands: create a Deployment + LoadBalancer Service, ``kubectl patch`` the
replicas to 4, ``kubectl describe deployment``, ``kubectl rollout history``, ``kubectl rollout
undo``. Differences a student meets today, asserted below:

- ``apps/v1beta1`` was removed in Kubernetes 1.16: kubectl cannot map the kind ("no matches
  for kind"); the Service in the same file is still created. ``apps/v1`` also requires
  ``spec.selector`` (v1beta1 defaulted it from the template labels).
- the post's ``nginx:1.7.9`` (2014) cannot be pulled by a current node, so this replay uses
  the Kubernetes docs' ``nginx:1.14.2`` and updates to ``nginx:1.16.1``;
- the patch answers ``deployment.apps/...`` (the post's ``deployment.extensions`` group is gone).
"""
import json

import pytest

from http_kubectl import srv  # noqa: F401 (fixture)

SEED = """apiVersion: apps/v1beta1
kind: Deployment
metadata:
  name: nginx-deployment
spec:
  replicas: 3 # replicas of the Deployment
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.7.9
        ports:
        - containerPort: 80

---

apiVersion: v1
kind: Service
metadata:
  name: nginx-service
spec:
  type: LoadBalancer
  ports:
  - port: 80
    targetPort: 80
  selector:
    app: nginx
"""

FIXED = (SEED.replace("apps/v1beta1", "apps/v1").replace("nginx:1.7.9", "nginx:1.14.2")
         .replace("  template:\n", "  selector:\n    matchLabels:\n      app: nginx\n  template:\n", 1))



def status(srv):
    return json.loads(srv.kubectl("get", "deployment", "nginx-deployment", "--output", "json").stdout)["status"]


def get_row(srv, name="nginx-deployment"):
    return srv.kubectl("get", "deploy", name, "--no-headers").stdout.split()[:4]


def test_seed_004_walkthrough(srv):
    r = srv.kubectl("apply", "-f", "-", input=SEED, check=False)
    assert r.returncode == 1 and r.stdout == "service/nginx-service created\n"
    assert r.stderr == ('error: resource mapping not found for name: "nginx-deployment" namespace: "" '
                        'from "STDIN": no matches for kind "Deployment" in version "apps/v1beta1"\n'
                        'ensure CRDs are installed first\n')

    r = srv.kubectl("apply", "-f", "-", input=FIXED)
    assert r.stdout == "deployment.apps/nginx-deployment created\nservice/nginx-service unchanged\n"
    assert {k: v for k, v in status(srv).items() if k != "conditions"} == {
        "availableReplicas": 3, "observedGeneration": 1, "readyReplicas": 3, "replicas": 3,
        "updatedReplicas": 3}

    r = srv.kubectl("patch", "deployment", "nginx-deployment", "--patch", '{"spec":{"replicas":4}}')
    assert r.stdout == "deployment.apps/nginx-deployment patched\n"
    assert {k: v for k, v in status(srv).items() if k != "conditions"} == {
        "availableReplicas": 4, "observedGeneration": 2, "readyReplicas": 4, "replicas": 4,
        "updatedReplicas": 4}

    out = srv.kubectl("describe", "deployment/nginx-deployment").stdout
    rs = json.loads(srv.kubectl("get", "rs", "-l", "app=nginx", "-o", "json").stdout)["items"][0]
    rs_name = rs["metadata"]["name"]
    for line in ["Name:                   nginx-deployment", "Namespace:              default",
                 "Annotations:            deployment.kubernetes.io/revision: 1",
                 "Selector:               app=nginx",
                 "Replicas:               4 desired | 4 updated | 4 total | 4 available | 0 unavailable",
                 "StrategyType:           RollingUpdate",
                 "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
                 "    Image:         nginx:1.14.2", "    Port:          80/TCP",
                 "  Available      True    MinimumReplicasAvailable",
                 "  Progressing    True    NewReplicaSetAvailable",
                 "OldReplicaSets:  <none>", f"NewReplicaSet:   {rs_name} (4/4 replicas created)"]:
        assert line + "\n" in out, line
    events = [line.split(None, 4) for line in out.split("Events:\n")[1].splitlines()[2:]]
    assert [e[4].split("deployment-controller")[-1].strip() for e in events] == [
        f"Scaled up replica set {rs_name} to 3", f"Scaled up replica set {rs_name} to 4 from 3"]

    r = srv.kubectl("set", "image", "deployment/nginx-deployment", "nginx=nginx:1.16.1")
    assert r.stdout == "deployment.apps/nginx-deployment image updated\n"
    assert srv.kubectl("rollout", "history", "deployment/nginx-deployment").stdout == (
        "deployment.apps/nginx-deployment \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n")
    assert get_row(srv) == ["nginx-deployment", "4/4", "4", "4"]

    r = srv.kubectl("rollout", "undo", "deployment/nginx-deployment")
    assert r.stdout == "deployment.apps/nginx-deployment rolled back\n"
    assert srv.kubectl("rollout", "history", "deployment/nginx-deployment").stdout == (
        "deployment.apps/nginx-deployment \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n")
    assert get_row(srv) == ["nginx-deployment", "4/4", "4", "4"]
    images = srv.kubectl("get", "pods", "-l", "app=nginx", "-o",
                         "jsonpath={.items[*].spec.containers[0].image}").stdout.split()
    assert images == ["nginx:1.14.2"] * 4

    svc = srv.kubectl("get", "svc", "nginx-service", "--no-headers").stdout.split()
    assert svc[1] == "LoadBalancer" and svc[3] == "<pending>"  # no cloud load balancer, as on kind
    assert svc[4].startswith("80:") and svc[4].endswith("/TCP")


def test_the_seed_image_is_too_old_to_pull(srv):
    """nginx:1.7.9 never starts on a current node: the pods stay in image pull back-off."""
    srv.kubectl("create", "deployment", "old-nginx", "--image=nginx:1.7.9")
    pods = json.loads(srv.kubectl("get", "pods", "-l", "app=old-nginx", "-o", "json").stdout)["items"]
    waiting = pods[0]["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] in ("ImagePullBackOff", "ErrImagePull")
    assert get_row(srv, "old-nginx") == ["old-nginx", "0/1", "1", "0"]
