"""Ingress routing (network/ingress.py) on the documentation's examples
(/work/shared/k8s-examples/service/networking: minimal-ingress, name-virtual-host-ingress,
simple-fanout-example, tls-example-ingress).

Rules from docs/concepts/services-networking/ingress.md ("Path types", "Examples" table of
Prefix/Exact matches, "Multiple matches": longest path, Exact over Prefix; "Hostname wildcards")
and ingress-nginx behaviour (ImplementationSpecific as a prefix, 308 ssl-redirect for TLS hosts,
its 404 page).
"""
import pathlib

import pytest
import yaml
from netlife_harness import Harness, pod, service

from labkit.minicluster.network.ingress import NGINX_404, path_matches, route

EXAMPLES = pathlib.Path("/work/shared/k8s-examples/service/networking")


def example(name):
    return yaml.safe_load((EXAMPLES / name).read_text())


def ing(obj):
    obj = dict(obj)
    obj["metadata"] = {"namespace": "default", **obj["metadata"]}
    return obj


@pytest.mark.parametrize("kind, rule, path, hit", [
    # the table of docs/concepts/services-networking/ingress.md "Examples"
    ("Prefix", "/", "/", True), ("Prefix", "/", "/aaa/bbb", True),
    ("Exact", "/foo", "/foo", True), ("Exact", "/foo", "/bar", False),
    ("Exact", "/foo", "/foo/", False), ("Exact", "/foo/", "/foo", False),
    ("Prefix", "/foo", "/foo", True), ("Prefix", "/foo", "/foo/", True),
    ("Prefix", "/foo/", "/foo", True), ("Prefix", "/foo/", "/foo/", True),
    ("Prefix", "/aaa/bb", "/aaa/bbb", False), ("Prefix", "/aaa/bbb", "/aaa/bbb", True),
    ("Prefix", "/aaa/bbb/", "/aaa/bbb", True), ("Prefix", "/aaa/bbb", "/aaa/bbb/", True),
    ("Prefix", "/aaa/bbb", "/aaa/bbb/ccc", True), ("Prefix", "/aaa/bbb", "/aaa/bbbxyz", False),
    ("ImplementationSpecific", "/aaa/bbb", "/aaa/bbbxyz", True),
])
def test_path_types(kind, rule, path, hit):
    assert path_matches(kind, rule, path) is hit


def test_minimal_ingress_any_host():
    ings = [ing(example("minimal-ingress.yaml"))]
    r = route(ings, "anything.example", "/testpath/x")
    assert (r.ingress, r.service, r.port, r.path, r.path_type) == ("minimal-ingress", "test", 80, "/testpath", "Prefix")
    assert route(ings, "anything.example", "/other") is None
    assert route(ings, "anything.example", "/testpath", klass="nginx-example") is not None
    assert route(ings, "anything.example", "/testpath", klass="nginx") is None


def test_name_based_virtual_hosts():
    ings = [ing(example("name-virtual-host-ingress.yaml"))]
    assert route(ings, "foo.bar.com", "/").service == "service1"
    assert route(ings, "BAR.foo.com:80", "/x").service == "service2"
    assert route(ings, "other.com", "/") is None


def test_simple_fanout():
    ings = [ing(example("simple-fanout-example.yaml"))]
    assert (route(ings, "foo.bar.com", "/foo").service, route(ings, "foo.bar.com", "/foo").port) == ("service1", 4200)
    assert route(ings, "foo.bar.com", "/bar/baz").service == "service2"
    assert route(ings, "foo.bar.com", "/foobar") is None


def test_precedence_wildcards_and_default_backend():
    spec = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "mix"},
            "spec": {"defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
                     "rules": [{"host": "*.foo.com", "http": {"paths": [
                         {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "wild", "port": {"number": 80}}}}]}},
                         {"host": "a.foo.com", "http": {"paths": [
                             {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 80}}}},
                             {"path": "/api", "pathType": "Exact", "backend": {"service": {"name": "exact", "port": {"number": 80}}}},
                             {"path": "/api/v2", "pathType": "Prefix", "backend": {"service": {"name": "v2", "port": {"name": "http"}}}}]}}]}}
    ings = [ing(spec)]
    assert route(ings, "a.foo.com", "/api").service == "exact"  # Exact beats Prefix of equal length
    assert route(ings, "a.foo.com", "/api/x").service == "api"
    assert route(ings, "a.foo.com", "/api/v2/y").port == "http"  # longest prefix wins
    assert route(ings, "b.foo.com", "/").service == "wild"
    assert route(ings, "x.b.foo.com", "/").service == "fallback"  # wildcard covers one label only
    assert route(ings, "a.foo.com", "/other").service == "fallback"


def test_requests_through_the_ingress_controller():
    h = Harness(nodes=2, controllers=["endpointslice"])
    h.create(pod("s1", {"app": "s1"}, node="node-1"))
    h.create(pod("s2", {"app": "s2"}, node="node-2"))
    h.create(service("service1", selector={"app": "s1"}))
    h.create(service("service2", selector={"app": "s2"}))
    h.create(example("name-virtual-host-ingress.yaml"))
    h.create(example("tls-example-ingress.yaml"))
    h.settle()
    assert h.network.ingress_request("foo.bar.com", "/").pod == "s1"
    assert h.network.ingress_request("bar.foo.com", "/").pod == "s2"
    assert h.network.ingress_request("nope.example", "/") == (404, NGINX_404, None)
    redirect = h.network.ingress_request("https-example.foo.com", "/")
    assert redirect.status == 308 and "308 Permanent Redirect" in redirect.body
    assert h.network.ingress_request("https-example.foo.com", "/", https=True).pod == "s1"
    h.create(service("empty", selector={"app": "none"}))
    h.create({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "e"},
              "spec": {"rules": [{"host": "empty.io", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                  "backend": {"service": {"name": "empty", "port": {"number": 80}}}}]}}]}})
    h.settle()
    assert h.network.ingress_request("empty.io", "/").status == 503
