"""``kubectl get`` rows for workload controllers: Deployments, ReplicaSets, StatefulSets,
DaemonSets, Jobs, CronJobs, ReplicationControllers, HPAs, PodDisruptionBudgets and
ControllerRevisions (upstream pkg/printers/internalversion/printers.go).

READY is ``ready/desired``; UP-TO-DATE counts pods running the current template; AVAILABLE counts
pods ready for at least ``minReadySeconds``. A Job's STATUS comes from its conditions and its
COMPLETIONS reads ``succeeded/completions``.
"""
from __future__ import annotations

from labkit.minicluster.conversion_autoscaling import V1 as HPA_V1, from_v1

from ..formatting import (canonical_quantity, format_label_selector, format_labels,
                          human_duration, parse_quantity, parse_time, quantity_format,
                          selector_string, since)

_TEMPLATE = [("Containers", "string", "", 1), ("Images", "string", "", 1)]
_SELECTOR = [("Selector", "string", "", 1)]


def containers_cells(pod_spec: dict | None) -> list[str]:
    """layoutContainerCells: container names and images, comma-separated."""
    cs = (pod_spec or {}).get("containers") or ()
    return [",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)]


def _template_spec(obj: dict) -> dict:
    return (((obj.get("spec") or {}).get("template") or {}).get("spec")) or {}


def _age(obj, now):
    return since(obj["metadata"].get("creationTimestamp"), now)


DEPLOYMENT = [("Name", "string", "name", 0), ("Ready", "string", "", 0),
              ("Up-to-date", "string", "", 0), ("Available", "string", "", 0),
              ("Age", "string", "", 0)] + _TEMPLATE + _SELECTOR


def deployment(d: dict, now) -> list:
    spec, st = d.get("spec") or {}, d.get("status") or {}
    return [d["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            st.get("updatedReplicas", 0), st.get("availableReplicas", 0), _age(d, now),
            *containers_cells(_template_spec(d)), selector_string(spec.get("selector"))]


REPLICASET = [("Name", "string", "name", 0), ("Desired", "integer", "", 0),
              ("Current", "integer", "", 0), ("Ready", "integer", "", 0),
              ("Age", "string", "", 0)] + _TEMPLATE + _SELECTOR


def replicaset(rs: dict, now) -> list:
    spec, st = rs.get("spec") or {}, rs.get("status") or {}
    return [rs["metadata"]["name"], spec.get("replicas", 0), st.get("replicas", 0),
            st.get("readyReplicas", 0), _age(rs, now), *containers_cells(_template_spec(rs)),
            format_label_selector(spec.get("selector"))]


def replicationcontroller(rc: dict, now) -> list:
    spec, st = rc.get("spec") or {}, rc.get("status") or {}
    return [rc["metadata"]["name"], spec.get("replicas", 0), st.get("replicas", 0),
            st.get("readyReplicas", 0), _age(rc, now), *containers_cells(_template_spec(rc)),
            format_labels(spec.get("selector"))]


STATEFULSET = [("Name", "string", "name", 0), ("Ready", "string", "", 0),
               ("Age", "string", "", 0)] + _TEMPLATE


def statefulset(sts: dict, now) -> list:
    spec, st = sts.get("spec") or {}, sts.get("status") or {}
    return [sts["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            _age(sts, now), *containers_cells(_template_spec(sts))]


DAEMONSET = [("Name", "string", "name", 0), ("Desired", "integer", "", 0),
             ("Current", "integer", "", 0), ("Ready", "integer", "", 0),
             ("Up-to-date", "integer", "", 0), ("Available", "integer", "", 0),
             ("Node Selector", "string", "", 0), ("Age", "string", "", 0)] + _TEMPLATE + _SELECTOR


def daemonset(ds: dict, now) -> list:
    st = ds.get("status") or {}
    return [ds["metadata"]["name"], st.get("desiredNumberScheduled", 0),
            st.get("currentNumberScheduled", 0), st.get("numberReady", 0),
            st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0),
            format_labels(_template_spec(ds).get("nodeSelector")), _age(ds, now),
            *containers_cells(_template_spec(ds)),
            format_label_selector((ds.get("spec") or {}).get("selector"))]


JOB = [("Name", "string", "name", 0), ("Status", "string", "", 0),
       ("Completions", "string", "", 0), ("Duration", "string", "", 0),
       ("Age", "string", "", 0)] + _TEMPLATE + _SELECTOR


def _job_condition(job: dict, ctype: str) -> bool:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c.get("status") == "True"
    return False


def job_status(job: dict) -> str:
    if _job_condition(job, "Complete"):
        return "Complete"
    if _job_condition(job, "Failed"):
        return "Failed"
    if job["metadata"].get("deletionTimestamp"):
        return "Terminating"
    if _job_condition(job, "Suspended"):
        return "Suspended"
    if _job_condition(job, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def job(j: dict, now) -> list:
    spec, st = j.get("spec") or {}, j.get("status") or {}
    succeeded = st.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = parse_time(st.get("startTime")), parse_time(st.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration((end if end is not None else now) - start) \
            if (end is not None or now is not None) else "<unknown>"
    return [j["metadata"]["name"], job_status(j), completions, duration, _age(j, now),
            *containers_cells(_template_spec(j)), format_label_selector(spec.get("selector"))]


CRONJOB = [("Name", "string", "name", 0), ("Schedule", "string", "", 0),
           ("Timezone", "string", "", 0), ("Suspend", "boolean", "", 0),
           ("Active", "integer", "", 0), ("Last Schedule", "string", "", 0),
           ("Age", "string", "", 0)] + _TEMPLATE + _SELECTOR


def cronjob(cj: dict, now) -> list:
    spec, st = cj.get("spec") or {}, cj.get("status") or {}
    jt = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    last = since(st["lastScheduleTime"], now) if st.get("lastScheduleTime") else "<none>"
    suspend = spec.get("suspend")
    return [cj["metadata"]["name"], spec.get("schedule", ""), spec.get("timeZone") or "<none>",
            "<unset>" if suspend is None else ("True" if suspend else "False"),
            len(st.get("active") or ()), last, _age(cj, now),
            *containers_cells(((jt.get("template") or {}).get("spec"))),
            format_label_selector(jt.get("selector"))]


HPA = [("Name", "string", "name", 0), ("Reference", "string", "", 0),
       ("Targets", "string", "", 0), ("MinPods", "string", "", 0), ("MaxPods", "string", "", 0),
       ("Replicas", "string", "", 0), ("Age", "string", "", 0)]


def _q(v) -> str:
    return canonical_quantity(parse_quantity(v), quantity_format(v)) if v is not None else "<unknown>"


def _metric_text(spec: dict, status: dict | None) -> str:
    """One entry of formatHPAMetrics for the metric source types labkit's HPA supports."""
    mtype = spec.get("type")
    key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
           "Object": "object", "External": "external"}.get(mtype)
    if key is None:
        return "<unknown type>"
    src, cur = spec.get(key) or {}, ((status or {}).get(key) or {}).get("current") or {}
    target = src.get("target") or {}
    if mtype in ("Resource", "ContainerResource"):
        name = src.get("name", "")
        if target.get("averageValue") is not None:
            current = _q(cur["averageValue"]) if status and "averageValue" in cur else "<unknown>"
            return f"{name}: {current}/{_q(target['averageValue'])}"
        current = f"{cur['averageUtilization']}%" if status and cur.get("averageUtilization") is not None \
            else "<unknown>"
        tgt = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
        return f"{name}: {current}/{tgt}"
    if mtype == "Pods":
        current = _q(cur["averageValue"]) if status and "averageValue" in cur else "<unknown>"
        return f"{current}/{_q(target.get('averageValue'))}"
    if target.get("averageValue") is not None:
        current = _q(cur["averageValue"]) if status and "averageValue" in cur else "<unknown>"
        return f"{current}/{_q(target['averageValue'])} (avg)"
    current = _q(cur["value"]) if status and "value" in cur else "<unknown>"
    return f"{current}/{_q(target.get('value'))}"


def hpa_targets(specs: list, statuses: list) -> str:
    if not specs:
        return "<none>"
    items = [_metric_text(s, statuses[i] if i < len(statuses) else None) for i, s in enumerate(specs)]
    if len(items) > 2:
        return f"{', '.join(items[:2])} + {len(items) - 2} more..."
    return ", ".join(items)


def hpa(h: dict, now) -> list:
    """printHorizontalPodAutoscaler works on the internal (v2) form, whichever version was asked."""
    if h.get("apiVersion") == HPA_V1:
        h = from_v1(h)
    spec, st = h.get("spec") or {}, h.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    return [h["metadata"]["name"], f"{ref.get('kind', '')}/{ref.get('name', '')}",
            hpa_targets(spec.get("metrics") or [], st.get("currentMetrics") or []),
            "<unset>" if spec.get("minReplicas") is None else str(spec["minReplicas"]),
            spec.get("maxReplicas", 0), st.get("currentReplicas", 0), _age(h, now)]


PDB = [("Name", "string", "name", 0), ("Min Available", "string", "", 0),
       ("Max Unavailable", "string", "", 0), ("Allowed Disruptions", "integer", "", 0),
       ("Age", "string", "", 0)]


def pdb(p: dict, now) -> list:
    spec = p.get("spec") or {}
    na = lambda v: "N/A" if v is None else str(v)  # noqa: E731
    return [p["metadata"]["name"], na(spec.get("minAvailable")), na(spec.get("maxUnavailable")),
            (p.get("status") or {}).get("disruptionsAllowed", 0), _age(p, now)]


CONTROLLERREVISION = [("Name", "string", "name", 0), ("Controller", "string", "", 0),
                      ("Revision", "string", "", 0), ("Age", "string", "", 0)]


def controllerrevision(cr: dict, now) -> list:
    owner = next((r for r in cr["metadata"].get("ownerReferences") or () if r.get("controller")), None)
    controller = "<none>"
    if owner:
        group = owner.get("apiVersion", "").rpartition("/")[0]
        gk = f"{owner['kind']}.{group}" if group else owner["kind"]
        controller = f"{gk.lower()}/{owner['name']}"
    return [cr["metadata"]["name"], controller, cr.get("revision", 0), _age(cr, now)]


#: kind → (column definitions, row function)
PRINTERS = {
    "Deployment": (DEPLOYMENT, deployment),
    "ReplicaSet": (REPLICASET, replicaset),
    "ReplicationController": (REPLICASET, replicationcontroller),
    "StatefulSet": (STATEFULSET, statefulset),
    "DaemonSet": (DAEMONSET, daemonset),
    "Job": (JOB, job),
    "CronJob": (CRONJOB, cronjob),
    "HorizontalPodAutoscaler": (HPA, hpa),
    "PodDisruptionBudget": (PDB, pdb),
    "ControllerRevision": (CONTROLLERREVISION, controllerrevision),
}
