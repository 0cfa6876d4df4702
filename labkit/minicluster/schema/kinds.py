"""Schema of each kind the mini cluster serves (k8s.io/api/*/v1 types.go, v1.33).

Simplifications: every ``status`` is typed ``ANY`` here (status is written by controllers and
kubelets, not by students), and kinds written only by components (Node, Endpoints, Event,
Lease...) type just their metadata. These tables are what every write is decoded with; strict
decoding of requests, the OpenAPI documents and ``explain`` use a copy in which upstream's
v1.33 definitions type those open places and add the API documentation (:mod:`.docs`).
"""
from __future__ import annotations

from .pod import (LABEL_SELECTOR, LOCAL_OBJECT_REFERENCE, OBJECT_META, POD_SPEC,
                  POD_TEMPLATE_SPEC, PVC_SPEC, RESOURCE_LIST, TYPED_LOCAL_OBJECT_REFERENCE)
from .types import ANY, BOOL, INT32, INT64, INT_OR_STRING, QUANTITY, STRING, L, M, Obj


def kind(go: str, doc: str = "", **fields) -> Obj:
    """A top-level object: apiVersion, kind, metadata, then its own fields."""
    return Obj(go, doc, apiVersion=STRING, kind=STRING, metadata=OBJECT_META, **fields)


PVC = kind("v1.PersistentVolumeClaim", "A user's request for and claim to a persistent volume.",
           spec=PVC_SPEC, status=ANY)

# -- apps/v1 ------------------------------------------------------------------------------------
DEPLOYMENT_SPEC = Obj(
    "v1.DeploymentSpec", replicas=INT32, selector=LABEL_SELECTOR, template=POD_TEMPLATE_SPEC,
    strategy=Obj("v1.DeploymentStrategy", type=STRING, rollingUpdate=Obj(
        "v1.RollingUpdateDeployment", maxUnavailable=INT_OR_STRING, maxSurge=INT_OR_STRING)),
    minReadySeconds=INT32, revisionHistoryLimit=INT32, paused=BOOL,
    progressDeadlineSeconds=INT32)
REPLICASET_SPEC = Obj("v1.ReplicaSetSpec", replicas=INT32, minReadySeconds=INT32,
                      selector=LABEL_SELECTOR, template=POD_TEMPLATE_SPEC)
STATEFULSET_SPEC = Obj(
    "v1.StatefulSetSpec", replicas=INT32, selector=LABEL_SELECTOR, template=POD_TEMPLATE_SPEC,
    volumeClaimTemplates=L(PVC), serviceName=STRING, podManagementPolicy=STRING,
    updateStrategy=Obj("v1.StatefulSetUpdateStrategy", type=STRING, rollingUpdate=Obj(
        "v1.RollingUpdateStatefulSetStrategy", partition=INT32, maxUnavailable=INT_OR_STRING)),
    revisionHistoryLimit=INT32, minReadySeconds=INT32,
    persistentVolumeClaimRetentionPolicy=Obj(
        "v1.StatefulSetPersistentVolumeClaimRetentionPolicy", whenDeleted=STRING,
        whenScaled=STRING),
    ordinals=Obj("v1.StatefulSetOrdinals", start=INT32))
DAEMONSET_SPEC = Obj(
    "v1.DaemonSetSpec", selector=LABEL_SELECTOR, template=POD_TEMPLATE_SPEC,
    updateStrategy=Obj("v1.DaemonSetUpdateStrategy", type=STRING, rollingUpdate=Obj(
        "v1.RollingUpdateDaemonSet", maxUnavailable=INT_OR_STRING, maxSurge=INT_OR_STRING)),
    minReadySeconds=INT32, revisionHistoryLimit=INT32)

# -- batch/v1 -----------------------------------------------------------------------------------
JOB_SPEC = Obj(
    "v1.JobSpec", parallelism=INT32, completions=INT32, activeDeadlineSeconds=INT64,
    podFailurePolicy=Obj("v1.PodFailurePolicy", rules=L(Obj(
        "v1.PodFailurePolicyRule", action=STRING,
        onExitCodes=Obj("v1.PodFailurePolicyOnExitCodesRequirement", containerName=STRING,
                        operator=STRING, values=L(INT32)),
        onPodConditions=L(Obj("v1.PodFailurePolicyOnPodConditionsPattern", type=STRING,
                              status=STRING))))),
    successPolicy=Obj("v1.SuccessPolicy", rules=L(Obj(
        "v1.SuccessPolicyRule", succeededIndexes=STRING, succeededCount=INT32))),
    backoffLimit=INT32, backoffLimitPerIndex=INT32, maxFailedIndexes=INT32,
    selector=LABEL_SELECTOR, manualSelector=BOOL, template=POD_TEMPLATE_SPEC,
    ttlSecondsAfterFinished=INT32, completionMode=STRING, suspend=BOOL,
    podReplacementPolicy=STRING, managedBy=STRING)
CRONJOB_SPEC = Obj(
    "v1.CronJobSpec", schedule=STRING, timeZone=STRING, startingDeadlineSeconds=INT64,
    concurrencyPolicy=STRING, suspend=BOOL,
    jobTemplate=Obj("v1.JobTemplateSpec", metadata=OBJECT_META, spec=JOB_SPEC),
    successfulJobsHistoryLimit=INT32, failedJobsHistoryLimit=INT32)

# -- core/v1 ------------------------------------------------------------------------------------
SERVICE_SPEC = Obj(
    "v1.ServiceSpec",
    ports=L(Obj("v1.ServicePort", name=STRING, protocol=STRING, appProtocol=STRING, port=INT32,
                targetPort=INT_OR_STRING, nodePort=INT32)),
    selector=M(), clusterIP=STRING, clusterIPs=L(STRING), type=STRING,
    externalIPs=L(STRING), sessionAffinity=STRING, loadBalancerIP=STRING,
    loadBalancerSourceRanges=L(STRING), externalName=STRING, externalTrafficPolicy=STRING,
    healthCheckNodePort=INT32, publishNotReadyAddresses=BOOL,
    sessionAffinityConfig=Obj("v1.SessionAffinityConfig", clientIP=Obj(
        "v1.ClientIPConfig", timeoutSeconds=INT32)),
    ipFamilies=L(STRING), ipFamilyPolicy=STRING, allocateLoadBalancerNodePorts=BOOL,
    loadBalancerClass=STRING, internalTrafficPolicy=STRING, trafficDistribution=STRING)
LIMIT_RANGE_ITEM = Obj("v1.LimitRangeItem", type=STRING, max=RESOURCE_LIST, min=RESOURCE_LIST,
                       default=RESOURCE_LIST, defaultRequest=RESOURCE_LIST,
                       maxLimitRequestRatio=RESOURCE_LIST)
QUOTA_SPEC = Obj(
    "v1.ResourceQuotaSpec", hard=RESOURCE_LIST, scopes=L(STRING),
    scopeSelector=Obj("v1.ScopeSelector", matchExpressions=L(Obj(
        "v1.ScopedResourceSelectorRequirement", scopeName=STRING, operator=STRING,
        values=L(STRING)))))

# -- networking, autoscaling, rbac, policy, scheduling, storage --------------------------------
SERVICE_BACKEND_PORT = Obj("v1.ServiceBackendPort", name=STRING, number=INT32)
INGRESS_BACKEND = Obj(
    "v1.IngressBackend",
    service=Obj("v1.IngressServiceBackend", name=STRING, port=SERVICE_BACKEND_PORT),
    resource=TYPED_LOCAL_OBJECT_REFERENCE)
INGRESS_SPEC = Obj(
    "v1.IngressSpec", ingressClassName=STRING, defaultBackend=INGRESS_BACKEND,
    tls=L(Obj("v1.IngressTLS", hosts=L(STRING), secretName=STRING)),
    rules=L(Obj("v1.IngressRule", host=STRING, http=Obj(
        "v1.HTTPIngressRuleValue", paths=L(Obj("v1.HTTPIngressPath", path=STRING,
                                               pathType=STRING, backend=INGRESS_BACKEND))))))
NETWORK_POLICY_PEER = Obj(
    "v1.NetworkPolicyPeer", podSelector=LABEL_SELECTOR, namespaceSelector=LABEL_SELECTOR,
    ipBlock=Obj("v1.IPBlock", cidr=STRING, **{"except": L(STRING)}))
NETWORK_POLICY_PORT = Obj("v1.NetworkPolicyPort", protocol=STRING, port=INT_OR_STRING,
                          endPort=INT32)
NETWORK_POLICY_SPEC = Obj(
    "v1.NetworkPolicySpec", podSelector=LABEL_SELECTOR,
    ingress=L(Obj("v1.NetworkPolicyIngressRule", ports=L(NETWORK_POLICY_PORT),
                  **{"from": L(NETWORK_POLICY_PEER)})),
    egress=L(Obj("v1.NetworkPolicyEgressRule", ports=L(NETWORK_POLICY_PORT),
                 to=L(NETWORK_POLICY_PEER))),
    policyTypes=L(STRING))
METRIC_TARGET = Obj("v2.MetricTarget", type=STRING, value=QUANTITY, averageValue=QUANTITY,
                    averageUtilization=INT32)
METRIC_ID = Obj("v2.MetricIdentifier", name=STRING, selector=LABEL_SELECTOR)
CROSS_VERSION_REF = Obj("v2.CrossVersionObjectReference", kind=STRING, name=STRING,
                        apiVersion=STRING)
SCALING_RULES = Obj("v2.HPAScalingRules", stabilizationWindowSeconds=INT32, selectPolicy=STRING,
                    policies=L(Obj("v2.HPAScalingPolicy", type=STRING, value=INT32,
                                   periodSeconds=INT32)),
                    tolerance=QUANTITY)
HPA_SPEC = Obj(
    "v2.HorizontalPodAutoscalerSpec",
    scaleTargetRef=CROSS_VERSION_REF,
    minReplicas=INT32, maxReplicas=INT32,
    metrics=L(Obj("v2.MetricSpec", type=STRING,
                  object=Obj("v2.ObjectMetricSource", describedObject=CROSS_VERSION_REF,
                             target=METRIC_TARGET, metric=METRIC_ID),
                  pods=Obj("v2.PodsMetricSource", metric=METRIC_ID, target=METRIC_TARGET),
                  external=Obj("v2.ExternalMetricSource", metric=METRIC_ID, target=METRIC_TARGET),
                  resource=Obj("v2.ResourceMetricSource", name=STRING, target=METRIC_TARGET),
                  containerResource=Obj("v2.ContainerResourceMetricSource", name=STRING,
                                        target=METRIC_TARGET, container=STRING))),
    behavior=Obj("v2.HorizontalPodAutoscalerBehavior", scaleUp=SCALING_RULES,
                 scaleDown=SCALING_RULES))
POLICY_RULE = Obj("v1.PolicyRule", verbs=L(STRING), apiGroups=L(STRING), resources=L(STRING),
                  resourceNames=L(STRING), nonResourceURLs=L(STRING))
SUBJECT = Obj("v1.Subject", kind=STRING, apiGroup=STRING, name=STRING, namespace=STRING)
ROLE_REF = Obj("v1.RoleRef", apiGroup=STRING, kind=STRING, name=STRING)

HPA_V1_SPEC = Obj(
    "v1.HorizontalPodAutoscalerSpec",
    scaleTargetRef=Obj("v1.CrossVersionObjectReference", kind=STRING, name=STRING,
                       apiVersion=STRING),
    minReplicas=INT32, maxReplicas=INT32, targetCPUUtilizationPercentage=INT32)
#: (apiVersion, kind) → schema, for kinds served in two versions with different fields
BY_VERSION: dict[tuple, Obj] = {
    ("autoscaling/v1", "HorizontalPodAutoscaler"): kind("v1.HorizontalPodAutoscaler",
                                                       spec=HPA_V1_SPEC, status=ANY)}

#: kind → schema of the whole object. Kinds missing here are not checked at all.
KINDS: dict[str, Obj] = {
    "Pod": kind("v1.Pod", "Pod is a collection of containers that can run on a host.",
                spec=POD_SPEC, status=ANY),
    "PodTemplate": kind("v1.PodTemplate", template=POD_TEMPLATE_SPEC),
    "ReplicationController": kind(
        "v1.ReplicationController",
        spec=Obj("v1.ReplicationControllerSpec", replicas=INT32, minReadySeconds=INT32,
                 selector=M(), template=POD_TEMPLATE_SPEC), status=ANY),
    "Service": kind("v1.Service", "A named abstraction of software service.",
                    spec=SERVICE_SPEC, status=ANY),
    "Namespace": kind("v1.Namespace", spec=Obj("v1.NamespaceSpec", finalizers=L(STRING)),
                      status=ANY),
    "ConfigMap": kind("v1.ConfigMap", data=M(), binaryData=M(), immutable=BOOL),
    "Secret": kind("v1.Secret", data=M(), stringData=M(), type=STRING, immutable=BOOL),
    "ServiceAccount": kind("v1.ServiceAccount", secrets=L(ANY),
                           imagePullSecrets=L(LOCAL_OBJECT_REFERENCE),
                           automountServiceAccountToken=BOOL),
    "PersistentVolumeClaim": PVC,
    "PersistentVolume": kind("v1.PersistentVolume", spec=ANY, status=ANY),
    "LimitRange": kind("v1.LimitRange", spec=Obj("v1.LimitRangeSpec",
                                                 limits=L(LIMIT_RANGE_ITEM))),
    "ResourceQuota": kind("v1.ResourceQuota", spec=QUOTA_SPEC, status=ANY),
    "Node": kind("v1.Node", spec=ANY, status=ANY),
    "Endpoints": kind("v1.Endpoints", subsets=L(ANY)),
    "Deployment": kind("v1.Deployment", "Deployment enables declarative updates for Pods "
                       "and ReplicaSets.", spec=DEPLOYMENT_SPEC, status=ANY),
    "ReplicaSet": kind("v1.ReplicaSet", spec=REPLICASET_SPEC, status=ANY),
    "StatefulSet": kind("v1.StatefulSet", spec=STATEFULSET_SPEC, status=ANY),
    "DaemonSet": kind("v1.DaemonSet", spec=DAEMONSET_SPEC, status=ANY),
    "Job": kind("v1.Job", "Job represents the configuration of a single job.",
                spec=JOB_SPEC, status=ANY),
    "CronJob": kind("v1.CronJob", spec=CRONJOB_SPEC, status=ANY),
    "HorizontalPodAutoscaler": kind("v2.HorizontalPodAutoscaler", spec=HPA_SPEC, status=ANY),
    "Ingress": kind("v1.Ingress", spec=INGRESS_SPEC, status=ANY),
    "IngressClass": kind("v1.IngressClass", spec=Obj("v1.IngressClassSpec", controller=STRING,
                                                     parameters=ANY)),
    "NetworkPolicy": kind("v1.NetworkPolicy", spec=NETWORK_POLICY_SPEC),
    "Role": kind("v1.Role", rules=L(POLICY_RULE)),
    "ClusterRole": kind("v1.ClusterRole", rules=L(POLICY_RULE), aggregationRule=Obj(
        "v1.AggregationRule", clusterRoleSelectors=L(LABEL_SELECTOR))),
    "RoleBinding": kind("v1.RoleBinding", subjects=L(SUBJECT), roleRef=ROLE_REF),
    "ClusterRoleBinding": kind("v1.ClusterRoleBinding", subjects=L(SUBJECT), roleRef=ROLE_REF),
    "PriorityClass": kind("v1.PriorityClass", value=INT32, globalDefault=BOOL,
                          description=STRING, preemptionPolicy=STRING),
    "PodDisruptionBudget": kind(
        "v1.PodDisruptionBudget",
        spec=Obj("v1.PodDisruptionBudgetSpec", minAvailable=INT_OR_STRING,
                 selector=LABEL_SELECTOR, maxUnavailable=INT_OR_STRING,
                 unhealthyPodEvictionPolicy=STRING), status=ANY),
    "StorageClass": kind("v1.StorageClass", provisioner=STRING, parameters=M(),
                         reclaimPolicy=STRING, mountOptions=L(STRING),
                         allowVolumeExpansion=BOOL, volumeBindingMode=STRING,
                         allowedTopologies=L(ANY)),
}
