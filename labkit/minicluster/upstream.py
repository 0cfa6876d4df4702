"""Upstream Kubernetes constants, each cited.

The mini cluster follows Kubernetes v1.33 semantics. Every number that shapes what a student
sees (rollout arithmetic, back-off timings, scheduler weights, eviction delays) lives here, next
to the upstream file it comes from, so the fidelity matrix (docs/fidelity.md) can point at it.
Each component's constants sit in their own section.
"""

# --- control plane (kube-apiserver, kube-controller-manager) ---
KUBERNETES_VERSION = "v1.33.1"  # the version the mini cluster reports (/version, node info)
# kube-apiserver --etcd-compaction-interval default (cmd/kube-apiserver/app/options)
ETCD_COMPACTION_INTERVAL_SECONDS = 300
# Deployment defaults: pkg/apis/apps/v1/defaults.go SetDefaults_Deployment
DEPLOYMENT_MAX_SURGE = "25%"
DEPLOYMENT_MAX_UNAVAILABLE = "25%"
DEPLOYMENT_REVISION_HISTORY_LIMIT = 10
DEPLOYMENT_PROGRESS_DEADLINE_SECONDS = 600
# ReplicaSet controller: pkg/controller/replicaset/replica_set.go BurstReplicas
REPLICASET_BURST_REPLICAS = 500
# workqueue.DefaultControllerRateLimiter: 5ms base, 1000s max per-item exponential back-off
WORKQUEUE_BASE_DELAY_SECONDS = 0.005
WORKQUEUE_MAX_DELAY_SECONDS = 1000

# --- workload controllers ---
# pkg/controller/controller_utils.go
SLOW_START_INITIAL_BATCH_SIZE = 1  # SlowStartInitialBatchSize: creates go 1, 2, 4, 8...
EXPECTATIONS_TIMEOUT_SECONDS = 300  # ExpectationsTimeout = 5 * time.Minute
POD_DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"  # core/v1 annotations
# k8s.io/api/apps/v1/types.go
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"  # DefaultDeploymentUniqueLabelKey
CONTROLLER_REVISION_HASH_LABEL = "controller-revision-hash"  # ControllerRevisionHashLabelKey
STATEFULSET_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"  # PodIndexLabel, GA in v1.32
DAEMONSET_TEMPLATE_GENERATION_LABEL = "pod-template-generation"  # deprecated, still set
# pkg/controller/history/controller_history.go
CONTROLLER_REVISION_HASH_LABEL_CR = "controller.kubernetes.io/hash"
# pkg/controller/deployment/util/deployment_util.go
DEPLOYMENT_REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
DEPLOYMENT_REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DEPLOYMENT_DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
DEPLOYMENT_MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
DEPLOYMENT_MAX_REVISION_HISTORY_CHARS = 2000  # sync.go maxRevHistoryLengthInChars
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt"  # kubectl rollout restart
# pkg/controller/daemon/daemon_controller.go: failedPodsBackoff = NewBackOff(1s, 15m)
DAEMONSET_FAILED_POD_BACKOFF_SECONDS = 1
DAEMONSET_FAILED_POD_MAX_BACKOFF_SECONDS = 900
# pkg/controller/job/job_controller.go
JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
JOB_COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
JOB_INDEX_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count"
JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-ignored-failure-count"
JOB_SYNC_BATCH_PERIOD_SECONDS = 1  # syncJobBatchPeriod
JOB_POD_FAILURE_BACKOFF_SECONDS = 10  # DefaultJobPodFailureBackOff
JOB_MAX_POD_FAILURE_BACKOFF_SECONDS = 600  # MaxJobPodFailureBackOff (docs still say 6 min)
JOB_MAX_UNCOUNTED_PODS = 500  # MaxUncountedPods
JOB_MAX_POD_CREATE_DELETE_PER_SYNC = 500  # MaxPodCreateDeletePerSync
JOB_DEFAULT_BACKOFF_LIMIT = 6  # pkg/apis/batch/v1/defaults.go
# pkg/controller/cronjob/utils.go, cronjob_controllerv2.go
CRONJOB_NEXT_SCHEDULE_DELTA_SECONDS = 0.1  # nextScheduleDelta: 100 ms NTP padding
CRONJOB_TOO_MANY_MISSED = 100
CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
CRONJOB_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3  # pkg/apis/batch/v1/defaults.go
CRONJOB_FAILED_JOBS_HISTORY_LIMIT = 1
# HorizontalPodAutoscaler: pkg/controller/podautoscaler/horizontal.go, replica_calculator.go and
# the kube-controller-manager flags (cmd/kube-controller-manager/app/options/hpacontroller.go)
HPA_SYNC_PERIOD_SECONDS = 15  # --horizontal-pod-autoscaler-sync-period
HPA_TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance: no change within +-10 %
HPA_DOWNSCALE_STABILIZATION_SECONDS = 300  # --horizontal-pod-autoscaler-downscale-stabilization
HPA_CPU_INITIALIZATION_PERIOD_SECONDS = 300  # --horizontal-pod-autoscaler-cpu-initialization-period
HPA_INITIAL_READINESS_DELAY_SECONDS = 30  # --horizontal-pod-autoscaler-initial-readiness-delay
HPA_SCALE_UP_LIMIT_FACTOR = 2.0  # scaleUpLimitFactor: without behavior, at most double...
HPA_SCALE_UP_LIMIT_MINIMUM = 4.0  # scaleUpLimitMinimum: ...or 4, whichever is more

# --- scheduler ---
# kube-scheduler with Kubernetes v1.33 semantics (release-1.33 branch). Paths are relative to
# kubernetes/kubernetes; "config/v1" is pkg/scheduler/apis/config/v1.
SCHEDULER_NAME = "default-scheduler"  # pkg/apis/core/types.go DefaultSchedulerName
SCHEDULER_USER = "system:kube-scheduler"  # the identity kube-scheduler authenticates as
# config/v1/default_plugins.go getDefaultPlugins: Score weights of the default plugin set
SCHEDULER_PLUGIN_WEIGHTS = {
    "TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1, "PodTopologySpread": 2,
    "InterPodAffinity": 2, "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1,
}
MAX_NODE_SCORE = 100  # pkg/scheduler/framework/interface.go MaxNodeScore
# pkg/scheduler/util/pod_resources.go: what scoring assumes for a container without requests
DEFAULT_MILLI_CPU_REQUEST = 100  # DefaultMilliCPURequest (0.1 core)
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024  # DefaultMemoryRequest (200 MB)
# pkg/scheduler/schedule_one.go: node sampling (numFeasibleNodesToFind)
MIN_FEASIBLE_NODES_TO_FIND = 100  # minFeasibleNodesToFind
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5  # minFeasibleNodesPercentageToFind
DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE = 0  # config/v1/defaults.go: 0 = adaptive, 50 - nodes/125
ADAPTIVE_PERCENTAGE_BASE = 50  # schedule_one.go numFeasibleNodesToFind: 50 - numAllNodes/125
ADAPTIVE_PERCENTAGE_NODES_DIVISOR = 125
# pkg/scheduler/backend/queue/scheduling_queue.go
POD_INITIAL_BACKOFF_SECONDS = 1  # DefaultPodInitialBackoffDuration
POD_MAX_BACKOFF_SECONDS = 10  # DefaultPodMaxBackoffDuration
POD_MAX_IN_UNSCHEDULABLE_PODS_SECONDS = 300  # DefaultPodMaxInUnschedulablePodsDuration (5 min)
UNSCHEDULABLE_PODS_FLUSH_SECONDS = 30  # flushUnschedulablePodsLeftover runs every 30 s
# pkg/apis/core/validation NoteLengthLimit: schedule_one.go truncateMessage (event notes)
EVENT_NOTE_LENGTH_LIMIT = 1024
# config/v1/defaults.go SetDefaults_InterPodAffinityArgs
HARD_POD_AFFINITY_WEIGHT = 1  # DefaultHardPodAffinityWeight
# plugins/podtopologyspread/plugin.go systemDefaultConstraints (defaultingType: System)
SYSTEM_DEFAULT_SPREAD_CONSTRAINTS = (
    {"topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 3},
    {"topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 5},
)
# plugins/imagelocality/image_locality.go
IMAGE_LOCALITY_MIN_THRESHOLD = 23 * 1024 * 1024  # minThreshold
IMAGE_LOCALITY_MAX_CONTAINER_THRESHOLD = 1000 * 1024 * 1024  # maxContainerThreshold
# config/v1/defaults.go SetDefaults_DefaultPreemptionArgs
PREEMPTION_MIN_CANDIDATE_NODES_PERCENTAGE = 10
PREEMPTION_MIN_CANDIDATE_NODES_ABSOLUTE = 100

# --- api machinery ---
# pkg/apis/core/v1/defaults.go, k8s.io/api/core/v1/types.go
TERMINATION_GRACE_PERIOD_SECONDS = 30  # DefaultTerminationGracePeriodSeconds
PROJECTED_VOLUME_DEFAULT_MODE = 0o644  # Secret/ConfigMap/DownwardAPI/Projected DefaultMode: 420
SA_TOKEN_DEFAULT_EXPIRATION_SECONDS = 3600  # SetDefaults_ServiceAccountTokenProjection
LABEL_METADATA_NAME = "kubernetes.io/metadata.name"  # SetDefaults_Namespace
NAMESPACE_FINALIZER_KUBERNETES = "kubernetes"  # FinalizerKubernetes
REVISION_HISTORY_LIMIT = 10  # apps/v1 StatefulSet and DaemonSet defaults
DEFAULT_CPU_UTILIZATION = 80  # pkg/apis/autoscaling DefaultCPUUtilization
# k8s.io/api/batch/v1/types.go: labels the Job strategy puts on its pod template
JOB_CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"  # ControllerUidLabel
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"  # JobNameLabel
LEGACY_JOB_CONTROLLER_UID_LABEL = "controller-uid"  # LegacyControllerUidLabel
LEGACY_JOB_NAME_LABEL = "job-name"  # LegacyJobNameLabel
# k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle: Register
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
# plugin/pkg/admission/serviceaccount/admission.go
SERVICE_ACCOUNT_VOLUME_PREFIX = "kube-api-access-"  # ServiceAccountVolumeName + "-"
SERVICE_ACCOUNT_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
SA_TOKEN_WARN_ONLY_EXPIRATION_SECONDS = 3607  # serviceaccount.WarnOnlyBoundTokenExpirationSeconds
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"  # published by the root-ca-cert-publisher controller
# plugin/pkg/admission/defaulttolerationseconds/admission.go (flags default to 300 s)
DEFAULT_NOT_READY_TOLERATION_SECONDS = 300
DEFAULT_UNREACHABLE_TOLERATION_SECONDS = 300
TAINT_NODE_NOT_READY = "node.kubernetes.io/not-ready"  # k8s.io/api/core/v1/well_known_taints.go
TAINT_NODE_UNREACHABLE = "node.kubernetes.io/unreachable"
# pkg/apis/scheduling/types.go; built-in classes created by the API server's post-start hook
SYSTEM_CLUSTER_CRITICAL = ("system-cluster-critical", 2000000000)
SYSTEM_NODE_CRITICAL = ("system-node-critical", 2000001000)
LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"  # plugin/pkg/admission/limitranger
# pkg/registry/core/service/ipallocator: kubeadm's default --service-cluster-ip-range
SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/12"
SERVICE_NODE_PORT_RANGE = (30000, 32767)  # kube-apiserver --service-node-port-range

# --- kubelet ---
# Kubernetes v1.33 kubelet (release-1.33). Paths are relative to kubernetes/kubernetes.
KUBELET_PORT = 10250  # pkg/cluster/ports/ports.go KubeletPort (node.status.daemonEndpoints)
# pkg/kubelet/kubelet.go: container restart back-off (CrashLoopBackOff)
CONTAINER_BACKOFF_SECONDS = 10  # backOffPeriod = time.Second * 10
CONTAINER_MAX_BACKOFF_SECONDS = 300  # MaxContainerBackOff = 300 * time.Second
# pkg/kubelet/kubelet.go: image pull back-off (ImagePullBackOff) uses the same period
IMAGE_BACKOFF_SECONDS = 10  # backOffPeriod
IMAGE_MAX_BACKOFF_SECONDS = 300  # MaxImageBackOff = 300 * time.Second
# client-go util/flowcontrol/backoff.go hasExpired: an entry not bumped for 2 x max is reset,
# so a container that ran 10 minutes starts again from 10 s
BACKOFF_RESET_SECONDS = 2 * CONTAINER_MAX_BACKOFF_SECONDS
# pkg/kubelet/kubelet.go genericPlegRelistPeriod: how often the kubelet notices container changes
PLEG_RELIST_SECONDS = 1
# pkg/kubelet/apis/config/v1beta1/defaults.go (KubeletConfiguration defaults)
NODE_STATUS_UPDATE_FREQUENCY_SECONDS = 10  # NodeStatusUpdateFrequency
NODE_STATUS_REPORT_FREQUENCY_SECONDS = 300  # NodeStatusReportFrequency (5m, when unchanged)
NODE_LEASE_DURATION_SECONDS = 40  # NodeLeaseDurationSeconds
# pkg/kubelet/kubelet.go nodeLeaseRenewIntervalFraction = 0.25 → renew every 10 s
NODE_LEASE_RENEW_SECONDS = NODE_LEASE_DURATION_SECONDS * 0.25
NODE_LEASE_NAMESPACE = "kube-node-lease"  # k8s.io/api/core/v1 NamespaceNodeLease
# pkg/kubelet/apis/config/v1beta1/defaults.go EvictionHard default memory.available<100Mi,
# nodefs.available<10%: allocatable = capacity - eviction threshold (no kube/system reserved)
EVICTION_HARD_MEMORY_BYTES = 100 * 1024 * 1024
EVICTION_HARD_NODEFS_FRACTION = 0.10
MAX_PODS = 110  # KubeletConfiguration MaxPods default
# k8s.io/api/core/v1/types.go DefaultTerminationGracePeriodSeconds
DEFAULT_TERMINATION_GRACE_SECONDS = 30
# pkg/kubelet/kuberuntime/kuberuntime_container.go minimumGracePeriodInSeconds
MINIMUM_GRACE_PERIOD_SECONDS = 2
# pkg/apis/core/v1/defaults.go SetDefaults_Probe
PROBE_PERIOD_SECONDS = 10
PROBE_TIMEOUT_SECONDS = 1
PROBE_SUCCESS_THRESHOLD = 1
PROBE_FAILURE_THRESHOLD = 3
# pkg/probe/http/request.go: probes identify as kube-probe/<major>.<minor>
PROBE_USER_AGENT = "kube-probe/1.33"
# pkg/util/goroutinemap/exponentialbackoff: volume mount retries 500ms doubling to 2m2s
VOLUME_RETRY_INITIAL_SECONDS = 0.5
VOLUME_RETRY_MAX_SECONDS = 122
# node.status.images: KubeletConfiguration NodeStatusMaxImages default (50 images), and
# pkg/kubelet/nodestatus/setters.go MaxNamesPerImageInNodeStatus (5 names per image)
NODE_STATUS_MAX_IMAGES = 50
NODE_STATUS_MAX_NAMES_PER_IMAGE = 5
CONTAINER_RUNTIME_VERSION = "containerd://2.1.1"  # kind node image for v1.33.1
NODE_OS_IMAGE = "Debian GNU/Linux 12 (bookworm)"
NODE_KERNEL_VERSION = "6.8.0-59-generic"

# --- metrics-server (kubernetes-sigs/metrics-server) and kubectl top ---
# manifests/base/deployment.yaml runs it with --metric-resolution=15s (the flag's own default,
# cmd/metrics-server/app/options/options.go, is 60 s): one kubelet scrape every 15 s
METRIC_RESOLUTION_SECONDS = 15
# pkg/storage/pod.go freshContainerMinMetricsResolution: a container started 10-15 s before a
# scrape gets its start (CPU 0) as the earlier sample; one started more recently has no rate yet
FRESH_CONTAINER_MIN_SECONDS = 10
# kubectl pkg/cmd/top/top_pod.go metricsCreationDelay: older pods without metrics are an error
METRICS_CREATION_DELAY_SECONDS = 120
