"""Student side of labkit.grading: registry, results, evidence, check(), progress()."""
from __future__ import annotations

import json
import math

import pytest

from labkit import grading
from labkit.grading import evidence, student
from labkit.grading.evaluate import CheckContext, evaluate_check
from labkit.grading.registry import REGISTRY, Check, get_check, register_check
from labkit.grading.result import Result

DATA = [4, 8, 15, 16, 23, 42]


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    student.reset()
    for var in (student.ENV_GRADING, student.ENV_RECORD, student.ENV_SPEC):
        monkeypatch.delenv(var, raising=False)
    yield
    student.reset()
    for cid in [c for c in REGISTRY if c.startswith("t-")]:
        del REGISTRY[cid]


class FakeCluster:
    """Just what checks need from a cluster: export_objects()."""

    def __init__(self, objects):
        self.objects = objects

    def export_objects(self):
        return json.loads(json.dumps(self.objects))


def cm(name, ns="default", **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns,
                                                                  "labels": {"app": name}},
            "data": data}


# -- results -----------------------------------------------------------------------------------
def test_partial_credit_scales_part_points_to_the_registered_maximum():
    r = Result(max_points=3)
    r.part("a", True, points=2)
    r.part("b", False, points=1, hint="try b")
    r.part("c", True, points=1)
    assert r.score == 2.25 and r.status == "partial" and not r.passed
    assert "hint: try b" in repr(r) and r.summary == "2 of 3 parts pass."
    assert Result(max_points=2).score == 0  # no parts, no points


def test_short_forms_a_check_may_return():
    assert grading.result.coerce(True).passed
    r = grading.result.coerce((False, "replicas is 2"))
    assert not r.passed and r.parts[0].description == "replicas is 2"
    assert grading.result.coerce(None).parts == []
    with pytest.raises(TypeError):
        grading.result.coerce(3)


def test_check_output_is_deterministic_text_html_and_metadata(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, metadata=None: shown.append((obj, metadata)))
    ns = {"total": 108, "mean": 17}
    grading.check("demo-sum", namespace=ns)
    grading.check("demo-sum", namespace=ns)
    (first, meta1), (second, meta2) = shown
    assert repr(first) == repr(second) and first._repr_html_() == second._repr_html_()
    assert repr(first).splitlines()[0] == "\u2717 demo-sum (Sum and mean): 1/2 points. 1 of 2 parts pass."
    assert "\u2713 total is the sum of data" in repr(first)
    assert "hint: the mean is the total divided by len(data)" in repr(first)
    lab = meta1["labkit"]
    assert (lab["check"], lab["points"], lab["max"], lab["passed"]) == ("demo-sum", 1.0, 2.0, False)
    assert [p["passed"] for p in lab["parts"]] == [True, False]
    assert "<" in first._repr_html_() and "\u2717" in first._repr_html_()


def test_a_quiz_answer_is_saved_with_the_check_output(monkeypatch):
    """A widget's answer exists only in the kernel; the output keeps it for the grader."""
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, metadata=None: shown.append(metadata["labkit"]))
    grading.check("demo-quiz", namespace={})
    grading.record_answer("demo-quiz", ("Deployment",))
    grading.check("demo-quiz", namespace={})
    assert "answer" not in shown[0] and shown[1]["answer"] == {"__tuple__": ["Deployment"]}


def test_points_argument_in_the_notebook_cannot_change_the_worth(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, metadata=None: shown.append(obj))
    grading.check("demo-sum", points=100, namespace={"total": 108, "mean": 18})
    assert shown[0].score == 2 and shown[0].max_points == 2


def test_unanswered_keeps_the_parts_already_decided():
    r = grading.evaluate("demo-sum", namespace={"total": 108})
    assert r.score == 1 and r.incomplete
    assert repr(r).endswith("hint: set mean = ... in the exercise cell, run it, then run this check")
    r = grading.evaluate("demo-sum", namespace={})
    assert r.score == 0 and r.summary == "Not answered yet."


def test_a_check_that_raises_scores_zero_with_the_error_not_a_traceback():
    @register_check("t-raises", points=1, answers=("x",))
    def _(ctx):
        return ctx.answer("x") + 1 > 3

    r = grading.evaluate("t-raises", namespace={"x": "three"})
    assert r.score == 0
    assert 'TypeError: can only concatenate str (not "int") to str' in repr(r)
    assert "Traceback" not in repr(r) and "ctx.answer" not in repr(r)


def test_check_time_limit_in_the_grader():
    @register_check("t-slow")
    def _(ctx):
        while True:
            pass

    r = evaluate_check(get_check("t-slow"), {"answers": {}}, mode="grader", time_limit=0.2)
    assert r.score == 0 and r.note == "The check ran out of time."


def test_check_timeout_cannot_be_swallowed_by_the_check():
    @register_check("t-sneaky")
    def _(ctx):
        try:
            while True:
                pass
        except Exception:  # noqa: BLE001 - what a careless check might do
            return True

    r = evaluate_check(get_check("t-sneaky"), {"answers": {}}, time_limit=0.2)
    assert r.score == 0


def test_register_check_rejects_bad_ids_and_unknown_ids_are_clear(monkeypatch):
    with pytest.raises(ValueError):
        register_check("Bad Id!")
    with pytest.raises(KeyError, match="no check is registered with the id 'nope'"):
        grading.evaluate("nope", namespace={})
    from labkit import course_checks
    monkeypatch.setitem(course_checks.ERRORS, "labkit.course_checks.m09_x", "NameError: y")
    with pytest.raises(KeyError, match=r"m09_x failed to load \(NameError: y\)"):
        get_check("nope")


# -- evidence ----------------------------------------------------------------------------------
def test_answers_survive_the_round_trip_through_json():
    import numpy as np
    import pandas as pd
    value = {"t": (1, 2), "s": {"b", "a"}, "d": {1: "x"}, "f": 0.5, "nan": math.nan,
             "np": np.int64(3), "arr": np.arange(3), "frame": pd.DataFrame({"a": [1, 2]}),
             "none": None, "nested": [{"k": (True,)}]}
    back = evidence.decode(json.loads(json.dumps(evidence.encode(value))))
    assert back["t"] == (1, 2) and back["s"] == {"a", "b"} and back["d"] == {1: "x"}
    assert math.isnan(back["nan"]) and back["np"] == 3 and back["arr"] == [0, 1, 2]
    assert back["frame"].equals(pd.DataFrame({"a": [1, 2]}))
    assert back["nested"] == [{"k": (True,)}] and back["none"] is None
    odd = evidence.decode(evidence.encode(open))
    assert isinstance(odd, evidence.Unserializable) and "built-in function open" in repr(odd)


def test_objects_view_gets_and_lists_like_a_cluster():
    objs = [cm("b"), cm("a", ns="other"), cm("a"),
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}]
    view = evidence.ObjectsView(objs)
    assert view.get("configmap", "a")["metadata"]["namespace"] == "default"
    assert view.get("cm", "a", "other")["metadata"]["namespace"] == "other"
    assert view.get("ConfigMap", "zzz") is None
    assert view.get("nodes", "node-1", namespace="default")["kind"] == "Node"  # cluster-scoped
    assert [o["metadata"]["name"] for o in view.list("configmaps")] == ["a", "b", "a"]
    assert [o["metadata"]["name"] for o in view.list("configmaps", "default", "app=b")] == ["b"]
    assert len(view.list("configmaps", label_selector={"app": "a"})) == 2
    assert view.kinds() == ["ConfigMap", "Node"] and len(view) == 4


def test_cluster_check_on_a_fake_cluster():
    grading.set_cluster(FakeCluster([cm("app-config", mode="dev")]))
    r = grading.evaluate("demo-configmap", namespace={})
    assert r.score == 1 and "data.mode is 'dev'" in repr(r)


def test_cluster_check_on_the_mini_cluster():
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=0, scheduler=False)
    assert grading.evaluate("demo-configmap", cluster=c, namespace={}).score == 0
    c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config"},
              "data": {"mode": "production"}})
    assert grading.evaluate("demo-configmap", cluster=c, namespace={}).passed


def test_no_cluster_connected_is_explained():
    r = grading.evaluate("demo-configmap", namespace={})
    assert r.score == 0 and "no cluster was connected" in r.summary


def test_recorded_answers_and_quiz_widgets_feed_checks():
    from labkit.widgets import answers
    answers.record("demo-quiz", "Deployment")          # what a quiz widget does on change
    r = grading.evaluate("demo-quiz", namespace={})
    assert r.passed and r.feedback.startswith("All parts pass")
    grading.answer("demo-quiz", "Pod")
    assert not grading.evaluate("demo-quiz", namespace={}).passed


def test_grading_mode_appends_evidence_and_records_the_final_state(tmp_path, monkeypatch):
    record = tmp_path / "evidence.jsonl"
    spec = {"checks": {"demo-sum": {"answers": ["total", "mean"], "cluster": False},
                       "demo-configmap": {"answers": [], "cluster": ["configmaps"]}}}
    monkeypatch.setenv(student.ENV_GRADING, "1")
    monkeypatch.setenv(student.ENV_RECORD, str(record))
    monkeypatch.setenv(student.ENV_SPEC, json.dumps(spec))
    grading.set_cluster(FakeCluster([cm("app-config", mode="production")]))
    ns = {"total": 108, "mean": 18, "data": DATA}
    grading.evaluate("demo-sum", namespace=ns)
    grading.evaluate("demo-configmap", namespace=ns)
    grading.evaluate("demo-configmap", namespace=ns)
    monkeypatch.setattr(student, "_user_namespace", lambda: ns)
    grading.record_final()
    lines = [json.loads(x) for x in record.read_text().splitlines()]
    assert [(x["type"], x.get("check"), x.get("attempt")) for x in lines] == [
        ("check", "demo-sum", 1), ("check", "demo-configmap", 1), ("check", "demo-configmap", 2),
        ("final", None, None)]
    assert lines[0]["answers"] == {"total": 108, "mean": 18} and "objects" not in lines[0]
    assert lines[1]["objects"][0]["metadata"]["name"] == "app-config"
    assert lines[2]["objects_same_as"] == 2        # unchanged state is not written again
    assert lines[3]["answers"] == {"total": 108, "mean": 18}
    assert lines[3]["objects_same_as"] == 2


def test_record_final_does_nothing_outside_grading(tmp_path, monkeypatch):
    monkeypatch.setenv(student.ENV_RECORD, str(tmp_path / "x.jsonl"))
    grading.record_final()
    assert not (tmp_path / "x.jsonl").exists()


# -- progress ----------------------------------------------------------------------------------
def test_progress_lists_the_notebooks_checks_and_updates_live():
    grading.evaluate("demo-sum", namespace={"total": 108, "mean": 18})
    p = grading.progress()
    text = repr(p)
    assert text.splitlines() == [
        "Progress: 1/3 exercises pass, 2/5 points",
        "  \u2713 demo-sum: 2/2 (Sum and mean)",
        "  \u2013 demo-quiz: 0/1 (Which object?) not tried yet",
        "  \u2013 demo-configmap: 0/2 (A ConfigMap) not tried yet"]
    bundle = p._repr_mimebundle_()
    assert bundle["text/plain"] == text and "<table>" in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    grading.answer("demo-quiz", "deployment")
    grading.evaluate("demo-quiz", namespace={})
    assert "3/5 points" in p.widget.value           # the live widget follows later checks
    assert p._repr_mimebundle_()["text/plain"] == text  # the static fallback does not change
    assert repr(grading.progress("other/notebook")) == "Progress: no checks run yet."


def test_check_context_helpers():
    ctx = CheckContext(Check("t-x", None), {"a": "0.5", "b": True})
    assert ctx.close_to(ctx.answer("a"), 0.5) and not ctx.close_to(ctx.answer("b"), 1)
    assert ctx.answer("missing", default=3) == 3
    with pytest.raises(grading.Unanswered):
        ctx.answer("missing")
