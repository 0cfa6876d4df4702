"""Explain records: why the scheduler put a pod where it did (or nowhere).

One record per scheduling attempt, built from a cycle run with ``trace=True``. It is plain data
(dicts, lists, strings, numbers) so a notebook can show it as a table and a widget can draw it::

    {"pod": "default/web-1", "node": "node-2", "message": "",
     "numAllNodes": 3, "numFeasibleNodesToFind": 3, "evaluatedNodes": 3, "feasibleNodes": 2,
     "skippedPlugins": ["InterPodAffinity", ...],
     "nodes": [{"node": "node-1", "evaluated": True, "feasible": False,
                "filteredBy": "TaintToleration", "code": "UnschedulableAndUnresolvable",
                "reasons": ["node(s) had untolerated taint {...}"],
                "scores": {}, "total": None, "selected": False},
               {"node": "node-2", "evaluated": True, "feasible": True, "filteredBy": None,
                "code": None, "reasons": [],
                "scores": {"NodeResourcesFit": {"raw": 87, "normalized": 87, "weight": 1,
                                               "weighted": 87}, ...},
                "total": 420, "selected": True}, ...]}

Nodes not examined because sampling already found enough feasible nodes have
``evaluated: False``. With one feasible node, scoring is skipped (as upstream does) and
``scores`` stay empty. :func:`explain` runs a dry cycle on plain dicts, no cluster needed;
:func:`node_rows` / :func:`score_rows` / :func:`to_frame` flatten a record for pandas.
"""
from __future__ import annotations

from .status import CODE_NAMES


def explain_record(result) -> dict:
    """Turn a traced :class:`~.framework.ScheduleResult` into an explain record."""
    tr = result.trace or {}
    statuses = tr.get("statuses", {})
    evaluated, feasible = set(tr.get("evaluated", ())), set(tr.get("feasible", ()))
    rejected = tr.get("prefilter")
    scores = _scores_by_node(tr)
    totals = dict(zip(tr.get("score_nodes", ()), tr.get("totals", ())))
    rows = []
    for ni in tr.get("nodes", ()):
        st = statuses.get(ni.name) or (rejected if rejected is not None else None)
        rows.append({
            "node": ni.name,
            "evaluated": ni.name in evaluated or rejected is not None,
            "feasible": ni.name in feasible,
            "filteredBy": st.plugin if st is not None else None,
            "code": CODE_NAMES[st.code] if st is not None else None,
            "reasons": list(st.reasons) if st is not None else [],
            "scores": scores.get(ni.name, {}),
            "total": totals.get(ni.name),
            "selected": ni.name == result.node,
        })
    record = {"pod": result.pod.key, "node": result.node, "message": result.message,
              "numAllNodes": len(rows), "numFeasibleNodesToFind": tr.get("to_find", 0),
              "evaluatedNodes": result.evaluated, "feasibleNodes": result.feasible,
              "skippedPlugins": sorted(tr.get("skipped", ())), "nodes": rows}
    if result.nominated:
        record["preemption"] = {"nominatedNode": result.nominated,
                                "victims": [v.key for v in result.victims]}
    return record


def _scores_by_node(tr: dict) -> dict:
    out: dict = {}
    names = tr.get("score_nodes", ())
    for plugin, (raw, norm, weight) in tr.get("scores", {}).items():
        for name, r, n in zip(names, raw, norm):
            out.setdefault(name, {})[plugin] = {"raw": int(r), "normalized": int(n),
                                                "weight": weight, "weighted": int(n) * weight}
    return out


def node_rows(record: dict) -> list[dict]:
    """One flat row per node: verdict, reason, each plugin's weighted score, total."""
    rows = []
    for n in record["nodes"]:
        row = {"node": n["node"], "evaluated": n["evaluated"], "feasible": n["feasible"],
               "filtered by": n["filteredBy"] or "", "reason": "; ".join(n["reasons"])}
        for plugin, s in n["scores"].items():
            row[plugin] = s["weighted"]
        row["total"] = n["total"]
        row["selected"] = n["selected"]
        rows.append(row)
    return rows


def score_rows(record: dict) -> list[dict]:
    """Long format: one row per (node, plugin) with raw, normalized, weight, weighted."""
    return [{"node": n["node"], "plugin": plugin, **s}
            for n in record["nodes"] for plugin, s in n["scores"].items()]


def to_frame(record: dict):
    """The node table as a pandas DataFrame indexed by node."""
    import pandas as pd
    return pd.DataFrame(node_rows(record)).set_index("node")


def explain(pod: dict, nodes, pods=(), seed: int = 0, namespace_labels=None, lister=None,
            plugins=None, preemption: bool = True) -> dict:
    """Dry-run one scheduling cycle for ``pod`` over plain API dicts and explain it.

    ``nodes``: Node objects; ``pods``: Pod objects already bound (``spec.nodeName`` set).
    Nothing is written anywhere; the same inputs and seed always give the same record.
    """
    import random

    from .framework import Framework
    from .nodeinfo import Snapshot
    from .preemption import DefaultPreemption
    snap = Snapshot(nodes, pods, namespace_labels=namespace_labels, lister=lister)
    rng = random.Random(seed)
    fw = Framework(plugins=plugins, rng=rng,
                   post_filter=DefaultPreemption(rng) if preemption else None)
    return fw.schedule(pod, snap, trace=True).explain()
