"""Real ``kubectl`` (the pinned v1.37 binary, a subprocess) against a served MiniCluster: the
commands a course uses beyond get/apply/create, which ``test_http_server.py`` covers.

Expected output is kubectl's own (kubectl formats it from what the server answers), so these
tests check that the server answers what kube-apiserver would: discovery that advertises the
Eviction subresource (``kubectl drain`` evicts rather than deletes), watch events as Tables
(``get -w``), TokenRequest and SelfSubjectAccessReview (``auth can-i``), OpenAPI v3 schemas
(``explain``, ``apply``), propagation policies (``delete --cascade``).
"""
import json
import re
import threading
import time

import pytest

from http_kubectl import deployment, srv  # noqa: F401 (fixture)

CRASH = """apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - name: c
    image: busybox:1.36
    command: ["sh", "-c", "echo attempt; sleep 2; exit 1"]
"""



def pods_of(srv, app):
    return json.loads(srv.kubectl("get", "pods", "-l", f"app={app}", "-o", "json").stdout)["items"]


def test_describe_pod_deployment_node(srv):
    srv.kubectl("apply", "-f", "-", input=deployment("desc"))
    pod = pods_of(srv, "desc")[0]["metadata"]["name"]
    out = srv.kubectl("describe", "pod", pod).stdout
    assert out.startswith(f"Name:             {pod}\nNamespace:        default\n")
    assert "Status:           Running\n" in out and "    Image:          nginx:1.25\n" in out
    assert "Controlled By:  ReplicaSet/desc-" in out
    assert "Successfully assigned default/" + pod in out
    out = srv.kubectl("describe", "deployment", "desc").stdout
    assert "Replicas:               2 desired | 2 updated | 2 total | 2 available | 0 unavailable\n" in out
    assert "StrategyType:           RollingUpdate\n" in out
    assert "  Normal  ScalingReplicaSet" in out and "Scaled up replica set desc-" in out
    node = pods_of(srv, "desc")[0]["spec"]["nodeName"]
    out = srv.kubectl("describe", "node", node).stdout
    assert out.startswith(f"Name:               {node}\n")
    assert "  Ready            True " in out and "Non-terminated Pods:" in out
    assert f"  default                     {pod}" in out


def test_rollout_commands(srv):
    srv.kubectl("apply", "-f", "-", input=deployment("ro"))
    assert srv.kubectl("rollout", "status", "deploy/ro").stdout == 'deployment "ro" successfully rolled out\n'
    assert srv.kubectl("set", "image", "deploy/ro", "ro=nginx:1.27").stdout == "deployment.apps/ro image updated\n"
    assert srv.kubectl("rollout", "history", "deploy/ro").stdout == \
        "deployment.apps/ro \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    detail = srv.kubectl("rollout", "history", "deploy/ro", "--revision=2").stdout
    assert detail.startswith("deployment.apps/ro with revision #2\nPod Template:\n")
    assert "    Image:\tnginx:1.27\n" in detail
    undo = srv.kubectl("rollout", "undo", "deploy/ro")
    assert undo.stdout == "deployment.apps/ro rolled back\n"
    assert "was previously managed with 'kubectl apply'" in undo.stderr
    image = srv.kubectl("get", "deploy", "ro", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
    assert image.stdout == "nginx:1.25"
    assert srv.kubectl("rollout", "pause", "deploy/ro").stdout == "deployment.apps/ro paused\n"
    again = srv.kubectl("rollout", "pause", "deploy/ro", check=False)
    assert again.returncode == 1 and again.stderr == 'error: deployments.apps "ro" is already paused\n'
    assert srv.kubectl("rollout", "resume", "deploy/ro").stdout == "deployment.apps/ro resumed\n"
    assert srv.kubectl("rollout", "restart", "deploy/ro").stdout == "deployment.apps/ro restarted\n"
    assert srv.kubectl("rollout", "status", "deploy/ro", "--timeout=30s").stdout.endswith(
        'deployment "ro" successfully rolled out\n')
    revisions = srv.kubectl("rollout", "history", "deploy/ro").stdout.split("\n")[2:-2]
    assert [r.split()[0] for r in revisions] == ["2", "3", "4"]


def test_logs_and_previous_after_a_restart(srv):
    srv.kubectl("apply", "-f", "-", input=CRASH)
    pod = json.loads(srv.kubectl("get", "pod", "crash", "-o", "json").stdout)
    status = pod["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 1 and status["lastState"]["terminated"]["exitCode"] == 1
    assert srv.kubectl("logs", "crash", "--previous").stdout == "attempt\n"
    assert srv.kubectl("logs", "crash", "-c", "c", "--previous").stdout == "attempt\n"
    srv.kubectl("delete", "pod", "crash", "--wait=false")  # a bare pod would block drain
    srv.kubectl("apply", "-f", "-", input=deployment("lg", replicas=1))
    name = pods_of(srv, "lg")[0]["metadata"]["name"]
    out = srv.kubectl("logs", name).stdout
    assert out.startswith("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty")
    assert srv.kubectl("logs", name, "--tail=1").stdout == out.splitlines(keepends=True)[-1]
    none = srv.kubectl("logs", name, "--previous", check=False)
    assert none.returncode == 1
    assert none.stderr == (f'Error from server (BadRequest): previous terminated container "lg" in pod '
                           f'"{name}" not found\n')


def test_cordon_and_drain_evict(srv):
    srv.kubectl("apply", "-f", "-", input=deployment("dr", replicas=4))
    nodes = {p["spec"]["nodeName"] for p in pods_of(srv, "dr")}
    node = sorted(nodes)[0]
    assert srv.kubectl("cordon", node).stdout == f"node/{node} cordoned\n"
    assert srv.kubectl("cordon", node).stdout == f"node/{node} already cordoned\n"
    out = srv.kubectl("drain", node, "--ignore-daemonsets").stdout.splitlines()
    assert out[0] == f"node/{node} already cordoned" and out[-1] == f"node/{node} drained"
    evicting = [line for line in out if line.startswith("evicting pod default/")]
    assert evicting and len([line for line in out if line.endswith(" evicted")]) == len(evicting)
    assert all(p["spec"]["nodeName"] != node for p in pods_of(srv, "dr"))
    assert len(pods_of(srv, "dr")) == 4
    assert srv.kubectl("uncordon", node).stdout == f"node/{node} uncordoned\n"


def test_get_watch_prints_rows_until_request_timeout(srv):
    srv.kubectl("apply", "-f", "-", input=deployment("wt", replicas=1))

    def later():
        time.sleep(1.0)
        srv.kubectl("label", "deploy", "wt", "tier=web")

    threading.Thread(target=later).start()
    start = time.monotonic()
    r = srv.kubectl("get", "deploy", "wt", "-w", "--request-timeout=3s")
    assert time.monotonic() - start < 20
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert [line.split()[:4] for line in lines[1:]] == [["wt", "1/1", "1", "1"]] * 2


def test_explain_pod_spec_containers(srv):
    out = srv.kubectl("explain", "pod.spec.containers").stdout
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <[]Container>\n")
    for field in ("  image\t<string>", "  env\t<[]EnvVar>", "  ports\t<[]ContainerPort>",
                  "  resources\t<ResourceRequirements>", "  livenessProbe\t<Probe>"):
        assert field in out
    bad = srv.kubectl("explain", "pod.spec.nope", check=False)
    assert bad.returncode == 1 and 'field "nope" does not exist' in bad.stderr


def test_auth_can_i_for_a_service_account_token(srv):
    srv.kubectl("create", "serviceaccount", "reader")
    token = srv.kubectl("create", "token", "reader").stdout.strip()
    denied = srv.kubectl("auth", "can-i", "list", "pods", f"--token={token}", check=False)
    assert (denied.returncode, denied.stdout) == (1, "no\n")
    forbidden = srv.kubectl("get", "pods", f"--token={token}", check=False)
    assert forbidden.stderr == ('Error from server (Forbidden): pods is forbidden: User '
                                '"system:serviceaccount:default:reader" cannot list resource "pods" '
                                'in API group "" in the namespace "default"\n')
    srv.kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods")
    srv.kubectl("create", "rolebinding", "reader-pods", "--role=pod-reader",
                "--serviceaccount=default:reader")
    allowed = srv.kubectl("auth", "can-i", "list", "pods", f"--token={token}")
    assert allowed.stdout == "yes\n"
    assert srv.kubectl("auth", "can-i", "delete", "pods", f"--token={token}", check=False).stdout == "no\n"
    assert srv.kubectl("auth", "can-i", "list", "pods", "--as=system:serviceaccount:default:reader").stdout == "yes\n"


def test_delete_cascade_orphan_and_foreground(srv):
    srv.kubectl("apply", "-f", "-", input=deployment("orph"))
    out = srv.kubectl("delete", "deploy", "orph", "--cascade=orphan").stdout
    assert out.startswith('deployment.apps "orph" deleted')
    rs = json.loads(srv.kubectl("get", "rs", "-l", "app=orph", "-o", "json").stdout)["items"]
    assert len(rs) == 1 and "ownerReferences" not in rs[0]["metadata"]
    assert len(pods_of(srv, "orph")) == 2
    rs_name = rs[0]["metadata"]["name"]
    srv.kubectl("delete", "rs", rs_name, "--cascade=foreground")
    assert srv.kubectl("get", "rs", "-l", "app=orph", "-o", "name").stdout == ""
    assert pods_of(srv, "orph") == []


def test_patch_strategic_merge_and_json(srv):
    """Node ``spec.taints`` has no patchMergeKey upstream (k8s.io/api/core/v1/types.go), so a
    strategic merge patch replaces the whole list; container lists merge by name."""
    node = "node-2"
    srv.kubectl("taint", "node", node, "a=1:NoSchedule")
    srv.kubectl("patch", "node", node, "-p", '{"spec":{"taints":[{"key":"b","value":"2","effect":"NoSchedule"}]}}')
    taints = json.loads(srv.kubectl("get", "node", node, "-o", "jsonpath={.spec.taints}").stdout)
    assert taints == [{"key": "b", "value": "2", "effect": "NoSchedule"}]
    srv.kubectl("patch", "node", node, "--type=json", "-p", '[{"op":"remove","path":"/spec/taints"}]')
    assert srv.kubectl("get", "node", node, "-o", "jsonpath={.spec.taints}").stdout == ""
    srv.kubectl("apply", "-f", "-", input=deployment("pt", replicas=1))
    sidecar = '{"spec":{"template":{"spec":{"containers":[{"name":"log","image":"busybox:1.36","command":["sleep","3600"]}]}}}}'
    assert srv.kubectl("patch", "deploy", "pt", "-p", sidecar).stdout == "deployment.apps/pt patched\n"
    names = srv.kubectl("get", "deploy", "pt", "-o", "jsonpath={.spec.template.spec.containers[*].name}").stdout
    assert names == "pt log"
    srv.kubectl("patch", "deploy", "pt", "--type=merge", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"nginx:1.25"}]}}}}')
    names = srv.kubectl("get", "deploy", "pt", "-o", "jsonpath={.spec.template.spec.containers[*].name}").stdout
    assert names == "only"  # a JSON merge patch replaces lists
    bad = srv.kubectl("patch", "deploy", "pt", "--type=json", "-p",
                      '[{"op":"replace","path":"/spec/nope/x","value":1}]', check=False)
    # handlers/patch.go applyJSPatch: the generic 422, the json-patch text is not returned
    assert (bad.returncode, bad.stderr) == (1, "The request is invalid: the server rejected our "
                                               "request due to an error in our request\n")


def test_create_deployment_and_expose(srv):
    out = srv.kubectl("create", "deployment", "hello", "--image=nginx:1.25", "--replicas=2", "--port=80")
    assert out.stdout == "deployment.apps/hello created\n"
    assert srv.kubectl("expose", "deployment", "hello", "--port=8080", "--target-port=80").stdout == \
        "service/hello exposed\n"
    svc = json.loads(srv.kubectl("get", "svc", "hello", "-o", "json").stdout)
    assert svc["spec"]["selector"] == {"app": "hello"} and svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"port": 8080, "protocol": "TCP", "targetPort": 80}]
    row = srv.kubectl("get", "svc", "hello", "--no-headers").stdout.split()
    assert row[:2] == ["hello", "ClusterIP"] and row[4] == "8080/TCP"
    eps = srv.kubectl("get", "endpoints", "hello", "--no-headers").stdout.split()[1]
    ips = sorted(p["status"]["podIP"] + ":80" for p in pods_of(srv, "hello"))
    assert sorted(eps.split(",")) == ips


def test_apply_twice_has_no_openapi_warning_and_scale_without_subresource_is_404(srv):
    manifest = deployment("ap")
    srv.kubectl("apply", "-f", "-", input=manifest)
    r = srv.kubectl("apply", "-f", "-", input=manifest.replace("replicas: 2", "replicas: 3"))
    assert (r.stdout, r.stderr) == ("deployment.apps/ap configured\n", "")
    srv.kubectl("create", "configmap", "noscale")
    r = srv.kubectl("scale", "configmap", "noscale", "--replicas=2", check=False)
    assert r.returncode == 1
    assert r.stderr == "Error from server (NotFound): the server could not find the requested resource\n"


def test_field_validation_strict_and_warn(srv):
    """kubectl sends fieldValidation=Strict; the create handler's decode error is wrapped by
    transformDecodeError (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go)."""
    bad = deployment("fv").replace("  replicas: 2\n", "  replicas: 2\n  foo: 1\n")
    r = srv.kubectl("create", "-f", "-", input=bad, check=False)
    assert r.stderr == ('Error from server (BadRequest): error when creating "STDIN": Deployment in '
                        'version "v1" cannot be handled as a Deployment: strict decoding error: '
                        'unknown field "spec.foo"\n')
    r = srv.kubectl("create", "-f", "-", "--validate=warn", input=bad)
    assert r.stderr == 'Warning: unknown field "spec.foo"\n'
    spec = json.loads(srv.kubectl("get", "deploy", "fv", "-o", "jsonpath={.spec}").stdout)
    assert "foo" not in spec  # dropped, as decoding into the Go struct drops it


def test_apply_patch_with_unknown_field_is_refused(srv):
    """The PATCH handler decodes the patched object strictly (handlers/patch.go): no kind
    prefix, unlike create."""
    srv.kubectl("apply", "-f", "-", input=deployment("fvp"))
    bad = deployment("fvp").replace("  replicas: 2\n", "  replicas: 2\n  foo: 1\n")
    r = srv.kubectl("apply", "-f", "-", input=bad, check=False)
    assert r.returncode == 1
    assert r.stderr.endswith('for: "STDIN": error when patching "STDIN": strict decoding error: '
                             'unknown field "spec.foo"\n')


def test_discovery_order_is_the_apiservers(srv):
    """Groups by kube-aggregator priority (core, apps, events, authorization, autoscaling, batch...),
    the preferred version first; resources sorted by name, subresources after their resource."""
    groups = json.loads(srv.kubectl("get", "--raw", "/apis").stdout)["groups"]
    names = [g["name"] for g in groups]
    assert names[:2] == ["apps", "events.k8s.io"]
    assert names.index("autoscaling") < names.index("batch") < names.index("networking.k8s.io") \
        < names.index("policy") < names.index("rbac.authorization.k8s.io") < names.index("storage.k8s.io")
    autoscaling = next(g for g in groups if g["name"] == "autoscaling")
    assert autoscaling["preferredVersion"]["version"] == "v2"
    resources = json.loads(srv.kubectl("get", "--raw", "/api/v1").stdout)["resources"]
    core = [r["name"] for r in resources]
    assert core == sorted(core) and core[core.index("pods") + 1].startswith("pods/")
    eviction = next(r for r in resources if r["name"] == "pods/eviction")
    assert (eviction["group"], eviction["version"], eviction["kind"]) == ("policy", "v1", "Eviction")


def test_service_and_pod_proxy_reach_the_simulated_servers(srv):
    """services/NAME[:PORT]/proxy and pods/NAME[:PORT]/proxy (what `kubectl proxy` serves):
    the API server sends the request to a ready endpoint's podIP:targetPort and relays the
    answer; no endpoints is a 503, a dead port the dialer's error; RBAC checks `proxy`."""
    srv.kubectl("apply", "-f", "-", input=deployment("px"))
    srv.kubectl("expose", "deployment", "px", "--port=8080", "--target-port=80")
    page = srv.kubectl("get", "--raw", "/api/v1/namespaces/default/services/px:8080/proxy/").stdout
    assert "<title>Welcome to nginx!</title>" in page
    assert srv.kubectl("get", "--raw", "/api/v1/namespaces/default/services/px/proxy/").stdout == page
    pod = pods_of(srv, "px")[0]
    name, ip = pod["metadata"]["name"], pod["status"]["podIP"]
    assert srv.kubectl("get", "--raw", f"/api/v1/namespaces/default/pods/{name}/proxy/").stdout == page
    r = srv.kubectl("get", "--raw", f"/api/v1/namespaces/default/pods/{name}:81/proxy/", check=False)
    assert r.stderr == ("Error from server (ServiceUnavailable): error trying to reach service: "
                        f"dial tcp {ip}:81: connect: connection refused\n")
    srv.kubectl("create", "service", "clusterip", "nobody", "--tcp=80:80")
    r = srv.kubectl("get", "--raw", "/api/v1/namespaces/default/services/nobody/proxy/", check=False)
    assert r.stderr == 'Error from server (ServiceUnavailable): no endpoints available for service "nobody"\n'
    srv.kubectl("create", "serviceaccount", "noproxy")
    token = srv.kubectl("create", "token", "noproxy").stdout.strip()
    r = srv.kubectl("get", "--raw", "/api/v1/namespaces/default/services/px/proxy/", f"--token={token}",
                    check=False)
    assert r.returncode == 1 and 'cannot get resource "services/proxy"' in r.stderr
    # the official client percent-encodes the name's colon (web%3A8080): paths are decoded
    from kubernetes import client, config
    core = client.CoreV1Api(config.new_client_from_config(srv.handle.kubeconfig_path))
    assert core.connect_get_namespaced_service_proxy_with_path("px:8080", "default", "") == page


def test_kubectl_top_reads_the_metrics_api(srv):
    """``kubectl top`` (pkg/cmd/top) finds metrics.k8s.io in discovery (metrics-server's
    APIService: groupPriorityMinimum 100, so last in /apis), asks for PodMetrics/NodeMetrics and
    prints them; labkit's kubectl, on the same cluster at the same instant, prints the same bytes."""
    srv.kubectl("apply", "-f", "-", input=deployment("topweb"))
    with srv.cluster.lock:
        srv.cluster.run(40)
    assert json.loads(srv.kubectl("get", "--raw", "/apis").stdout)["groups"][-1]["name"] == "metrics.k8s.io"
    lines = srv.kubectl("api-resources", "--api-group=metrics.k8s.io", "--no-headers").stdout.split("\n")
    assert [line.split() for line in lines if line] == [
        ["nodes", "metrics.k8s.io/v1beta1", "false", "NodeMetrics"],
        ["pods", "metrics.k8s.io/v1beta1", "true", "PodMetrics"]]
    name = pods_of(srv, "topweb")[0]["metadata"]["name"]
    for line in ("top pods", "top pods -A", f"top pod {name} --containers", "top nodes",
                 "top pods -l app=topweb --sum --sort-by=memory", "top pod nope"):
        real = srv.kubectl(*line.split(), check=False)
        with srv.cluster.lock:
            ours = srv.cluster.kubectl(line)
        assert (real.stdout, real.stderr, real.returncode) == \
            (ours.stdout, ours.stderr, ours.returncode), line
    out = srv.kubectl("top", "pods", "-l", "app=topweb", "--no-headers").stdout.splitlines()
    assert len(out) == 2 and all(re.fullmatch(r"topweb-\S+ +\d+m +\d+Mi +", o) for o in out)
    table = srv.kubectl("get", "podmetrics", "-l", "app=topweb").stdout.splitlines()
    assert table[0].split() == ["NAME", "CPU", "MEMORY", "WINDOW"] and table[1].endswith("15s")
    watch = srv.kubectl("get", "podmetrics", "-w", "--request-timeout=5s", check=False)
    assert 'watch is not supported on resources of kind "pods.metrics.k8s.io"' in watch.stderr


def test_official_client_reads_pod_metrics_as_custom_objects(srv):
    """kubernetes.client.CustomObjectsApi, the way Python code (an autoscaler) reads metrics."""
    from kubernetes import client, config
    with srv.cluster.lock:
        srv.cluster.run(40)
    api = client.CustomObjectsApi(config.new_client_from_config(str(srv.handle.kubeconfig_path)))
    pods = api.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", "default", "pods")
    assert pods["kind"] == "PodMetricsList" and pods["items"]
    assert {c["name"] for c in pods["items"][0]["containers"]} and \
        set(pods["items"][0]["containers"][0]["usage"]) == {"cpu", "memory"}
    node = api.get_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes", "node-1")
    assert node["kind"] == "NodeMetrics" and node["window"] == "15s"


def test_kubectl_top_without_metrics_server(tmp_path_factory):
    """No metrics-server, no metrics.k8s.io group: kubectl says so (top.go)."""
    from labkit.minicluster.cluster import MiniCluster
    from http_kubectl import Served
    cluster = MiniCluster(nodes=1, start=float(int(time.time())), metrics_server=False)
    handle = cluster.serve(time_mode="settle")
    handle.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
    s = Served(cluster, handle)
    try:
        env = {"KUBECACHEDIR": str(tmp_path_factory.mktemp("cache"))}  # no discovery of another run
        r = s.kubectl("top", "pods", check=False, env=env)
        assert (r.stdout, r.stderr, r.returncode) == ("", "error: Metrics API not available\n", 1)
        assert "metrics.k8s.io" not in s.kubectl("api-versions", env=env).stdout
    finally:
        s.stop()
