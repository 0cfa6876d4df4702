"""Decoding Kubernetes protobuf request bodies (``Content-Type: application/vnd.kubernetes.protobuf``).

kubectl's typed commands (``kubectl create deployment``, ``create namespace``, ``auth can-i``,
``drain``'s evictions, ``create token``...) send built-in objects in Kubernetes' protobuf encoding
(https://kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding):

    b"k8s\\x00" + runtime.Unknown{ typeMeta{apiVersion, kind}, raw: <the object's message>, ... }

Protobuf carries field *numbers*, not names, so decoding needs each message's field table. The
tables below cover the messages those kubectl commands produce (the numbers are the public wire
contract of k8s.io/api). A field outside them is reported as a 415 error rather than silently
dropped. Objects applied from YAML (``kubectl apply -f``) arrive as JSON and need none of this.

Zero values: the Go encoder always writes non-pointer scalars, even when empty, whereas JSON
omits them (``omitempty``); so empty strings, 0 and false are dropped unless the field is a
pointer in the Go types (``replicas: 0`` must survive), listed in :data:`POINTER_SCALARS`.
A field missing from the tables is accepted when it carries only such a zero value.
"""
from __future__ import annotations

import base64
from datetime import datetime, timezone

from .. import errors

MAGIC = b"k8s\x00"

# message -> {field number: (json name, type)}; type: s string, i int, b bool, y bytes (base64),
# Time, Quantity, IntOrString, a message name; prefix "*" = repeated; "map:K:V" = map.
_SPEC = """
Unknown: 1 typeMeta TypeMeta; 2 raw y; 3 contentEncoding s; 4 contentType s
TypeMeta: 1 apiVersion s; 2 kind s
ObjectMeta: 1 name s; 2 generateName s; 3 namespace s; 4 selfLink s; 5 uid s; 6 resourceVersion s; 7 generation i; 8 creationTimestamp Time; 9 deletionTimestamp Time; 10 deletionGracePeriodSeconds i; 11 labels map:s:s; 12 annotations map:s:s; 13 ownerReferences *OwnerReference; 14 finalizers *s
OwnerReference: 1 kind s; 3 name s; 4 uid s; 5 apiVersion s; 6 controller b; 7 blockOwnerDeletion b
LabelSelector: 1 matchLabels map:s:s; 2 matchExpressions *LabelSelectorRequirement
LabelSelectorRequirement: 1 key s; 2 operator s; 3 values *s
DeleteOptions: 1 gracePeriodSeconds i; 2 preconditions Preconditions; 3 orphanDependents b; 4 propagationPolicy s; 5 dryRun *s
Preconditions: 1 uid s; 2 resourceVersion s
Deployment: 1 metadata ObjectMeta; 2 spec DeploymentSpec; 3 status -
DeploymentSpec: 1 replicas i; 2 selector LabelSelector; 3 template PodTemplateSpec; 4 strategy DeploymentStrategy; 5 minReadySeconds i; 6 revisionHistoryLimit i; 7 paused b; 9 progressDeadlineSeconds i
DeploymentStrategy: 1 type s; 2 rollingUpdate RollingUpdateDeployment
RollingUpdateDeployment: 1 maxUnavailable IntOrString; 2 maxSurge IntOrString
Job: 1 metadata ObjectMeta; 2 spec JobSpec; 3 status -
JobSpec: 1 parallelism i; 2 completions i; 3 activeDeadlineSeconds i; 4 selector LabelSelector; 5 manualSelector b; 6 template PodTemplateSpec; 7 backoffLimit i; 8 ttlSecondsAfterFinished i; 9 completionMode s; 10 suspend b; 12 backoffLimitPerIndex i; 13 maxFailedIndexes i; 14 podReplacementPolicy s; 15 managedBy s
JobTemplateSpec: 1 metadata ObjectMeta; 2 spec JobSpec
CronJob: 1 metadata ObjectMeta; 2 spec CronJobSpec; 3 status -
CronJobSpec: 1 schedule s; 2 startingDeadlineSeconds i; 3 concurrencyPolicy s; 4 suspend b; 5 jobTemplate JobTemplateSpec; 6 successfulJobsHistoryLimit i; 7 failedJobsHistoryLimit i; 8 timeZone s
PodTemplateSpec: 1 metadata ObjectMeta; 2 spec PodSpec
Pod: 1 metadata ObjectMeta; 2 spec PodSpec; 3 status -
Volume: 1 name s; 2 - VolumeSource
VolumeSource: 1 hostPath HostPathVolumeSource; 2 emptyDir EmptyDirVolumeSource
HostPathVolumeSource: 1 path s; 2 type s
EmptyDirVolumeSource: 1 medium s; 2 sizeLimit Quantity
PodSpec: 1 volumes *Volume; 12 hostPID b; 13 hostIPC b; 27 shareProcessNamespace b; 35 setHostnameAsFQDN b; 2 containers *Container; 3 restartPolicy s; 4 terminationGracePeriodSeconds i; 5 activeDeadlineSeconds i; 6 dnsPolicy s; 7 nodeSelector map:s:s; 8 serviceAccountName s; 9 serviceAccount s; 10 nodeName s; 11 hostNetwork b; 14 securityContext -; 15 imagePullSecrets *LocalObjectReference; 16 hostname s; 17 subdomain s; 19 schedulerName s; 20 initContainers *Container; 21 automountServiceAccountToken b; 22 tolerations *Toleration; 24 priorityClassName s; 25 priority i; 30 enableServiceLinks b
Container: 1 name s; 2 image s; 3 command *s; 4 args *s; 5 workingDir s; 6 ports *ContainerPort; 7 env *EnvVar; 8 resources ResourceRequirements; 9 volumeMounts *VolumeMount; 13 terminationMessagePath s; 14 imagePullPolicy s; 16 stdin b; 17 stdinOnce b; 18 tty b; 19 envFrom *EnvFromSource; 20 terminationMessagePolicy s; 24 restartPolicy s
ContainerPort: 1 name s; 2 hostPort i; 3 containerPort i; 4 protocol s; 5 hostIP s
EnvVar: 1 name s; 2 value s; 3 valueFrom EnvVarSource
EnvVarSource: 1 fieldRef ObjectFieldSelector; 2 resourceFieldRef ResourceFieldSelector; 3 configMapKeyRef KeySelector; 4 secretKeyRef KeySelector
EnvFromSource: 1 prefix s; 2 configMapRef EnvSource; 3 secretRef EnvSource
EnvSource: 1 - LocalObjectReference; 2 optional b
KeySelector: 1 - LocalObjectReference; 2 key s; 3 optional b
ObjectFieldSelector: 1 apiVersion s; 2 fieldPath s
ResourceFieldSelector: 1 containerName s; 2 resource s; 3 divisor Quantity
ResourceRequirements: 1 limits map:s:Quantity; 2 requests map:s:Quantity
VolumeMount: 1 name s; 2 readOnly b; 3 mountPath s; 4 subPath s; 5 mountPropagation s; 6 subPathExpr s
LocalObjectReference: 1 name s
Toleration: 1 key s; 2 operator s; 3 value s; 4 effect s; 5 tolerationSeconds i
Namespace: 1 metadata ObjectMeta; 2 spec NamespaceSpec; 3 status -
NamespaceSpec: 1 finalizers *s
ConfigMap: 1 metadata ObjectMeta; 2 data map:s:s; 3 binaryData map:s:y; 4 immutable b
Secret: 1 metadata ObjectMeta; 2 data map:s:y; 3 type s; 4 stringData map:s:s; 5 immutable b
ServiceAccount: 1 metadata ObjectMeta; 2 secrets *ObjectReference; 3 imagePullSecrets *LocalObjectReference; 4 automountServiceAccountToken b
ObjectReference: 1 kind s; 2 namespace s; 3 name s; 4 uid s; 5 apiVersion s; 6 resourceVersion s; 7 fieldPath s
Service: 1 metadata ObjectMeta; 2 spec ServiceSpec; 3 status -
ServiceSpec: 1 ports *ServicePort; 2 selector map:s:s; 3 clusterIP s; 4 type s; 5 externalIPs *s; 7 sessionAffinity s; 8 loadBalancerIP s; 10 externalName s; 11 externalTrafficPolicy s; 13 publishNotReadyAddresses b; 17 ipFamilyPolicy s; 18 clusterIPs *s; 19 ipFamilies *s; 22 internalTrafficPolicy s
ServicePort: 1 name s; 2 protocol s; 3 port i; 4 targetPort IntOrString; 5 nodePort i; 6 appProtocol s
ResourceQuota: 1 metadata ObjectMeta; 2 spec ResourceQuotaSpec; 3 status -
ResourceQuotaSpec: 1 hard map:s:Quantity; 2 scopes *s; 3 scopeSelector ScopeSelector
ScopeSelector: 1 matchExpressions *ScopedResourceSelectorRequirement
ScopedResourceSelectorRequirement: 1 scopeName s; 2 operator s; 3 values *s
Role: 1 metadata ObjectMeta; 2 rules *PolicyRule
ClusterRole: 1 metadata ObjectMeta; 2 rules *PolicyRule; 3 aggregationRule AggregationRule
AggregationRule: 1 clusterRoleSelectors *LabelSelector
PolicyRule: 1 verbs *s; 2 apiGroups *s; 3 resources *s; 4 resourceNames *s; 5 nonResourceURLs *s
RoleBinding: 1 metadata ObjectMeta; 2 subjects *Subject; 3 roleRef RoleRef
ClusterRoleBinding: 1 metadata ObjectMeta; 2 subjects *Subject; 3 roleRef RoleRef
Subject: 1 kind s; 2 apiGroup s; 3 name s; 4 namespace s
RoleRef: 1 apiGroup s; 2 kind s; 3 name s
Eviction: 1 metadata ObjectMeta; 2 deleteOptions DeleteOptions
PodDisruptionBudget: 1 metadata ObjectMeta; 2 spec PodDisruptionBudgetSpec; 3 status -
PodDisruptionBudgetSpec: 1 minAvailable IntOrString; 2 selector LabelSelector; 3 maxUnavailable IntOrString; 4 unhealthyPodEvictionPolicy s
SelfSubjectAccessReview: 1 metadata ObjectMeta; 2 spec SelfSubjectAccessReviewSpec; 3 status -
SelfSubjectAccessReviewSpec: 1 resourceAttributes ResourceAttributes; 2 nonResourceAttributes NonResourceAttributes
ResourceAttributes: 1 namespace s; 2 verb s; 3 group s; 4 version s; 5 resource s; 6 subresource s; 7 name s
NonResourceAttributes: 1 path s; 2 verb s
SelfSubjectReview: 1 metadata ObjectMeta; 2 status -
SelfSubjectRulesReview: 1 metadata ObjectMeta; 2 spec SelfSubjectRulesReviewSpec; 3 status -
SelfSubjectRulesReviewSpec: 1 namespace s
TokenRequest: 1 metadata ObjectMeta; 2 spec TokenRequestSpec; 3 status -
TokenRequestSpec: 1 audiences *s; 3 boundObjectRef BoundObjectReference; 4 expirationSeconds i
BoundObjectReference: 1 kind s; 2 apiVersion s; 3 name s; 4 uid s
HorizontalPodAutoscaler: 1 metadata ObjectMeta; 2 spec HorizontalPodAutoscalerSpec; 3 status -
HorizontalPodAutoscalerSpec: 1 scaleTargetRef CrossVersionObjectReference; 2 minReplicas i; 3 maxReplicas i; 4 metrics *MetricSpec; 5 behavior HorizontalPodAutoscalerBehavior
CrossVersionObjectReference: 1 kind s; 2 name s; 3 apiVersion s
MetricSpec: 1 type s; 2 object ObjectMetricSource; 3 pods PodsMetricSource; 4 resource ResourceMetricSource; 5 external PodsMetricSource; 7 containerResource ContainerResourceMetricSource
ResourceMetricSource: 1 name s; 2 target MetricTarget
ContainerResourceMetricSource: 1 name s; 2 target MetricTarget; 3 container s
ObjectMetricSource: 1 describedObject CrossVersionObjectReference; 2 target MetricTarget; 3 metric MetricIdentifier
PodsMetricSource: 1 metric MetricIdentifier; 2 target MetricTarget
MetricIdentifier: 1 name s; 2 selector LabelSelector
MetricTarget: 1 type s; 2 value Quantity; 3 averageValue Quantity; 4 averageUtilization i
HorizontalPodAutoscalerBehavior: 1 scaleUp HPAScalingRules; 2 scaleDown HPAScalingRules
HPAScalingRules: 1 selectPolicy s; 2 policies *HPAScalingPolicy; 3 stabilizationWindowSeconds i; 4 tolerance Quantity
HPAScalingPolicy: 1 type s; 2 value i; 3 periodSeconds i
Ingress: 1 metadata ObjectMeta; 2 spec IngressSpec; 3 status -
IngressSpec: 1 defaultBackend IngressBackend; 2 tls *IngressTLS; 3 rules *IngressRule; 4 ingressClassName s
IngressBackend: 3 resource TypedLocalObjectReference; 4 service IngressServiceBackend
TypedLocalObjectReference: 1 apiGroup s; 2 kind s; 3 name s
IngressServiceBackend: 1 name s; 2 port ServiceBackendPort
ServiceBackendPort: 1 name s; 2 number i
IngressTLS: 1 hosts *s; 2 secretName s
IngressRule: 1 host s; 2 - IngressRuleValue
IngressRuleValue: 1 http HTTPIngressRuleValue
HTTPIngressRuleValue: 1 paths *HTTPIngressPath
HTTPIngressPath: 1 path s; 2 backend IngressBackend; 3 pathType s
PriorityClass: 1 metadata ObjectMeta; 2 value i; 3 globalDefault b; 4 description s; 5 preemptionPolicy s
"""

#: kinds whose tables above describe one API version only (``kubectl autoscale`` sends
#: autoscaling/v2; v1's spec numbers the same fields differently): other versions are a 415
TABLE_VERSION = {"HorizontalPodAutoscaler": "autoscaling/v2"}

#: Go pointer scalars: present means set, even when zero (``Message.field`` for one message only).
POINTER_SCALARS = {
    "replicas", "parallelism", "completions", "backoffLimit", "activeDeadlineSeconds",
    "ttlSecondsAfterFinished", "startingDeadlineSeconds", "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit", "terminationGracePeriodSeconds", "automountServiceAccountToken",
    "suspend", "immutable", "expirationSeconds", "gracePeriodSeconds", "orphanDependents",
    "revisionHistoryLimit", "progressDeadlineSeconds", "deletionGracePeriodSeconds", "controller",
    "blockOwnerDeletion", "tolerationSeconds", "enableServiceLinks", "optional", "manualSelector",
    "priority", "backoffLimitPerIndex", "maxFailedIndexes", "minReplicas", "averageUtilization",
    "stabilizationWindowSeconds",
    "PriorityClass.value",  # not a pointer, but JSON always carries it (no omitempty)
}


def _parse_spec(text):
    schema = {}
    for line in text.strip().splitlines():
        name, _, fields = line.partition(":")
        table = {}
        for f in fields.split(";"):
            num, json_name, ftype = f.split()
            table[int(num)] = (json_name, ftype)
        schema[name.strip()] = table
    return schema


SCHEMA = _parse_spec(_SPEC)
_GO_ZERO_TIME = -62135596800  # time.Time{}.Unix()


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf):
    """Yield (field number, wire type, value) from a protobuf message."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            length, i = _varint(buf, i)
            v, i = bytes(buf[i:i + length]), i + length
        elif wt == 1:
            v, i = int.from_bytes(buf[i:i + 8], "little", signed=True), i + 8
        elif wt == 5:
            v, i = int.from_bytes(buf[i:i + 4], "little", signed=True), i + 4
        else:
            raise _unsupported(f"wire type {wt}")
        yield num, wt, v


def _unsupported(what):
    return errors.unsupported_media(f"labkit cannot decode this protobuf body ({what}); "
                                    "send it as JSON instead (e.g. kubectl apply -f)")


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _scalar(ftype, v):
    if ftype == "s":
        return v.decode("utf-8")
    if ftype == "i":
        return _signed(v)
    if ftype == "b":
        return bool(v)
    if ftype == "y":
        return base64.b64encode(v).decode()
    if ftype == "Quantity":
        return next((x.decode() for n, _, x in _fields(v) if n == 1), "")
    if ftype == "Time":
        secs = next((_signed(x) for n, _, x in _fields(v) if n == 1), 0)
        if secs in (0, _GO_ZERO_TIME):
            return None
        return datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if ftype == "IntOrString":
        parts = {n: x for n, _, x in _fields(v)}
        return parts.get(3, b"").decode() if parts.get(1, 0) == 1 else _signed(parts.get(2, 0))
    return decode_message(v, ftype)


def decode_message(buf, message: str) -> dict:
    table = SCHEMA.get(message)
    if table is None:
        raise _unsupported(f"message {message}")
    out: dict = {}
    for num, _, v in _fields(buf):
        if num not in table:
            if v in (0, b""):  # an always-written Go zero value of a field we don't model
                continue
            raise _unsupported(f"field {num} of {message}")
        name, ftype = table[num]
        if ftype == "-":
            continue  # status or other server-owned part: ignored on write
        if name == "-":  # an embedded struct (Go inlines it): merge its fields
            out.update(decode_message(v, ftype))
            continue
        if ftype.startswith("map:"):
            _, kt, vt = ftype.split(":")
            entry = {n: x for n, _, x in _fields(v)}
            out.setdefault(name, {})[_scalar(kt, entry.get(1, b""))] = \
                _scalar(vt, entry.get(2, b"" if vt != "i" else 0))
        elif ftype.startswith("*"):
            out.setdefault(name, []).append(_scalar(ftype[1:], v))
        else:
            value = _scalar(ftype, v)
            if value in ("", 0, False, None) and ftype in ("s", "i", "b", "Time") and \
                    name not in POINTER_SCALARS and f"{message}.{name}" not in POINTER_SCALARS:
                continue
            out[name] = value
    return out


def decode(body: bytes) -> dict:
    """A protobuf-encoded request body → the same dict its JSON form would give."""
    if not body.startswith(MAGIC):
        raise _unsupported("missing k8s protobuf magic")
    unknown = decode_message(body[len(MAGIC):], "Unknown")
    tm = unknown.get("typeMeta") or {}
    kind = tm.get("kind")
    if kind not in SCHEMA or TABLE_VERSION.get(kind, tm.get("apiVersion")) != tm.get("apiVersion"):
        raise _unsupported(f"kind {kind}")
    obj = {"apiVersion": tm.get("apiVersion", ""), "kind": kind}
    obj.update(decode_message(base64.b64decode(unknown.get("raw", "")), kind))
    obj.setdefault("metadata", {})
    return obj
