"""Admission plugins, with kube-apiserver v1.33's behaviour and messages.

Upstream: k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle,
plugin/pkg/admission/limitranger, plugin/pkg/admission/serviceaccount,
plugin/pkg/admission/defaulttolerationseconds, plugin/pkg/admission/priority,
k8s.io/apiserver/pkg/admission/plugin/resourcequota and pkg/quota/v1/evaluator/core,
k8s.io/apiserver/pkg/admission/errors.go (mutating plugins run before the name is generated and
name the generateName prefix; validating ones see the generated name:
rest.AdmissionToValidateObjectFunc).
The LimitRange and ResourceQuota scenarios are the Kubernetes documentation's own examples
(content/en/docs/tasks/administer-cluster/manage-resources/*).
"""
import pathlib
import random
import re

import pytest
import yaml

from labkit.minicluster.apiserver import APIServer
from labkit.minicluster.clock import EventLoop
from labkit.minicluster.errors import ApiError
from labkit.minicluster.store import Store

CORPUS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "k8s-examples"


@pytest.fixture
def api():
    api = APIServer(Store(), EventLoop().clock, random.Random(0))
    for ns in ("default", "kube-system", "kube-public", "team"):
        api.create("namespaces", {"metadata": {"name": ns}})
    return api


def err(fn, *a, **kw) -> ApiError:
    with pytest.raises(ApiError) as e:
        fn(*a, **kw)
    return e.value


def example(name):
    return yaml.safe_load((CORPUS / "admin/resource" / name).read_text())


def pod(name="p", resources=None, **spec):
    c = {"name": "nginx", "image": "nginx"}
    if resources is not None:
        c["resources"] = resources
    return {"metadata": {"name": name}, "spec": {"containers": [c], **spec}}


def test_plugin_order(api):
    assert api.admission.mutating_names() == [
        "NamespaceLifecycle", "LimitRanger", "ServiceAccount", "Priority",
        "DefaultTolerationSeconds", "DefaultStorageClass", "StorageObjectInUseProtection",
        "DefaultIngressClass"]
    assert api.admission.validating_names() == ["LimitRanger", "ServiceAccount", "Priority",
                                                "ResourceQuota"]


def test_namespace_lifecycle(api):
    e = err(api.create, "pods", pod(), "nowhere")
    assert (e.code, e.message) == (404, 'namespaces "nowhere" not found')
    api.delete("namespaces", "team")
    e = err(api.create, "configmaps", {"metadata": {"name": "c"}}, "team")
    assert (e.code, e.message) == (403, 'configmaps "c" is forbidden: unable to create new '
                                         'content in namespace team because it is being '
                                         'terminated')
    assert e.status["details"]["causes"] == [{
        "reason": "NamespaceTerminating", "message": "namespace team is being terminated",
        "field": "metadata.namespace"}]
    for ns in ("default", "kube-system", "kube-public"):
        e = err(api.delete, "namespaces", ns)
        assert (e.code, e.message) == (403, f'namespaces "{ns}" is forbidden: this namespace may '
                                            'not be deleted')


def test_forbidden_names_the_generate_name_prefix(api):
    """extractResourceName: before the name is generated, errors show generateName."""
    body = pod()
    body["metadata"] = {"generateName": "web-7d4b9c-"}
    api.delete("namespaces", "team")
    e = err(api.create, "pods", body, "team")
    assert e.message.startswith('pods "web-7d4b9c-" is forbidden: unable to create new content')


def test_limit_range_defaults(api):
    """The docs' cpu-defaults example: requests 500m and limits 1 are filled in."""
    api.create("limitranges", example("cpu-defaults.yaml"))
    got = api.create("pods", example("cpu-defaults-pod.yaml"))
    assert got["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1"},
                                                         "requests": {"cpu": "500m"}}
    assert got["metadata"]["annotations"] == {"kubernetes.io/limit-ranger": (
        "LimitRanger plugin set: cpu request for container default-cpu-demo-ctr; cpu limit for "
        "container default-cpu-demo-ctr")}
    assert got["status"]["qosClass"] == "Burstable"


def test_limit_range_min_max(api):
    """The docs' cpu-constraints example: 1500m is over the 800m max."""
    api.create("limitranges", example("cpu-constraints.yaml"))
    assert api.create("pods", example("cpu-constraints-pod.yaml"))["metadata"]["name"]
    e = err(api.create, "pods", pod("big", {"limits": {"cpu": "1.5"}, "requests": {"cpu": "500m"}}))
    assert (e.code, e.message) == (403, 'pods "big" is forbidden: maximum cpu usage per Container '
                                        'is 800m, but limit is 1500m')
    e = err(api.create, "pods", pod("small", {"limits": {"cpu": "800m"}, "requests": {"cpu": "100m"}}))
    assert e.message == ('pods "small" is forbidden: minimum cpu usage per Container is 200m, but '
                         'request is 100m')
    # no resources at all: SetDefaults_LimitRangeItem made default = defaultRequest = max
    got = api.create("pods", pod("none"))["spec"]["containers"][0]["resources"]
    assert got == {"limits": {"cpu": "800m"}, "requests": {"cpu": "800m"}}


def test_limit_range_per_pod(api):
    """A Pod-type item checks the pod's totals; nothing is defaulted for it."""
    api.create("limitranges", {"metadata": {"name": "pods"}, "spec": {"limits": [
        {"type": "Pod", "min": {"cpu": "200m"}, "max": {"memory": "1Gi"}}]}})
    e = err(api.create, "pods", pod("none"))
    assert e.message == ('pods "none" is forbidden: [minimum cpu usage per Pod is 200m.  No '
                         'request is specified, maximum memory usage per Pod is 1Gi.  No limit '
                         'is specified]')


def test_limit_range_ratio(api):
    api.create("limitranges", {"metadata": {"name": "ratio"}, "spec": {"limits": [
        {"type": "Container", "maxLimitRequestRatio": {"memory": "2"}}]}})
    e = err(api.create, "pods", pod("r", {"limits": {"memory": "1Gi"}, "requests": {"memory": "256Mi"}}))
    assert e.message == ('pods "r" is forbidden: memory max limit to request ratio per Container is '
                         '2, but provided ratio is 4.000000')


def test_service_account(api):
    e = err(api.create, "pods", pod(serviceAccountName="builder"))
    assert (e.code, e.message) == (403, 'pods "p" is forbidden: error looking up service account '
                                        'default/builder: serviceaccount "builder" not found')
    api.create("serviceaccounts", {"metadata": {"name": "builder"},
                                   "automountServiceAccountToken": False,
                                   "imagePullSecrets": [{"name": "regcred"}]})
    got = api.create("pods", pod(serviceAccountName="builder"))["spec"]
    assert "volumes" not in got and "volumeMounts" not in got["containers"][0]
    assert got["imagePullSecrets"] == [{"name": "regcred"}]
    got = api.create("pods", pod("q", serviceAccountName="builder",
                                 automountServiceAccountToken=True))["spec"]
    assert got["volumes"][0]["name"].startswith("kube-api-access-")


def test_token_volume_names_are_deterministic():
    """Random names come from a seeded RNG: the same cluster makes the same names."""
    names = []
    for _ in range(2):
        api = APIServer(Store(), EventLoop().clock, random.Random(42))
        api.create("namespaces", {"metadata": {"name": "default"}})
        names.append(api.create("pods", pod())["spec"]["volumes"][0]["name"])
    assert names[0] == names[1]


def test_default_toleration_seconds_keeps_existing_tolerations(api):
    got = api.create("pods", pod(tolerations=[{"key": "node.kubernetes.io/not-ready",
                                               "operator": "Exists", "effect": "NoExecute",
                                               "tolerationSeconds": 30}]))
    keys = [(t["key"], t.get("tolerationSeconds")) for t in got["spec"]["tolerations"]]
    assert keys == [("node.kubernetes.io/not-ready", 30), ("node.kubernetes.io/unreachable", 300)]


def test_priority(api):
    api.create("priorityclasses", {"metadata": {"name": "high"}, "value": 1000})
    got = api.create("pods", pod(priorityClassName="high"))["spec"]
    assert (got["priority"], got["preemptionPolicy"]) == (1000, "PreemptLowerPriority")
    e = err(api.create, "pods", pod("x", priorityClassName="urgent"))
    assert e.message == 'pods "x" is forbidden: no PriorityClass with name urgent was found'
    e = err(api.create, "pods", pod("y", priorityClassName="high", priority=5))
    assert e.message == ('pods "y" is forbidden: the integer value of priority (5) must not be '
                         'provided in pod spec; priority admission controller computed 1000 from '
                         'the given PriorityClass name')
    api.create("priorityclasses", {"metadata": {"name": "low"}, "value": 10,
                                   "globalDefault": True})
    got = api.create("pods", pod("z"))["spec"]
    assert (got["priorityClassName"], got["priority"]) == ("low", 10)
    e = err(api.create, "priorityclasses", {"metadata": {"name": "other"}, "value": 1,
                                            "globalDefault": True})
    assert e.message == ('priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass '
                         'low is already marked as default. Only one default can exist')


def test_quota_requires_declared_resources(api):
    """podEvaluator.Constraints: a quota on compute resources needs every container to say."""
    api.create("resourcequotas", example("quota-mem-cpu.yaml"))
    e = err(api.create, "pods", pod())
    assert (e.code, e.message) == (403, 'pods "p" is forbidden: failed quota: mem-cpu-demo: must '
                                        'specify limits.cpu for: nginx; limits.memory for: nginx; '
                                        'requests.cpu for: nginx; requests.memory for: nginx')


def test_quota_exceeded_and_status_used(api):
    """The docs' quota-mem-cpu example: the second pod asks for too much memory."""
    api.create("resourcequotas", example("quota-mem-cpu.yaml"))
    api.create("pods", example("quota-mem-cpu-pod.yaml"))
    status = api.get("resourcequotas", "mem-cpu-demo")["status"]
    assert status == {"hard": {"limits.cpu": "2", "limits.memory": "2Gi", "requests.cpu": "1",
                               "requests.memory": "1Gi"},
                      "used": {"limits.cpu": "800m", "limits.memory": "800Mi",
                               "requests.cpu": "400m", "requests.memory": "600Mi"}}
    e = err(api.create, "pods", example("quota-mem-cpu-pod-2.yaml"))
    assert (e.code, e.message) == (403, 'pods "quota-mem-cpu-demo-2" is forbidden: exceeded quota: '
                                        'mem-cpu-demo, requested: requests.memory=700Mi, used: '
                                        'requests.memory=600Mi, limited: requests.memory=1Gi')


def test_quota_counts_objects(api):
    """The docs' quota-pod example: a third pod is refused; dry runs charge nothing."""
    api.create("resourcequotas", example("quota-pod.yaml"))
    api.create("pods", pod("a"))
    api.create("pods", pod("b"), dry_run=True)
    assert api.get("resourcequotas", "pod-demo")["status"]["used"] == {"pods": "1"}
    api.create("pods", pod("b"))
    body = pod()
    body["metadata"] = {"generateName": "pod-quota-demo-7d4b9c-"}
    e = err(api.create, "pods", body)  # validating admission sees the generated name
    assert re.fullmatch(r'pods "pod-quota-demo-7d4b9c-[a-z0-9]{5}" is forbidden: exceeded quota: '
                        r'pod-demo, requested: pods=1, used: pods=2, limited: pods=2', e.message)
    api.create("resourcequotas", {"metadata": {"name": "cm"}, "spec": {"hard": {
        "count/configmaps": "1", "configmaps": "5"}}})
    api.create("configmaps", {"metadata": {"name": "one"}})
    e = err(api.create, "configmaps", {"metadata": {"name": "two"}})
    assert e.message == ('configmaps "two" is forbidden: exceeded quota: cm, requested: '
                         'count/configmaps=1, used: count/configmaps=1, limited: '
                         'count/configmaps=1')


def test_quota_scopes(api):
    """BestEffort-scoped quotas only count pods without requests or limits."""
    api.create("resourcequotas", {"metadata": {"name": "be"}, "spec": {
        "hard": {"pods": "1"}, "scopes": ["BestEffort"]}})
    api.create("pods", pod("a"))
    api.create("pods", pod("b", {"requests": {"cpu": "100m"}}))
    e = err(api.create, "pods", pod("c"))
    assert "exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1" in e.message


def test_default_storage_class(api):
    api.create("storageclasses", {"metadata": {"name": "standard", "annotations": {
        "storageclass.kubernetes.io/is-default-class": "true"}}, "provisioner": "x.io/p"})
    pvc = api.create("persistentvolumeclaims", {"metadata": {"name": "c"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    assert pvc["spec"]["storageClassName"] == "standard"
