"""The reconcile loop, step by step: desired vs observed state and who acted at each step.

A controller compares what you *declared* (a ReplicaSet's ``spec.replicas``) with what it
*observes* (the pods that exist) and acts to close the gap. :func:`record_reconcile` disturbs a
ReplicaSet (kill a pod, fail a node...) while a :class:`~labkit.viz.recorder.FlowRecorder`
listens, then replays the recorded writes one by one, keeping the state they built up::

    run = record_reconcile(cluster, "web-5f84b7585b", lambda c: c.kill_pod(victim), seconds=5)
    run.frame()                      # one row per write: time, who, action, desired, observed
    ReconcileStepper(run)            # Back/Next through the same steps

"Observed" counts what the ReplicaSet controller counts: *active* pods (owned by the ReplicaSet,
not being deleted), and of those the ones Running. A pod stuck ``Terminating`` on a dead node
no longer counts, which is why a replacement is created.

:func:`run_controller` is the harness of the course's "write a tiny controller" exercise: it runs
a student's ``reconcile(desired, observed) -> actions`` against a ConfigMap of the cluster,
through three scenarios, and records every round as plain data a check can grade.
"""
from __future__ import annotations

import ipywidgets as W

from labkit.viz.recorder import FlowRecorder, describe_write, short_actor

from .base import esc, to_html
from .explore import Stepper

COLUMNS = ["step", "time", "who", "action", "desired", "observed", "ready", "in sync"]


class ReconcileRun:
    """What :func:`record_reconcile` saw: one row per step and the pods at each step."""

    def __init__(self, replicaset: str, rows: list[dict], pods: list[list[dict]]):
        self.replicaset, self.rows, self.pods = replicaset, rows, pods

    def frame(self):
        import pandas as pd
        return pd.DataFrame(self.rows, columns=COLUMNS)

    def __len__(self) -> int:
        return len(self.rows)


def _active(pod: dict) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and \
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def _pod_view(pod: dict) -> dict:
    st = pod.get("status") or {}
    return {"pod": pod["metadata"]["name"], "node": (pod.get("spec") or {}).get("nodeName") or "<none>",
            "phase": st.get("phase", ""),
            "deleting": "yes" if pod["metadata"].get("deletionTimestamp") else ""}


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def _counts(rs: dict, pods: dict) -> tuple[int, int, int]:
    active = [p for p in pods.values() if _active(p)]
    return int((rs.get("spec") or {}).get("replicas", 1)), len(active), sum(map(_ready, active))


def record_reconcile(cluster, replicaset: str, disturb, seconds: float = 10,
                     namespace: str = "default") -> ReconcileRun:
    """Call ``disturb(cluster)``, let ``seconds`` of virtual time pass, and return the steps:
    every write to the ReplicaSet or its pods, with desired and observed after it."""
    rs = cluster.get("replicaset", replicaset, namespace)
    uid = rs["metadata"]["uid"]

    def owned(pod):
        return any(r.get("uid") == uid for r in pod["metadata"].get("ownerReferences") or ())
    pods = {p["metadata"]["name"]: p for p in cluster.list("pods", namespace) if owned(p)}
    with FlowRecorder(cluster, resources=("replicasets.apps", "pods")) as rec:
        disturb(cluster)
        cluster.run(seconds)
    rows = [_row(0, 0.0, "", "(before)", *_counts(rs, pods))]
    states = [[_pod_view(p) for _, p in sorted(pods.items())]]
    for w in rec.writes:
        obj = w["new"] or w["old"]
        if w["namespace"] != namespace or (w["resource"] == "pods" and not owned(obj)) or \
                (w["resource"] != "pods" and w["name"] != replicaset):
            continue
        if w["resource"] == "pods":
            if w["new"] is None:
                pods.pop(w["name"], None)
            else:
                pods[w["name"]] = w["new"]
        elif w["new"] is not None:
            rs = w["new"]
        rows.append(_row(len(rows), w["time"], short_actor(w["user"]), describe_write(w),
                         *_counts(rs, pods)))
        states.append([_pod_view(p) for _, p in sorted(pods.items())])
    return ReconcileRun(replicaset, rows, states)


def _row(step, time, who, action, desired, observed, ready) -> dict:
    """One step; "in sync" is the ReplicaSet controller's view: as many active pods as desired."""
    return {"step": step, "time": time, "who": who, "action": action, "desired": desired,
            "observed": observed, "ready": ready, "in sync": desired == observed}


def _frame_html(row: dict, pods: list[dict]) -> str:
    import pandas as pd
    if not row["in sync"]:
        verdict = ("#b42318", "out of sync: the ReplicaSet controller will act")
    elif row["ready"] < row["desired"]:
        verdict = ("#9a6700", "in sync for the controller (enough pods), not all of them ready yet")
    else:
        verdict = ("#1a7f37", "in sync, all ready")
    gauge = (f'<p><b>desired</b> {row["desired"]} &nbsp; <b>observed</b> (active pods) '
             f'{row["observed"]} &nbsp; <b>ready</b> {row["ready"]} &nbsp; '
             f'<span style="color:{verdict[0]}">{verdict[1]}</span></p>')
    table = pd.DataFrame(pods, columns=["pod", "node", "phase", "deleting"]).to_html(index=False)
    return gauge + table


class ReconcileStepper(Stepper):
    """Back/Next through a :class:`ReconcileRun`: at each step, who did what, desired vs
    observed, and the pods. The static output (GitHub, nbval) is the whole table of steps."""

    title = "Reconcile loop, step by step"

    def __init__(self, run: ReconcileRun, title: str | None = None):
        frames = [(f"t=+{r['time']:.3f}s {r['who'] or 'start'}: {r['action']}", _frame_html(r, pods))
                  for r, pods in zip(run.rows, run.pods)]
        super().__init__(frames, title)
        self.run = run
        self._finish([W.HBox([self.back, self.next, self.caption]), self.view],
                     f"<p>ReplicaSet {esc(run.replicaset)}: {len(run)} steps</p>"
                     + to_html(run.frame().drop(columns=["step"])),
                     f"{self.title}: {len(run)} steps of ReplicaSet {run.replicaset}")


# -- the "write a tiny controller" harness ---------------------------------------------------

def _apply(data: dict, actions) -> dict:
    """The ConfigMap data after ``actions``; raises ValueError on a malformed action."""
    out = dict(data)
    if not isinstance(actions, (list, tuple)):
        raise ValueError(f"reconcile must return a list of actions, not {type(actions).__name__}")
    for a in actions:
        if isinstance(a, (list, tuple)) and len(a) == 3 and a[0] == "set":
            out[str(a[1])] = str(a[2])
        elif isinstance(a, (list, tuple)) and len(a) == 2 and a[0] == "delete":
            out.pop(str(a[1]), None)
        else:
            raise ValueError(f"unknown action {a!r}: use ('set', key, value) or ('delete', key)")
    return out


def _observe(cluster, name, namespace) -> dict | None:
    if not cluster.exists("configmap", name, namespace):
        return None
    return dict(cluster.get("configmap", name, namespace).get("data") or {})


def _write(cluster, name, namespace, before, after) -> None:
    if before is None:
        cluster.create({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": name, "namespace": namespace}, "data": after}, namespace)
    elif after != before:
        patch = {"data": {k: after.get(k) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}}
        cluster.patch("configmap", name, patch, "merge", namespace)


def _round(cluster, reconcile, desired, name, namespace, scenario, n, start) -> dict:
    observed = _observe(cluster, name, namespace)
    rv = cluster.get("configmap", name, namespace)["metadata"]["resourceVersion"] if observed is not None else None
    row = {"scenario": scenario, "round": n, "time": round(cluster.now() - start, 3),
           "observed": dict(observed or {}), "actions": [], "error": "", "wrote": False}
    try:
        actions = reconcile(dict(desired), dict(observed or {}))
        after = _apply(observed or {}, actions)
        row["actions"] = [tuple(a) for a in actions]
        if row["actions"] or observed is None and after:
            _write(cluster, name, namespace, observed, after)
    except Exception as e:  # noqa: BLE001 - the student's code: show the error, never a traceback
        row["error"] = f"{type(e).__name__}: {e}"
    now = _observe(cluster, name, namespace)
    row["wrote"] = now is not None and (rv is None or
                                        cluster.get("configmap", name, namespace)["metadata"]["resourceVersion"] != rv)
    cluster.run(1)  # a controller runs again after a resync period; here one virtual second
    return row


def run_controller(cluster, reconcile, desired: dict, name: str = "app-config",
                   namespace: str = "default", max_rounds: int = 4) -> list[dict]:
    """Run ``reconcile(desired, observed) -> actions`` as a controller of the ConfigMap
    ``name``. Actions are ``("set", key, value)`` and ``("delete", key)``.

    Three scenarios, each a loop of rounds (observe, reconcile, act) until ``reconcile``
    returns no action or ``max_rounds`` pass:

    1. ``start``: the ConfigMap does not exist (observed is ``{}``);
    2. ``drift``: someone edited it by hand (a value changed, a key added, a key removed);
    3. ``steady``: nothing changed since the last round: a correct controller does nothing.

    Returns the rounds as plain dicts (scenario, round, time, observed, actions, error, wrote).
    """
    if cluster.exists("configmap", name, namespace):
        cluster.delete("configmap", name, namespace)
    rounds, start = [], cluster.now()
    for scenario in ("start", "drift", "steady"):
        if scenario == "drift" and cluster.exists("configmap", name, namespace):
            keys = sorted(desired)
            patch = {"data": {"debug": "true"}}
            if keys:
                patch["data"][keys[0]] = "edited-by-hand"
            if len(keys) > 1:
                patch["data"][keys[-1]] = None
            cluster.patch("configmap", name, patch, "merge", namespace)
        for n in range(1, (1 if scenario == "steady" else max_rounds) + 1):
            row = _round(cluster, reconcile, desired, name, namespace, scenario, n, start)
            rounds.append(row)
            if row["error"] or not row["actions"]:
                break
    return rounds
