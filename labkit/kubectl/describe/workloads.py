"""``kubectl describe`` for workload controllers: Deployment, ReplicaSet, ReplicationController,
StatefulSet, DaemonSet, Job and CronJob (upstream describe.go)."""
from __future__ import annotations

from ..formatting import format_label_selector, format_labels, human_duration, parse_time, \
    rfc1123z, selector_string
from .pods import pod_template
from .writer import PrefixWriter, annotations_multiline, controller_of, events_section, \
    labels_multiline


def pod_counts(api, obj: dict, selector: str) -> tuple[int, int, int, int]:
    """getPodStatusForController: Running / Waiting (Pending) / Succeeded / Failed pods that this
    controller owns (matching the selector *and* controlled by its UID)."""
    ns = obj["metadata"].get("namespace")
    pods = api.list("pods", ns, label_selector=selector or None)["items"]
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    uid = obj["metadata"].get("uid")
    for pod in pods:
        ref = next((r for r in pod["metadata"].get("ownerReferences") or () if r.get("controller")), None)
        if ref is None or ref.get("uid") != uid:
            continue
        phase = (pod.get("status") or {}).get("phase")
        if phase in counts:
            counts[phase] += 1
    return counts["Running"], counts["Pending"], counts["Succeeded"], counts["Failed"]


def _pods_status(w, counts) -> None:
    w.write(0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n" % counts)


def _conditions(w, conditions) -> None:
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in conditions:
            w.write(1, f"{c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}\n")


def _header(w, obj) -> None:
    w.write(0, f"Name:\t{obj['metadata']['name']}\n")
    w.write(0, f"Namespace:\t{obj['metadata'].get('namespace', '')}\n")


def describe_deployment(d: dict, api, events, now) -> str:
    w = PrefixWriter()
    spec, st, meta = d.get("spec") or {}, d.get("status") or {}, d["metadata"]
    _header(w, d)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{spec.get('replicas', 0)} desired | {st.get('updatedReplicas', 0)} updated | "
               f"{st.get('replicas', 0)} total | {st.get('availableReplicas', 0)} available | "
               f"{st.get('unavailableReplicas', 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    ru = strategy.get("rollingUpdate")
    if ru is not None:
        w.write(0, f"RollingUpdateStrategy:\t{ru.get('maxUnavailable', '')} max unavailable, "
                   f"{ru.get('maxSurge', '')} max surge\n")
    pod_template(w, spec.get("template"))
    _conditions(w, st.get("conditions"))
    old, new = _deployment_replicasets(api, d)
    if old or new:
        w.write(0, f"OldReplicaSets:\t{_rs_list(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_rs_list(new)}\n")
    events_section(w, events, now)
    return w.text()


def _template_equal(a: dict, b: dict) -> bool:
    """EqualIgnoreHash: pod templates compared without the pod-template-hash label."""
    def strip(t):
        t = dict(t or {})
        meta = dict(t.get("metadata") or {})
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != "pod-template-hash"}
        meta["labels"] = labels
        t["metadata"] = meta
        return t
    return strip(a) == strip(b)


def _deployment_replicasets(api, d: dict) -> tuple[list, list]:
    """deploymentutil.GetAllReplicaSets: the ReplicaSets the Deployment controls; the new one
    has the Deployment's template (the oldest such if several)."""
    uid = d["metadata"].get("uid")
    rss = api.list("replicasets", d["metadata"].get("namespace"),
                   label_selector=selector_string((d.get("spec") or {}).get("selector")) or None)["items"]
    owned = [rs for rs in rss if any(r.get("controller") and r.get("uid") == uid
                                     for r in rs["metadata"].get("ownerReferences") or ())]
    owned.sort(key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"]))
    template = (d.get("spec") or {}).get("template")
    new = next((rs for rs in owned if _template_equal((rs.get("spec") or {}).get("template"), template)), None)
    old = [rs for rs in owned if rs is not new]
    return old, [new] if new is not None else []


def _rs_list(rss: list) -> str:
    return ", ".join(f"{rs['metadata']['name']} ({(rs.get('status') or {}).get('replicas', 0)}/"
                     f"{(rs.get('spec') or {}).get('replicas', 0)} replicas created)"
                     for rs in rss) or "<none>"


def describe_replicaset(rs: dict, api, events, now) -> str:
    w = PrefixWriter()
    spec, st, meta = rs.get("spec") or {}, rs.get("status") or {}, rs["metadata"]
    _header(w, rs)
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if controller_of(rs):
        w.write(0, f"Controlled By:\t{controller_of(rs)}\n")
    w.write(0, f"Replicas:\t{st.get('replicas', 0)} current / {spec.get('replicas', 0)} desired\n")
    _pods_status(w, pod_counts(api, rs, selector_string(spec.get("selector"))))
    pod_template(w, spec.get("template"))
    _conditions(w, st.get("conditions"))
    events_section(w, events, now)
    return w.text()


def describe_replicationcontroller(rc: dict, api, events, now) -> str:
    w = PrefixWriter()
    spec, st, meta = rc.get("spec") or {}, rc.get("status") or {}, rc["metadata"]
    _header(w, rc)
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Replicas:\t{st.get('replicas', 0)} current / {spec.get('replicas', 0)} desired\n")
    sel = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    _pods_status(w, pod_counts(api, rc, sel))
    pod_template(w, spec.get("template"))
    _conditions(w, st.get("conditions"))
    events_section(w, events, now)
    return w.text()


def describe_statefulset(sts: dict, api, events, now) -> str:
    w = PrefixWriter()
    spec, st, meta = sts.get("spec") or {}, sts.get("status") or {}, sts["metadata"]
    selector = selector_string(spec.get("selector"))
    _header(w, sts)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    w.write(0, f"Selector:\t{selector}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if spec.get("serviceName"):
        w.write(0, f"Service Name:\t{spec['serviceName']}\n")
    if spec.get("podManagementPolicy"):
        w.write(0, f"Pod Management Policy:\t{spec['podManagementPolicy']}\n")
    w.write(0, f"Replicas:\t{spec.get('replicas', 0)} desired | {st.get('replicas', 0)} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    ru = strategy.get("rollingUpdate")
    if ru is not None and ru.get("partition") is not None:
        w.write(1, f"Partition:\t{ru['partition']}\n")
        if ru.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{ru['maxUnavailable']}\n")
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if retention is not None:
        w.write(0, "Persistent Volume Claim Retention Policy:\n")
        w.write(1, f"WhenDeleted:\t{retention.get('whenDeleted', '')}\n")
        w.write(1, f"WhenScaled:\t{retention.get('whenScaled', '')}\n")
    _pods_status(w, pod_counts(api, sts, selector))
    pod_template(w, spec.get("template"))
    _claim_templates(w, spec.get("volumeClaimTemplates"))
    events_section(w, events, now)
    return w.text()


def _claim_templates(w, templates) -> None:
    from ..formatting import quantity_string
    if not templates:
        w.write(0, "Volume Claims:\t<none>\n")
        return
    w.write(0, "Volume Claims:\n")
    for pvc in templates:
        meta, spec = pvc.get("metadata") or {}, pvc.get("spec") or {}
        w.write(1, f"Name:\t{meta.get('name', '')}\n")
        sc = spec.get("storageClassName") or \
            (meta.get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class", "")
        w.write(1, f"StorageClass:\t{sc}\n")
        labels_multiline(w, "Labels", meta.get("labels"), initial="  ")
        labels_multiline(w, "Annotations", meta.get("annotations"), initial="  ")
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        w.write(1, f"Capacity:\t{quantity_string(storage) if storage else '<default>'}\n")
        w.write(1, f"Access Modes:\t[{' '.join(spec.get('accessModes') or [])}]\n")


def describe_daemonset(ds: dict, api, events, now) -> str:
    w = PrefixWriter()
    spec, st, meta = ds.get("spec") or {}, ds.get("status") or {}, ds["metadata"]
    selector = selector_string(spec.get("selector"))
    _header(w, ds)
    w.write(0, f"Selector:\t{selector}\n")
    node_sel = (((spec.get("template") or {}).get("spec") or {}).get("nodeSelector"))
    w.write(0, f"Node-Selector:\t{format_labels(node_sel)}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Desired Number of Nodes Scheduled: {st.get('desiredNumberScheduled', 0)}\n")
    w.write(0, f"Current Number of Nodes Scheduled: {st.get('currentNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Up-to-date Pods: {st.get('updatedNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Available Pods: {st.get('numberAvailable', 0)}\n")
    w.write(0, f"Number of Nodes Misscheduled: {st.get('numberMisscheduled', 0)}\n")
    _pods_status(w, pod_counts(api, ds, selector))
    pod_template(w, spec.get("template"))
    events_section(w, events, now)
    return w.text()


def describe_job(job: dict, api, events, now) -> str:
    w = PrefixWriter()
    spec, st, meta = job.get("spec") or {}, job.get("status") or {}, job["metadata"]
    _header(w, job)
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if controller_of(job):
        w.write(0, f"Controlled By:\t{controller_of(job)}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    w.write(0, f"Completions:\t{spec['completions']}\n" if spec.get("completions") is not None
            else "Completions:\t<unset>\n")
    if spec.get("completionMode"):
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{'true' if spec['suspend'] else 'false'}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    if st.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(st['startTime'])}\n")
    if st.get("completionTime"):
        w.write(0, f"Completed At:\t{rfc1123z(st['completionTime'])}\n")
    if st.get("startTime") and st.get("completionTime"):
        w.write(0, f"Duration:\t{human_duration(parse_time(st['completionTime']) - parse_time(st['startTime']))}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    if st.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{st.get('active', 0)} Active / {st.get('succeeded', 0)} Succeeded / "
                   f"{st.get('failed', 0)} Failed\n")
    else:
        w.write(0, f"Pods Statuses:\t{st.get('active', 0)} Active ({st['ready']} Ready) / "
                   f"{st.get('succeeded', 0)} Succeeded / {st.get('failed', 0)} Failed\n")
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{_cap_indexes(st.get('completedIndexes', ''))}\n")
    pod_template(w, spec.get("template"))
    events_section(w, events, now)
    return w.text()


def _cap_indexes(indexes: str, limit: int = 50) -> str:
    if not indexes:
        return "<none>"
    ix = indexes.find(",", limit)
    return indexes if ix < 0 else indexes[:ix + 1] + "..."


def describe_cronjob(cj: dict, api, events, now) -> str:
    w = PrefixWriter()
    spec, st, meta = cj.get("spec") or {}, cj.get("status") or {}, cj["metadata"]
    _header(w, cj)
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    suspend = spec.get("suspend")
    w.write(0, f"Suspend:\t{'<unset>' if suspend is None else ('True' if suspend else 'False')}\n")
    w.write(0, f"Time Zone:\t{spec.get('timeZone') or '<unset>'}\n")
    for title, key in (("Successful Job History Limit", "successfulJobsHistoryLimit"),
                       ("Failed Job History Limit", "failedJobsHistoryLimit")):
        w.write(0, f"{title}:\t{spec[key] if spec.get(key) is not None else '<unset>'}\n")
    sds = spec.get("startingDeadlineSeconds")
    w.write(0, f"Starting Deadline Seconds:\t{f'{sds}s' if sds is not None else '<unset>'}\n")
    jt = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    w.write(0, f"Selector:\t{selector_string(jt['selector']) if jt.get('selector') else '<unset>'}\n")
    for title, key in (("Parallelism", "parallelism"), ("Completions", "completions")):
        w.write(0, f"{title}:\t{jt[key] if jt.get(key) is not None else '<unset>'}\n")
    if jt.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{jt['activeDeadlineSeconds']}s\n")
    pod_template(w, jt.get("template"))
    last = st.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{rfc1123z(last) if last else '<unset>'}\n")
    active = st.get("active") or []
    w.write(0, "Active Jobs:\t")
    w.line(", ".join(j.get("name", "") for j in active) if active else "<none>")
    events_section(w, events, now)
    return w.text()
