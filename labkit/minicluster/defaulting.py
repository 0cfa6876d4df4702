"""Defaulting: the values the API server fills in when a manifest leaves a field out.

A real API server decodes every request into Go structs and runs the generated defaulters
(pkg/apis/*/v1/defaults.go, plus ``+default`` markers in k8s.io/api, v1.33) before anything
else. That is why ``kubectl get deploy web -o yaml`` shows ``strategy``, ``revisionHistoryLimit``
and ``progressDeadlineSeconds`` you never wrote, and why every container has an
``imagePullPolicy``. Defaults apply to pod *templates* too (Deployments, Jobs...), except the
few that upstream sets on Pods only (``enableServiceLinks``, requests copied from limits).

:func:`apply_defaults` runs on every create and update. :func:`prepare_for_create` holds the
create-only changes upstream makes in the registry strategies once the object has its UID
(the Job's generated selector, a Namespace's ``kubernetes`` finalizer).

Quantities are also rewritten in canonical form here (``0.5`` → ``500m``, ``1.5Gi`` →
``1536Mi``): the server stores ``resource.Quantity`` values and prints them canonically.
"""
from __future__ import annotations

import base64

import orjson

from . import schema
from .schema.quantity import canonical
from .upstream import (CRONJOB_FAILED_JOBS_HISTORY_LIMIT, CRONJOB_SUCCESSFUL_JOBS_HISTORY_LIMIT,
                       DEFAULT_CPU_UTILIZATION, DEPLOYMENT_MAX_SURGE,
                       DEPLOYMENT_MAX_UNAVAILABLE, DEPLOYMENT_PROGRESS_DEADLINE_SECONDS,
                       DEPLOYMENT_REVISION_HISTORY_LIMIT, JOB_CONTROLLER_UID_LABEL,
                       JOB_DEFAULT_BACKOFF_LIMIT, JOB_NAME_LABEL, LABEL_METADATA_NAME,
                       LEGACY_JOB_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL,
                       NAMESPACE_FINALIZER_KUBERNETES, PROJECTED_VOLUME_DEFAULT_MODE,
                       REVISION_HISTORY_LIMIT, SA_TOKEN_DEFAULT_EXPIRATION_SECONDS,
                       TERMINATION_GRACE_PERIOD_SECONDS)


def apply_defaults(rt, obj: dict, subresource: str | None = None) -> None:
    """Decode-time checks and defaults, in place (the decoder plus ``SetObjectDefaults_*``).

    For a ``status`` write only metadata and status are decoded and defaulted: the status
    strategy throws the rest away (simplification, the result is the same)."""
    if subresource == "status":
        schema.check_types(rt, obj, ("apiVersion", "kind", "metadata", "status"))
        if rt.kind == "Node":
            _node(obj)
        return
    schema.check_types(rt, obj)
    fn = _DEFAULTERS.get(rt.kind)
    if fn:
        fn(obj)


def prepare_for_create(rt, obj: dict) -> None:
    """Create-only changes of the registry strategies (``PrepareForCreate``), run after the API
    server assigned ``metadata.uid``."""
    if rt.kind == "Job":
        _generate_job_selector(obj)
    elif rt.kind == "Namespace":
        # pkg/registry/core/namespace/strategy.go: the namespace controller removes it
        obj.setdefault("spec", {})["finalizers"] = [NAMESPACE_FINALIZER_KUBERNETES]


def _dict(parent: dict, key: str) -> dict:
    """``parent[key]`` as a dict, created if missing (a JSON null becomes ``{}``)."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


def _items(parent: dict, key: str):
    """The dict items of the list ``parent[key]`` (nothing if absent)."""
    return [x for x in parent.get(key) or () if isinstance(x, dict)]


# -- quantities -----------------------------------------------------------------------------
def _resource_list(lst) -> None:
    """SetDefaults_ResourceList: round up to milli-units, print canonically."""
    if isinstance(lst, dict):
        for k, v in lst.items():
            lst[k] = canonical(v, True)


def _requirements(res) -> None:
    if isinstance(res, dict):
        _resource_list(res.get("limits"))
        _resource_list(res.get("requests"))


# -- pods -----------------------------------------------------------------------------------
def _image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or no tag, else ``IfNotPresent`` (parsers.ParseImageName)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _probe(p) -> None:
    if not isinstance(p, dict):
        return
    for k, v in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                 ("failureThreshold", 3)):
        if not p.get(k):
            p[k] = v
    _handler(p)


def _handler(h) -> None:
    get = h.get("httpGet") if isinstance(h, dict) else None
    if isinstance(get, dict):
        if not get.get("path"):
            get["path"] = "/"
        if not get.get("scheme"):
            get["scheme"] = "HTTP"


def _field_ref(ref) -> None:
    if isinstance(ref, dict) and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


def _container(c: dict) -> None:
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = _image_pull_policy(str(c.get("image") or ""))
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    _requirements(_dict(c, "resources"))
    for p in _items(c, "ports"):
        if not p.get("protocol"):
            p["protocol"] = "TCP"
    for e in _items(c, "env"):
        _field_ref((e.get("valueFrom") or {}).get("fieldRef"))
        rf = (e.get("valueFrom") or {}).get("resourceFieldRef")
        if isinstance(rf, dict) and rf.get("divisor") is not None:
            rf["divisor"] = canonical(rf["divisor"])
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(probe))
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        _handler(lifecycle.get("postStart"))
        _handler(lifecycle.get("preStop"))


def _key_to_paths(src: dict) -> None:
    for item in _items(src, "items"):
        _field_ref(item.get("fieldRef"))


def _volume(v: dict) -> None:
    sources = [k for k in v if k != "name" and v[k] is not None]
    if not sources:
        v["emptyDir"] = {}  # SetDefaults_Volume
    for kind in ("secret", "configMap", "downwardAPI", "projected"):
        src = v.get(kind)
        if isinstance(src, dict):
            src.setdefault("defaultMode", PROJECTED_VOLUME_DEFAULT_MODE)
            _key_to_paths(src)
    for proj in _items(v.get("projected") or {}, "sources"):
        for sub in ("downwardAPI",):
            if isinstance(proj.get(sub), dict):
                _key_to_paths(proj[sub])
        token = proj.get("serviceAccountToken")
        if isinstance(token, dict) and token.get("expirationSeconds") is None:
            token["expirationSeconds"] = SA_TOKEN_DEFAULT_EXPIRATION_SECONDS
    hp = v.get("hostPath")
    if isinstance(hp, dict) and hp.get("type") is None:
        hp["type"] = ""
    ed = v.get("emptyDir")
    if isinstance(ed, dict) and ed.get("sizeLimit") is not None:
        ed["sizeLimit"] = canonical(ed["sizeLimit"])
    eph = (v.get("ephemeral") or {}).get("volumeClaimTemplate")
    if isinstance(eph, dict):
        _pvc_spec(_dict(eph, "spec"))


def pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec and everything nested in a PodSpec (pods and templates)."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = TERMINATION_GRACE_PERIOD_SECONDS
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    # v1 conversion: serviceAccount is the deprecated alias of serviceAccountName
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    for c in _items(spec, "containers") + _items(spec, "initContainers") + \
            _items(spec, "ephemeralContainers"):
        _container(c)
    for v in _items(spec, "volumes"):
        _volume(v)
    _resource_list(spec.get("overhead"))
    if isinstance(spec.get("resources"), dict):
        _requirements(spec["resources"])
    if spec.get("hostNetwork"):
        for c in _items(spec, "containers") + _items(spec, "initContainers"):
            for p in _items(c, "ports"):
                if not p.get("hostPort"):
                    p["hostPort"] = p.get("containerPort")


_POD_MEMO: dict = {}


def _pod(obj: dict) -> None:
    """SetDefaults_Pod + PodSpec defaults, remembered per input spec (a controller's pods are
    identical): the result is stored serialized and decoded fresh for each pod."""
    spec = _dict(obj, "spec")
    try:
        key = orjson.dumps(spec)
    except TypeError:
        return _pod_defaults(spec)
    hit = _POD_MEMO.get(key)
    if hit is None:
        _pod_defaults(spec)
        if len(_POD_MEMO) >= 4096:
            _POD_MEMO.clear()
        _POD_MEMO[key] = orjson.dumps(spec)
    else:
        obj["spec"] = orjson.loads(hit)


def _pod_defaults(spec: dict) -> None:
    for c in _items(spec, "containers") + _items(spec, "initContainers"):
        res = c.get("resources")
        if isinstance(res, dict) and isinstance(res.get("limits"), dict):
            req = _dict(res, "requests")  # SetDefaults_Pod: requests default to limits
            for k, v in res["limits"].items():
                req.setdefault(k, v)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    pod_spec(spec)


def _template(obj: dict, *path: str) -> None:
    node = obj
    for p in path:
        node = _dict(node, p)
    pod_spec(_dict(_dict(node, "template"), "spec"))


# -- workloads ------------------------------------------------------------------------------
def _deployment(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    st = _dict(spec, "strategy")
    if not st.get("type"):
        st["type"] = "RollingUpdate"
    if st["type"] == "RollingUpdate":
        ru = _dict(st, "rollingUpdate")
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = DEPLOYMENT_MAX_UNAVAILABLE
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = DEPLOYMENT_MAX_SURGE
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = DEPLOYMENT_REVISION_HISTORY_LIMIT
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = DEPLOYMENT_PROGRESS_DEADLINE_SECONDS
    _template(obj, "spec")


def _replicaset(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    _template(obj, "spec")


def _replication_controller(obj: dict) -> None:
    """SetDefaults_ReplicationController: selector and labels default to the template's."""
    spec = _dict(obj, "spec")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = _dict(obj, "metadata")
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if isinstance(spec.get("template"), dict):
        _template(obj, "spec")


def _statefulset(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    us = _dict(spec, "updateStrategy")
    if not us.get("type"):
        us["type"] = "RollingUpdate"
        if us.get("rollingUpdate") is None:
            us["rollingUpdate"] = {}
    if us["type"] == "RollingUpdate" and isinstance(us.get("rollingUpdate"), dict):
        if us["rollingUpdate"].get("partition") is None:
            us["rollingUpdate"]["partition"] = 0
    policy = _dict(spec, "persistentVolumeClaimRetentionPolicy")  # StatefulSetAutoDeletePVC, GA
    for k in ("whenDeleted", "whenScaled"):
        if not policy.get(k):
            policy[k] = "Retain"
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = REVISION_HISTORY_LIMIT
    for claim in _items(spec, "volumeClaimTemplates"):
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        _pvc(claim)
        _dict(claim, "status").setdefault("phase", "Pending")
    _template(obj, "spec")


def _daemonset(obj: dict) -> None:
    spec = _dict(obj, "spec")
    us = _dict(spec, "updateStrategy")
    if not us.get("type"):
        us["type"] = "RollingUpdate"
    if us["type"] == "RollingUpdate":
        ru = _dict(us, "rollingUpdate")
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = 1
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = REVISION_HISTORY_LIMIT
    _template(obj, "spec")


def _job(obj: dict) -> None:
    """SetDefaults_Job (pkg/apis/batch/v1/defaults.go)."""
    spec = _dict(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = (2 ** 31 - 1) if spec.get("backoffLimitPerIndex") is not None \
            else JOB_DEFAULT_BACKOFF_LIMIT
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    meta = _dict(obj, "metadata")
    if labels and not meta.get("labels"):
        meta["labels"] = dict(labels)
    if not spec.get("completionMode"):
        spec["completionMode"] = "NonIndexed"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    for rule in _items(spec.get("podFailurePolicy") or {}, "rules"):
        for pattern in _items(rule, "onPodConditions"):
            if not pattern.get("status"):
                pattern["status"] = "True"
    if not spec.get("podReplacementPolicy"):  # JobPodReplacementPolicy, beta (on) in v1.33
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") \
            else "TerminatingOrFailed"
    if spec.get("manualSelector") is None:
        spec["manualSelector"] = False
    _template(obj, "spec")


def _generate_job_selector(job: dict) -> None:
    """The Job strategy's generateSelector: label the template with the job's name and UID and
    select on ``batch.kubernetes.io/controller-uid`` (pkg/registry/batch/job/strategy.go)."""
    spec = _dict(job, "spec")
    if spec.get("manualSelector"):
        return
    meta = job["metadata"]
    labels = _dict(_dict(_dict(spec, "template"), "metadata"), "labels")
    for key in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        labels.setdefault(key, meta.get("name", ""))
    for key in (LEGACY_JOB_CONTROLLER_UID_LABEL, JOB_CONTROLLER_UID_LABEL):
        labels.setdefault(key, meta.get("uid", ""))
    match = _dict(_dict(spec, "selector"), "matchLabels")
    match.setdefault(JOB_CONTROLLER_UID_LABEL, meta.get("uid", ""))


def _cronjob(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = CRONJOB_SUCCESSFUL_JOBS_HISTORY_LIMIT
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = CRONJOB_FAILED_JOBS_HISTORY_LIMIT
    _template(_dict(_dict(spec, "jobTemplate"), "spec"))


# -- core -----------------------------------------------------------------------------------
def _service(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = _dict(_dict(spec, "sessionAffinityConfig"), "clientIP")
        if cfg.get("timeoutSeconds") is None:
            cfg["timeoutSeconds"] = 10800  # DefaultClientIPServiceAffinitySeconds
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    for p in _items(spec, "ports"):
        if not p.get("protocol"):
            p["protocol"] = "TCP"
        if p.get("targetPort") in (None, 0, ""):
            p["targetPort"] = p.get("port")
    external = spec["type"] in ("NodePort", "LoadBalancer")
    if external and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] != "ExternalName":
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True


def _namespace(obj: dict) -> None:
    meta = _dict(obj, "metadata")
    if meta.get("name"):
        _dict(meta, "labels")[LABEL_METADATA_NAME] = meta["name"]


_B64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _check_base64(rt, value: str) -> None:
    """``data`` values are []byte in Go: base64 on the wire; anything else fails decoding.
    (The reported offset is the first bad character, or the last group if the padding is
    wrong: close to Go's CorruptInputError.)"""
    stripped = value.rstrip("=")
    bad = next((i for i, ch in enumerate(stripped) if ch not in _B64), None)
    if bad is None and (len(value) % 4 or len(value) - len(stripped) > 2):
        bad = len(value) - len(value) % 4 if len(value) % 4 else len(stripped)
    if bad is not None:
        from . import errors
        raise errors.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a '
                                 f"{rt.kind}: illegal base64 data at input byte {bad}")


def _secret(obj: dict) -> None:
    """SetDefaults_Secret, and the v1 conversion: ``stringData`` is write-only, merged into
    ``data`` (base64) and never stored (k8s.io/kubernetes/pkg/apis/core/v1/conversion.go)."""
    from .resources import REGISTRY
    rt = REGISTRY.for_name("secrets")
    for v in (obj.get("data") or {}).values():
        _check_base64(rt, str(v))
    string_data = obj.pop("stringData", None)
    if string_data:
        data = obj.get("data") or {}
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        obj["data"] = data
    if not obj.get("type"):
        obj["type"] = "Opaque"


def _pvc_spec(spec: dict) -> None:
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    _requirements(spec.get("resources"))


def _pvc(obj: dict) -> None:
    _pvc_spec(_dict(obj, "spec"))


def _pv(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    _resource_list(spec.get("capacity"))


def _limit_range(obj: dict) -> None:
    """SetDefaults_LimitRangeItem: a Container item's default comes from max, its
    defaultRequest from default, then from min."""
    for item in _items(_dict(obj, "spec"), "limits"):
        for k in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            _resource_list(item.get(k))
        if item.get("type") != "Container":
            continue
        default, request = _dict(item, "default"), _dict(item, "defaultRequest")
        for k, v in (item.get("max") or {}).items():
            default.setdefault(k, v)
        for k, v in default.items():
            request.setdefault(k, v)
        for k, v in (item.get("min") or {}).items():
            request.setdefault(k, v)


def _resource_quota(obj: dict) -> None:
    _resource_list(_dict(obj, "spec").get("hard"))


def _node(obj: dict) -> None:
    status = obj.get("status")
    if isinstance(status, dict):
        for k in ("capacity", "allocatable"):
            _resource_list(status.get(k))
        if status.get("allocatable") is None and status.get("capacity") is not None:
            status["allocatable"] = dict(status["capacity"])


def _endpoints(obj: dict) -> None:
    for subset in _items(obj, "subsets"):
        for p in _items(subset, "ports"):
            if not p.get("protocol"):
                p["protocol"] = "TCP"


# -- other groups ---------------------------------------------------------------------------
def _hpa(obj: dict) -> None:
    """autoscaling/v2 SetDefaults_HorizontalPodAutoscaler (+ behavior when given)."""
    spec = _dict(obj, "spec")
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if obj.get("apiVersion") == "autoscaling/v1":
        return  # v1 defaults only minReplicas (the controller assumes 80% CPU)
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION}}}]
    for m in _items(spec, "metrics"):
        target = (m.get("resource") or m.get("containerResource") or {}).get("target")
        if isinstance(target, dict):
            for k in ("value", "averageValue"):
                if target.get(k) is not None:
                    target[k] = canonical(target[k])
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        up, down = _dict(behavior, "scaleUp"), _dict(behavior, "scaleDown")
        _scaling_rules(up, 0, [{"type": "Pods", "value": 4, "periodSeconds": 15},
                               {"type": "Percent", "value": 100, "periodSeconds": 15}])
        _scaling_rules(down, None, [{"type": "Percent", "value": 100, "periodSeconds": 15}])


def _scaling_rules(rules: dict, window, policies) -> None:
    """GenerateHPAScaleUpRules / GenerateHPAScaleDownRules."""
    if rules.get("stabilizationWindowSeconds") is None and window is not None:
        rules["stabilizationWindowSeconds"] = window
    if not rules.get("selectPolicy"):
        rules["selectPolicy"] = "Max"
    if not rules.get("policies"):
        rules["policies"] = policies


def _network_policy(obj: dict) -> None:
    spec = _dict(obj, "spec")
    for direction in ("ingress", "egress"):
        for rule in _items(spec, direction):
            for p in _items(rule, "ports"):
                if not p.get("protocol"):
                    p["protocol"] = "TCP"
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def _binding(obj: dict) -> None:
    """rbac/v1 SetDefaults_Subject: Users and Groups belong to the RBAC API group."""
    for s in _items(obj, "subjects"):
        if not s.get("apiGroup") and s.get("kind") in ("User", "Group"):
            s["apiGroup"] = "rbac.authorization.k8s.io"


def _priority_class(obj: dict) -> None:
    if not obj.get("preemptionPolicy"):
        obj["preemptionPolicy"] = "PreemptLowerPriority"


def _storage_class(obj: dict) -> None:
    if not obj.get("reclaimPolicy"):
        obj["reclaimPolicy"] = "Delete"
    if not obj.get("volumeBindingMode"):
        obj["volumeBindingMode"] = "Immediate"


def _endpoint_slice(obj: dict) -> None:
    for p in _items(obj, "ports"):
        if not p.get("protocol"):
            p["protocol"] = "TCP"


_DEFAULTERS = {
    "Pod": _pod, "PodTemplate": lambda o: pod_spec(_dict(_dict(o, "template"), "spec")),
    "Deployment": _deployment, "ReplicaSet": _replicaset,
    "ReplicationController": _replication_controller, "StatefulSet": _statefulset,
    "DaemonSet": _daemonset, "Job": _job, "CronJob": _cronjob, "Service": _service,
    "Namespace": _namespace, "Secret": _secret, "PersistentVolumeClaim": _pvc,
    "PersistentVolume": _pv, "LimitRange": _limit_range, "ResourceQuota": _resource_quota,
    "Node": _node, "Endpoints": _endpoints, "HorizontalPodAutoscaler": _hpa,
    "NetworkPolicy": _network_policy, "RoleBinding": _binding, "ClusterRoleBinding": _binding,
    "PriorityClass": _priority_class, "StorageClass": _storage_class,
    "EndpointSlice": _endpoint_slice,
}
