"""DefaultPreemption: when a pod fits nowhere, can evicting lower-priority pods make room?

Runs as the framework's PostFilter after a failed cycle
(plugins/defaultpreemption/default_preemption.go over framework/preemption/preemption.go):

1. **Eligible?** ``preemptionPolicy: Never`` pods never preempt; a pod whose nominated node
   still has a victim terminating waits instead of preempting again.
2. **Potential nodes**: only nodes that failed with ``Unschedulable`` (e.g. "Insufficient
   cpu"); a taint or a node selector cannot be fixed by evicting pods ("Preemption is not
   helpful for scheduling").
3. **Dry run** per potential node: remove every pod of lower priority; if the pod still does
   not fit, the node is out (its filter reason is reported). With no lower-priority pod at
   all: "No preemption victims found for incoming pod". Otherwise put victims back one by one,
   most important first (PodDisruptionBudget-protected ones first), keeping back only those
   whose return would make the pod not fit: the rest are the **victims**.
4. **Pick a node**: fewest PDB violations, then lowest highest-victim priority, then lowest sum
   of priorities, fewest victims, latest start of the top victims, first found.

The scheduler (scheduler.py) then deletes the victims, records ``Preempted`` events and sets the
pod's ``status.nominatedNodeName``; the pod is scheduled once the victims are gone. When
preemption cannot help, its own "0/N nodes are available" summary is appended to the message
after ``preemption:``.

Simplification: the dry run re-runs the pod's PreFilter on the snapshot with the victims
removed (instead of upstream's incremental AddPod/RemovePod extensions): same answer, slower.
"""
from __future__ import annotations

from .status import SKIP, UNRESOLVABLE, UNSCHEDULABLE, Diagnosis, FitError, Status, unresolvable
from ..selectors import from_label_selector
from ..upstream import (PREEMPTION_MIN_CANDIDATE_NODES_ABSOLUTE,
                        PREEMPTION_MIN_CANDIDATE_NODES_PERCENTAGE)

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_ELIGIBLE_POLICY = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
_NOW = "~"  # GetPodStartTime: a pod that has not started counts as starting "now" (sorts last)


class Outcome:
    """What PostFilter decided. ``node``: None = leave nominatedNodeName alone, "" = clear it,
    a name = nominate that node (after deleting ``victims``)."""

    __slots__ = ("node", "victims", "message")

    def __init__(self, node=None, victims=(), message=""):
        self.node, self.victims, self.message = node, tuple(victims), message

    def __repr__(self) -> str:
        return f"Outcome(node={self.node!r}, victims={[v.key for v in self.victims]}, {self.message!r})"


def start_time(pi) -> str:
    return pi.started_at or _NOW


def importance(pi):
    """Sort key for util.MoreImportantPod: higher priority first, then earlier start."""
    return (-pi.priority, start_time(pi))


def terminating_by_preemption(pi) -> bool:
    return bool(pi.terminating and pi.preempted)


def num_candidates(num_nodes: int) -> int:
    """calculateNumCandidates: 10 % of the potential nodes, at least 100, at most all."""
    n = num_nodes * PREEMPTION_MIN_CANDIDATE_NODES_PERCENTAGE // 100
    return min(max(n, PREEMPTION_MIN_CANDIDATE_NODES_ABSOLUTE), num_nodes)


class DefaultPreemption:
    """The PostFilter callable a :class:`~.framework.Framework` is given."""

    name = "DefaultPreemption"

    def __init__(self, rng, pdbs=None):
        self.rng = rng
        self.pdbs = pdbs or (lambda: [])

    def __call__(self, state, pod, snap, diagnosis, fw) -> Outcome:
        ok, why = self.eligible(pod, snap, diagnosis)
        if not ok:
            return Outcome(None, (), "preemption: " + why)
        nodes = snap.node_list()
        potential = [ni for ni in nodes if _code(diagnosis.status_of(ni.name)) == UNSCHEDULABLE]
        statuses: dict = {}
        found = []
        if potential:
            found = self.dry_run(fw, pod, snap, potential, statuses)
        if not found:
            d = Diagnosis()
            d.node_status = statuses
            d.absent = unresolvable(NOT_HELPFUL)
            return Outcome("", (), "preemption: " + str(FitError(pod.key, len(nodes), d)))
        node, victims, _ = pick_one_node(found)
        return Outcome(node, victims, "")

    @staticmethod
    def eligible(pod, snap, diagnosis):
        """PodEligibleToPreemptOthers."""
        if pod.preemption_policy == "Never":
            return False, NOT_ELIGIBLE_POLICY
        nominated = snap.get(pod.nominated_node) if pod.nominated_node else None
        # A nominated node that no longer fits at all (unresolvable) may be given up at once.
        if nominated is not None and _code(diagnosis.status_of(nominated.name)) != UNRESOLVABLE:
            for other in nominated.pods.values():
                if other.priority < pod.priority and terminating_by_preemption(other):
                    return False, NOT_ELIGIBLE_TERMINATING
        return True, ""

    def dry_run(self, fw, pod, snap, potential, statuses) -> list:
        """DryRunPreemption, sequentially from a random offset, until enough candidates."""
        offset = self.rng.randrange(len(potential))
        wanted = num_candidates(len(potential))
        pdbs = self.pdbs()
        clean, violating = [], []
        for i in range(len(potential)):
            ni = potential[(offset + i) % len(potential)]
            victims, n_violations, status = select_victims(fw, pod, snap, ni, pdbs)
            if status is not None:
                statuses[ni.name] = status
                continue
            (violating if n_violations else clean).append((ni.name, victims, n_violations))
            if clean and len(clean) + len(violating) >= wanted:
                break
        return clean + violating


def _code(status):
    return status.code if status is not None else UNRESOLVABLE  # absent nodes: unresolvable


def check_fit(fw, pod, snap, ni) -> Status | None:
    """Run PreFilter (on the snapshot as it is now) and the node's filters."""
    state: dict = {}
    skipped = set()
    for pl in fw.plugins:
        if pl.pre_filter is None:
            continue
        r = pl.pre_filter(state, pod, snap)
        if isinstance(r, Status):
            if r.code == SKIP:
                skipped.add(pl.name)
            else:
                return r.with_plugin(pl.name)
    filters = [p for p in fw.filter_plugins if p.name not in skipped]
    return fw.run_filters(state, pod, ni, filters)


def select_victims(fw, pod, snap, ni, pdbs):
    """SelectVictimsOnNode: (victims, PDB violations, None) or (None, 0, failure status)."""
    lower = [p for p in ni.pods.values() if p.priority < pod.priority]
    if not lower:
        return None, 0, unresolvable(NO_VICTIMS)
    for p in lower:
        snap.remove_pod(p.key)
    try:
        status = check_fit(fw, pod, snap, ni)
        if status is not None:
            return None, 0, status
        lower.sort(key=importance)
        violating, clean = split_by_pdb(lower, pdbs)
        victims, n_violations = [], 0
        for group, counts in ((violating, True), (clean, False)):
            for p in group:
                snap.add_pod(p, ni.name)
                if check_fit(fw, pod, snap, ni) is not None:  # needed gone: a victim
                    snap.remove_pod(p.key)
                    victims.append(p)
                    n_violations += counts
        return victims, n_violations, None
    finally:
        for p in lower:
            if p.key not in snap.pod_node:
                snap.add_pod(p, ni.name)


def split_by_pdb(pods, pdbs):
    """filterPodsWithPDBViolation: pods whose eviction would exceed a PDB's allowance."""
    allowed = [int((pdb.get("status") or {}).get("disruptionsAllowed") or 0) for pdb in pdbs]
    violating, clean = [], []
    for p in pods:
        hit = False
        for i, pdb in enumerate(pdbs if p.labels else ()):
            meta, spec = pdb.get("metadata") or {}, pdb.get("spec") or {}
            sel = spec.get("selector")
            if meta.get("namespace", "default") != p.namespace or not sel:
                continue
            compiled = from_label_selector(sel)
            if compiled.empty() or not compiled.matches(p.labels):
                continue
            if p.name in ((pdb.get("status") or {}).get("disruptedPods") or {}):
                continue
            allowed[i] -= 1
            hit = hit or allowed[i] < 0
        (violating if hit else clean).append(p)
    return violating, clean


def pick_one_node(candidates):
    """pickOneNodeForPreemption over (node, victims, violations) tuples."""
    def earliest_top_start(victims):  # util.GetEarliestPodStartTime
        top = max(v.priority for v in victims)
        return min(start_time(v) for v in victims if v.priority == top)

    criteria = (lambda c: -c[2],                                   # fewest PDB violations
                lambda c: -c[1][0].priority,                       # lowest top victim priority
                lambda c: -sum(v.priority + 2**31 for v in c[1]),  # lowest sum of priorities
                lambda c: -len(c[1]),                              # fewest victims
                lambda c: earliest_top_start(c[1]))                # latest start of top victims
    pool = list(candidates)
    for f in criteria:
        best = max(f(c) for c in pool)
        pool = [c for c in pool if f(c) == best]
        if len(pool) == 1:
            break
    return pool[0]
