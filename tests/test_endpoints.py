"""Endpoints and EndpointSlices (controllers/endpoints.py, controllers/endpointslice.py).

Upstream references: pkg/controller/endpoint/endpoints_controller.go and its tests
(TestSyncEndpointsItemsPreserveNoSelector, TestSyncEndpointsProtocolTCP,
TestSyncEndpointsHeadlessService, TestPodToEndpointAddressForService,
TestSyncEndpointsItemsWithLabels, TestEndpointPortFromServicePort, publishNotReadyAddresses);
pkg/controller/endpointslice/reconciler and endpointslice_controller_test.go (placeholder
slice, managed-by and service-name labels, terminating endpoints, max 100 endpoints per slice);
pkg/controller/util/endpoint (ShouldPodBeInEndpoints, podEndpointsChanged).
"""
from netlife_harness import Harness, pod, service

from labkit.minicluster.objects import clone

CONTROLLERS = ["endpoints", "endpointslice", "garbagecollector"]


def slices(h, svc="web", ns="default"):
    return [s for s in h.list("endpointslices", ns)
            if s["metadata"]["labels"].get("kubernetes.io/service-name") == svc]


def cluster(**kw):
    h = Harness(nodes=2, controllers=CONTROLLERS, **kw)
    h.create(pod("web-a", {"app": "web"}, node="node-1"))
    h.create(pod("web-b", {"app": "web"}, node="node-2"))
    h.create(pod("web-unready", {"app": "web"}, node="node-2", ) | {
        "metadata": {"name": "web-unready", "labels": {"app": "web"}, "annotations": {"harness/ready": "false"}}})
    h.create(pod("other", {"app": "db"}, node="node-1"))
    h.create(service(selector={"app": "web"}, target_port="http", labels=None) | {
        "metadata": {"name": "web", "labels": {"tier": "front"}}})
    h.settle()
    return h


def test_endpoints_list_ready_and_not_ready_pods():
    h = cluster()
    ep = h.get("endpoints", "web")
    assert ep["metadata"]["labels"] == {"tier": "front", "endpoints.kubernetes.io/managed-by": "endpoint-controller"}
    assert "endpoints.kubernetes.io/last-change-trigger-time" in ep["metadata"]["annotations"]
    assert "ownerReferences" not in ep["metadata"]
    [subset] = ep["subsets"]
    pods = {p["metadata"]["name"]: p for p in h.list("pods")}
    assert [a["targetRef"]["name"] for a in subset["addresses"]] == \
        [n for n in sorted(("web-a", "web-b"), key=lambda n: pods[n]["status"]["podIP"])]
    assert [a["targetRef"]["name"] for a in subset["notReadyAddresses"]] == ["web-unready"]
    a = subset["addresses"][0]
    p = pods[a["targetRef"]["name"]]
    assert a == {"ip": p["status"]["podIP"], "nodeName": p["spec"]["nodeName"],
                 "targetRef": {"kind": "Pod", "namespace": "default", "name": p["metadata"]["name"],
                               "uid": p["metadata"]["uid"]}}
    assert subset["ports"] == [{"port": 80, "protocol": "TCP"}]  # named targetPort "http" resolved


def test_endpoint_slices_carry_conditions_and_labels():
    h = cluster()
    [slc] = slices(h)
    meta = slc["metadata"]
    assert meta["name"].startswith("web-") and meta["generateName"] == "web-"
    assert meta["labels"] == {"tier": "front", "kubernetes.io/service-name": "web",
                              "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    svc = h.get("services", "web")
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                        "uid": svc["metadata"]["uid"], "controller": True,
                                        "blockOwnerDeletion": True}]
    assert slc["addressType"] == "IPv4" and slc["ports"] == [{"name": "", "port": 80, "protocol": "TCP"}]
    by_pod = {e["targetRef"]["name"]: e for e in slc["endpoints"]}
    assert set(by_pod) == {"web-a", "web-b", "web-unready"}
    assert by_pod["web-a"]["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert by_pod["web-unready"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert by_pod["web-b"]["nodeName"] == "node-2"


def test_pod_becoming_ready_moves_to_addresses():
    h = cluster()
    h.set_ready("web-unready", True)
    subset = h.get("endpoints", "web")["subsets"][0]
    assert "notReadyAddresses" not in subset and len(subset["addresses"]) == 3


def test_terminating_pod_leaves_endpoints_but_stays_in_slices_as_terminating():
    h = cluster(delete_delay=30)
    h.delete("pods", "web-a")
    ep = h.get("endpoints", "web")
    assert "web-a" not in [a["targetRef"]["name"] for a in ep["subsets"][0]["addresses"]]
    eps = {e["targetRef"]["name"]: e for e in slices(h)[0]["endpoints"]}
    assert eps["web-a"]["conditions"] == {"ready": False, "serving": True, "terminating": True}
    h.run(31)
    assert "web-a" not in {e["targetRef"]["name"] for e in slices(h)[0]["endpoints"]}


def test_publish_not_ready_addresses():
    h = cluster()
    svc = clone(h.get("services", "web"))
    svc["spec"]["publishNotReadyAddresses"] = True
    h.api.update("services", svc)
    h.loop.run_pending()
    subset = h.get("endpoints", "web")["subsets"][0]
    assert len(subset["addresses"]) == 3 and "notReadyAddresses" not in subset
    assert all(e["conditions"]["ready"] for e in slices(h)[0]["endpoints"])


def test_service_without_selector_is_left_alone():
    """TestSyncEndpointsItemsPreserveNoSelector: hand-written Endpoints are not touched."""
    h = Harness(nodes=0, controllers=CONTROLLERS, scheduler=False)
    h.create(service("external"))
    h.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "external"},
              "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 80}]}]})
    h.settle()
    assert h.get("endpoints", "external")["subsets"][0]["addresses"] == [{"ip": "192.0.2.10"}]
    assert slices(h, "external") == []


def test_empty_service_gets_a_placeholder_slice_and_empty_endpoints():
    h = Harness(nodes=0, controllers=CONTROLLERS, scheduler=False)
    h.create(service("lonely", selector={"app": "nothing"}))
    h.settle()
    assert "subsets" not in h.get("endpoints", "lonely")
    [slc] = slices(h, "lonely")
    assert slc["endpoints"] is None and "ports" not in slc


def test_headless_service_and_hostnames():
    """Pods with hostname + subdomain = the Service name (StatefulSet pods) get ``hostname``."""
    h = Harness(nodes=1, controllers=CONTROLLERS)
    h.create(service("nginx", selector={"app": "nginx"}, clusterIP="None"))
    h.create(pod("web-0", {"app": "nginx"}, node="node-1", hostname="web-0", subdomain="nginx"))
    h.settle()
    ep = h.get("endpoints", "nginx")
    assert ep["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
    assert ep["subsets"][0]["addresses"][0]["hostname"] == "web-0"
    [slc] = slices(h, "nginx")
    assert slc["endpoints"][0]["hostname"] == "web-0"
    assert slc["metadata"]["labels"]["service.kubernetes.io/headless"] == ""


def test_deleting_the_service_removes_endpoints_and_slices():
    h = cluster()
    h.delete("services", "web")
    h.settle()
    assert not h.exists("endpoints", "web")
    assert slices(h) == []


def test_more_than_100_endpoints_are_split_into_slices():
    h = Harness(nodes=2, controllers=CONTROLLERS)
    for i in range(130):
        h.create(pod(f"p{i:03d}", {"app": "many"}, node=f"node-{1 + i % 2}"))
    h.create(service("many", selector={"app": "many"}))
    h.settle()
    sizes = sorted(len(s["endpoints"]) for s in slices(h, "many"))
    assert sizes == [30, 100]
    assert len(h.get("endpoints", "many")["subsets"][0]["addresses"]) == 130
