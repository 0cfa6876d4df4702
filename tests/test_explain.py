"""``kubectl explain``, the OpenAPI documents behind it, typed statuses and the JSON patch error.

The real kubectl v1.37 binary renders explain pages from the ``/openapi/v3`` document labkit's
server serves (k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl); labkit's own kubectl
renders the same document with :mod:`labkit.minicluster.schema.explain`. Both must print the
same bytes. The descriptions come from upstream's v1.33 definitions shipped by
kubernetes-validate (the API documentation kube-apiserver serves, k8s.io/api/*/types.go
comments), so the pages are also what ``kubectl explain`` prints against a real v1.33 cluster,
but for enums (``ENUM:``/``enum:`` lines and "Possible enum values" paragraphs), which those
definitions lack.
"""
import json
import os
import re
import subprocess
import sys
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
    "pod.spec", "service.spec.type", "pod.metadata.uid", "deploy.spec.template.spec.os",
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
    """Node ``spec`` is typed from upstream's io.k8s.api.core.v1.NodeSpec: kubectl apply's patch computation
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
    """The definitions are read, and the documented schemas built, on the first
    OpenAPI/explain/strict request only (a fresh interpreter: this module has loaded them)."""
    code = ("from labkit.minicluster.cluster import MiniCluster\n"
            "from labkit.minicluster.schema import docs\n"
            "MiniCluster(nodes=2).settle()\n"
            "print(docs._DEFS is None, docs._FULL == {}, docs._BUILT == {})\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout == "True True True\n", out.stderr


#: ``kubectl explain pod`` against a real v1.33 cluster (kube-apiserver's /openapi/v3/api/v1)
REAL_POD = """KIND:       Pod
VERSION:    v1

DESCRIPTION:
    Pod is a collection of containers that can run on a host. This resource is
    created by clients and scheduled onto hosts.
    
FIELDS:
  apiVersion\t<string>
    APIVersion defines the versioned schema of this representation of an object.
    Servers should convert recognized schemas to the latest internal value, and
    may reject unrecognized values. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources

  kind\t<string>
    Kind is a string value representing the REST resource this object
    represents. Servers may infer this from the endpoint the client submits
    requests to. Cannot be updated. In CamelCase. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds

  metadata\t<ObjectMeta>
    Standard object's metadata. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata

  spec\t<PodSpec>
    Specification of the desired behavior of the pod. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status

  status\t<PodStatus>
    Most recently observed status of the pod. This data may not be up to date.
    Populated by the system. Read-only. More info:
    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status


"""

#: ``kubectl explain deployment.spec.strategy --recursive`` against a real v1.33 cluster:
#: DeploymentStrategyType is a ``+enum`` type, so its field carries an ``enum:`` line
REAL_STRATEGY = """GROUP:      apps
KIND:       Deployment
VERSION:    v1

FIELD: strategy <DeploymentStrategy>


DESCRIPTION:
    The deployment strategy to use to replace existing pods with new ones.
    DeploymentStrategy describes how to replace existing pods with new ones.
    
FIELDS:
  rollingUpdate\t<RollingUpdateDeployment>
    maxSurge\t<IntOrString>
    maxUnavailable\t<IntOrString>
  type\t<string>
  enum: Recreate, RollingUpdate

"""

#: ``kubectl explain pod.metadata.uid`` against a real v1.33 cluster: a paragraph break
REAL_UID = """KIND:       Pod
VERSION:    v1

FIELD: uid <string>


DESCRIPTION:
    UID is the unique in time and space value for this object. It is typically
    generated by the server on successful creation of a resource and is not
    allowed to change on PUT operations.
    
    Populated by the system. Read-only. More info:
    https://kubernetes.io/docs/concepts/overview/working-with-objects/names#uids
    

"""


def without_enums(page: str) -> str:
    """A real page minus what the definitions cannot give: ``enum:`` lines (the documented gap)."""
    return re.sub(r"(?m)^ *enum: .*\n", "", page)


@pytest.mark.parametrize("line, real", [("pod", REAL_POD), ("pod.metadata.uid", REAL_UID),
                                        ("deployment.spec.strategy --recursive", REAL_STRATEGY)])
def test_pages_are_those_of_a_real_v1_33_cluster(served, line, real):
    """Descriptions of struct-typed fields (``metadata``, ``spec``, ``status``) and paragraph
    breaks as upstream; only enums are missing (kubernetes-validate's definitions drop them)."""
    cluster, _ = served
    assert run(cluster, "explain " + line).stdout == without_enums(real)


def test_struct_typed_fields_are_described(served):
    """A field whose type is a struct prints its own description, then the struct's (the
    template's ``description`` follows ``allOf``): no ``<no description>`` anywhere."""
    cluster, _ = served
    spec = run(cluster, "explain pod.spec").stdout
    assert "DESCRIPTION:\n    Specification of the desired behavior of the pod. More info:\n    " \
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md" \
        "#spec-and-status\n    PodSpec is a description of a pod.\n" in spec
    assert "  affinity\t<Affinity>\n    If specified, the pod's scheduling constraints\n" in spec
    status = run(cluster, "explain node.status").stdout
    assert "Most recently observed status of the node." in status
    assert "  capacity\t<map[string]Quantity>\n    Capacity represents the total resources" in status
    for line in ("pod", "pod.spec", "pod.spec.containers", "node.status", "deployment.spec",
                 "service.spec", "job.spec", "hpa.spec"):
        assert "<no description>" not in run(cluster, "explain " + line).stdout, line


def test_types_from_the_definitions():
    """int32/int64 from ``format``, Quantity/IntOrString/Time from references: a status value
    of the wrong type is the decoder's 400, worded as Go's (v1.NodeStatus images sizeBytes is
    an int64, ControllerRevision revision too)."""
    from labkit.minicluster.errors import ApiError
    node = REGISTRY.for_name("nodes")
    full = full_schema(node)
    images = full.fields["status"].fields["images"].elem
    assert images.go == "v1.ContainerImage" and images.fields["sizeBytes"].go == "int64"
    assert full.fields["status"].fields["capacity"].elem.go == "resource.Quantity"
    assert full_schema(REGISTRY.for_name("controllerrevisions")).fields["revision"].go == "int64"
    assert unknown_fields(node, {"status": {"images": [{"names": ["a"], "sizeBytes": 1 << 40}]}}) == []
    with pytest.raises(ApiError) as e:
        unknown_fields(node, {"status": {"capacity": {"cpu": "lots"}}})
    assert e.value.code == 400 and "quantities must match the regular expression" in e.value.status["message"]
    with pytest.raises(ApiError) as e:
        unknown_fields(node, {"status": {"images": [{"sizeBytes": "big"}]}})
    assert e.value.status["message"] == ('Node in version "v1" cannot be handled as a Node: json: cannot '
                                         'unmarshal string into Go struct field ContainerImage.status.images'
                                         '.sizeBytes of type int64')


def test_components_are_named_after_upstream_definitions():
    """Structs a non-core kind reaches are named in their own package, as upstream
    (``io.k8s.api.core.v1.PodTemplateSpec`` in the apps/v1 document)."""
    schemas = group_version_document("apps", "v1")["components"]["schemas"]
    assert "io.k8s.api.core.v1.PodTemplateSpec" in schemas
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas
    events = group_version_document("events.k8s.io", "v1")["components"]["schemas"]
    assert events["io.k8s.api.events.v1.Event"]["required"] == ["eventTime"]
    assert "io.k8s.api.core.v1.ObjectReference" in events
