"""DNS and kube-proxy routing (network/dns.py, network/proxy.py, network/traffic.py).

Upstream references: the Kubernetes DNS specification (kubernetes/dns docs/specification.md:
``<svc>.<ns>.svc.<zone>``, headless A records, ``<hostname>.<svc>.<ns>.svc``, ExternalName
CNAME, pod A records ``a-b-c-d.<ns>.pod``), resolv.conf ``search <ns>.svc.cluster.local
svc.cluster.local cluster.local`` / ``ndots:5`` (pkg/kubelet/network/dns); kube-proxy iptables
mode (pkg/proxy/iptables/proxier.go: random endpoint via ``statistic --mode random``,
sessionAffinity ClientIP with ``recent``, REJECT for services without endpoints,
internalTrafficPolicy/externalTrafficPolicy Local, terminating endpoints fallback) and
pkg/proxy/topology.go (CategorizeEndpoints).
"""
from collections import Counter

from netlife_harness import Harness, pod, service


def web_cluster(replicas=3, **svc_spec):
    h = Harness(nodes=3, controllers=["endpointslice", "endpoints"])
    for i in range(replicas):
        h.create(pod(f"web-{i}", {"app": "web"}, node=f"node-{1 + i % 3}"))
    h.create(pod("client", {"app": "client"}, node="node-1"))
    h.create(service(selector={"app": "web"}, **svc_spec))
    h.settle()
    return h


def test_service_names_resolve_with_the_search_path():
    h = web_cluster()
    ip = h.get("services", "web")["spec"]["clusterIP"]
    for name in ("web", "web.default", "web.default.svc", "web.default.svc.cluster.local",
                 "web.default.svc.cluster.local."):
        assert h.network.resolve(name, "default") == [ip], name
    assert h.network.resolve("web", "kube-system") == []  # other namespace: NXDOMAIN
    assert h.network.resolve("web.default", "kube-system") == [ip]
    assert h.network.resolve("kubernetes.default") == ["10.96.0.1"]


def test_headless_service_and_statefulset_pod_names():
    h = Harness(nodes=2, controllers=["endpointslice"])
    h.create(service("nginx", selector={"app": "nginx"}, clusterIP="None"))
    for i in range(2):
        h.create(pod(f"web-{i}", {"app": "nginx"}, node=f"node-{i + 1}", hostname=f"web-{i}", subdomain="nginx"))
    h.settle()
    ips = [h.get("pods", f"web-{i}")["status"]["podIP"] for i in range(2)]
    assert h.network.resolve("nginx") == sorted(ips)
    assert h.network.resolve("web-0.nginx.default.svc.cluster.local") == [ips[0]]
    assert h.network.resolve("web-1.nginx") == [ips[1]]
    dashed = ips[0].replace(".", "-")
    assert h.network.resolve(f"{dashed}.default.pod.cluster.local") == [ips[0]]


def test_external_name_is_a_cname():
    h = Harness(nodes=1, controllers=["endpointslice"])
    h.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "search"},
              "spec": {"type": "ExternalName", "externalName": "example.com"}})
    answer = h.network.dns.lookup("search", "default")
    assert answer.cname == "example.com" and answer.name == "search.default.svc.cluster.local"
    h.create(pod("client", node="node-1"))
    h.settle()
    status, body, who = h.network.request("default/client", "http://search/")
    assert status == 200 and "Example Domain" in body and who is None


def test_traffic_is_spread_uniformly_over_ready_endpoints():
    h = web_cluster()
    hits = Counter(h.network.request("default/client", "http://web/").pod for _ in range(600))
    assert set(hits) == {"web-0", "web-1", "web-2"}
    assert all(150 <= n <= 250 for n in hits.values()), hits  # ~200 each


def test_same_seed_same_choices():
    runs = []
    for _ in range(2):
        h = web_cluster()
        runs.append([h.network.request("default/client", "http://web/").pod for _ in range(20)])
    assert runs[0] == runs[1]


def test_session_affinity_client_ip_pins_the_endpoint():
    h = web_cluster(sessionAffinity="ClientIP")
    assert len({h.network.request("default/client", "http://web/").pod for _ in range(30)}) == 1
    assert h.get("services", "web")["spec"]["sessionAffinity"] == "ClientIP"


def test_unready_pods_get_no_traffic():
    h = web_cluster()
    h.set_ready("web-0", False)
    assert {h.network.request("default/client", "http://web/").pod for _ in range(60)} == {"web-1", "web-2"}


def test_service_without_endpoints_refuses_connections():
    h = web_cluster()
    h.create(service("nobody", selector={"app": "nobody"}))
    h.settle()
    result = h.network.request("default/client", "http://nobody/")
    assert result.status == 0 and result.pod is None
    assert result.body == "curl: (7) Failed to connect to nobody port 80 after 0 ms: Couldn't connect to server"
    assert h.network.request("default/client", "http://nothing-here/").body == \
        "curl: (6) Could not resolve host: nothing-here"


def test_target_port_and_direct_pod_ip():
    h = Harness(nodes=1, controllers=["endpointslice"])
    h.create(pod("api", {"app": "api"}, node="node-1", port=8080))
    h.create(pod("client", node="node-1"))
    h.create(service("api", selector={"app": "api"}, port=80, target_port="http"))
    h.settle()
    assert h.network.request("default/client", "http://api/").pod == "api"
    ip = h.get("pods", "api")["status"]["podIP"]
    assert h.network.request("default/client", f"http://{ip}:8080/").pod == "api"
    assert h.network.request("default/client", f"http://{ip}:80/").status == 0  # nothing listens


def test_internal_traffic_policy_local():
    h = web_cluster(internalTrafficPolicy="Local")
    assert {h.network.request("default/client", "http://web/").pod for _ in range(30)} == {"web-0"}


def test_node_port_from_outside_and_cluster_ip_unreachable_from_outside():
    h = web_cluster(type="NodePort")
    spec = h.get("services", "web")["spec"]
    node_ip = h.network.node_ip("node-2")
    result = h.network.request(None, f"http://{node_ip}:{spec['ports'][0]['nodePort']}/")
    assert result.status == 200 and result.pod.startswith("web-")
    assert h.network.request(None, f"http://{spec['clusterIP']}/").body.startswith("curl: (28)")
    assert h.network.request(None, "http://web/").body == "curl: (6) Could not resolve host: web"


def test_external_traffic_policy_local_only_uses_the_receiving_node():
    h = web_cluster(type="NodePort", externalTrafficPolicy="Local")
    port = h.get("services", "web")["spec"]["ports"][0]["nodePort"]
    assert {h.network.request(None, f"http://{h.network.node_ip('node-2')}:{port}/").pod
            for _ in range(20)} == {"web-1"}


def test_dead_node_pods_time_out():
    h = web_cluster()
    h.kubelets["node-2"].stop()
    ip = h.get("pods", "web-1")["status"]["podIP"]
    assert h.network.request("default/client", f"http://{ip}/").body.startswith("curl: (28)")


def test_pod_network_object_for_container_programs():
    """The ``net`` the kubelet hands to a pod's processes (images/network.py protocol)."""
    h = web_cluster()
    net = h.network.pod_network("default", "client")
    svc_ip = h.get("services", "web")["spec"]["clusterIP"]
    assert net.resolve("web", 0) == svc_ip
    status, body = net.request("web", 80, "/", h.clock.now())
    assert status == 200 and body.startswith("web-")
    assert net.open_tcp("web", 80, h.clock.now()).pod_name.startswith("web-")
    assert net.resolve("no-such-name", 0) is None


def test_end_to_end_in_a_mini_cluster_with_the_documentation_example():
    """run-my-nginx.yaml + nginx-svc.yaml (docs "Connecting Applications with Services"): a pod
    reaches both nginx replicas through the Service's name; the real kubelet answers with the
    simulated nginx image."""
    import pathlib

    import yaml

    from labkit.minicluster.cluster import MiniCluster
    examples = pathlib.Path("/work/shared/k8s-examples/service/networking")
    c = MiniCluster(nodes=3, seed=1)
    for name in ("run-my-nginx.yaml", "nginx-svc.yaml"):
        c.apply(yaml.safe_load((examples / name).read_text()))
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
             "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}})
    c.settle()
    c.run(30)
    nginx = {p["metadata"]["name"] for p in c.api.list("pods", "default", label_selector="run=my-nginx")["items"]}
    answers = [c.network.request("default/client", "http://my-nginx/") for _ in range(40)]
    assert {a.pod for a in answers} == nginx
    assert all(a.status == 200 and "Welcome to nginx!" in a.body for a in answers)
