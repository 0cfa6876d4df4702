"""``kubectl explain``, the OpenAPI documents behind it, typed statuses and the JSON patch error.

The real kubectl v1.37 binary renders explain pages from the ``/openapi/v3`` document labkit's
server serves (k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl); labkit's own kubectl
renders the same document with :mod:`labkit.minicluster.schema.explain`. Both must print the
same bytes. The descriptions come from the official client's models (the API documentation
kube-apiserver serves, k8s.io/api/*/types.go comments).
"""
import json
import os
import subprocess
import time

import pytest

from labkit._tools import kubectl_path
from labkit.kubectl import run
from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.http.openapi import group_version_document
from labkit.minicluster.resources import REGISTRY
from labkit.minicluster.schema import full_schema, schema_for, unknown_fields
from labkit.minicluster.schema.explain import wrap

PATHS = [
    "pod", "pods.spec", "pod.spec.containers", "pod.spec.restartPolicy",
    "pod.spec.containers.resources.limits", "pod.metadata.creationTimestamp",
    "deployment.spec.strategy --recursive", "deploy.spec.template.spec.containers.ports --recursive",
    "statefulset", "svc.spec.ports", "node.spec", "node.status", "job.status", "pv.spec --recursive",
    "hpa.spec.metrics", "cronjob.spec.jobTemplate.spec --recursive", "lease", "events",
    "ingress.spec.rules.http.paths.backend", "pod.spec.nope", "pod.spec.restartPolicy.foo", "foo",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    cluster = MiniCluster(nodes=1, start=float(int(time.time())))
    handle = cluster.serve()
    cfg = tmp_path_factory.mktemp("kube") / "config"
    handle.write_kubeconfig(cfg)
    env = dict(os.environ, KUBECONFIG=str(cfg))

    def real(*args, stdin=None):
        r = subprocess.run([kubectl_path(), *args], env=env, input=stdin, capture_output=True,
                           text=True, timeout=60)
        return r.stdout, r.stderr, r.returncode

    yield cluster, real
    handle.stop()


@pytest.mark.parametrize("line", PATHS)
def test_labkit_explain_prints_what_real_kubectl_prints(served, line):
    """Byte for byte, including the errors (kubectl prints the header before
    ``error: field "nope" does not exist``; an unknown type has no ``error:`` prefix)."""
    cluster, real = served
    expected = real("explain", *line.split())
    ours = run(cluster, "explain " + line)
    assert ours.exception is None
    assert (ours.stdout, ours.stderr, ours.returncode) == expected


def test_explain_pod_has_the_api_documentation(served):
    """Descriptions are the upstream API documentation, wrapped at 76 columns like kubectl."""
    cluster, _ = served
    out = run(cluster, "explain pod").stdout
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n    Pod is a collection of "
                          "containers that can run on a host. This resource is\n    created by clients "
                          "and scheduled onto hosts.\n    \nFIELDS:\n  apiVersion\t<string>\n"
                          "    APIVersion defines the versioned schema of this representation of an object.\n")
    assert "  status\t<PodStatus>\n" in out
    containers = run(cluster, "explain pod.spec.containers").stdout
    assert "FIELD: containers <[]Container>\n\n\nDESCRIPTION:\n    List of containers belonging to the pod." \
        in containers
    assert "  name\t<string> -required-\n    Name of the container specified as a DNS_LABEL." in containers
    assert "<no description>" not in run(cluster, "explain pod.spec.restartPolicy").stdout


def test_recursive_tree_types(served):
    """``--recursive``: two spaces per level, IntOrString and Quantity named as upstream
    (their v3 schemas are ``oneOf`` number/string, kube-openapi's OpenAPIV3OneOfTypes)."""
    cluster, _ = served
    out = run(cluster, "explain deployment.spec.strategy --recursive").stdout
    assert out.endswith("FIELDS:\n  rollingUpdate\t<RollingUpdateDeployment>\n    maxSurge\t<IntOrString>\n"
                        "    maxUnavailable\t<IntOrString>\n  type\t<string>\n\n")
    limits = run(cluster, "explain pod.spec.containers.resources.limits").stdout
    assert "FIELD: limits <map[string]Quantity>\n" in limits


def test_node_manifest_applies_without_openapi_warning(served):
    """Node ``spec`` is typed from the client's V1NodeSpec: kubectl apply's patch computation
    finds every field (a real cluster prints no ``error calculating patch`` warning)."""
    _, real = served
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "extra", "labels": {"a": "b"}},
            "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}}
    out, err, rc = real("apply", "-f", "-", stdin=json.dumps(node))
    assert (out, err, rc) == ("node/extra created\n", "", 0)
    node["spec"]["unschedulable"] = True
    out, err, rc = real("apply", "-f", "-", stdin=json.dumps(node))
    assert (out, err, rc) == ("node/extra configured\n", "", 0)


def test_unknown_status_field_is_rejected_under_strict(served):
    """Statuses are typed now: kubectl's default ``fieldValidation=Strict`` rejects an unknown
    status field as upstream's strict decoder does."""
    _, real = served
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "st"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]},
           "status": {"phase": "Pending", "bogus": 1}}
    out, err, rc = real("create", "-f", "-", stdin=json.dumps(pod))
    assert rc == 1
    assert err == ('Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" '
                   'cannot be handled as a Pod: strict decoding error: unknown field "status.bogus"\n')


def test_json_patch_that_does_not_apply_is_the_generic_422(served):
    """handlers/patch.go ``applyJSPatch``: a JSON patch error becomes
    ``NewGenericServerResponse(422, ...)``: reason Invalid, the generic message, empty details."""
    cluster, real = served
    real("create", "configmap", "jp", "--from-literal=a=b")
    for op in ('[{"op":"remove","path":"/data/nope"}]', '[{"op":"test","path":"/data/a","value":"x"}]',
               '[{"op":"replace","path":"/spec/x/y","value":1}]'):
        out, err, rc = real("patch", "configmap", "jp", "--type=json", "-p", op)
        assert (out, err, rc) == ("", "The request is invalid: the server rejected our request due to "
                                  "an error in our request\n", 1)
    from labkit.minicluster.errors import ApiError
    with pytest.raises(ApiError) as e:
        cluster.api.patch("configmaps", "jp", [{"op": "remove", "path": "/data/nope"}], "json", "default")
    assert e.value.status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": "the server rejected our request due to an error in our request",
                              "reason": "Invalid", "details": {}, "code": 422}


def test_decoder_tables_stay_as_they_are():
    """Internal writes keep the decoder's own tables (status open, cheap); the documented,
    fully typed schema is a separate copy used for strict decoding and the documents."""
    rt = REGISTRY.for_name("pods")
    assert schema_for(rt).fields["status"].kind == "any"
    full = full_schema(rt)
    assert full.fields["status"].go == "v1.PodStatus" and full is not schema_for(rt)
    assert full.fields["spec"].required == ("containers",)
    assert unknown_fields(rt, {"status": {"phase": "Running", "conditions": [{"type": "Ready", "x": 1}]}}) \
        == ["status.conditions[0].x"]
    node = REGISTRY.for_name("nodes")
    assert unknown_fields(node, {"spec": {"podCIDR": "10.0.0.0/24", "nope": 1},
                                 "status": {"capacity": {"cpu": "4", "memory": 8}}}) == ["spec.nope"]


def test_openapi_document_carries_descriptions_and_required():
    doc = group_version_document("apps", "v1")
    schemas = doc["components"]["schemas"]
    spec = schemas["io.k8s.api.apps.v1.DeploymentSpec"]
    assert spec["required"] == ["selector", "template"]
    assert spec["properties"]["replicas"]["description"].startswith("Number of desired pods.")
    assert schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["oneOf"] == [
        {"type": "integer"}, {"type": "string"}]


def test_wrap_is_go_wordwrap():
    """github.com/mitchellh/go-wordwrap WrapString: break at spaces, long words overflow,
    newlines kept."""
    assert wrap("aaa bbb ccc", 7) == "aaa bbb\nccc"
    assert wrap("a verylongword b", 5) == "a\nverylongword\nb"
    assert wrap("one\ntwo three", 8) == "one\ntwo\nthree"
    assert wrap("x\n", 76) == "x\n"


def test_cluster_start_does_not_load_the_documentation():
    """The documented schemas are built on the first OpenAPI/explain/strict request only."""
    from labkit.minicluster.schema import docs
    before = set(docs._FULL)
    MiniCluster(nodes=2).settle()
    assert set(docs._FULL) == before
