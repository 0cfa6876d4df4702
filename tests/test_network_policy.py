"""NetworkPolicy enforcement (network/policy.py) on the documentation's examples
(/work/shared/k8s-examples/service/networking/*.yaml, from kubernetes/website
content/en/examples/service/networking).

Semantics from the networking.k8s.io/v1 API reference and docs/concepts/services-networking/
network-policies.md: isolation only for selected pods, additive rules, peers (podSelector in
the policy's namespace, namespaceSelector, both ANDed in one element, ipBlock with except),
named ports and endPort, default policyTypes, traffic from the pod's node always allowed,
both egress and ingress must allow; the kubernetes.io/metadata.name namespace label.
"""
import pathlib

import yaml
from netlife_harness import Harness, namespace, pod, service

EXAMPLES = pathlib.Path("/work/shared/k8s-examples/service/networking")


def example(name):
    return yaml.safe_load((EXAMPLES / name).read_text())


def matrix_cluster():
    h = Harness(nodes=2, controllers=["endpointslice"])
    h.create(namespace("myproject", {"project": "myproject"}))
    h.create(namespace("elsewhere"))
    h.create(pod("db", {"role": "db"}, node="node-1", port=6379))
    h.create(pod("frontend", {"role": "frontend"}, node="node-2"))
    h.create(pod("other", {"role": "other"}, node="node-2"))
    h.create(pod("mp", {"role": "tool"}, node="node-2"), "myproject")
    h.create(pod("fe-elsewhere", {"role": "frontend"}, node="node-2"), "elsewhere")
    h.create(service("db", selector={"role": "db"}, port=6379))
    h.create(service("frontend", selector={"role": "frontend"}))
    h.settle()
    return h


def ok(h, src, url):
    return h.network.request(src, url).status == 200


def test_no_policy_allows_everything():
    h = matrix_cluster()
    assert ok(h, "default/other", "http://db:6379/") and ok(h, "elsewhere/fe-elsewhere", "http://db.default:6379/")


def test_default_deny_ingress_then_allow_all_ingress():
    h = matrix_cluster()
    h.create(example("network-policy-default-deny-ingress.yaml"))
    result = h.network.request("default/frontend", "http://db:6379/")
    assert result.status == 0 and result.body.startswith("curl: (28)")  # dropped: a timeout
    assert not ok(h, "myproject/mp", "http://db.default:6379/")
    mp_ip = h.get("pods", "mp", "myproject")["status"]["podIP"]
    assert ok(h, "default/db", f"http://{mp_ip}/")  # egress is not isolated
    db_ip = h.get("pods", "db")["status"]["podIP"]
    assert ok(h, "node/node-1", f"http://{db_ip}:6379/")  # the pod's own node: always allowed
    h.create(example("network-policy-allow-all-ingress.yaml"))
    assert ok(h, "default/frontend", "http://db:6379/")  # policies add up


def test_documentation_policy_matrix():
    """test-network-policy: db accepts 6379/TCP from frontend pods of its namespace, from any pod
    of namespaces labelled project=myproject, and from 172.17.0.0/16 except 172.17.1.0/24; db may
    only send to 10.0.0.0/24:5978."""
    h = matrix_cluster()
    h.create(example("networkpolicy.yaml"))
    allowed = {src: ok(h, src, "http://db.default:6379/")
               for src in ("default/frontend", "default/other", "myproject/mp", "elsewhere/fe-elsewhere")}
    assert allowed == {"default/frontend": True, "default/other": False, "myproject/mp": True,
                       "elsewhere/fe-elsewhere": False}
    db_ip = h.get("pods", "db")["status"]["podIP"]
    verdict = h.network.allowed("default/frontend", "default/db", 80)
    assert verdict == (False, "ingress of default/db is isolated by NetworkPolicy test-network-policy and "
                              "no rule allows it")
    assert h.network.allowed("default/frontend", "default/db", 6379)[0]
    # egress of db is isolated too: even DNS fails, and pod IPs are dropped
    assert h.network.request("default/db", "http://frontend/").body == "curl: (6) Could not resolve host: frontend"
    fe_ip = h.get("pods", "frontend")["status"]["podIP"]
    assert h.network.request("default/db", f"http://{fe_ip}/").body.startswith("curl: (28)")
    assert db_ip and ok(h, "default/frontend", f"http://{db_ip}:6379/")


def test_ip_block_with_except():
    from labkit.minicluster.network.policy import Peer
    h = matrix_cluster()
    h.create(example("networkpolicy.yaml"))
    db = h.get("pods", "db")
    engine = h.network.policy
    assert engine.allowed(Peer("172.17.5.5"), Peer("x", pod=db), 6379)[0]
    assert not engine.allowed(Peer("172.17.1.5"), Peer("x", pod=db), 6379)[0]
    assert not engine.allowed(Peer("192.168.0.1"), Peer("x", pod=db), 6379)[0]


def _policy(name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name}, "spec": spec}


def test_namespace_and_pod_selector_in_one_peer_are_anded():
    h = matrix_cluster()
    h.create(_policy("and", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "elsewhere"}},
         "podSelector": {"matchLabels": {"role": "frontend"}}}]}]}))
    assert ok(h, "elsewhere/fe-elsewhere", "http://db.default:6379/")
    assert not ok(h, "default/frontend", "http://db:6379/")
    assert not ok(h, "myproject/mp", "http://db.default:6379/")


def test_two_peers_are_ored():
    h = matrix_cluster()
    h.create(_policy("or", {"podSelector": {"matchLabels": {"role": "db"}}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "elsewhere"}}},
        {"podSelector": {"matchLabels": {"role": "frontend"}}}]}]}))
    assert ok(h, "elsewhere/fe-elsewhere", "http://db.default:6379/")
    assert ok(h, "default/frontend", "http://db:6379/")
    assert not ok(h, "default/other", "http://db:6379/")


def test_named_ports_and_port_ranges():
    h = matrix_cluster()
    h.create(_policy("named", {"podSelector": {"matchLabels": {"role": "db"}},
                               "ingress": [{"ports": [{"port": "http", "protocol": "TCP"}]}]}))
    assert ok(h, "default/other", "http://db:6379/")  # the container port named "http" is 6379
    h.create(_policy("frontend-range", {"podSelector": {"matchLabels": {"role": "frontend"}},
                                        "ingress": [{"ports": [{"port": 8000, "endPort": 9000}]}]}))
    assert not ok(h, "default/other", "http://frontend/")  # 80 is outside 8000-9000


def test_egress_policy_allowing_dns_only():
    h = matrix_cluster()
    h.create(_policy("dns-only", {"podSelector": {"matchLabels": {"role": "other"}}, "policyTypes": ["Egress"],
                                  "egress": [{"to": [{"namespaceSelector": {}, "podSelector": {
                                      "matchLabels": {"k8s-app": "kube-dns"}}}],
                                      "ports": [{"port": 53, "protocol": "UDP"}]}]}))
    result = h.network.request("default/other", "http://db:6379/")
    assert result.body.startswith("curl: (28)")  # name resolved, connection dropped
    assert any(step.startswith("DNS db") for step in h.network.last_trace)
    assert ok(h, "default/frontend", "http://db:6379/")  # other pods are not isolated
