"""Defaulting: the fields the API server fills in, as kube-apiserver v1.33 does.

Upstream: pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go, pkg/apis/batch/v1/defaults.go,
pkg/apis/autoscaling/v2/defaults.go, pkg/apis/networking/v1/defaults.go, the ``+default``
markers of k8s.io/api, pkg/registry/batch/job/strategy.go (generated selector),
pkg/registry/core/namespace/strategy.go (finalizer) and the admission plugins that fill
fields (ServiceAccount, Priority, DefaultTolerationSeconds).
"""
import random

import pytest

from labkit.minicluster.apiserver import APIServer
from labkit.minicluster.clock import EventLoop
from labkit.minicluster.errors import ApiError
from labkit.minicluster.schema.quantity import canonical
from labkit.minicluster.store import Store


@pytest.fixture
def api():
    loop = EventLoop()
    api = APIServer(Store(), loop.clock, random.Random(0))
    for ns in ("default", "kube-system"):
        api.create("namespaces", {"metadata": {"name": ns}})
    return api


def container(name="app", image="nginx:1.25", **kw):
    return {"name": name, "image": image, **kw}


def template(labels, **spec):
    return {"metadata": {"labels": labels}, "spec": {"containers": [container()], **spec}}


def test_pod_and_container_defaults(api):
    """SetDefaults_Pod, SetDefaults_PodSpec, SetDefaults_Container, ports' +default TCP."""
    pod = api.create("pods", {"metadata": {"name": "p"}, "spec": {"containers": [
        container(image="nginx", ports=[{"containerPort": 80}]),
        container(name="side", image="busybox@sha256:abc")]}})
    spec = pod["spec"]
    assert spec["dnsPolicy"] == "ClusterFirst" and spec["restartPolicy"] == "Always"
    assert spec["schedulerName"] == "default-scheduler" and spec["securityContext"] == {}
    assert spec["terminationGracePeriodSeconds"] == 30 and spec["enableServiceLinks"] is True
    c0, c1 = spec["containers"]
    assert c0["imagePullPolicy"] == "Always"  # no tag means :latest
    assert c1["imagePullPolicy"] == "IfNotPresent"  # a digest
    assert c0["terminationMessagePath"] == "/dev/termination-log"
    assert c0["terminationMessagePolicy"] == "File" and c0["resources"] == {}
    assert c0["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_pod_admission_fields(api):
    """ServiceAccount (serviceAccountName + kube-api-access volume), Priority (priority 0,
    preemptionPolicy) and DefaultTolerationSeconds (300 s for not-ready/unreachable)."""
    spec = api.create("pods", {"metadata": {"name": "p"},
                               "spec": {"containers": [container()]}})["spec"]
    assert spec["serviceAccountName"] == "default" and spec["serviceAccount"] == "default"
    assert spec["priority"] == 0 and spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert spec["tolerations"] == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300}]
    (volume,) = spec["volumes"]
    assert volume["name"].startswith("kube-api-access-") and len(volume["name"]) == 21
    assert volume["projected"]["defaultMode"] == 420
    sources = volume["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert sources[2]["downwardAPI"]["items"][0]["fieldRef"] == {
        "apiVersion": "v1", "fieldPath": "metadata.namespace"}
    assert spec["containers"][0]["volumeMounts"] == [{
        "name": volume["name"], "readOnly": True,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]


def test_requests_default_to_limits_and_quantities_are_canonical(api):
    """SetDefaults_Pod copies limits to missing requests; SetDefaults_ResourceList rounds up to
    milli-units; Quantity.String() prints canonically."""
    res = {"limits": {"cpu": "0.5", "memory": "1.5Gi"}, "requests": {"memory": "1024Mi"}}
    pod = api.create("pods", {"metadata": {"name": "p"},
                              "spec": {"containers": [container(resources=res)]}})
    got = pod["spec"]["containers"][0]["resources"]
    assert got == {"limits": {"cpu": "500m", "memory": "1536Mi"},
                   "requests": {"cpu": "500m", "memory": "1Gi"}}
    assert pod["status"]["qosClass"] == "Burstable"


@pytest.mark.parametrize("given, printed", [
    ("0.5", "500m"), ("2000m", "2"), ("1500", "1500"), ("2000", "2k"), ("1.5Gi", "1536Mi"),
    ("1024Mi", "1Gi"), ("1e3", "1e3"), ("129M", "129M"), (1, "1"), (0.25, "250m"),
    ("100Ki", "100Ki"), ("0", "0")])
def test_canonical_quantities(given, printed):
    """k8s.io/apimachinery/pkg/api/resource: CanonicalizeBytes keeps the suffix family."""
    assert canonical(given) == printed


def test_probe_defaults_and_volume_defaults(api):
    """SetDefaults_Probe, SetDefaults_HTTPGetAction, SetDefaults_Volume (emptyDir when no
    source), Secret/ConfigMap DefaultMode 0644, HostPath type ""."""
    probe = {"httpGet": {"port": 80}}
    pod = api.create("pods", {"metadata": {"name": "p"}, "spec": {
        "containers": [container(livenessProbe=probe, readinessProbe={"tcpSocket": {"port": 80}})],
        "volumes": [{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "c"}},
                    {"name": "host", "hostPath": {"path": "/data"}}]}})
    live = pod["spec"]["containers"][0]["livenessProbe"]
    assert live == {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                    "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    vols = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert vols["scratch"] == {"name": "scratch", "emptyDir": {}}
    assert vols["cfg"]["configMap"]["defaultMode"] == 420
    assert vols["host"]["hostPath"] == {"path": "/data", "type": ""}


def test_deployment_defaults(api):
    """SetDefaults_Deployment: replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit 10,
    progressDeadlineSeconds 600; the template gets PodSpec defaults but not Pod-only ones."""
    d = api.create("deployments", {"metadata": {"name": "web"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}}, "template": template({"app": "web"})}})
    spec = d["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10
    assert spec["strategy"] == {"type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["progressDeadlineSeconds"] == 600
    tspec = spec["template"]["spec"]
    assert tspec["restartPolicy"] == "Always" and "enableServiceLinks" not in tspec
    assert "serviceAccountName" not in tspec and "tolerations" not in tspec


def test_recreate_strategy_gets_no_rolling_update(api):
    d = api.create("deployments", {"metadata": {"name": "web"}, "spec": {
        "strategy": {"type": "Recreate"}, "selector": {"matchLabels": {"app": "web"}},
        "template": template({"app": "web"})}})
    assert d["spec"]["strategy"] == {"type": "Recreate"}


def test_replicaset_and_replication_controller_defaults(api):
    """ReplicaSet replicas 1; SetDefaults_ReplicationController: selector and labels from the
    template's labels."""
    rs = api.create("replicasets", {"metadata": {"name": "rs"}, "spec": {
        "selector": {"matchLabels": {"app": "a"}}, "template": template({"app": "a"})}})
    assert rs["spec"]["replicas"] == 1
    rc = api.create("replicationcontrollers", {"metadata": {"name": "rc"}, "spec": {
        "template": template({"app": "old", "tier": "web"})}})
    assert rc["spec"]["selector"] == {"app": "old", "tier": "web"}
    assert rc["metadata"]["labels"] == {"app": "old", "tier": "web"} and rc["spec"]["replicas"] == 1


def test_statefulset_defaults(api):
    """SetDefaults_StatefulSet (v1.33, StatefulSetAutoDeletePVC GA): OrderedReady, RollingUpdate
    partition 0, Retain/Retain, revisionHistoryLimit 10; serviceName stays optional."""
    s = api.create("statefulsets", {"metadata": {"name": "db"}, "spec": {
        "selector": {"matchLabels": {"app": "db"}}, "template": template({"app": "db"}),
        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    spec = s["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady" and spec["replicas"] == 1
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                            "whenScaled": "Retain"}
    assert spec["revisionHistoryLimit"] == 10 and "serviceName" not in spec
    claim = spec["volumeClaimTemplates"][0]
    assert claim["apiVersion"] == "v1" and claim["kind"] == "PersistentVolumeClaim"
    assert claim["spec"]["volumeMode"] == "Filesystem" and claim["status"] == {"phase": "Pending"}


def test_daemonset_defaults(api):
    """SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1, maxSurge 0."""
    ds = api.create("daemonsets", {"metadata": {"name": "agent"}, "spec": {
        "selector": {"matchLabels": {"app": "agent"}}, "template": template({"app": "agent"})}})
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate",
                                            "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert ds["spec"]["revisionHistoryLimit"] == 10


def test_job_defaults_and_generated_selector(api):
    """SetDefaults_Job and the Job strategy's generateSelector: the selector matches the Job's
    UID and the template carries both the legacy and the batch.kubernetes.io labels."""
    job = api.create("jobs", {"metadata": {"name": "pi"}, "spec": {"template": {
        "spec": {"containers": [container(image="perl")], "restartPolicy": "Never"}}}})
    spec, uid = job["spec"], job["metadata"]["uid"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed" and spec["suspend"] is False
    assert spec["manualSelector"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert spec["template"]["metadata"]["labels"] == {
        "controller-uid": uid, "batch.kubernetes.io/controller-uid": uid,
        "job-name": "pi", "batch.kubernetes.io/job-name": "pi"}


def test_parallel_job_keeps_completions_unset(api):
    """Only when both are unset do completions and parallelism default to 1."""
    job = api.create("jobs", {"metadata": {"name": "q"}, "spec": {"parallelism": 3, "template": {
        "spec": {"containers": [container()], "restartPolicy": "OnFailure"}}}})
    assert job["spec"]["parallelism"] == 3 and "completions" not in job["spec"]


def test_cronjob_defaults(api):
    """SetDefaults_CronJob: Allow, suspend false, history 3 successful / 1 failed."""
    cj = api.create("cronjobs", {"metadata": {"name": "hello"}, "spec": {
        "schedule": "*/1 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "containers": [container(image="busybox")], "restartPolicy": "OnFailure"}}}}}})
    spec = cj["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"]) == ("Allow", False)
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    assert spec["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    assert "backoffLimit" not in spec["jobTemplate"]["spec"]  # SetDefaults_Job is Job-only


def test_service_defaults(api):
    """SetDefaults_Service plus the Service storage's allocation: ClusterIP, None affinity,
    TCP, targetPort = port, Cluster traffic policy, one IPv4 cluster IP from 10.96.0.0/12."""
    svc = api.create("services", {"metadata": {"name": "web"}, "spec": {
        "selector": {"app": "web"}, "ports": [{"port": 80, "name": "web"}, {"port": 8080, "name": "alt",
                                               "targetPort": "http"}]}})
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"][0] == {"port": 80, "name": "web", "protocol": "TCP", "targetPort": 80}
    assert spec["ports"][1]["targetPort"] == "http"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
    assert spec["clusterIPs"] == [spec["clusterIP"]] and spec["clusterIP"].startswith("10.")
    nodeport = api.create("services", {"metadata": {"name": "np"}, "spec": {
        "type": "NodePort", "ports": [{"port": 80}]}})["spec"]
    assert nodeport["externalTrafficPolicy"] == "Cluster"
    assert 30000 <= nodeport["ports"][0]["nodePort"] <= 32767


def test_namespace_secret_pvc_networkpolicy_defaults(api):
    """SetDefaults_Namespace (label), namespace strategy (kubernetes finalizer),
    SetDefaults_Secret (Opaque), SetDefaults_PersistentVolumeClaimSpec (Filesystem),
    SetDefaults_NetworkPolicy (policyTypes)."""
    ns = api.create("namespaces", {"metadata": {"name": "team"}})
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["status"] == {"phase": "Active"}
    assert api.create("secrets", {"metadata": {"name": "s"}})["type"] == "Opaque"
    pvc = api.create("persistentvolumeclaims", {"metadata": {"name": "c"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    np = api.create("networkpolicies", {"metadata": {"name": "n"}, "spec": {
        "podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}})
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert np["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"


def test_hpa_and_limitrange_defaults(api):
    """autoscaling/v2 SetDefaults_HorizontalPodAutoscaler (minReplicas 1, 80% CPU);
    SetDefaults_LimitRangeItem (default ← max, defaultRequest ← default)."""
    hpa = api.create("horizontalpodautoscalers", {"metadata": {"name": "h"}, "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "maxReplicas": 5}})
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 80}}}]
    lr = api.create("limitranges", {"metadata": {"name": "l"}, "spec": {"limits": [
        {"type": "Container", "max": {"cpu": "1"}}]}})
    item = lr["spec"]["limits"][0]
    assert item["default"] == {"cpu": "1"} and item["defaultRequest"] == {"cpu": "1"}


def test_binding_subjects_get_the_rbac_api_group(api):
    """rbac/v1 SetDefaults_Subject: User and Group subjects default apiGroup."""
    rb = api.create("rolebindings", {"metadata": {"name": "rb"}, "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": "jane"},
                     {"kind": "ServiceAccount", "name": "default"}]})
    assert rb["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io"
    assert "apiGroup" not in rb["subjects"][1]


def test_defaults_survive_an_update(api):
    """Defaulting runs on every write: a PUT without the defaulted fields gets them back."""
    d = api.create("deployments", {"metadata": {"name": "web"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}}, "template": template({"app": "web"})}})
    body = {"metadata": {"name": "web", "resourceVersion": d["metadata"]["resourceVersion"]},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": template({"app": "web"})}}
    got = api.update("deployments", body)
    assert got["spec"]["replicas"] == 3 and got["spec"]["revisionHistoryLimit"] == 10
    assert got["metadata"]["generation"] == 2


def test_decoder_type_errors_are_bad_requests(api):
    """A value of the wrong JSON type fails decoding (400), worded like Go's encoding/json."""
    with pytest.raises(ApiError) as e:
        api.create("pods", {"metadata": {"name": "p"}, "spec": {"containers": "nginx"}})
    assert e.value.code == 400
    assert e.value.message == ('Pod in version "v1" cannot be handled as a Pod: json: cannot '
                               'unmarshal string into Go struct field PodSpec.spec.containers of '
                               'type []v1.Container')
    with pytest.raises(ApiError) as e:
        api.create("deployments", {"metadata": {"name": "d"}, "spec": {"replicas": "3"}})
    assert e.value.message.endswith("json: cannot unmarshal string into Go struct field "
                                    "DeploymentSpec.spec.replicas of type int32")


def test_secret_string_data_is_merged_into_data(api):
    """v1 conversion: stringData is write-only, merged into data as base64; data must be
    base64 (a []byte field), else decoding fails with a 400."""
    s = api.create("secrets", {"metadata": {"name": "s"}, "data": {"a": "eA=="},
                               "stringData": {"password": "hunter2"}})
    assert s["data"] == {"a": "eA==", "password": "aHVudGVyMg=="} and "stringData" not in s
    with pytest.raises(ApiError) as e:
        api.create("secrets", {"metadata": {"name": "t"}, "data": {"a": "not base64!"}})
    assert e.value.code == 400 and e.value.message == (
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input '
        'byte 3')


def test_requests_from_limits_only_for_pods_not_templates(api):
    """pkg/apis/core/v1/defaults.go SetDefaults_Pod (v1.37): containers and init containers
    whose requests are absent get them from limits - on Pods only. SetDefaults_PodSpec (shared
    with templates) leaves a Deployment's template alone; its pods get requests when created.
    Limits-only pods are therefore Guaranteed."""
    res = {"limits": {"cpu": "250m", "memory": "64Mi"}}
    pod = api.create("pods", {"metadata": {"name": "g"}, "spec": {
        "initContainers": [container(name="init", resources=res)],
        "containers": [container(resources=res)]}})
    for c in pod["spec"]["initContainers"] + pod["spec"]["containers"]:
        assert c["resources"]["requests"] == {"cpu": "250m", "memory": "64Mi"}
    assert pod["status"]["qosClass"] == "Guaranteed"
    dep = api.create("deployments", {"metadata": {"name": "web"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [container(resources=res)]}}}})
    assert dep["spec"]["template"]["spec"]["containers"][0]["resources"] == \
        {"limits": {"cpu": "250m", "memory": "64Mi"}}
