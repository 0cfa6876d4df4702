"""The REST API server against real kubectl (v1.37, a subprocess) and the official client.

Paths, verbs and bodies follow https://kubernetes.io/docs/reference/using-api/api-concepts/ ;
kubectl sends protobuf bodies for its typed commands (``create deployment``...), JSON for
``apply``; the official client uses JSON. Every test here talks HTTPS to a server started by
the fixture, exactly as a student's terminal would.
"""
import json
import os
import subprocess
import threading
import time

import pytest

from labkit._tools import kubectl_path
from labkit.minicluster.cluster import MiniCluster


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    cluster = MiniCluster(nodes=0, scheduler=False, controllers=[])
    handle = cluster.serve(time_mode="settle")
    path = tmp_path_factory.mktemp("kube") / "config"
    handle.write_kubeconfig(path)
    yield cluster, handle
    handle.stop()


def kubectl(server, *args, input=None, check=True):
    _, handle = server
    env = dict(os.environ, KUBECONFIG=handle.kubeconfig_path)
    r = subprocess.run([kubectl_path(), *args], env=env, input=input, capture_output=True,
                       text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {r.stderr}")
    return r


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: web, image: "nginx:1.25"}}]
"""


def test_version_and_discovery(server):
    out = kubectl(server, "version", "-o", "json").stdout
    assert json.loads(out)["serverVersion"]["gitVersion"].startswith("v1.")
    res = kubectl(server, "api-resources", "--no-headers").stdout
    names = {line.split()[0] for line in res.splitlines()}
    assert {"pods", "deployments", "jobs", "cronjobs", "roles", "namespaces"} <= names


def test_apply_single_multi_doc_and_directory(server, tmp_path):
    r = kubectl(server, "apply", "-f", "-", input=DEPLOY.format(name="a1"))
    assert r.stdout.strip() == "deployment.apps/a1 created"
    r = kubectl(server, "apply", "-f", "-", input=DEPLOY.format(name="a1"))
    assert r.stdout.strip() == "deployment.apps/a1 unchanged"
    r = kubectl(server, "apply", "-f", "-", input=DEPLOY.format(name="a1").replace("replicas: 2", "replicas: 3"))
    assert r.stdout.strip() == "deployment.apps/a1 configured"
    multi = DEPLOY.format(name="a2") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c2}\ndata: {k: v}\n"
    r = kubectl(server, "apply", "-f", "-", input=multi)
    assert r.stdout.split("\n")[:2] == ["deployment.apps/a2 created", "configmap/c2 created"]
    (tmp_path / "one.yaml").write_text(DEPLOY.format(name="a3"))
    (tmp_path / "two.yaml").write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa3}\n")
    r = kubectl(server, "apply", "-f", str(tmp_path))
    assert set(r.stdout.split()) == {"deployment.apps/a3", "serviceaccount/sa3", "created"}
    cluster, _ = server
    assert cluster.api.get("deployments", "a1")["spec"]["replicas"] == 3


def test_get_output_formats_and_selectors(server):
    kubectl(server, "apply", "-f", "-", input=DEPLOY.format(name="g1"))
    obj = json.loads(kubectl(server, "get", "deploy", "g1", "-o", "json").stdout)
    assert obj["kind"] == "Deployment" and obj["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == "25%"
    assert "name: g1" in kubectl(server, "get", "deploy", "g1", "-o", "yaml").stdout
    assert kubectl(server, "get", "deploy", "-l", "app=nothing", "-o", "name").stdout == ""
    names = kubectl(server, "get", "deploy", "-o", "name").stdout.split()
    assert "deployment.apps/g1" in names
    jp = kubectl(server, "get", "deploy", "g1", "-o", "jsonpath={.spec.replicas}").stdout
    assert jp == "2"
    allns = kubectl(server, "get", "namespaces", "-o", "name").stdout.split()
    assert allns[:1] == ["namespace/default"] and "namespace/kube-system" in allns


def test_typed_create_commands_send_protobuf(server):
    for args, expected in [
        (["create", "deployment", "p1", "--image=nginx:1.25", "--replicas=0"], "deployment.apps/p1 created"),
        (["create", "namespace", "team-a"], "namespace/team-a created"),
        (["create", "configmap", "cm1", "--from-literal=a=1"], "configmap/cm1 created"),
        (["create", "secret", "generic", "s1", "--from-literal=p=x"], "secret/s1 created"),
        (["create", "serviceaccount", "bot"], "serviceaccount/bot created"),
        (["create", "role", "r1", "--verb=get", "--resource=pods"], "role.rbac.authorization.k8s.io/r1 created"),
        (["create", "job", "j1", "--image=busybox", "--", "echo", "hi"], "job.batch/j1 created"),
        (["create", "cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *"], "cronjob.batch/cj1 created"),
    ]:
        assert kubectl(server, *args).stdout.strip() == expected
    cluster, _ = server
    d = cluster.api.get("deployments", "p1")
    assert d["spec"]["replicas"] == 0  # a Go pointer zero survives protobuf decoding
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert cluster.api.get("secrets", "s1")["data"] == {"p": "eA=="}
    assert cluster.api.get("cronjobs", "cj1")["spec"]["schedule"] == "*/5 * * * *"


def test_kubectl_create_ingress_and_priorityclass_send_protobuf(server):
    """networking/v1 and scheduling/v1 generated.proto: the IngressRule's embedded
    IngressRuleValue, backends by port number or name; a PriorityClass value of 0 is kept
    (not a pointer, but always present in JSON)."""
    kubectl(server, "create", "ingress", "ing1", "--class=nginx", "--rule=foo.com/api*=web:80",
            "--rule=bar.com/=svc2:http,tls=my-cert", "--default-backend=defsvc:8080")
    kubectl(server, "create", "priorityclass", "zero", "--value=0", "--preemption-policy=Never")
    cluster, _ = server
    spec = cluster.api.get("ingresses", "ing1")["spec"]
    assert spec["defaultBackend"] == {"service": {"name": "defsvc", "port": {"number": 8080}}}
    assert spec["rules"][0] == {"host": "foo.com", "http": {"paths": [{
        "path": "/api", "pathType": "Prefix",
        "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}
    assert spec["rules"][1]["http"]["paths"][0]["backend"]["service"]["port"] == {"name": "http"}
    assert spec["tls"] == [{"hosts": ["bar.com"], "secretName": "my-cert"}]
    pc = cluster.api.get("priorityclasses", "zero")
    assert (pc["value"], pc["preemptionPolicy"]) == (0, "Never")


def test_kubectl_autoscale_sends_an_autoscaling_v2_hpa_in_protobuf(server):
    """autoscaling/v2 generated.proto field numbers; minReplicas and averageUtilization are
    pointers. Before, the 415 made kubectl fall back to autoscaling/v1 and fail again."""
    kubectl(server, "apply", "-f", "-", input=DEPLOY.format(name="as1"))
    r = kubectl(server, "autoscale", "deployment", "as1", "--min=2", "--max=5", "--cpu=50%")
    assert r.stdout == "horizontalpodautoscaler.autoscaling/as1 autoscaled\n"
    cluster, _ = server
    hpa = cluster.api.get("horizontalpodautoscalers", "as1")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "as1"},
        "minReplicas": 2, "maxReplicas": 5,
        "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}


def test_scale_label_annotate_patch_delete(server):
    kubectl(server, "apply", "-f", "-", input=DEPLOY.format(name="m1"))
    assert kubectl(server, "scale", "deploy", "m1", "--replicas=4").stdout.strip() == "deployment.apps/m1 scaled"
    assert kubectl(server, "label", "deploy", "m1", "tier=web").stdout.strip() == "deployment.apps/m1 labeled"
    assert kubectl(server, "annotate", "deploy", "m1", "note=hi").stdout.strip() == "deployment.apps/m1 annotated"
    kubectl(server, "patch", "deploy", "m1", "-p", '{"spec":{"replicas":5}}')
    kubectl(server, "patch", "deploy", "m1", "--type=merge", "-p", '{"metadata":{"labels":{"x":"y"}}}')
    kubectl(server, "patch", "deploy", "m1", "--type=json", "-p",
            '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.27"}]')
    cluster, _ = server
    d = cluster.api.get("deployments", "m1")
    assert d["spec"]["replicas"] == 5 and d["metadata"]["labels"] == {"tier": "web", "x": "y"}
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    r = kubectl(server, "delete", "deploy", "m1")
    assert r.stdout.startswith('deployment.apps "m1" deleted')
    r = kubectl(server, "get", "deploy", "m1", check=False)
    assert r.returncode == 1 and 'Error from server (NotFound): deployments.apps "m1" not found' in r.stderr


def account_with_role(server, name, *rule) -> str:
    """A ServiceAccount bound to a Role of ``rule`` (kubectl create role flags); its token."""
    kubectl(server, "create", "serviceaccount", name)
    kubectl(server, "create", "role", name, *rule)
    kubectl(server, "create", "rolebinding", name, f"--role={name}", f"--serviceaccount=default:{name}")
    return kubectl(server, "create", "token", name).stdout.strip()


def forbidden(what, account, verb, resource, group) -> str:
    """kubectl's line for an RBAC refusal of ServiceAccount ``default:account``."""
    return (f'Error from server (Forbidden): {what} is forbidden: User '
            f'"system:serviceaccount:default:{account}" cannot {verb} resource "{resource}" in '
            f'API group "{group}" in the namespace "default"\n')


def test_scale_needs_rights_on_the_scale_subresource_only(server):
    """RBAC checks ``deployments/scale`` for ``kubectl scale`` (its GET and PATCH of .../scale),
    as the HPA controller's role relies on (upstream plugin/pkg/auth/authorizer/rbac/bootstrappolicy:
    horizontal-pod-autoscaler may get/update */scale but not the workloads)."""
    kubectl(server, "apply", "-f", "-", input=DEPLOY.format(name="sc1"))
    token = account_with_role(server, "scaler", "--verb=get,update,patch",
                              "--resource=deployments.apps/scale")
    url = "/apis/apps/v1/namespaces/default/deployments/sc1/scale"
    scale = json.loads(kubectl(server, "get", "--raw", url, f"--token={token}").stdout)
    assert (scale["kind"], scale["spec"], scale["status"]["selector"]) == ("Scale", {"replicas": 2}, "app=sc1")
    scale["spec"]["replicas"] = 3
    kubectl(server, "replace", "--raw", url, "-f", "-", f"--token={token}", input=json.dumps(scale))
    cluster, _ = server
    d = cluster.api.get("deployments", "sc1")
    assert d["spec"]["replicas"] == 3
    # ``kubectl scale`` itself would be refused: its resource builder GETs the Deployment first
    r = kubectl(server, "get", "deployment", "sc1", f"--token={token}", check=False)
    assert r.returncode == 1 and r.stderr == forbidden('deployments.apps "sc1"', "scaler", "get",
                                                       "deployments", "apps")
    r = kubectl(server, "delete", "--raw", "/apis/apps/v1/namespaces/default/deployments/sc1/scale",
                check=False)
    assert r.returncode == 1 and "the server does not allow this method" in r.stderr


def test_deletecollection_is_authorized_and_absent_from_the_metrics_api(server):
    """DELETE on a collection is its own RBAC verb, ``deletecollection``; the metrics API has no
    such verb (discovery lists get/list), so the server answers 405 even when nothing matches."""
    token = account_with_role(server, "lister", "--verb=get,list,delete", "--resource=configmaps")
    r = kubectl(server, "delete", "--raw", "/api/v1/namespaces/default/configmaps", f"--token={token}",
                check=False)
    assert r.returncode == 1 and r.stderr == forbidden("configmaps", "lister", "deletecollection",
                                                       "configmaps", "")
    r = kubectl(server, "delete", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods",
                check=False)
    assert r.returncode == 1 and r.stderr == (
        "Error from server (MethodNotAllowed): the server does not allow this method on the "
        "requested resource\n")


def test_errors_are_kubernetes_errors(server):
    kubectl(server, "apply", "-f", "-", input=DEPLOY.format(name="e1"))
    r = kubectl(server, "create", "-f", "-", input=DEPLOY.format(name="e1"), check=False)
    assert 'Error from server (AlreadyExists): error when creating "STDIN": deployments.apps "e1" already exists' in r.stderr
    bad = "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\nspec: {}\n"
    r = kubectl(server, "apply", "-f", "-", input=bad, check=False)
    assert 'no matches for kind "Deployment" in version "extensions/v1beta1"' in r.stderr


def test_auth_can_i_and_tokens(server):
    assert kubectl(server, "auth", "can-i", "list", "pods").stdout.strip() == "yes"
    kubectl(server, "create", "serviceaccount", "tok")
    token = kubectl(server, "create", "token", "tok").stdout.strip()
    assert len(token) >= 16
    r = kubectl(server, "get", "configmaps", "--token=not-a-token", check=False)
    assert r.returncode == 1 and ("Unauthorized" in r.stderr or "provide credentials" in r.stderr)
    # kubectl auth whoami: a SelfSubjectReview (authentication.k8s.io/v1) of the caller
    assert kubectl(server, "auth", "whoami").stdout == (
        "ATTRIBUTE   VALUE\nUsername    kubernetes-admin\n"
        "Groups      [system:masters system:authenticated]\n")
    me = json.loads(kubectl(server, "auth", "whoami", f"--token={token}", "-o", "json").stdout)
    info = me["status"]["userInfo"]
    assert (me["kind"], info["username"], info["groups"]) == (
        "SelfSubjectReview", "system:serviceaccount:default:tok",
        ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"])
    assert info["uid"]  # the ServiceAccount's UID


def test_official_client_crud_watch_and_utils(server, tmp_path):
    from kubernetes import client, config, dynamic, utils, watch
    _, handle = server
    api_client = config.new_client_from_config(handle.kubeconfig_path)
    v1, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    v1.create_namespaced_config_map("default", {"metadata": {"name": "oc1"}, "data": {"a": "1"}})
    assert v1.read_namespaced_config_map("oc1", "default").data == {"a": "1"}
    with pytest.raises(client.ApiException) as e:
        v1.read_namespaced_config_map("missing", "default")
    assert e.value.status == 404 and json.loads(e.value.body)["reason"] == "NotFound"
    (tmp_path / "d.yaml").write_text(DEPLOY.format(name="oc-web"))
    utils.create_from_yaml(api_client, str(tmp_path / "d.yaml"))
    assert apps.read_namespaced_deployment("oc-web", "default").spec.replicas == 2
    dyn = dynamic.DynamicClient(api_client)
    deploys = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    assert "oc-web" in [d.metadata.name for d in deploys.get(namespace="default").items]
    seen = []
    w = watch.Watch()
    rv = v1.list_namespaced_config_map("default").metadata.resource_version

    def writer():
        time.sleep(0.3)
        v1.patch_namespaced_config_map("oc1", "default", {"data": {"a": "2"}})
        v1.delete_namespaced_config_map("oc1", "default")

    threading.Thread(target=writer).start()
    for ev in w.stream(v1.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=2):
        seen.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "DELETED":
            w.stop()
    assert seen == [("MODIFIED", "oc1"), ("DELETED", "oc1")]


def test_official_client_batch_and_rbac_crud(server):
    """BatchV1Api and RbacAuthorizationV1Api through the generated client: create, read,
    list, patch/replace, delete, with the models the client builds from our JSON."""
    from kubernetes import client, config
    _, handle = server
    api_client = config.new_client_from_config(handle.kubeconfig_path)
    batch, rbac = client.BatchV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
    job = client.V1Job(
        metadata=client.V1ObjectMeta(name="oc-job"),
        spec=client.V1JobSpec(template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
            restart_policy="Never",
            containers=[client.V1Container(name="c", image="busybox:1.36",
                                           command=["sh", "-c", "echo hi"])]))))
    created = batch.create_namespaced_job("default", job)
    assert created.spec.backoff_limit == 6 and created.spec.completions == 1  # defaulted
    assert created.spec.template.metadata.labels["job-name"] == "oc-job"
    assert "oc-job" in [j.metadata.name for j in batch.list_namespaced_job("default").items]
    patched = batch.patch_namespaced_job("oc-job", "default", {"spec": {"suspend": True}})
    assert patched.spec.suspend is True
    batch.delete_namespaced_job("oc-job", "default", propagation_policy="Background")
    with pytest.raises(client.ApiException) as e:
        batch.read_namespaced_job("oc-job", "default")
    assert e.value.status == 404

    role = client.V1Role(metadata=client.V1ObjectMeta(name="oc-reader"), rules=[
        client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get", "list"])])
    rbac.create_namespaced_role("default", role)
    binding = client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="oc-reader"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role",
                                  name="oc-reader"),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name="default",
                                       namespace="default")])
    rbac.create_namespaced_role_binding("default", binding)
    got = rbac.read_namespaced_role("oc-reader", "default")
    got.rules[0].verbs.append("watch")
    replaced = rbac.replace_namespaced_role("oc-reader", "default", got)
    assert replaced.rules[0].verbs == ["get", "list", "watch"]
    assert int(replaced.metadata.resource_version) > int(got.metadata.resource_version)
    assert rbac.read_namespaced_role_binding("oc-reader", "default").subjects[0].name == "default"
    stale = got  # its resourceVersion is now out of date: replace is refused with 409
    with pytest.raises(client.ApiException) as e:
        rbac.replace_namespaced_role("oc-reader", "default", stale)
    assert e.value.status == 409
    rbac.delete_namespaced_role_binding("oc-reader", "default")
    rbac.delete_namespaced_role("oc-reader", "default")
    assert "oc-reader" not in [r.metadata.name for r in rbac.list_namespaced_role("default").items]


def test_conflicting_updates_lose_nothing(server):
    """Several clients increment a counter with read-modify-write: stale writes get 409 and
    retry, so every increment lands exactly once (optimistic concurrency)."""
    from kubernetes import client, config
    _, handle = server
    v1 = client.CoreV1Api(config.new_client_from_config(handle.kubeconfig_path))
    v1.create_namespaced_config_map("default", {"metadata": {"name": "counter"}, "data": {"n": "0"}})
    conflicts = []

    def worker():
        for _ in range(10):
            while True:
                cm = v1.read_namespaced_config_map("counter", "default")
                cm.data["n"] = str(int(cm.data["n"]) + 1)
                try:
                    v1.replace_namespaced_config_map("counter", "default", cm)
                    break
                except client.ApiException as e:
                    assert e.status == 409
                    conflicts.append(1)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert v1.read_namespaced_config_map("counter", "default").data["n"] == "40"


def test_no_token_is_401_and_watch_from_compacted_revision_is_gone(server):
    import ssl
    import urllib.request
    cluster, handle = server
    ctx = ssl.create_default_context(cafile=handle.ca_file)
    req = urllib.request.Request(handle.url + "/api/v1/namespaces/default/pods")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, context=ctx, timeout=10)
    assert e.value.code == 401 and json.loads(e.value.read())["reason"] == "Unauthorized"
    with cluster.lock:
        cluster.store.compact()
        old = cluster.store.compacted - 1
    req = urllib.request.Request(handle.url + f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={old}",
                                 headers={"Authorization": f"Bearer {handle.token}"})
    body = urllib.request.urlopen(req, context=ctx, timeout=10).read()
    ev = json.loads(body.splitlines()[0])
    assert ev["type"] == "ERROR" and ev["object"]["code"] == 410
