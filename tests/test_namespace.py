"""Namespace deletion, the default ServiceAccount and the root CA ConfigMap
(controllers/namespace.py, controllers/serviceaccount.py).

Upstream references: pkg/controller/namespace/deletion/namespaced_resources_deleter.go and
status_condition_utils.go (conditions and messages), namespace_controller.go (5 s delay,
estimate/2+1 requeue), KEP-5080 OrderedNamespaceDeletion (pods first, beta and on in v1.33),
test/e2e/apimachinery/namespace.go ("should ensure that all pods are removed when a namespace
is deleted", "...services are removed..."), pkg/controller/serviceaccount and
pkg/controller/certificates/rootcacertpublisher.
"""
from cryptography import x509
from cryptography.x509.oid import NameOID
from netlife_harness import Harness, deployment, namespace, service

from labkit.minicluster.controllers.serviceaccount import CLUSTER_CA_PEM, DESCRIPTION
from labkit.minicluster.objects import clone

NS_CONTROLLERS = ["namespace", "serviceaccount", "garbagecollector", "deployment", "replicaset",
                  "endpoints", "endpointslice"]


def conditions(ns):
    return {c["type"]: c for c in ns["status"].get("conditions") or ()}


def test_deleting_a_namespace_deletes_its_content_then_itself():
    h = Harness(nodes=2, controllers=NS_CONTROLLERS)
    h.create(namespace("dev"))
    h.create(deployment(replicas=2), "dev")
    h.create(service(selector={"app": "web"}), "dev")
    h.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}}, "dev")
    h.settle()
    assert len(h.list("pods", "dev")) == 2
    h.delete("namespaces", "dev", namespace=None)
    ns = h.get("namespaces", "dev", None)
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]
    h.settle()
    assert not h.exists("namespaces", "dev", None)
    for kind in ("pods", "deployments", "replicasets", "services", "endpoints", "endpointslices",
                 "configmaps", "serviceaccounts"):
        assert h.list(kind, "dev") == [], kind


def test_pods_are_deleted_before_other_content():
    """OrderedNamespaceDeletion: while pods are terminating, the rest of the namespace stays."""
    h = Harness(nodes=1, controllers=NS_CONTROLLERS, delete_delay=20)
    h.create(namespace("dev"))
    h.create(deployment(replicas=1), "dev")
    h.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {}}, "dev")
    h.settle()
    h.delete("namespaces", "dev", namespace=None)
    h.run(4)
    assert h.list("pods", "dev")[0]["metadata"].get("deletionTimestamp") is None  # 5 s grace first
    h.run(2)
    pod = h.list("pods", "dev")[0]
    assert pod["metadata"]["deletionTimestamp"]
    assert h.exists("configmaps", "cfg", "dev") and h.exists("deployments", "web", "dev")
    remaining = conditions(h.get("namespaces", "dev", None))["NamespaceContentRemaining"]
    assert remaining["status"] == "True"
    assert remaining["message"] == "Some resources are remaining: pods. has 1 resource instances"
    h.settle()
    assert not h.exists("namespaces", "dev", None)


def test_finalizer_on_content_keeps_the_namespace_terminating():
    """The classic "namespace stuck in Terminating": a finalizer nobody removes."""
    h = Harness(nodes=0, controllers=NS_CONTROLLERS, scheduler=False)
    h.create(namespace("dev"))
    h.create({"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}, "dev")
    h.delete("namespaces", "dev", namespace=None)
    h.run(60)
    ns = h.get("namespaces", "dev", None)
    conds = conditions(ns)
    assert ns["status"]["phase"] == "Terminating"
    assert list(conds) == ["NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
                           "NamespaceDeletionContentFailure", "NamespaceContentRemaining",
                           "NamespaceFinalizersRemaining"]
    assert conds["NamespaceDeletionDiscoveryFailure"]["status"] == "False"
    assert conds["NamespaceDeletionDiscoveryFailure"]["reason"] == "ResourcesDiscovered"
    assert conds["NamespaceDeletionContentFailure"]["message"] == \
        "All content successfully deleted, may be waiting on finalization"
    assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
    assert conds["NamespaceContentRemaining"]["message"] == \
        "Some resources are remaining: configmaps. has 1 resource instances"
    assert conds["NamespaceFinalizersRemaining"]["reason"] == "SomeFinalizersRemain"
    assert conds["NamespaceFinalizersRemaining"]["message"] == \
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    held = clone(h.get("configmaps", "held", "dev"))
    held["metadata"]["finalizers"] = []
    h.api.update("configmaps", held, "dev")
    h.run(20)
    assert not h.exists("namespaces", "dev", None)


def test_every_namespace_gets_a_default_service_account_and_the_root_ca():
    h = Harness(nodes=0, controllers=["serviceaccount"], scheduler=False)
    h.create(namespace("team-a"))
    h.settle()
    assert [sa["metadata"]["name"] for sa in h.list("serviceaccounts", "team-a")] == ["default"]
    cm = h.get("configmaps", "kube-root-ca.crt", "team-a")
    assert cm["metadata"]["annotations"] == {"kubernetes.io/description": DESCRIPTION}
    assert cm["data"]["ca.crt"] == CLUSTER_CA_PEM
    cert = x509.load_pem_x509_certificate(cm["data"]["ca.crt"].encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kubernetes"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert h.exists("serviceaccounts", "default", ns) and h.exists("configmaps", "kube-root-ca.crt", ns)


def test_default_service_account_and_root_ca_are_restored():
    h = Harness(nodes=0, controllers=["serviceaccount"], scheduler=False)
    h.settle()
    old_uid = h.get("serviceaccounts", "default")["metadata"]["uid"]
    h.delete("serviceaccounts", "default")
    h.settle()
    assert h.get("serviceaccounts", "default")["metadata"]["uid"] != old_uid
    cm = clone(h.get("configmaps", "kube-root-ca.crt"))
    cm["data"]["ca.crt"] = "tampered"
    h.api.update("configmaps", cm)
    h.settle()
    assert h.get("configmaps", "kube-root-ca.crt")["data"]["ca.crt"] == CLUSTER_CA_PEM
    h.delete("configmaps", "kube-root-ca.crt")
    h.settle()
    assert h.exists("configmaps", "kube-root-ca.crt")


def _bare_api():
    import random

    from labkit.minicluster.apiserver import APIServer
    from labkit.minicluster.clock import Clock
    from labkit.minicluster.store import Store
    return APIServer(Store(), Clock(), random.Random(0))


def test_spec_finalizers_change_only_through_finalize():
    """pkg/registry/core/namespace/strategy.go (v1.37): PrepareForCreate appends ``kubernetes``
    to the listed finalizers; PrepareForUpdate keeps the old spec.finalizers (and status) on a
    plain update or patch; the finalize strategy may change them but keeps the status."""
    api = _bare_api()
    ns = api.create("namespaces", {"metadata": {"name": "a"},
                                   "spec": {"finalizers": ["example.com/x"]}})
    assert ns["spec"]["finalizers"] == ["example.com/x", "kubernetes"]
    ns["spec"]["finalizers"] = []
    ns["metadata"]["labels"]["team"] = "blue"
    ns["status"] = {"phase": "Terminating"}
    got = api.update("namespaces", ns)
    assert got["spec"]["finalizers"] == ["example.com/x", "kubernetes"]
    assert got["status"] == {"phase": "Active"} and got["metadata"]["labels"]["team"] == "blue"
    got = api.patch("namespaces", "a", [{"op": "remove", "path": "/spec/finalizers"}],
                    patch_type="json")
    assert got["spec"]["finalizers"] == ["example.com/x", "kubernetes"]
    got["spec"]["finalizers"] = ["example.com/x"]
    got["status"] = {"phase": "Terminating"}
    fin = api.update("namespaces", got, subresource="finalize")
    assert fin["spec"]["finalizers"] == ["example.com/x"] and fin["status"] == {"phase": "Active"}


def test_namespace_with_foreign_spec_finalizer_stays_terminating():
    """A spec finalizer other than ``kubernetes`` keeps the emptied namespace Terminating
    until someone calls /finalize (registry/core/namespace/storage: deleted only when
    spec.finalizers is empty)."""
    h = Harness(controllers=NS_CONTROLLERS)
    h.api.create("namespaces", {"metadata": {"name": "held"},
                                "spec": {"finalizers": ["example.com/x"]}})
    h.settle()
    h.api.delete("namespaces", "held")
    h.settle()
    ns = h.api.get("namespaces", "held")
    assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["example.com/x"]
    ns["spec"]["finalizers"] = []
    h.api.update("namespaces", ns, subresource="finalize")
    assert "held" not in {n["metadata"]["name"] for n in h.api.list("namespaces")["items"]}
