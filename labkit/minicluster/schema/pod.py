"""Schema of ObjectMeta, LabelSelector and the Pod spec (k8s.io/api/core/v1/types.go, v1.33).

Field names and Go type names follow the v1 structs exactly, because both appear in the API
server's messages. Volume sources that a course never uses (cloud disks, iSCSI...) are typed
``ANY``: accepted as they are, their inner fields not checked (simplification).
"""
from __future__ import annotations

from .types import ANY, BOOL, INT32, INT64, INT_OR_STRING, QUANTITY, STRING, TIME, L, M, Obj

OWNER_REFERENCE = Obj("v1.OwnerReference", apiVersion=STRING, kind=STRING, name=STRING,
                      uid=STRING, controller=BOOL, blockOwnerDeletion=BOOL)
MANAGED_FIELDS_ENTRY = Obj("v1.ManagedFieldsEntry", manager=STRING, operation=STRING,
                           apiVersion=STRING, time=TIME, fieldsType=STRING, fieldsV1=ANY,
                           subresource=STRING)
OBJECT_META = Obj(
    "v1.ObjectMeta", "Standard object's metadata.",
    name=STRING, generateName=STRING, namespace=STRING, selfLink=STRING, uid=STRING,
    resourceVersion=STRING, generation=INT64, creationTimestamp=TIME, deletionTimestamp=TIME,
    deletionGracePeriodSeconds=INT64, labels=M(), annotations=M(),
    ownerReferences=L(OWNER_REFERENCE), finalizers=L(STRING),
    managedFields=L(MANAGED_FIELDS_ENTRY))

LABEL_SELECTOR_REQUIREMENT = Obj("v1.LabelSelectorRequirement", key=STRING, operator=STRING,
                                 values=L(STRING))
LABEL_SELECTOR = Obj("v1.LabelSelector", "A label query over a set of resources.",
                     matchLabels=M(), matchExpressions=L(LABEL_SELECTOR_REQUIREMENT))
LOCAL_OBJECT_REFERENCE = Obj("v1.LocalObjectReference", name=STRING)
TYPED_LOCAL_OBJECT_REFERENCE = Obj("v1.TypedLocalObjectReference", apiGroup=STRING,
                                   kind=STRING, name=STRING)
RESOURCE_LIST = M(QUANTITY)
RESOURCE_REQUIREMENTS = Obj(
    "v1.ResourceRequirements", "Compute resources required by this container.",
    limits=RESOURCE_LIST, requests=RESOURCE_LIST,
    claims=L(Obj("v1.ResourceClaim", name=STRING, request=STRING)))

# -- containers ---------------------------------------------------------------------------------
OBJECT_FIELD_SELECTOR = Obj("v1.ObjectFieldSelector", apiVersion=STRING, fieldPath=STRING)
RESOURCE_FIELD_SELECTOR = Obj("v1.ResourceFieldSelector", containerName=STRING, resource=STRING,
                              divisor=QUANTITY)
KEY_SELECTOR = dict(name=STRING, key=STRING, optional=BOOL)
ENV_VAR_SOURCE = Obj(
    "v1.EnvVarSource", fieldRef=OBJECT_FIELD_SELECTOR, resourceFieldRef=RESOURCE_FIELD_SELECTOR,
    configMapKeyRef=Obj("v1.ConfigMapKeySelector", **KEY_SELECTOR),
    secretKeyRef=Obj("v1.SecretKeySelector", **KEY_SELECTOR))
ENV_VAR = Obj("v1.EnvVar", name=STRING, value=STRING, valueFrom=ENV_VAR_SOURCE)
ENV_FROM_SOURCE = Obj(
    "v1.EnvFromSource", prefix=STRING,
    configMapRef=Obj("v1.ConfigMapEnvSource", name=STRING, optional=BOOL),
    secretRef=Obj("v1.SecretEnvSource", name=STRING, optional=BOOL))
CONTAINER_PORT = Obj("v1.ContainerPort", name=STRING, hostPort=INT32, containerPort=INT32,
                     protocol=STRING, hostIP=STRING)
VOLUME_MOUNT = Obj("v1.VolumeMount", name=STRING, readOnly=BOOL, recursiveReadOnly=STRING,
                   mountPath=STRING, subPath=STRING, mountPropagation=STRING, subPathExpr=STRING)
EXEC = Obj("v1.ExecAction", command=L(STRING))
HTTP_GET = Obj("v1.HTTPGetAction", path=STRING, port=INT_OR_STRING, host=STRING, scheme=STRING,
               httpHeaders=L(Obj("v1.HTTPHeader", name=STRING, value=STRING)))
TCP_SOCKET = Obj("v1.TCPSocketAction", port=INT_OR_STRING, host=STRING)
GRPC = Obj("v1.GRPCAction", port=INT32, service=STRING)
PROBE = Obj(
    "v1.Probe", "Periodic probe of container health or readiness.",
    exec=EXEC, httpGet=HTTP_GET, tcpSocket=TCP_SOCKET, grpc=GRPC,
    initialDelaySeconds=INT32, timeoutSeconds=INT32, periodSeconds=INT32,
    successThreshold=INT32, failureThreshold=INT32, terminationGracePeriodSeconds=INT64)
LIFECYCLE_HANDLER = Obj("v1.LifecycleHandler", exec=EXEC, httpGet=HTTP_GET, tcpSocket=TCP_SOCKET,
                        sleep=Obj("v1.SleepAction", seconds=INT64))
LIFECYCLE = Obj("v1.Lifecycle", postStart=LIFECYCLE_HANDLER, preStop=LIFECYCLE_HANDLER,
                stopSignal=STRING)
SE_LINUX_OPTIONS = Obj("v1.SELinuxOptions", user=STRING, role=STRING, type=STRING, level=STRING)
WINDOWS_OPTIONS = Obj("v1.WindowsSecurityContextOptions", gmsaCredentialSpecName=STRING,
                      gmsaCredentialSpec=STRING, runAsUserName=STRING, hostProcess=BOOL)
SECCOMP = Obj("v1.SeccompProfile", type=STRING, localhostProfile=STRING)
APPARMOR = Obj("v1.AppArmorProfile", type=STRING, localhostProfile=STRING)
SECURITY_CONTEXT = Obj(
    "v1.SecurityContext", capabilities=Obj("v1.Capabilities", add=L(STRING), drop=L(STRING)),
    privileged=BOOL, seLinuxOptions=SE_LINUX_OPTIONS, windowsOptions=WINDOWS_OPTIONS,
    runAsUser=INT64, runAsGroup=INT64, runAsNonRoot=BOOL, readOnlyRootFilesystem=BOOL,
    allowPrivilegeEscalation=BOOL, procMount=STRING, seccompProfile=SECCOMP,
    appArmorProfile=APPARMOR)
CONTAINER = Obj(
    "v1.Container", "A single application container that you want to run within a pod.",
    name=STRING, image=STRING, command=L(STRING), args=L(STRING), workingDir=STRING,
    ports=L(CONTAINER_PORT), envFrom=L(ENV_FROM_SOURCE), env=L(ENV_VAR),
    resources=RESOURCE_REQUIREMENTS,
    resizePolicy=L(Obj("v1.ContainerResizePolicy", resourceName=STRING, restartPolicy=STRING)),
    restartPolicy=STRING, volumeMounts=L(VOLUME_MOUNT),
    volumeDevices=L(Obj("v1.VolumeDevice", name=STRING, devicePath=STRING)),
    livenessProbe=PROBE, readinessProbe=PROBE, startupProbe=PROBE, lifecycle=LIFECYCLE,
    terminationMessagePath=STRING, terminationMessagePolicy=STRING, imagePullPolicy=STRING,
    securityContext=SECURITY_CONTEXT, stdin=BOOL, stdinOnce=BOOL, tty=BOOL)
EPHEMERAL_CONTAINER = Obj("v1.EphemeralContainer", targetContainerName=STRING,
                          **CONTAINER.fields)

# -- volumes ------------------------------------------------------------------------------------
KEY_TO_PATH = Obj("v1.KeyToPath", key=STRING, path=STRING, mode=INT32)
DOWNWARD_API_FILE = Obj("v1.DownwardAPIVolumeFile", path=STRING, fieldRef=OBJECT_FIELD_SELECTOR,
                        resourceFieldRef=RESOURCE_FIELD_SELECTOR, mode=INT32)
VOLUME_PROJECTION = Obj(
    "v1.VolumeProjection",
    secret=Obj("v1.SecretProjection", name=STRING, items=L(KEY_TO_PATH), optional=BOOL),
    downwardAPI=Obj("v1.DownwardAPIProjection", items=L(DOWNWARD_API_FILE)),
    configMap=Obj("v1.ConfigMapProjection", name=STRING, items=L(KEY_TO_PATH), optional=BOOL),
    serviceAccountToken=Obj("v1.ServiceAccountTokenProjection", audience=STRING,
                            expirationSeconds=INT64, path=STRING),
    clusterTrustBundle=ANY)
PVC_SPEC = Obj(
    "v1.PersistentVolumeClaimSpec", accessModes=L(STRING), selector=LABEL_SELECTOR,
    resources=Obj("v1.VolumeResourceRequirements", limits=RESOURCE_LIST,
                  requests=RESOURCE_LIST),
    volumeName=STRING, storageClassName=STRING, volumeMode=STRING,
    dataSource=TYPED_LOCAL_OBJECT_REFERENCE, dataSourceRef=ANY,
    volumeAttributesClassName=STRING)
VOLUME = Obj(
    "v1.Volume", name=STRING,
    hostPath=Obj("v1.HostPathVolumeSource", path=STRING, type=STRING),
    emptyDir=Obj("v1.EmptyDirVolumeSource", medium=STRING, sizeLimit=QUANTITY),
    secret=Obj("v1.SecretVolumeSource", secretName=STRING, items=L(KEY_TO_PATH),
               defaultMode=INT32, optional=BOOL),
    nfs=Obj("v1.NFSVolumeSource", server=STRING, path=STRING, readOnly=BOOL),
    persistentVolumeClaim=Obj("v1.PersistentVolumeClaimVolumeSource", claimName=STRING,
                              readOnly=BOOL),
    downwardAPI=Obj("v1.DownwardAPIVolumeSource", items=L(DOWNWARD_API_FILE),
                    defaultMode=INT32),
    configMap=Obj("v1.ConfigMapVolumeSource", name=STRING, items=L(KEY_TO_PATH),
                  defaultMode=INT32, optional=BOOL),
    projected=Obj("v1.ProjectedVolumeSource", sources=L(VOLUME_PROJECTION), defaultMode=INT32),
    csi=Obj("v1.CSIVolumeSource", driver=STRING, readOnly=BOOL, fsType=STRING,
            volumeAttributes=M(), nodePublishSecretRef=LOCAL_OBJECT_REFERENCE),
    ephemeral=Obj("v1.EphemeralVolumeSource", volumeClaimTemplate=Obj(
        "v1.PersistentVolumeClaimTemplate", metadata=OBJECT_META, spec=PVC_SPEC)),
    image=Obj("v1.ImageVolumeSource", reference=STRING, pullPolicy=STRING),
    **{k: ANY for k in ("gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "iscsi",
                        "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc",
                        "azureFile", "vsphereVolume", "quobyte", "azureDisk",
                        "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos")})

# -- scheduling ---------------------------------------------------------------------------------
NODE_SELECTOR_REQUIREMENT = Obj("v1.NodeSelectorRequirement", key=STRING, operator=STRING,
                                values=L(STRING))
NODE_SELECTOR_TERM = Obj("v1.NodeSelectorTerm", matchExpressions=L(NODE_SELECTOR_REQUIREMENT),
                         matchFields=L(NODE_SELECTOR_REQUIREMENT))
NODE_SELECTOR = Obj("v1.NodeSelector", nodeSelectorTerms=L(NODE_SELECTOR_TERM))
POD_AFFINITY_TERM = Obj(
    "v1.PodAffinityTerm", labelSelector=LABEL_SELECTOR, namespaces=L(STRING),
    topologyKey=STRING, namespaceSelector=LABEL_SELECTOR, matchLabelKeys=L(STRING),
    mismatchLabelKeys=L(STRING))
WEIGHTED_POD_AFFINITY_TERM = Obj("v1.WeightedPodAffinityTerm", weight=INT32,
                                 podAffinityTerm=POD_AFFINITY_TERM)
POD_AFFINITY_FIELDS = dict(requiredDuringSchedulingIgnoredDuringExecution=L(POD_AFFINITY_TERM),
                           preferredDuringSchedulingIgnoredDuringExecution=L(
                               WEIGHTED_POD_AFFINITY_TERM))
AFFINITY = Obj(
    "v1.Affinity", "If specified, the pod's scheduling constraints",
    nodeAffinity=Obj(
        "v1.NodeAffinity", requiredDuringSchedulingIgnoredDuringExecution=NODE_SELECTOR,
        preferredDuringSchedulingIgnoredDuringExecution=L(Obj(
            "v1.PreferredSchedulingTerm", weight=INT32, preference=NODE_SELECTOR_TERM))),
    podAffinity=Obj("v1.PodAffinity", **POD_AFFINITY_FIELDS),
    podAntiAffinity=Obj("v1.PodAntiAffinity", **POD_AFFINITY_FIELDS))
TOLERATION = Obj("v1.Toleration", key=STRING, operator=STRING, value=STRING, effect=STRING,
                 tolerationSeconds=INT64)
TOPOLOGY_SPREAD_CONSTRAINT = Obj(
    "v1.TopologySpreadConstraint", maxSkew=INT32, topologyKey=STRING,
    whenUnsatisfiable=STRING, labelSelector=LABEL_SELECTOR, minDomains=INT32,
    nodeAffinityPolicy=STRING, nodeTaintsPolicy=STRING, matchLabelKeys=L(STRING))
POD_SECURITY_CONTEXT = Obj(
    "v1.PodSecurityContext", seLinuxOptions=SE_LINUX_OPTIONS, windowsOptions=WINDOWS_OPTIONS,
    runAsUser=INT64, runAsGroup=INT64, runAsNonRoot=BOOL, supplementalGroups=L(INT64),
    supplementalGroupsPolicy=STRING, fsGroup=INT64,
    sysctls=L(Obj("v1.Sysctl", name=STRING, value=STRING)), fsGroupChangePolicy=STRING,
    seccompProfile=SECCOMP, appArmorProfile=APPARMOR, seLinuxChangePolicy=STRING)

POD_SPEC = Obj(
    "v1.PodSpec", "Specification of the desired behavior of the pod.",
    volumes=L(VOLUME), initContainers=L(CONTAINER), containers=L(CONTAINER),
    ephemeralContainers=L(EPHEMERAL_CONTAINER), restartPolicy=STRING,
    terminationGracePeriodSeconds=INT64, activeDeadlineSeconds=INT64, dnsPolicy=STRING,
    nodeSelector=M(), serviceAccountName=STRING, serviceAccount=STRING,
    automountServiceAccountToken=BOOL, nodeName=STRING, hostNetwork=BOOL, hostPID=BOOL,
    hostIPC=BOOL, shareProcessNamespace=BOOL, securityContext=POD_SECURITY_CONTEXT,
    imagePullSecrets=L(LOCAL_OBJECT_REFERENCE), hostname=STRING, subdomain=STRING,
    affinity=AFFINITY, schedulerName=STRING, tolerations=L(TOLERATION),
    hostAliases=L(Obj("v1.HostAlias", ip=STRING, hostnames=L(STRING))),
    priorityClassName=STRING, priority=INT32,
    dnsConfig=Obj("v1.PodDNSConfig", nameservers=L(STRING), searches=L(STRING),
                  options=L(Obj("v1.PodDNSConfigOption", name=STRING, value=STRING))),
    readinessGates=L(Obj("v1.PodReadinessGate", conditionType=STRING)),
    runtimeClassName=STRING, enableServiceLinks=BOOL, preemptionPolicy=STRING,
    overhead=RESOURCE_LIST, topologySpreadConstraints=L(TOPOLOGY_SPREAD_CONSTRAINT),
    setHostnameAsFQDN=BOOL, os=Obj("v1.PodOS", name=STRING), hostUsers=BOOL,
    schedulingGates=L(Obj("v1.PodSchedulingGate", name=STRING)),
    resourceClaims=L(Obj("v1.PodResourceClaim", name=STRING, resourceClaimName=STRING,
                         resourceClaimTemplateName=STRING)),
    resources=RESOURCE_REQUIREMENTS)
POD_TEMPLATE_SPEC = Obj("v1.PodTemplateSpec", "Template of the pods to create.",
                        metadata=OBJECT_META, spec=POD_SPEC)
