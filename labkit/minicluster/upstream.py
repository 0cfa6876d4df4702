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
