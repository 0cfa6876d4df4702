"""The metrics API (metrics-server) and labkit's ``kubectl top``.

Upstream: kubernetes-sigs/metrics-server pkg/api/pod.go, node.go (storages: get and list,
NotFound for ``namespace/name``), pkg/storage/pod.go (two samples per container, the
fresh-container rule), pkg/storage/types.go (``resourceUsage``: CPU as nanocores, memory as
bytes), manifests/base (``--metric-resolution=15s``, ``system:aggregated-metrics-reader``);
k8s.io/metrics pkg/apis/metrics/v1beta1/types.go (PodMetrics, NodeMetrics); kubectl
pkg/cmd/top and pkg/metricsutil/metrics_printer.go.
"""
import re

import pytest

from labkit.kubectl.formatting import canonical_quantity, parse_quantity
from labkit.minicluster import errors
from labkit.minicluster.clock import parse_rfc3339, rfc3339
from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.upstream import FRESH_CONTAINER_MIN_SECONDS, METRIC_RESOLUTION_SECONDS

PODS, NODES = "pods.metrics.k8s.io", "nodes.metrics.k8s.io"


def pod(name, image="nginx", labels=None, command=None, ns="default", limits=None):
    c = {"name": name.split("-")[0], "image": image}
    if command:
        c["command"] = command
    if limits:
        c["resources"] = {"limits": limits}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
            "spec": {"containers": [c]}}


def started_at(c, name, ns="default"):
    """When the kubelet started the pod's (first) container: its CPU counter's zero."""
    node = c.api.get("pods", name, ns)["spec"]["nodeName"]
    return c.kubelets[node].workers[f"{ns}/{name}"].regular_records[0].current.started_at


def scrape(c):
    return c.metrics_server.last_scrape()


def run_to_next_scrape(c):
    c.run(scrape(c) + METRIC_RESOLUTION_SECONDS - c.now())


@pytest.fixture
def cluster():
    c = MiniCluster(nodes=2, seed=5)
    c.apply(pod("web", labels={"app": "web", "tier": "front"}))
    c.apply(pod("job", image="busybox", command=["sleep", "3600"], labels={"app": "job"}))
    c.run(45)
    return c


def test_pod_metrics_object_has_metrics_servers_shape(cluster):
    """k8s.io/metrics v1beta1 PodMetrics: metadata (name, namespace, creationTimestamp = the
    request's time, the pod's labels), timestamp (the sample's), window, containers[].usage with
    cpu in nanocores and memory in bytes, as canonical quantities (pkg/storage/types.go)."""
    m = cluster.api.get(PODS, "web", "default")
    assert list(m) == ["kind", "apiVersion", "metadata", "timestamp", "window", "containers"]
    assert (m["kind"], m["apiVersion"]) == ("PodMetrics", "metrics.k8s.io/v1beta1")
    assert m["metadata"] == {"name": "web", "namespace": "default",
                             "creationTimestamp": rfc3339(cluster.now()),
                             "labels": {"app": "web", "tier": "front"}}
    assert m["timestamp"] == rfc3339(scrape(cluster)) and m["window"] == "15s"
    [c] = m["containers"]
    proc = cluster.kubelets[cluster.api.get("pods", "web")["spec"]["nodeName"]] \
        .workers["default/web"].regular_records[0].current.process
    t = scrape(cluster)
    assert c["name"] == "web"
    assert c["usage"]["cpu"] == f"{proc.cpu_millicores(t)}m"
    assert c["usage"]["memory"] == f"{proc.memory_bytes(t) // 1024}Ki"
    lst = cluster.api.list(PODS, "default")
    assert (lst["kind"], lst["metadata"]) == ("PodMetricsList", {})
    assert [i["metadata"]["name"] for i in lst["items"]] == ["job", "web"]


def test_node_metrics_are_the_pods_plus_the_systems_share(cluster):
    """NodeMetrics: usage from the kubelet's node sample, which includes every container."""
    from labkit.minicluster.kubelet.stats import SYSTEM_CPU_MILLICORES, SYSTEM_MEMORY_BYTES
    t = scrape(cluster)
    for node in ("node-1", "node-2"):
        m = cluster.api.get(NODES, node)
        assert list(m) == ["kind", "apiVersion", "metadata", "timestamp", "window", "usage"]
        assert "namespace" not in m["metadata"]
        assert m["metadata"]["labels"]["kubernetes.io/hostname"] == node
        cpu, mem = SYSTEM_CPU_MILLICORES, SYSTEM_MEMORY_BYTES
        for w in cluster.kubelets[node].workers.values():
            for r in w.all_records:
                if r.current is not None and r.current.running:
                    cpu += r.current.process.cpu_millicores(t)
                    mem += r.current.process.memory_bytes(t)
        assert m["usage"] == {"cpu": f"{cpu}m", "memory": f"{mem // 1024}Ki"}
    assert [n["metadata"]["name"] for n in cluster.api.list(NODES)["items"]] == ["node-1", "node-2"]


def test_a_container_needs_two_samples_the_first_may_be_its_start():
    """pkg/storage/pod.go: without two samples a pod is absent and get is NotFound for
    ``namespace/name``. A container started 10-15 s before a scrape has its start (CPU 0) as
    the first sample (freshContainerMinMetricsResolution): its window is shorter than 15 s.
    One started less than 10 s before waits for the next scrape."""
    c = MiniCluster(nodes=1, seed=2)
    run_to_next_scrape(c)
    t0 = scrape(c)
    c.apply(pod("early"))
    c.run(t0 + 6 - c.now())
    c.apply(pod("late"))
    c.run(t0 + 14 - c.now())
    early, late = started_at(c, "early"), started_at(c, "late")
    assert t0 < early < late and t0 + 15 - early >= 10 > t0 + 15 - late  # the set-up
    assert c.api.list(PODS, "default")["items"] == []
    with pytest.raises(errors.ApiError) as e:
        c.api.get(PODS, "early", "default")
    assert e.value.code == 404 and e.value.message == 'podmetrics.metrics.k8s.io "default/early" not found'
    run_to_next_scrape(c)
    [m] = c.api.list(PODS, "default")["items"]
    assert m["metadata"]["name"] == "early"
    assert m["window"] == f"{round(t0 + 15 - early, 3):g}s"
    run_to_next_scrape(c)
    assert [(m["metadata"]["name"], m["window"]) for m in c.api.list(PODS, "default")["items"]] == \
        [("early", "15s"), ("late", "15s")]


def test_nodes_appear_at_the_second_scrape_and_vanish_with_their_kubelet():
    c = MiniCluster(nodes=2, seed=1)
    assert c.api.list(NODES)["items"] == []
    run_to_next_scrape(c)
    assert len(c.api.list(NODES)["items"]) == 2
    c.fail_node("node-2")
    assert [n["metadata"]["name"] for n in c.api.list(NODES)["items"]] == ["node-1"]
    with pytest.raises(errors.ApiError) as e:
        c.api.get(NODES, "node-2")
    assert e.value.message == 'nodemetrics.metrics.k8s.io "node-2" not found'
    with pytest.raises(errors.ApiError) as e:
        c.api.get(NODES, "nope")
    assert e.value.message == 'nodes "nope" not found'


def test_answers_follow_a_15_second_grid(cluster):
    """Samples are the last scrape's: every request between two scrapes gets the same numbers
    and timestamp; the next scrape is 15 s later. Two clusters with the same seed agree."""
    t = scrape(cluster)
    assert (t - cluster.metrics_server.started) % METRIC_RESOLUTION_SECONDS == 0
    before = cluster.api.list(PODS)
    cluster.run(t + METRIC_RESOLUTION_SECONDS - 0.5 - cluster.now())
    during = cluster.api.list(PODS)
    strip = lambda lst: [{k: v for k, v in i.items() if k != "metadata"} for i in lst["items"]]  # noqa: E731
    assert strip(before) == strip(during)
    cluster.run(1)
    assert {i["timestamp"] for i in cluster.api.list(PODS)["items"]} == \
        {rfc3339(t + METRIC_RESOLUTION_SECONDS)}
    twin = MiniCluster(nodes=2, seed=5)
    twin.apply(pod("web", labels={"app": "web", "tier": "front"}))
    twin.apply(pod("job", image="busybox", command=["sleep", "3600"], labels={"app": "job"}))
    twin.run(cluster.now() - twin.now())
    assert twin.api.list(PODS) == cluster.api.list(PODS)


def test_hpa_example_under_load_reports_high_cpu():
    """The HorizontalPodAutoscaler walkthrough (docs tasks/run-application/
    horizontal-pod-autoscale-walkthrough): php-apache with a 500m CPU limit, a busybox
    load generator looping on wget. Each request burns CPU; the pod's CPU climbs to its limit."""
    c = MiniCluster(nodes=1, seed=3)
    c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "php-apache"}, "spec": {
        "selector": {"matchLabels": {"run": "php-apache"}}, "template": {
            "metadata": {"labels": {"run": "php-apache"}}, "spec": {"containers": [{
                "name": "php-apache", "image": "registry.k8s.io/hpa-example",
                "ports": [{"containerPort": 80}],
                "resources": {"limits": {"cpu": "500m"}, "requests": {"cpu": "200m"}}}]}}}})
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "php-apache"},
             "spec": {"ports": [{"port": 80}], "selector": {"run": "php-apache"}}})
    c.run(30)

    def cpu():
        [m] = c.api.list(PODS, "default", label_selector="run=php-apache")["items"]
        return int(m["containers"][0]["usage"]["cpu"].rstrip("m"))

    idle = cpu()
    c.apply(pod("load-generator", image="busybox:1.28", command=[
        "/bin/sh", "-c", "while sleep 0.01; do wget -q -O- http://php-apache; done"]))
    c.run(45)
    assert idle <= 5 and cpu() == 500
    node = c.api.get(NODES, "node-1")["usage"]["cpu"]
    assert int(node.rstrip("m")) > 500


def test_a_memory_leak_shows_in_the_working_set():
    """labkit/leaker grows 10 MiB a second from 5 MiB: the scrapes see it grow."""
    c = MiniCluster(nodes=1, seed=4)
    c.apply(pod("leak", image="labkit/leaker"))
    c.run(30)
    start = started_at(c, "leak")

    def memory():
        m = c.api.get(PODS, "leak", "default")
        return m["containers"][0]["usage"]["memory"], scrape(c)

    first, t1 = memory()
    run_to_next_scrape(c)
    second, t2 = memory()
    mib = 1024 * 1024
    # bytes, canonical BinarySI: "1234Ki" when a multiple of 1024, else the plain number
    assert first == canonical_quantity(int(5 * mib + 10 * mib * (t1 - start)), "BinarySI")
    assert second == canonical_quantity(int(5 * mib + 10 * mib * (t2 - start)), "BinarySI")
    grown = parse_quantity(second) - parse_quantity(first)
    assert abs(grown - 150 * mib) <= 1  # 15 s at 10 MiB/s


def test_label_and_field_selectors(cluster):
    """List takes label selectors (the pod lister's) and field selectors on metadata.name and
    metadata.namespace (filterPartialObjectMetadata); other fields are 400 as the apiserver's
    default field-label conversion says."""
    names = lambda **kw: [i["metadata"]["name"] for i in cluster.api.list(PODS, **kw)["items"]]  # noqa: E731
    assert names(namespace="default", label_selector="tier=front") == ["web"]
    assert names(namespace="default", label_selector="app in (job, web),tier!=front") == ["job"]
    assert names(field_selector="metadata.name=job") == ["job"]
    assert names(field_selector="metadata.namespace=kube-system") == []
    assert [i["metadata"]["name"] for i in cluster.api.list(
        NODES, label_selector="kubernetes.io/hostname=node-2")["items"]] == ["node-2"]
    with pytest.raises(errors.ApiError) as e:
        cluster.api.list(PODS, "default", field_selector="spec.nodeName=node-1")
    assert (e.value.code, e.value.message) == (400, "field label not supported: spec.nodeName")


def test_rbac_view_may_read_metrics_a_stranger_may_not(cluster):
    """manifests/base/rbac.yaml: system:aggregated-metrics-reader is aggregated into view, edit
    and admin; the request is authorized like any other (get/list on pods.metrics.k8s.io)."""
    jane = cluster.as_user("jane")
    with pytest.raises(errors.ApiError) as e:
        cluster.api.list(PODS, "default", user=jane)
    assert e.value.code == 403 and e.value.message == (
        'pods.metrics.k8s.io is forbidden: User "jane" cannot list resource "pods" in API group '
        '"metrics.k8s.io" in the namespace "default"')
    assert cluster.kubectl("top pods --as=jane").stderr == (
        'Error from server (Forbidden): pods.metrics.k8s.io is forbidden: User "jane" cannot list '
        'resource "pods" in API group "metrics.k8s.io" in the namespace "default"\n')
    cluster.api.create("rolebindings", {"apiVersion": "rbac.authorization.k8s.io/v1",
                                        "kind": "RoleBinding", "metadata": {"name": "jane-view"},
                                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                    "kind": "ClusterRole", "name": "view"},
                                        "subjects": [{"kind": "User", "name": "jane"}]}, "default")
    assert len(cluster.api.list(PODS, "default", user=jane)["items"]) == 2
    rule = {"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"],
            "verbs": ["get", "list", "watch"]}
    for role in ("view", "edit", "admin", "system:aggregated-metrics-reader"):
        assert rule in cluster.api.get("clusterroles", role)["rules"]


def test_only_get_and_list_are_served(cluster):
    """metrics-server's storages are Getter and Lister only: a watch reaches the list handler
    (MethodNotSupported), any other verb has no route (the generic 405)."""
    with pytest.raises(errors.ApiError) as e:
        cluster.api.watch(PODS, lambda *a: None, "default")
    assert (e.value.code, e.value.message) == (
        405, 'watch is not supported on resources of kind "pods.metrics.k8s.io"')
    with pytest.raises(errors.ApiError) as e:
        cluster.api.create(PODS, {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
                                  "metadata": {"name": "x"}}, "default")
    assert (e.value.code, e.value.reason, e.value.message) == (
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    with pytest.raises(errors.ApiError) as e:
        cluster.api.delete(NODES, "node-1")
    assert e.value.code == 405


def test_without_metrics_server_there_is_no_metrics_api():
    c = MiniCluster(nodes=1, seed=5, metrics_server=False)
    c.apply(pod("web"))
    c.run(60)
    assert c.metrics_server is None
    assert not [rt for rt in c.api.registry.all() if rt.group == "metrics.k8s.io"]
    with pytest.raises(errors.ApiError) as e:
        c.api.list(PODS, "default")
    assert e.value.message == 'the server doesn\'t have a resource type "pods.metrics.k8s.io"'
    r = c.kubectl("top pods")
    assert (r.stdout, r.stderr, r.returncode) == ("", "error: Metrics API not available\n", 1)
    assert c.kubectl("top nodes").stderr == "error: Metrics API not available\n"
    names = [r["metadata"]["name"] for r in c.api.list("clusterroles")["items"]]
    assert "system:aggregated-metrics-reader" not in names
    assert not [r for r in c.api.get("clusterroles", "view")["rules"]
                if "metrics.k8s.io" in r.get("apiGroups", ())]


def test_metrics_server_costs_nothing_while_nobody_asks():
    """Lazy: no timer, no request. Two clusters differing only by the add-on make the same
    number of API requests once bootstrapped."""
    counts = []
    for enabled in (True, False):
        c = MiniCluster(nodes=2, seed=9, metrics_server=enabled)
        before = c.api.requests
        c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {
            "replicas": 4, "selector": {"matchLabels": {"app": "web"}}, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})
        c.run(300)
        counts.append(c.api.requests - before)
    assert counts[0] == counts[1]


# -- labkit's kubectl top ------------------------------------------------------------------------

def test_kubectl_top_pods_prints_millicores_and_mebibytes(cluster):
    """metrics_printer.go: ``NAME  CPU(cores)  MEMORY(bytes)``, CPU as MilliValue + "m",
    memory as Value()/MiB + "Mi", padded by a tabwriter (minwidth 6, padding 3, trailing tab)."""
    rows = []
    for m in cluster.api.list(PODS, "default")["items"]:
        u = m["containers"][0]["usage"]
        mem = int(u["memory"][:-2]) * 1024 // (1024 * 1024)
        rows.append((m["metadata"]["name"], u["cpu"], f"{mem}Mi"))
    w = max(len(r[0]) for r in rows + [("NAME",)]) + 3
    expected = f"{'NAME':<{w}}CPU(cores)   MEMORY(bytes)   \n" + "".join(
        f"{n:<{w}}{c:<13}{m:<16}\n" for n, c, m in rows)
    r = cluster.kubectl("top pods")
    assert (r.stdout, r.stderr, r.returncode) == (expected, "", 0)
    assert cluster.kubectl("top po").stdout == expected
    assert cluster.kubectl("top pod web --containers").stdout.splitlines()[0].split() == \
        ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    lines = cluster.kubectl("top pods -A --sum --no-headers").stdout.splitlines()
    assert lines[-2].split() == ["________", "________"] and lines[0].startswith("default ")


def test_kubectl_top_nodes_shows_shares_of_allocatable(cluster):
    r = cluster.kubectl("top nodes")
    head, *rows = r.stdout.splitlines()
    assert head.split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    for row in rows:
        name, cpu, cpu_pct, mem, mem_pct = row.split()
        alloc = cluster.api.get("nodes", name)["status"]["allocatable"]
        from labkit.minicluster.quantity import parse_cpu, parse_memory
        assert cpu_pct == f"{int(int(cpu[:-1]) / parse_cpu(alloc['cpu']) * 100)}%"
        used = int(cluster.api.get(NODES, name)["usage"]["memory"][:-2]) * 1024
        assert mem == f"{used // 2**20}Mi"
        assert mem_pct == f"{int(used / parse_memory(alloc['memory']) * 100)}%"
    by_cpu = cluster.kubectl("top nodes --sort-by=cpu --no-headers").stdout.splitlines()
    cpus = [int(line.split()[1][:-1]) for line in by_cpu]
    assert cpus == sorted(cpus, reverse=True)


def test_kubectl_top_messages():
    """top_pod.go: a fresh pod gives ``metrics not available yet``; an empty namespace ``No
    resources found in NS namespace.`` (stderr, exit 0); a named pod that does not exist is
    the pod lister's NotFound; a pod older than 2 minutes without metrics names its age."""
    c = MiniCluster(nodes=1, seed=6)
    c.apply(pod("web"))
    r = c.kubectl("top pods")
    assert (r.stdout, r.stderr, r.returncode) == ("", "error: metrics not available yet\n", 1)
    assert c.kubectl("top pod web").stderr == \
        'Error from server (NotFound): podmetrics.metrics.k8s.io "default/web" not found\n'
    r = c.kubectl("top pods -n kube-public")
    assert (r.stdout, r.stderr, r.returncode) == ("", "No resources found in kube-public namespace.\n", 0)
    assert c.kubectl("top pod nope").stderr == 'Error from server (NotFound): pods "nope" not found\n'
    assert c.kubectl("top pod --sort-by=name").stderr == "error: --sort-by accepts only cpu or memory\n"
    c.apply(pod("stuck", image="no-such-image:1"))
    c.run(150)
    age = c.now() - parse_rfc3339(c.api.get("pods", "stuck")["metadata"]["creationTimestamp"])
    r = c.kubectl("top pods -l app=stuck")
    assert r.stderr == f"error: Metrics not available for pod default/stuck, age: 2m{age - 120:g}s\n"
    assert re.fullmatch(r"error: Metrics API not available\n",
                        MiniCluster(nodes=1, metrics_server=False).kubectl("top nodes").stderr)
