"""The scheduling cycle: PreFilter → Filter → PreScore → Score → NormalizeScore → select host.

This is kube-scheduler's ``schedulePod`` (pkg/scheduler/schedule_one.go) over the plugin
framework (pkg/scheduler/framework/runtime/framework.go), for one pod at a time:

1. **PreFilter**: each plugin looks at the pod once. A plugin with nothing to check answers
   *Skip* and its Filter is not run (no affinity terms → no InterPodAffinity work).
2. **Filter** with **node sampling**: nodes are checked starting where the previous cycle stopped
   (``next_start_node_index``), and the search stops once ``numFeasibleNodesToFind`` nodes fit:
   all nodes below 100, otherwise ``max(5, 50 - nodes/125)`` percent of them, at least 100
   (5,000 nodes → 10 % → 500). Each node is checked by the filters in order; the first
   rejection is the node's reason.
3. **PreScore/Score**: each score plugin gives each feasible node a raw score, **normalizes**
   the scores to 0-100, and the framework multiplies them by the plugin's weight and adds them up.
4. **Select host**: the highest total wins; ties are broken at random (seeded RNG).
5. If no node fits: a :class:`~.status.FitError` whose message counts the reasons, then
   **PostFilter** (preemption, see preemption.py) may nominate a node by evicting
   lower-priority pods.

Simplifications (documented in the course's fidelity notes): filters run sequentially, so the
nodes examined are exactly those up to the last feasible one found (upstream checks 16 nodes
in parallel and may look at a few more); ties among top-scored nodes are broken with one seeded
uniform draw (upstream's reservoir sampling gives the same uniform distribution).
"""
from __future__ import annotations

import random

import numpy as np

from .podinfo import pod_info
from .status import (NO_NODES_REGISTERED, SKIP, Diagnosis, FitError, Status, unresolvable)
from ..upstream import (ADAPTIVE_PERCENTAGE_BASE, ADAPTIVE_PERCENTAGE_NODES_DIVISOR,
                        MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, MIN_FEASIBLE_NODES_TO_FIND)


def num_feasible_nodes_to_find(percentage: int, num_all_nodes: int) -> int:
    """How many feasible nodes to find before scoring (schedule_one.go numFeasibleNodesToFind)."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage == 0:
        percentage = ADAPTIVE_PERCENTAGE_BASE - num_all_nodes // ADAPTIVE_PERCENTAGE_NODES_DIVISOR
        percentage = max(percentage, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    num = num_all_nodes * percentage // 100
    return max(num, MIN_FEASIBLE_NODES_TO_FIND)


class ScheduleResult:
    """The outcome of one cycle: ``node`` (or None and ``error``), counts, and the trace used
    by :mod:`.explain`. ``nominated``/``victims`` are set when preemption chose a node."""

    def __init__(self, pod, node=None, error=None, evaluated=0, feasible=0):
        self.pod, self.node, self.error = pod, node, error
        self.evaluated, self.feasible = evaluated, feasible
        self.nominated, self.victims = None, ()
        self.trace = None

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""

    def explain(self) -> dict:
        from .explain import explain_record
        return explain_record(self)

    def __repr__(self) -> str:
        got = self.node or f"unschedulable: {self.message}"
        return f"ScheduleResult({self.pod.key} -> {got})"


class NoNodesError(Exception):
    """No node is registered at all (schedule_one.go ErrNoNodesAvailable)."""

    def __str__(self) -> str:
        return NO_NODES_REGISTERED

    message = __str__


class Framework:
    """One scheduling profile: an ordered plugin list, the seeded RNG and the sampling cursor.

    ``vectorized=False`` runs every plugin node by node: slower, but the reference the fast
    path is tested against.
    """

    def __init__(self, plugins=None, rng=None, percentage_of_nodes_to_score: int = 0,
                 vectorized: bool = True, post_filter=None):
        if plugins is None:
            from .plugins import default_plugins
            plugins = default_plugins()
        self.plugins = list(plugins)
        self.rng = rng if rng is not None else random.Random(0)
        self.percentage = percentage_of_nodes_to_score
        self.vectorized = vectorized
        self.post_filter = post_filter
        self.next_start_node_index = 0
        self.filter_plugins = [p for p in self.plugins if p.filter is not None]
        self.score_plugins = [p for p in self.plugins if p.score is not None and p.weight]

    def plugin(self, name: str):
        return next(p for p in self.plugins if p.name == name)

    # -- the cycle ----------------------------------------------------------------------------
    def schedule(self, pod, snap, trace: bool = False) -> ScheduleResult:
        """Find a node for ``pod`` (a dict or PodInfo) in ``snap``; nothing is written."""
        pi = pod_info(pod)
        nodes = snap.node_list()
        result = ScheduleResult(pi)
        if trace:
            result.trace = {"nodes": nodes, "skipped": set(), "statuses": {}, "scores": {},
                            "feasible": [], "evaluated": [], "to_find": 0, "prefilter": None}
        if not nodes:
            result.error = NoNodesError()
            return result
        state: dict = {}
        diagnosis = Diagnosis()
        skipped, candidates, rejected = self._pre_filter(state, pi, snap, nodes, diagnosis)
        if trace:
            result.trace["skipped"] = skipped
            result.trace["prefilter"] = rejected
        if rejected is not None:
            return self._fail(result, state, pi, snap, nodes, diagnosis)
        filters = [p for p in self.filter_plugins if p.name not in skipped]
        feasible = self._nominated_node_first(state, pi, snap, filters)
        if feasible is None:
            feasible, slots, processed = self._find_feasible(state, pi, snap, candidates, filters,
                                                             diagnosis, result.trace)
            self.next_start_node_index = (self.next_start_node_index + processed) % len(nodes)
        else:
            slots, processed = np.array([feasible[0].slot], np.int64), 1
            if result.trace is not None:
                result.trace.update(to_find=1, feasible=[feasible[0].name],
                                    evaluated=[feasible[0].name])
        result.evaluated, result.feasible = processed, len(feasible)
        if not feasible:
            return self._fail(result, state, pi, snap, nodes, diagnosis)
        result.node = self._select(state, pi, snap, feasible, slots, result.trace)
        return result

    def _pre_filter(self, state, pi, snap, nodes, diagnosis):
        """Run PreFilter; return (skipped plugin names, candidate nodes, rejecting status)."""
        skipped, allowed, with_nodes = set(), None, []
        for pl in self.plugins:
            if pl.pre_filter is None:
                continue
            r = pl.pre_filter(state, pi, snap)
            if r is None:
                continue
            if isinstance(r, Status):
                if r.code == SKIP:
                    skipped.add(pl.name)
                    continue
                return skipped, None, self._reject(diagnosis, r.with_plugin(pl.name))
            with_nodes.append(pl.name)
            allowed = set(r) if allowed is None else allowed & set(r)
            if not allowed:
                msg = (f"node(s) didn't satisfy plugin(s) [{' '.join(with_nodes)}] simultaneously"
                       if len(with_nodes) > 1 else f"node(s) didn't satisfy plugin {with_nodes[0]}")
                return skipped, None, self._reject(diagnosis, unresolvable(msg).with_plugin(pl.name))
        if allowed is None:
            return skipped, nodes, None
        diagnosis.absent = unresolvable(f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(with_nodes))}]")
        return skipped, [ni for ni in nodes if ni.name in allowed], None

    @staticmethod
    def _reject(diagnosis, status):
        diagnosis.absent = status
        diagnosis.pre_filter_msg = status.message()
        diagnosis.unschedulable_plugins.add(status.plugin)
        return status

    def _nominated_node_first(self, state, pi, snap, filters):
        """A pod nominated by an earlier preemption tries its nominated node first."""
        ni = snap.get(pi.nominated_node) if pi.nominated_node else None
        if ni is not None and self.run_filters(state, pi, ni, filters) is None:
            return [ni]
        return None

    @staticmethod
    def run_filters(state, pi, ni, filters) -> Status | None:
        """RunFilterPlugins for one node: the first rejection, tagged with its plugin."""
        for pl in filters:
            st = pl.filter(state, pi, ni)
            if st is not None:
                return st.with_plugin(pl.name)
        return None

    # -- filtering with node sampling -----------------------------------------------------------
    def _find_feasible(self, state, pi, snap, cands, filters, diagnosis, trace):
        """findNodesThatPassFilters: visit ``cands`` from the cursor, stop at enough fits.
        Returns (feasible NodeInfos, their slots, number of nodes examined)."""
        n = len(cands)
        if n == 0:
            return [], np.zeros(0, np.int64), 0
        k = num_feasible_nodes_to_find(self.percentage, n)
        start = self.next_start_node_index % n
        full = n == snap.num_nodes
        slots = snap.order() if full else np.array([ni.slot for ni in cands], np.int64)
        visit_slots = np.concatenate((slots[start:], slots[:start]))  # in visiting order
        steps, slow = self._fast_filter(state, pi, snap, filters, visit_slots, n)
        processed = n
        if not slow:
            chosen = steps[:k]
            if len(steps) >= k:
                processed = int(steps[k - 1]) + 1
        else:
            picked = []
            for step in steps.tolist():
                if self.run_filters(state, pi, cands[(step + start) % n], slow) is None:
                    picked.append(step)
                    if len(picked) == k:
                        processed = step + 1
                        break
            chosen = np.array(picked, np.int64)
        pos = (chosen + start) % n  # positions in cands
        nodes = snap.node_array() if full else np.array(cands + [None], object)[:-1]
        feasible = nodes[pos].tolist()
        if not feasible or trace is not None:
            fits = set(chosen.tolist())
            for step in range(processed):
                if step not in fits:
                    ni = cands[(step + start) % n]
                    diagnosis.add(ni.name, self.run_filters(state, pi, ni, filters))
        if trace is not None:
            trace.update(to_find=k, feasible=[ni.name for ni in feasible],
                         evaluated=[cands[(s + start) % n].name for s in range(processed)],
                         statuses=dict(diagnosis.node_status))
        return feasible, slots[pos], processed

    def _fast_filter(self, state, pi, snap, filters, visit_slots, n):
        """Vectorized filters first: the visiting steps that pass them, and the filters left
        to run node by node."""
        mask, slow = None, []
        for pl in filters:
            m = pl.filter_mask(state, pi, snap) if self.vectorized and pl.filter_mask else None
            if m is None:
                slow.append(pl)
            elif m is not True:  # True: "passes on every node"
                mask = m if mask is None else mask & m
        if mask is None:
            return np.arange(n), slow
        return np.flatnonzero(mask[visit_slots]), slow

    # -- scoring and selection -------------------------------------------------------------------
    def _select(self, state, pi, snap, feasible, slots, trace):
        """prioritizeNodes + selectHost. A single feasible node is taken without scoring."""
        if len(feasible) == 1:
            return feasible[0].name
        total = self.prioritize(state, pi, snap, feasible, slots, trace)
        ties = np.flatnonzero(total == total.max())
        pick = ties[self.rng.randrange(len(ties))] if len(ties) > 1 else ties[0]
        return feasible[int(pick)].name

    def prioritize(self, state, pi, snap, feasible, slots=None, trace=None) -> np.ndarray:
        """Weighted sum of the normalized scores of every (non-skipped) score plugin."""
        total = np.zeros(len(feasible), np.int64)
        if slots is None:
            slots = np.array([ni.slot for ni in feasible], np.int64)
        for pl in self.score_plugins:
            if pl.pre_score is not None:
                st = pl.pre_score(state, pi, snap, feasible, slots)
                if st is not None and st.code == SKIP:
                    continue
            raw = pl.score_vector(state, pi, snap, slots) \
                if self.vectorized and pl.score_vector is not None else None
            if raw is None:
                raw = np.array([pl.score(state, pi, ni) for ni in feasible], np.int64)
            norm = pl.normalize(state, pi, raw, feasible) if pl.normalize is not None else raw
            total += norm * pl.weight
            if trace is not None:
                trace["scores"][pl.name] = (raw.tolist(), np.asarray(norm).tolist(), pl.weight)
        if trace is not None:
            trace["score_nodes"] = [ni.name for ni in feasible]
            trace["totals"] = total.tolist()
        return total

    # -- failure ---------------------------------------------------------------------------------
    def _fail(self, result, state, pi, snap, nodes, diagnosis):
        result.error = FitError(pi.key, len(nodes), diagnosis)
        if self.post_filter is not None:
            outcome = self.post_filter(state, pi, snap, diagnosis, self)
            diagnosis.post_filter_msg = outcome.message
            result.nominated, result.victims = outcome.node, outcome.victims
        return result
