"""Workload defaults: apps/v1 (pkg/apis/apps/v1/defaults.go) and batch/v1
(pkg/apis/batch/v1/defaults.go), plus the Job strategy's generated selector."""
from __future__ import annotations

from ..upstream import (CRONJOB_FAILED_JOBS_HISTORY_LIMIT, CRONJOB_SUCCESSFUL_JOBS_HISTORY_LIMIT,
                        DEPLOYMENT_MAX_SURGE, DEPLOYMENT_MAX_UNAVAILABLE,
                        DEPLOYMENT_PROGRESS_DEADLINE_SECONDS, DEPLOYMENT_REVISION_HISTORY_LIMIT,
                        JOB_CONTROLLER_UID_LABEL, JOB_DEFAULT_BACKOFF_LIMIT, JOB_NAME_LABEL,
                        LEGACY_JOB_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL,
                        REVISION_HISTORY_LIMIT)
from .common import dict_at, items_of, pvc_spec
from .pods import template


def _rolling_update(strategy: dict, max_unavailable, max_surge) -> None:
    """type RollingUpdate unless given, and its maxUnavailable/maxSurge."""
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        ru = dict_at(strategy, "rollingUpdate")
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = max_unavailable
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = max_surge


def deployment(obj: dict) -> None:
    spec = dict_at(obj, "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    _rolling_update(dict_at(spec, "strategy"), DEPLOYMENT_MAX_UNAVAILABLE, DEPLOYMENT_MAX_SURGE)
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = DEPLOYMENT_REVISION_HISTORY_LIMIT
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = DEPLOYMENT_PROGRESS_DEADLINE_SECONDS
    template(obj, "spec")


def replicaset(obj: dict) -> None:
    spec = dict_at(obj, "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    template(obj, "spec")


def replication_controller(obj: dict) -> None:
    """SetDefaults_ReplicationController: selector and labels default to the template's."""
    spec = dict_at(obj, "spec")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = dict_at(obj, "metadata")
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if isinstance(spec.get("template"), dict):
        template(obj, "spec")


def statefulset(obj: dict) -> None:
    spec = dict_at(obj, "spec")
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    us = dict_at(spec, "updateStrategy")
    if not us.get("type"):
        us["type"] = "RollingUpdate"
        if us.get("rollingUpdate") is None:
            us["rollingUpdate"] = {}
    if us["type"] == "RollingUpdate" and isinstance(us.get("rollingUpdate"), dict):
        if us["rollingUpdate"].get("partition") is None:
            us["rollingUpdate"]["partition"] = 0
    policy = dict_at(spec, "persistentVolumeClaimRetentionPolicy")  # StatefulSetAutoDeletePVC, GA
    for k in ("whenDeleted", "whenScaled"):
        if not policy.get(k):
            policy[k] = "Retain"
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = REVISION_HISTORY_LIMIT
    for claim in items_of(spec, "volumeClaimTemplates"):
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        pvc_spec(dict_at(claim, "spec"))
        dict_at(claim, "status").setdefault("phase", "Pending")
    template(obj, "spec")


def daemonset(obj: dict) -> None:
    spec = dict_at(obj, "spec")
    _rolling_update(dict_at(spec, "updateStrategy"), 1, 0)
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = REVISION_HISTORY_LIMIT
    template(obj, "spec")


def job(obj: dict) -> None:
    """SetDefaults_Job (pkg/apis/batch/v1/defaults.go)."""
    spec = dict_at(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = (2 ** 31 - 1) if spec.get("backoffLimitPerIndex") is not None \
            else JOB_DEFAULT_BACKOFF_LIMIT
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    meta = dict_at(obj, "metadata")
    if labels and not meta.get("labels"):
        meta["labels"] = dict(labels)
    if not spec.get("completionMode"):
        spec["completionMode"] = "NonIndexed"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    for rule in items_of(spec.get("podFailurePolicy") or {}, "rules"):
        for pattern in items_of(rule, "onPodConditions"):
            if not pattern.get("status"):
                pattern["status"] = "True"
    if not spec.get("podReplacementPolicy"):  # JobPodReplacementPolicy, beta (on) in v1.33
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") \
            else "TerminatingOrFailed"
    if spec.get("manualSelector") is None:
        spec["manualSelector"] = False
    template(obj, "spec")


def generate_job_selector(job: dict) -> None:
    """The Job strategy's generateSelector: label the template with the job's name and UID and
    select on ``batch.kubernetes.io/controller-uid`` (pkg/registry/batch/job/strategy.go)."""
    spec = dict_at(job, "spec")
    if spec.get("manualSelector"):
        return
    meta = job["metadata"]
    labels = dict_at(dict_at(dict_at(spec, "template"), "metadata"), "labels")
    for key in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        labels.setdefault(key, meta.get("name", ""))
    for key in (LEGACY_JOB_CONTROLLER_UID_LABEL, JOB_CONTROLLER_UID_LABEL):
        labels.setdefault(key, meta.get("uid", ""))
    match = dict_at(dict_at(spec, "selector"), "matchLabels")
    match.setdefault(JOB_CONTROLLER_UID_LABEL, meta.get("uid", ""))


def cronjob(obj: dict) -> None:
    spec = dict_at(obj, "spec")
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = CRONJOB_SUCCESSFUL_JOBS_HISTORY_LIMIT
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = CRONJOB_FAILED_JOBS_HISTORY_LIMIT
    template(dict_at(dict_at(spec, "jobTemplate"), "spec"))
