"""Service addresses and IPAM (network/services.py, network/ipam.py, controllers/nodeipam.py),
through the API server's Service allocation step (admission/services.py), which asks the network.

Upstream references: pkg/registry/core/service/storage/alloc.go (allocation, patchAllocatedValues)
and ipallocator/portallocator (message "provided IP is already allocated"), KEP-3070 bands,
the apiserver's kubernetes Service (10.96.0.1) and kubeadm's kube-dns Service (10.96.0.10);
pkg/controller/nodeipam (range allocator, /24 per node from --cluster-cidr), CNI host-local IPAM.
"""
import ipaddress

import pytest
from netlife_harness import Harness, pod, service

from labkit.minicluster.errors import ApiError
from labkit.minicluster.network.ipam import HostLocalIPAM, NodeCIDRAllocator


def plain():
    return Harness(nodes=2, controllers=["endpointslice", "nodeipam"])


def test_builtin_services():
    h = plain()
    k = h.get("services", "kubernetes")
    assert k["spec"]["clusterIP"] == "10.96.0.1" and k["spec"]["ports"][0]["port"] == 443
    assert k["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    dns = h.get("services", "kube-dns", "kube-system")
    assert dns["spec"]["clusterIP"] == "10.96.0.10"
    assert [(p["name"], p["port"], p["protocol"]) for p in dns["spec"]["ports"]] == \
        [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    assert h.get("endpoints", "kubernetes")["subsets"][0]["ports"][0]["port"] == 6443


def test_kubernetes_service_is_recreated():
    h = plain()
    h.delete("services", "kubernetes")
    h.settle()
    assert h.get("services", "kubernetes")["spec"]["clusterIP"] == "10.96.0.1"


def test_cluster_ip_is_allocated_in_the_dynamic_band_deterministically():
    ips = []
    for _ in range(2):
        h = plain()
        h.create(service("a", selector={"app": "a"}))
        h.create(service("b", selector={"app": "b"}))
        ips.append([h.get("services", n)["spec"]["clusterIP"] for n in ("a", "b")])
    assert ips[0] == ips[1]
    for ip in ips[0]:
        addr = ipaddress.IPv4Address(ip)
        assert addr in ipaddress.IPv4Network("10.96.0.0/12")
        assert int(addr) - int(ipaddress.IPv4Address("10.96.0.0")) > 256  # not the static band
    spec = h.get("services", "a")["spec"]
    assert spec["clusterIPs"] == [spec["clusterIP"]] and spec["ipFamilies"] == ["IPv4"]
    assert spec["ipFamilyPolicy"] == "SingleStack" and spec["internalTrafficPolicy"] == "Cluster"


@pytest.mark.parametrize("ip, message", [
    ("10.96.0.10", 'Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: '
                   "failed to allocate IP 10.96.0.10: provided IP is already allocated"),
    ("10.0.0.1", 'Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: failed to '
                 "allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of "
                 "valid IPs is 10.96.0.0/12"),
])
def test_requested_cluster_ip_errors(ip, message):
    h = plain()
    with pytest.raises(ApiError) as e:
        h.create(service("x", selector={"a": "b"}, clusterIP=ip))
    assert e.value.code == 422 and e.value.message == message
    assert not h.exists("services", "x")


def test_requested_free_cluster_ip_and_immutability():
    h = plain()
    h.create(service("x", selector={"a": "b"}, clusterIP="10.96.0.50"))
    svc = h.get("services", "x")
    assert svc["spec"]["clusterIP"] == "10.96.0.50"
    svc["spec"].pop("clusterIP")
    svc["spec"].pop("clusterIPs")
    assert h.api.update("services", svc)["spec"]["clusterIP"] == "10.96.0.50"  # kept
    svc = h.get("services", "x")
    svc["spec"]["clusterIP"] = "10.96.0.51"
    svc["spec"]["clusterIPs"] = ["10.96.0.51"]
    with pytest.raises(ApiError) as e:
        h.api.update("services", svc)
    assert e.value.message == ('Service "x" is invalid: spec.clusterIPs[0]: Invalid value: '
                               '[]string{"10.96.0.51"}: may not change once set')


def test_headless_and_external_name():
    h = plain()
    h.create(service("headless", selector={"a": "b"}, clusterIP="None"))
    assert h.get("services", "headless")["spec"]["clusterIPs"] == ["None"]
    h.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
              "spec": {"type": "ExternalName", "externalName": "db.example.com"}})
    spec = h.get("services", "ext")["spec"]
    assert "clusterIP" not in spec and spec["externalName"] == "db.example.com"


def test_node_ports_come_from_the_dynamic_band():
    h = plain()
    h.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "np"},
              "spec": {"type": "NodePort", "selector": {"a": "b"},
                       "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]}})
    ports = [p["nodePort"] for p in h.get("services", "np")["spec"]["ports"]]
    assert len(set(ports)) == 2 and all(30128 <= p <= 32767 for p in ports)
    h.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "fixed"},
              "spec": {"type": "NodePort", "selector": {"a": "b"}, "ports": [{"port": 80, "nodePort": 30080}]}})
    assert h.get("services", "fixed")["spec"]["ports"][0]["nodePort"] == 30080


def test_load_balancer_pending_until_a_cloud_exists():
    h = plain()
    h.create(service("lb", selector={"a": "b"}, type="LoadBalancer"))
    h.settle()
    svc = h.get("services", "lb")
    assert svc["status"] == {"loadBalancer": {}}  # kubectl: EXTERNAL-IP <pending>
    assert svc["spec"]["allocateLoadBalancerNodePorts"] is True and svc["spec"]["ports"][0]["nodePort"]
    h.network.enable_load_balancer()
    h.settle()
    assert h.get("services", "lb")["status"] == {"loadBalancer": {"ingress": [{"ip": "172.18.255.200",
                                                                                "ipMode": "VIP"}]}}
    assert [e["reason"] for e in h.events(name="lb")] == ["EnsuringLoadBalancer", "EnsuredLoadBalancer"]


def test_node_cidrs_and_pod_ips():
    h = plain()
    h.settle()
    nodes = {n["metadata"]["name"]: n["spec"] for n in h.list("nodes", None)}
    assert nodes["node-1"]["podCIDR"] == "10.244.1.0/24" and nodes["node-1"]["podCIDRs"] == ["10.244.1.0/24"]
    assert nodes["node-2"]["podCIDR"] == "10.244.2.0/24"
    h.create(pod("a", node="node-1"))
    h.create(pod("b", node="node-1"))
    h.create(pod("c", node="node-2"))
    h.settle()
    assert [h.get("pods", n)["status"]["podIP"] for n in "abc"] == ["10.244.1.2", "10.244.1.3", "10.244.2.2"]
    assert h.network.node_ip("node-1") == "172.18.0.3" and h.network.node_ip("node-2") == "172.18.0.4"


def test_host_local_ipam_round_robin():
    ipam = HostLocalIPAM("10.244.1.0/29")  # .2 .. .6
    got = [ipam.allocate() for _ in range(3)]
    assert got == ["10.244.1.2", "10.244.1.3", "10.244.1.4"]
    ipam.release("10.244.1.2")
    assert ipam.allocate() == "10.244.1.5"  # not the freed one: host-local continues
    assert ipam.allocate() == "10.244.1.6"
    assert ipam.allocate() == "10.244.1.2"  # wraps around
    assert ipam.allocate() is None


def test_node_cidr_allocator_reuses_freed_ranges():
    alloc = NodeCIDRAllocator()
    assert [alloc.allocate(f"n{i}") for i in range(3)] == ["10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"]
    alloc.release("n1")
    assert alloc.allocate("n9") == "10.244.2.0/24"


def node_port_service(name, *ports, **spec):
    """A NodePort Service; ``ports``: (port, nodePort or None)."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": "NodePort", "selector": {"a": "b"}, **spec, "ports": [
                {"name": f"p{port}", "port": port, **({"nodePort": np} if np else {})}
                for port, np in ports]}}


@pytest.mark.parametrize("requested, message", [
    (80, 'Service "np" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is '
         "not in the valid range. The range of valid ports is 30000-32767"),
    (32768, 'Service "np" is invalid: spec.ports[0].nodePort: Invalid value: 32768: provided '
            "port is not in the valid range. The range of valid ports is 30000-32767"),
    (30080, 'Service "np" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided '
            "port is already allocated"),
])
def test_requested_node_port_errors(requested, message):
    """service/storage/alloc.go initNodePorts + portallocator (ErrNotInRange, ErrAllocated):
    a requested nodePort is reserved or refused with 422; nothing is stored."""
    h = plain()
    h.create(node_port_service("taken", (80, 30080)))
    with pytest.raises(ApiError) as e:
        h.create(node_port_service("np", (80, requested)))
    assert e.value.code == 422 and e.value.message == message
    assert e.value.status["details"]["causes"][0]["field"] == "spec.ports[0].nodePort"
    assert not h.exists("services", "np")


def test_node_ports_deterministic_released_on_delete_and_kept_on_update():
    """Automatic node ports come from the seeded allocator (same seed, same ports); a deleted
    Service's ports are free again; an update that leaves nodePort out keeps it
    (patchAllocatedValues); two ports with the same number (TCP+UDP) share one node port."""
    runs = []
    for _ in range(2):
        h = plain()
        h.create(node_port_service("a", (80, None), (443, None)))
        runs.append([p["nodePort"] for p in h.get("services", "a")["spec"]["ports"]])
    assert runs[0] == runs[1] and len(set(runs[0])) == 2
    first = runs[0][0]
    with pytest.raises(ApiError):
        h.create(node_port_service("b", (80, first)))
    h.delete("services", "a")
    h.create(node_port_service("b", (80, first)))
    svc = h.get("services", "b")
    del svc["spec"]["ports"][0]["nodePort"]
    assert h.api.update("services", svc)["spec"]["ports"][0]["nodePort"] == first
    dns = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dns"},
           "spec": {"type": "NodePort", "selector": {"a": "b"}, "ports": [
               {"name": "udp", "port": 53, "protocol": "UDP"},
               {"name": "tcp", "port": 53, "protocol": "TCP"}]}}
    ports = h.create(dns)["spec"]["ports"]
    assert ports[0]["nodePort"] == ports[1]["nodePort"]


def test_changing_type_to_cluster_ip_drops_node_ports():
    """service/strategy.go dropTypeDependentFields: node ports the client did not touch are
    cleared when the type no longer needs them (kubectl edit type: ClusterIP works)."""
    h = plain()
    h.create(node_port_service("a", (80, None)))
    svc = h.get("services", "a")
    svc["spec"]["type"] = "ClusterIP"
    svc["spec"].pop("externalTrafficPolicy", None)
    got = h.api.update("services", svc)
    assert "nodePort" not in got["spec"]["ports"][0]


def test_health_check_node_port_for_local_load_balancers():
    """alloc.go allocHealthCheckNodePort: type LoadBalancer with externalTrafficPolicy Local
    gets spec.healthCheckNodePort (distinct from its node ports); switching to Cluster drops
    it; validation forbids it elsewhere."""
    h = plain()
    svc = h.create(service("lb", selector={"a": "b"}, type="LoadBalancer",
                           externalTrafficPolicy="Local"))
    hc = svc["spec"]["healthCheckNodePort"]
    assert 30000 <= hc <= 32767 and hc != svc["spec"]["ports"][0]["nodePort"]
    assert "healthCheckNodePort" not in h.create(service(
        "cluster-lb", selector={"a": "b"}, type="LoadBalancer"))["spec"]
    with pytest.raises(ApiError) as e:
        h.create(node_port_service("np", (80, None), healthCheckNodePort=31000))
    assert e.value.message == (
        'Service "np" is invalid: spec.healthCheckNodePort: Invalid value: 31000: may only be '
        "set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'")
    svc["spec"]["externalTrafficPolicy"] = "Cluster"
    assert "healthCheckNodePort" not in h.api.update("services", svc)["spec"]
    with pytest.raises(ApiError) as e:
        h.create(service("lb2", selector={"a": "b"}, type="LoadBalancer",
                         externalTrafficPolicy="Local", healthCheckNodePort=80))
    assert e.value.code == 500 and e.value.message == (
        "Internal error occurred: failed to allocate requested HealthCheck NodePort 80: "
        "provided port is not in the valid range. The range of valid ports is 30000-32767")
