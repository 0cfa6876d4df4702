"""Workload validation: Deployment, ReplicaSet, StatefulSet, DaemonSet (pkg/apis/apps/validation),
ReplicationController (core), Job and CronJob (pkg/apis/batch/validation), v1.33.

Update rules from the registry strategies are here too: a selector is immutable
(``spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable``), a StatefulSet
spec may change only in a few fields, a Job's template never.
"""
from __future__ import annotations

from ..upstream import (JOB_CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_JOB_CONTROLLER_UID_LABEL,
                        LEGACY_JOB_NAME_LABEL)
from .job_policies import validate_fail_index_rules, validate_per_index, validate_success_policy
from .fields import (Raw, forbidden, immutable, invalid, label_selector_repr, nonnegative,
                     not_supported, required)
from .meta import (selector_matches, validate_annotations, validate_label_selector,
                   validate_labels, validate_object_meta, validate_object_meta_update)
from .names import is_dns1123_label, is_valid_percent, name_is_dns_label, name_is_dns_subdomain
from .pods import validate_pod_template

MISMATCH = "`selector` does not match template `labels`"


def _intstr_repr(v) -> Raw:
    """intstr.IntOrString printed with %#v."""
    if isinstance(v, str):
        return Raw(f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{v}"}}')
    return Raw(f'intstr.IntOrString{{Type:0, IntVal:{v}, StrVal:""}}')


def _int_or_percent(v) -> int:
    if isinstance(v, str):
        return int(v[:-1]) if not is_valid_percent(v) else 0
    return v or 0


def _positive_int_or_percent(v, path: str) -> list[dict]:
    if isinstance(v, str):
        return [invalid(path, _intstr_repr(v), m) for m in is_valid_percent(v)]
    return nonnegative(path, v)


def _not_over_100(v, path: str) -> list[dict]:
    if isinstance(v, str) and not is_valid_percent(v) and int(v[:-1]) > 100:
        return [invalid(path, _intstr_repr(v), "must not be greater than 100%")]
    return []


def _template_labels(spec: dict) -> dict | None:
    return ((spec.get("template") or {}).get("metadata") or {}).get("labels")


def _selector(spec: dict, path: str, what: str) -> tuple[list[dict], bool]:
    """Required, well formed, not empty. Returns (errors, usable-for-matching)."""
    sel = spec.get("selector")
    if sel is None:
        return [required(f"{path}.selector")], False
    out = validate_label_selector(sel, f"{path}.selector")
    if not (sel.get("matchLabels") or sel.get("matchExpressions")):
        out.append(invalid(f"{path}.selector", label_selector_repr(sel),
                           f"empty selector is invalid for {what}"))
    return out, True


def _replica_set_template(spec: dict, path: str, kind: str) -> list[dict]:
    """ValidatePodTemplateSpecForReplicaSet (also Deployments and, with a map selector, RCs)."""
    out = []
    tpl = spec.get("template")
    labels = _template_labels(spec)
    sel = spec.get("selector")
    if kind == "ReplicationController":
        nonempty = bool(sel)
        matches = nonempty and all((labels or {}).get(k) == v for k, v in sel.items())
    else:
        nonempty = isinstance(sel, dict) and bool(sel.get("matchLabels") or
                                                  sel.get("matchExpressions"))
        matches = nonempty and selector_matches(sel, labels)
    if tpl is None:
        return [required(f"{path}.template")]
    if nonempty and not matches:
        out.append(invalid(f"{path}.template.metadata.labels", labels or None, MISMATCH))
    out += validate_pod_template(tpl, f"{path}.template")
    tspec = (tpl or {}).get("spec") or {}
    if tspec.get("restartPolicy") != "Always":
        out.append(not_supported(f"{path}.template.spec.restartPolicy",
                                 tspec.get("restartPolicy", ""), ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        name = "ReplicaSet" if kind != "ReplicationController" else "ReplicationController"
        out.append(forbidden(f"{path}.template.spec.activeDeadlineSeconds",
                             f"activeDeadlineSeconds in {name} is not Supported"))
    return out


def validate_deployment(obj: dict) -> list[dict]:
    spec = obj.get("spec") or {}
    out = validate_object_meta(obj.get("metadata") or {}, True, name_is_dns_subdomain)
    out += nonnegative("spec.replicas", spec.get("replicas"))
    errs, _ = _selector(spec, "spec", "deployment")
    out += errs + _replica_set_template(spec, "spec", "Deployment")
    strategy = spec.get("strategy") or {}
    st = strategy.get("type")
    if st == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            out.append(forbidden("spec.strategy.rollingUpdate",
                                 "may not be specified when strategy `type` is 'Recreate'"))
    elif st == "RollingUpdate":
        ru = strategy.get("rollingUpdate") or {}
        mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
        out += _positive_int_or_percent(mu, "spec.strategy.rollingUpdate.maxUnavailable")
        out += _positive_int_or_percent(ms, "spec.strategy.rollingUpdate.maxSurge")
        if _int_or_percent(mu) == 0 and _int_or_percent(ms) == 0:
            out.append(invalid("spec.strategy.rollingUpdate.maxUnavailable", _intstr_repr(mu),
                               "may not be 0 when `maxSurge` is 0"))
        out += _not_over_100(mu, "spec.strategy.rollingUpdate.maxUnavailable")
    else:
        out.append(not_supported("spec.strategy", Raw("apps.DeploymentStrategy{...}"),
                                 ("Recreate", "RollingUpdate")))
    out += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    out += nonnegative("spec.revisionHistoryLimit", spec.get("revisionHistoryLimit"))
    pds = spec.get("progressDeadlineSeconds")
    if pds is not None:
        out += nonnegative("spec.progressDeadlineSeconds", pds)
        if pds <= (spec.get("minReadySeconds") or 0):
            out.append(invalid("spec.progressDeadlineSeconds", pds,
                               "must be greater than minReadySeconds"))
    return out


def validate_replicaset(obj: dict) -> list[dict]:
    spec = obj.get("spec") or {}
    out = validate_object_meta(obj.get("metadata") or {}, True, name_is_dns_subdomain)
    out += nonnegative("spec.replicas", spec.get("replicas"))
    out += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    errs, _ = _selector(spec, "spec", "deployment")  # upstream reuses the Deployment wording
    return out + errs + _replica_set_template(spec, "spec", "ReplicaSet")


def validate_replication_controller(obj: dict) -> list[dict]:
    spec = obj.get("spec") or {}
    out = validate_object_meta(obj.get("metadata") or {}, True, name_is_dns_subdomain)
    out += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    if not spec.get("selector"):
        out.append(required("spec.selector"))
    out += nonnegative("spec.replicas", spec.get("replicas"))
    return out + _replica_set_template(spec, "spec", "ReplicationController")


def validate_statefulset(obj: dict) -> list[dict]:
    """ValidateStatefulSet. Upstream checks only the template's labels and annotations, not its
    pod spec (upstream leaves that for later): a bad container surfaces when pods are created."""
    spec = obj.get("spec") or {}
    out = validate_object_meta(obj.get("metadata") or {}, True, name_is_dns_label)
    pmp = spec.get("podManagementPolicy")
    if not pmp:
        out.append(required("spec.podManagementPolicy"))
    elif pmp not in ("OrderedReady", "Parallel"):
        out.append(invalid("spec.podManagementPolicy", pmp, "must be 'OrderedReady' or "
                           "'Parallel'"))
    us = spec.get("updateStrategy") or {}
    if not us.get("type"):
        out.append(required("spec.updateStrategy"))
    elif us["type"] == "OnDelete" and us.get("rollingUpdate") is not None:
        out.append(invalid("spec.updateStrategy.rollingUpdate",
                           Raw("apps.RollingUpdateStatefulSetStrategy{...}"),
                           "only allowed for updateStrategy 'RollingUpdate'"))
    elif us["type"] == "RollingUpdate" and us.get("rollingUpdate") is not None:
        out += nonnegative("spec.updateStrategy.rollingUpdate.partition",
                           (us["rollingUpdate"] or {}).get("partition"))
    elif us["type"] not in ("OnDelete", "RollingUpdate"):
        out.append(invalid("spec.updateStrategy", Raw("apps.StatefulSetUpdateStrategy{...}"),
                           "must be 'RollingUpdate' or 'OnDelete'"))
    for f in ("whenDeleted", "whenScaled"):
        v = (spec.get("persistentVolumeClaimRetentionPolicy") or {}).get(f)
        if v not in (None, "Retain", "Delete"):
            out.append(not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{f}", v,
                                     ("Retain", "Delete")))
    out += nonnegative("spec.replicas", spec.get("replicas"))
    out += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    errs, _ = _selector(spec, "spec", "statefulset")
    out += errs
    sel, labels = spec.get("selector"), _template_labels(spec)
    if isinstance(sel, dict) and (sel.get("matchLabels") or sel.get("matchExpressions")) and \
            not selector_matches(sel, labels):
        out.append(invalid("spec.template.metadata.labels", labels or None, MISMATCH))
    meta = (spec.get("template") or {}).get("metadata") or {}
    out += validate_labels(meta.get("labels"), "spec.template.labels")
    out += validate_annotations(meta.get("annotations"), "spec.template.annotations")
    out += _always_running(spec, "StatefulSet")
    return out


def _always_running(spec: dict, kind: str) -> list[dict]:
    """StatefulSet and DaemonSet pods run forever: restartPolicy Always, no deadline."""
    out = []
    tspec = (spec.get("template") or {}).get("spec") or {}
    if tspec.get("restartPolicy") != "Always":
        out.append(not_supported("spec.template.spec.restartPolicy",
                                 tspec.get("restartPolicy", ""), ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        out.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                             f"activeDeadlineSeconds in {kind} is not Supported"))
    return out


def validate_daemonset(obj: dict) -> list[dict]:
    spec = obj.get("spec") or {}
    out = validate_object_meta(obj.get("metadata") or {}, True, name_is_dns_subdomain)
    sel, labels = spec.get("selector"), _template_labels(spec)
    out += validate_label_selector(sel, "spec.selector")
    if sel is None or not selector_matches(sel, labels):
        out.append(invalid("spec.template.metadata.labels", labels or None, MISMATCH))
    if sel is not None and not (sel.get("matchLabels") or sel.get("matchExpressions")):
        out.append(invalid("spec.selector", label_selector_repr(sel),
                           "empty selector is invalid for daemonset"))
    out += validate_pod_template(spec.get("template"), "spec.template")
    out += _always_running(spec, "DaemonSet")
    out += nonnegative("spec.minReadySeconds", spec.get("minReadySeconds"))
    us = spec.get("updateStrategy") or {}
    if us.get("type") == "RollingUpdate":
        ru = us.get("rollingUpdate")
        if ru is None:
            out.append(required("spec.updateStrategy.rollingUpdate"))
        else:
            p = "spec.updateStrategy.rollingUpdate"
            mu, ms = ru.get("maxUnavailable"), ru.get("maxSurge")
            out += _positive_int_or_percent(mu, f"{p}.maxUnavailable")
            out += _positive_int_or_percent(ms, f"{p}.maxSurge")
            out += _not_over_100(mu, f"{p}.maxUnavailable") + _not_over_100(ms, f"{p}.maxSurge")
            if _int_or_percent(mu) and _int_or_percent(ms):
                out.append(invalid(f"{p}.maxSurge", _intstr_repr(ms),
                                   "may not be set when maxUnavailable is non-zero"))
            elif not _int_or_percent(mu) and not _int_or_percent(ms):
                out.append(required(f"{p}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    elif us.get("type") != "OnDelete":
        out.append(not_supported("spec.updateStrategy", Raw("apps.DaemonSetUpdateStrategy{...}"),
                                 ("RollingUpdate", "OnDelete")))
    return out + nonnegative("spec.revisionHistoryLimit", spec.get("revisionHistoryLimit"))


# -- batch ----------------------------------------------------------------------------------
def _job_spec(spec: dict, path: str) -> list[dict]:
    """validateJobSpec."""
    out = []
    for f in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
              "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"):
        out += nonnegative(f"{path}.{f}", spec.get(f))
    mode = spec.get("completionMode")
    if mode is not None:
        if mode not in ("NonIndexed", "Indexed"):
            out.append(not_supported(f"{path}.completionMode", mode, ("NonIndexed", "Indexed")))
        if mode == "Indexed" and spec.get("completions") is None:
            out.append(required(f"{path}.completions", "when completion mode is Indexed"))
    out += validate_per_index(spec, path) + validate_fail_index_rules(spec, path)
    out += validate_success_policy(spec, path)
    out += validate_pod_template(spec.get("template"), f"{path}.template")
    policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy", "")
    rp = f"{path}.template.spec.restartPolicy"
    if policy in ("Always", ""):
        out.append(required(rp, 'valid values: "OnFailure", "Never"'))
    elif policy not in ("OnFailure", "Never"):
        out.append(not_supported(rp, policy, ("OnFailure", "Never")))
    elif spec.get("podFailurePolicy") is not None and policy != "Never":
        out.append(invalid(rp, policy, 'only "Never" is supported when podFailurePolicy is '
                           "specified"))
    return out


def _has_label(meta: dict, key: str, value: str, path: str) -> list[dict]:
    """ValidateHasLabel."""
    labels = meta.get("labels") or {}
    if key not in labels:
        return [required(f"{path}.labels[{key}]", f"must be '{value}'")]
    if labels[key] != value:
        return [invalid(f"{path}.labels[{key}]", labels, f"must be '{value}'")]
    return []


def _generated_selector(job: dict) -> list[dict]:
    """validateGeneratedSelector: the template carries the job's name and UID labels and the
    selector selects exactly them."""
    spec, meta = job.get("spec") or {}, job.get("metadata") or {}
    if spec.get("manualSelector") or spec.get("selector") is None:
        return []
    out = [] if meta.get("uid") else [required("metadata.uid")]
    tmeta = (spec.get("template") or {}).get("metadata") or {}
    uid, name = str(meta.get("uid", "")), str(meta.get("name", ""))
    tp = "spec.template.metadata"
    out += _has_label(tmeta, LEGACY_JOB_CONTROLLER_UID_LABEL, uid, tp)
    out += _has_label(tmeta, LEGACY_JOB_NAME_LABEL, name, tp)
    out += _has_label(tmeta, JOB_CONTROLLER_UID_LABEL, uid, tp)
    out += _has_label(tmeta, JOB_NAME_LABEL, name, tp)
    expected = {LEGACY_JOB_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name,
                JOB_CONTROLLER_UID_LABEL: uid, JOB_NAME_LABEL: name}
    if not selector_matches(spec["selector"], expected):
        out.append(invalid("spec.selector", label_selector_repr(spec["selector"]),
                           "`selector` not auto-generated"))
    return out


def validate_job(job: dict) -> list[dict]:
    spec = job.get("spec") or {}
    meta = job.get("metadata") or {}
    out = validate_object_meta(meta, True, name_is_dns_subdomain)
    out += _generated_selector(job)
    out += _job_spec(spec, "spec")
    sel = spec.get("selector")
    if sel is None:
        out.append(required("spec.selector"))
    else:
        out += validate_label_selector(sel, "spec.selector")
        labels = _template_labels(spec)
        if not selector_matches(sel, labels):
            out.append(invalid("spec.template.metadata.labels", labels or None, MISMATCH))
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and completions:
        host = f"{meta.get('name', '')}-{completions - 1}"
        if is_dns1123_label(host):
            out.append(invalid("metadata.name", meta.get("name", ""),
                               f"will not able to create pod with invalid DNS label: {host}"))
    return out


def validate_cronjob(cj: dict) -> list[dict]:
    spec = cj.get("spec") or {}
    meta = cj.get("metadata") or {}
    out = validate_object_meta(meta, True, name_is_dns_subdomain)
    schedule = spec.get("schedule")
    if not schedule:
        out.append(required("spec.schedule"))
    else:
        out += _schedule(str(schedule))
    out += nonnegative("spec.startingDeadlineSeconds", spec.get("startingDeadlineSeconds"))
    policy = spec.get("concurrencyPolicy")
    if not policy:
        out.append(required("spec.concurrencyPolicy"))
    elif policy not in ("Allow", "Forbid", "Replace"):
        out.append(not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace")))
    jt = (spec.get("jobTemplate") or {}).get("spec") or {}
    out += _job_spec(jt, "spec.jobTemplate.spec")
    if jt.get("selector") is not None:
        out.append(invalid("spec.jobTemplate.spec.selector", label_selector_repr(jt["selector"]),
                           "`selector` will be auto-generated"))
    if jt.get("manualSelector"):
        out.append(not_supported("spec.jobTemplate.spec.manualSelector", True,
                                 ("nil", "false")))
    for f in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        out += nonnegative(f"spec.{f}", spec.get(f))
    if len(str(meta.get("name", ""))) > 52:
        out.append(invalid("metadata.name", meta["name"], "must be no more than 52 characters"))
    return out


def _schedule(schedule: str) -> list[dict]:
    """cron.ParseStandard, through croniter (error wording simplified)."""
    if "TZ" in schedule:
        return [invalid("spec.schedule", schedule,
                        "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")]
    from croniter import croniter
    fields = schedule.split()
    if not schedule.startswith("@") and len(fields) != 5:
        return [invalid("spec.schedule", schedule,
                        f"expected exactly 5 fields, found {len(fields)}: [{schedule}]")]
    if not croniter.is_valid(schedule):
        return [invalid("spec.schedule", schedule, f"unparseable schedule: {schedule}")]
    return []


# -- updates --------------------------------------------------------------------------------
def _update(validate, field_rules):
    """An update validator: metadata update rules, the full object rules, then immutables."""
    def check(new: dict, old: dict) -> list[dict]:
        out = validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
        errs = validate(new)
        out += [c for c in errs if not c["field"].startswith("metadata.name") and
                c["field"] != "metadata.generateName"]
        return out + field_rules(new.get("spec") or {}, old.get("spec") or {})
    return check


def _selector_immutable(spec: dict, old: dict) -> list[dict]:
    return immutable("spec.selector", spec.get("selector"), old.get("selector"),
                     label_selector_repr)


def _statefulset_immutable(spec: dict, old: dict) -> list[dict]:
    mutable = ("replicas", "template", "updateStrategy", "minReadySeconds", "ordinals",
               "persistentVolumeClaimRetentionPolicy")
    if {k: v for k, v in spec.items() if k not in mutable} != \
            {k: v for k, v in old.items() if k not in mutable}:
        return [forbidden("spec", "updates to statefulset spec for fields other than "
                          "'replicas', 'ordinals', 'template', 'updateStrategy', "
                          "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
                          "forbidden")]
    return []


def _job_immutable(spec: dict, old: dict) -> list[dict]:
    out = immutable("spec.completions", spec.get("completions"), old.get("completions"))
    out += _selector_immutable(spec, old)
    out += immutable("spec.template", spec.get("template"), old.get("template"),
                     lambda _: Raw("core.PodTemplateSpec{...}"))
    for f in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy",
              "successPolicy"):
        out += immutable(f"spec.{f}", spec.get(f), old.get(f))
    return out


UPDATES = {
    "Deployment": _update(validate_deployment, _selector_immutable),
    "ReplicaSet": _update(validate_replicaset, _selector_immutable),
    "DaemonSet": _update(validate_daemonset, _selector_immutable),
    "StatefulSet": _update(validate_statefulset, _statefulset_immutable),
    "Job": _update(validate_job, _job_immutable),
    "ReplicationController": _update(validate_replication_controller, lambda s, o: []),
    "CronJob": _update(validate_cronjob, lambda s, o: []),
}
CREATES = {"Deployment": validate_deployment, "ReplicaSet": validate_replicaset,
           "DaemonSet": validate_daemonset, "StatefulSet": validate_statefulset,
           "Job": validate_job, "CronJob": validate_cronjob,
           "ReplicationController": validate_replication_controller}
