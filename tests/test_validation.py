"""Validation and decoding errors, worded as kube-apiserver v1.33 words them.

Upstream: pkg/apis/core/validation/validation.go (pods, services, namespaces...),
pkg/apis/apps/validation/validation.go, pkg/apis/batch/validation/validation.go,
pkg/apis/rbac/validation, k8s.io/apimachinery/pkg/util/validation (name syntax and
field.Error wording), k8s.io/apimachinery/pkg/api/errors (the 422 message, causes joined in
brackets), pkg/registry/apps/deployment/strategy.go (selector immutability),
k8s.io/apimachinery/pkg/runtime/serializer/json + sigs.k8s.io/json (decode errors, strict
unknown fields), k8s.io/apimachinery/pkg/api/resource (quantity syntax).
"""
import pathlib
import random

import pytest
import yaml

from labkit.minicluster.apiserver import APIServer
from labkit.minicluster.clock import EventLoop
from labkit.minicluster.errors import ApiError
from labkit.minicluster.resources import REGISTRY
from labkit.minicluster.schema import explain, strict_error, unknown_fields
from labkit.minicluster.store import Store
from labkit.minicluster.validation import strict_unknown_fields

CORPUS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "k8s-examples"
NAMESPACES = ["default", "kube-system", "cpu-example", "mem-example", "qos-example",
              "development", "quota-mem-cpu-example", "quota-pod-example",
              "default-cpu-example", "constraints-cpu-example", "example"]
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def new_api():
    api = APIServer(Store(), EventLoop().clock, random.Random(0))
    for ns in NAMESPACES:
        api.create("namespaces", {"metadata": {"name": ns}})
    return api


@pytest.fixture
def api():
    return new_api()


def err(fn, *a, **kw) -> ApiError:
    with pytest.raises(ApiError) as e:
        fn(*a, **kw)
    return e.value


def pod(name="p", **container):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25", **container}]}}


def deployment(name="web", selector=None, labels=None, **spec):
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": selector or labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "web", "image": "nginx"}]}},
                     **spec}}


def test_required_fields_and_the_422_shape(api):
    """field.Required → "Required value"; NewInvalid: Kind.group "name" is invalid: causes."""
    body = deployment()
    del body["spec"]["selector"]
    body["spec"]["template"]["spec"]["containers"][0].pop("image")
    e = err(api.create, "deployments", body)
    assert (e.code, e.reason) == (422, "Invalid")
    assert e.message == ('Deployment.apps "web" is invalid: [spec.selector: Required value, '
                         'spec.template.spec.containers[0].image: Required value]')
    assert e.status["details"] == {
        "name": "web", "group": "apps", "kind": "Deployment", "causes": [
            {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.selector"},
            {"reason": "FieldValueRequired", "message": "Required value",
             "field": "spec.template.spec.containers[0].image"}]}


def test_selector_must_match_template_labels(api):
    """ValidatePodTemplateSpecForReplicaSet prints the labels with Go's %#v."""
    e = err(api.create, "deployments", deployment(selector={"app": "x"}, labels={"app": "web"}))
    assert e.message == ('Deployment.apps "web" is invalid: spec.template.metadata.labels: '
                         'Invalid value: map[string]string{"app":"web"}: `selector` does not '
                         'match template `labels`')
    body = deployment()
    body["spec"]["selector"] = {"matchLabels": {}}
    e = err(api.create, "deployments", body)
    assert 'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, ' \
           'MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid ' \
           'for deployment' in e.message


def test_names_follow_their_kinds_rules(api):
    """Pods: DNS-1123 subdomain; Namespaces: DNS-1123 label; Services: DNS-1035 label."""
    e = err(api.create, "pods", pod("Web"))
    assert e.message == f'Pod "Web" is invalid: metadata.name: Invalid value: "Web": {SUBDOMAIN_MSG}'
    e = err(api.create, "namespaces", {"metadata": {"name": "team.a"}})
    assert e.message == ('Namespace "team.a" is invalid: metadata.name: Invalid value: '
                         '"team.a": must not contain dots')
    e = err(api.create, "services", {"metadata": {"name": "1web"},
                                     "spec": {"ports": [{"port": 80}]}})
    assert e.message == ('Service "1web" is invalid: metadata.name: Invalid value: "1web": a '
                         "DNS-1035 label must consist of lower case alphanumeric characters or "
                         "'-', start with an alphabetic character, and end with an alphanumeric "
                         "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                         "'[a-z]([-a-z0-9]*[a-z0-9])?')")


def test_labels_keys_and_values(api):
    body = pod()
    body["metadata"]["labels"] = {"app": "bad value!", "-x": "ok"}
    e = err(api.create, "pods", body)
    fields = [(c["field"], c["message"].split(":")[0]) for c in e.status["details"]["causes"]]
    assert fields == [("metadata.labels", "Invalid value"), ("metadata.labels", "Invalid value")]
    assert 'Invalid value: "-x": name part must consist of alphanumeric characters' in e.message
    assert ('Invalid value: "bad value!": a valid label must be an empty string or consist of '
            "alphanumeric characters, '-', '_' or '.'") in e.message


def test_bad_quantities_fail_decoding(api):
    """A quantity that does not parse fails the decoder (400), not validation."""
    e = err(api.create, "pods", pod(resources={"requests": {"cpu": "abc"}}))
    assert (e.code, e.reason) == (400, "BadRequest")
    assert e.message == ('Pod in version "v1" cannot be handled as a Pod: quantities must match '
                         "the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    e = err(api.create, "pods", pod(resources={"limits": {"memory": "192i"}}))
    assert e.message.endswith("unable to parse quantity's suffix")


def test_requests_cannot_exceed_limits_and_must_be_known(api):
    res = {"requests": {"cpu": "600m", "cpus": "1"}, "limits": {"cpu": "500m"}}
    e = err(api.create, "pods", pod(resources=res))
    causes = {(c["field"], c["message"]) for c in e.status["details"]["causes"]}
    assert ("spec.containers[0].resources.requests", 'Invalid value: "600m": must be less than '
            "or equal to cpu limit of 500m") in causes
    assert ("spec.containers[0].resources.requests[cpus]",
            'Invalid value: "cpus": must be a standard resource for containers') in causes
    e = err(api.create, "pods", pod(resources={"requests": {"memory": "-1"}}))
    assert "spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be " \
           "greater than or equal to 0" in e.message


def test_restart_policies(api):
    """Pods: NotSupported; Jobs: Required with valid values (v1.33 wording);
    Deployments: only Always."""
    body = pod()
    body["spec"]["restartPolicy"] = "Sometimes"
    e = err(api.create, "pods", body)
    assert e.message == ('Pod "p" is invalid: spec.restartPolicy: Unsupported value: '
                         '"Sometimes": supported values: "Always", "OnFailure", "Never"')
    job = {"metadata": {"name": "pi"}, "spec": {"template": {"spec": {
        "containers": [{"name": "pi", "image": "perl"}]}}}}
    e = err(api.create, "jobs", job)
    assert e.message == ('Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Required '
                         'value: valid values: "OnFailure", "Never"')
    d = deployment()
    d["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    e = err(api.create, "deployments", d)
    assert 'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported ' \
           'values: "Always"' in e.message


def test_selector_is_immutable(api):
    """deploymentStrategy.ValidateUpdate: apps/v1 selectors cannot change."""
    created = api.create("deployments", deployment())
    body = deployment(selector={"app": "web", "tier": "fe"}, labels={"app": "web", "tier": "fe"})
    body["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    e = err(api.update, "deployments", body)
    assert e.message == ('Deployment.apps "web" is invalid: spec.selector: Invalid value: '
                         'v1.LabelSelector{MatchLabels:map[string]string{"app":"web", '
                         '"tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: '
                         'field is immutable')


def test_pod_spec_updates_are_limited(api):
    """ValidatePodUpdate: image and activeDeadlineSeconds may change, not the rest."""
    api.create("pods", pod())
    got = api.patch("pods", "p", {"spec": {"containers": [{"name": "app",
                                                            "image": "nginx:1.26"}]}})
    assert got["spec"]["containers"][0]["image"] == "nginx:1.26"
    e = err(api.patch, "pods", "p", {"spec": {"nodeSelector": {"disk": "ssd"}}})
    assert e.code == 422
    assert e.message.startswith(
        'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than '
        '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,'
        '`spec.tolerations` (only additions to existing tolerations),'
        '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously '
        'negative)\n')
    e = err(api.patch, "pods", "p", {"spec": {"containers": [{"name": "app", "image": ""}]}})
    assert "spec.containers[0].image: Required value" in e.message


def test_job_template_and_statefulset_spec_are_immutable(api):
    job = api.create("jobs", {"metadata": {"name": "pi"}, "spec": {"template": {"spec": {
        "containers": [{"name": "pi", "image": "perl"}], "restartPolicy": "Never"}}}})
    e = err(api.patch, "jobs", "pi", {"spec": {"template": {"spec": {"containers": [
        {"name": "pi", "image": "perl:5"}]}}}})
    assert "spec.template: Invalid value: core.PodTemplateSpec{" in e.message
    assert e.message.endswith("field is immutable")
    assert job["spec"]["completions"] == 1
    api.create("statefulsets", {"metadata": {"name": "db"}, "spec": {
        "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
        "template": {"metadata": {"labels": {"app": "db"}},
                     "spec": {"containers": [{"name": "db", "image": "postgres"}]}}}})
    e = err(api.patch, "statefulsets", "db", {"spec": {"serviceName": "other"}})
    assert e.message == ('StatefulSet.apps "db" is invalid: spec: Forbidden: updates to '
                         "statefulset spec for fields other than 'replicas', 'ordinals', "
                         "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' "
                         "and 'minReadySeconds' are forbidden")
    assert api.patch("statefulsets", "db", {"spec": {"replicas": 3}})["spec"]["replicas"] == 3


def test_service_ports(api):
    body = {"metadata": {"name": "web"}, "spec": {"ports": [
        {"port": 70000, "targetPort": "Http_Port"}, {"port": 443, "name": "https"}]}}
    e = err(api.create, "services", body)
    causes = [(c["field"], c["message"]) for c in e.status["details"]["causes"]]
    assert causes == [
        ("spec.ports[0].name", "Required value"),
        ("spec.ports[0].port", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ("spec.ports[0].targetPort", 'Invalid value: "Http_Port": must contain only alpha-numeric '
         "characters (a-z, 0-9), and hyphens (-)")]
    e = err(api.create, "services", {"metadata": {"name": "x"}, "spec": {}})
    assert e.message == 'Service "x" is invalid: spec.ports: Required value'


def test_probes_and_ports(api):
    e = err(api.create, "pods", pod(livenessProbe={"periodSeconds": 5}))
    assert e.message == ('Pod "p" is invalid: spec.containers[0].livenessProbe: Required value: '
                         "must specify a handler type")
    e = err(api.create, "pods", pod(livenessProbe={"exec": {"command": ["true"]},
                                                   "successThreshold": 2}))
    assert "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1" \
        in e.message
    e = err(api.create, "pods", pod(ports=[{"containerPort": 0}]))
    assert "spec.containers[0].ports[0].containerPort: Required value" in e.message


def test_node_affinity_structure(api):
    """A list where NodeSelector (an object) belongs is a decode error: 400, not 422.
    An empty nodeSelectorTerms list is a validation error."""
    body = yaml.safe_load((CORPUS / "pods/pod-with-node-affinity.yaml").read_text())
    e = err(api.create, "pods", body)
    assert (e.code, e.reason) == (400, "BadRequest")
    assert e.message == (
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal array into Go '
        "struct field NodeAffinity.spec.affinity.nodeAffinity."
        "requiredDuringSchedulingIgnoredDuringExecution of type v1.NodeSelector")
    body = pod()
    body["spec"]["affinity"] = {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}
    e = err(api.create, "pods", body)
    assert e.message == (
        'Pod "p" is invalid: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring'
        "Execution.nodeSelectorTerms: Required value: must have at least one node selector term")


def test_strict_unknown_fields():
    """fieldValidation=Strict: unknown fields (sorted, with list indexes) are a 400."""
    rt = REGISTRY.for_name("deployments")
    body = deployment()
    body["spec"]["replica"] = 3
    body["spec"]["template"]["spec"]["containers"][0]["imagePullpolicy"] = "Always"
    assert strict_unknown_fields(rt, body) == [
        "spec.replica", "spec.template.spec.containers[0].imagePullpolicy"]
    e = strict_error(unknown_fields(rt, body))
    assert (e.code, e.message) == (400, 'strict decoding error: unknown field "spec.replica", '
                                        'unknown field "spec.template.spec.containers[0]'
                                        '.imagePullpolicy"')
    assert unknown_fields(rt, deployment()) == []


def test_explain_lists_fields():
    page = explain("Pod", "spec.containers")
    assert "FIELD: containers <[]Container>" in page and "  image\t<string>" in page


def test_batch_rules(api):
    cj = {"metadata": {"name": "x" * 53}, "spec": {"schedule": "every minute", "jobTemplate": {
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}],
                                       "restartPolicy": "OnFailure"}}}}}}
    e = err(api.create, "cronjobs", cj)
    fields = [c["field"] for c in e.status["details"]["causes"]]
    assert fields == ["spec.schedule", "metadata.name"]
    assert "must be no more than 52 characters" in e.message
    job = {"metadata": {"name": "j"}, "spec": {"completionMode": "Indexed", "template": {
        "spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}}}
    job["spec"]["parallelism"] = 2
    e = err(api.create, "jobs", job)
    assert e.message == ('Job.batch "j" is invalid: spec.completions: Required value: when '
                         "completion mode is Indexed")


def test_deployment_strategy(api):
    body = deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    e = err(api.create, "deployments", body)
    assert e.message == ('Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.'
                         "maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, "
                         'StrVal:""}: may not be 0 when `maxSurge` is 0')


def test_other_kinds(api):
    e = err(api.create, "configmaps", {"metadata": {"name": "c"}, "data": {"bad key": "v"}})
    assert e.message.startswith('ConfigMap "c" is invalid: data[bad key]: Invalid value: '
                                '"bad key": a valid config key must consist of alphanumeric')
    e = err(api.create, "persistentvolumeclaims", {"metadata": {"name": "c"}, "spec": {}})
    assert e.message == ('PersistentVolumeClaim "c" is invalid: [spec.accessModes: Required '
                         'value: at least 1 access mode is required, spec.resources[storage]: '
                         'Required value]')
    e = err(api.create, "limitranges", {"metadata": {"name": "l"}, "spec": {"limits": [
        {"type": "Container", "min": {"cpu": "1"}, "max": {"cpu": "500m"}}]}})
    assert "spec.limits[0].min[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount" \
           "{value:1, scale:0}" in e.message and "min value 1 is greater than max value 500m" \
           in e.message
    rb = api.create("rolebindings", {"metadata": {"name": "rb"}, "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": "jane"}]})
    rb["roleRef"]["name"] = "edit"
    e = err(api.update, "rolebindings", rb)
    assert e.message == ('RoleBinding.rbac.authorization.k8s.io "rb" is invalid: roleRef: '
                         'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", '
                         'Kind:"ClusterRole", Name:"edit"}: cannot change roleRef')
    e = err(api.create, "roles", {"metadata": {"name": "r"}, "rules": [{"verbs": ["get"]}]})
    assert e.message == ('Role.rbac.authorization.k8s.io "r" is invalid: [rules[0].apiGroups: '
                         "Required value: resource rules must supply at least one api group, "
                         "rules[0].resources: Required value: resource rules must supply at "
                         "least one resource]")


def test_status_writes_skip_spec_validation(api):
    """A status-only write is checked for metadata rules only (the strategies' status
    validation), so it stays cheap for kubelets and controllers."""
    d = api.create("deployments", deployment())
    d["status"] = {"replicas": 1}
    got = api.update("deployments", d, subresource="status")
    assert got["status"] == {"replicas": 1}


def corpus_docs():
    for path in sorted(CORPUS.rglob("*.yaml")):
        yield pytest.param(path, id=str(path.relative_to(CORPUS)))


@pytest.mark.parametrize("path", list(corpus_docs()))
def test_documentation_examples(path):
    """Every manifest of the Kubernetes docs corpus: supported kinds are accepted as they are
    (and have no unknown field); the two broken ones fail as on a real cluster."""
    api = new_api()
    rel = str(path.relative_to(CORPUS))
    errors = []
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc:
            continue
        try:
            rt = api.registry.for_kind(str(doc.get("apiVersion")), str(doc.get("kind")))
            assert unknown_fields(rt, doc) == []
            api.create(rt, doc, (doc.get("metadata") or {}).get("namespace"))
        except ApiError as e:
            errors.append((e.code, e.message))
    if rel == "application/job/cronjob.yaml":
        assert errors == [(404, 'no matches for kind "CronJob" in version "batch/v1beta1"')]
    elif rel == "pods/pod-with-node-affinity.yaml":
        assert [code for code, _ in errors] == [400]
    else:
        assert errors == []
