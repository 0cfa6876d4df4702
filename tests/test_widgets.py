"""labkit.widgets: quizzes record answers for checks, every widget leaves a stable static
fallback (text/html + text/plain beside the live widget view), results never go through
an ipywidgets.Output."""
from __future__ import annotations

import ipywidgets as W
import pandas as pd
import pytest

from labkit import widgets
from labkit.widgets import answers

VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(autouse=True)
def clean_answers():
    answers.clear()
    yield
    answers.clear()


def bundle(w):
    return w._repr_mimebundle_()


def test_every_widget_output_carries_view_html_and_fixed_text():
    made = [
        widgets.Classify("c", "Q?", ["a", "b"], ["yes", "no"]),
        widgets.Matching("m", "Q?", ["a"], ["x", "y"]),
        widgets.MultipleChoice("mc", "Q?", ["x", "y"]),
        widgets.Ordering("o", "Q?", ["b", "a"]),
        widgets.Interactive({"n": W.IntSlider(value=1)}, lambda n: f"<b>{n}</b>"),
        widgets.Stepper([("one", "1"), ("two", "2")]),
        widgets.Explorer(pd.DataFrame({"a": [1, 2]})),
        widgets.LiveView(lambda: "varies", fallback="stable"),
        widgets.ApplyEditor(FakeCluster(), "kind: Pod\n"),
    ]
    for w in made:
        b = bundle(w)
        assert set(b) == {VIEW, "text/html", "text/plain"}, type(w)
        assert b["text/plain"] == repr(w) and " at 0x" not in b["text/plain"]
        assert "(interactive widget: run the notebook to use it)" in b["text/html"]
        assert not any(isinstance(c, W.Output) for c in w.children)


def test_static_fallback_is_the_initial_state_and_ignores_later_changes():
    w = widgets.Interactive({"n": W.IntSlider(value=2, min=0, max=9)}, lambda n: f"<i>n={n}</i>")
    before = bundle(w)
    w.controls["n"].value = 7
    assert w.view.value == "<i>n=7</i>"
    after = bundle(w)
    assert before["text/html"] == after["text/html"] and "n=2" in after["text/html"]
    assert after["text/plain"] == "<Interactive Interactive: n=2>"


def test_classify_records_each_change_as_the_checks_answer():
    q = widgets.Classify("m01-x", "Cloud native?", ["a", "b", "c"], ["yes", "no"])
    assert q.value is None and answers.answer("m01-x") is None
    q.controls["a"].value = "yes"
    assert answers.answer("m01-x") == {"a": "yes"}
    q.controls["c"].value = "no"
    assert answers.answer("m01-x") == {"a": "yes", "c": "no"}
    assert "<li>a</li>" in bundle(q)["text/html"] and "yes / no" in bundle(q)["text/html"]


def test_set_answer_moves_the_registered_widget():
    q = widgets.Matching("m", "Match", ["one", "two"], ["1", "2"])
    answers.set_answer("m", {"one": "1", "two": "2"})
    assert q.controls["one"].value == "1" and answers.answer("m") == {"one": "1", "two": "2"}
    answers.set_answer("no-widget", 42)
    assert answers.answer("no-widget") == 42


def test_matching_placeholder_is_not_an_answer():
    q = widgets.Matching("m", "Match", ["one", "two"], ["1", "2"])
    assert q.value is None
    q.controls["two"].value = "2"
    assert q.value == {"two": "2"}
    q.controls["two"].value = widgets.quiz.NOT_CHOSEN
    assert q.value is None


def test_multiple_choice_single_and_multiple():
    one = widgets.MultipleChoice("one", "Pick", ["x", "y", "z"])
    one.radio.value = "y"
    assert answers.answer("one") == "y"
    many = widgets.MultipleChoice("many", "Pick", ["x", "y", "z"], multiple=True)
    many.boxes[0].value = True
    many.boxes[2].value = True
    assert answers.answer("many") == ["x", "z"]
    many.set_value(["y"])
    assert many.value == ["y"] and answers.answer("many") == ["y"]


def test_ordering_moves_items_and_validates_solutions():
    q = widgets.Ordering("o", "Order", ["c", "a", "b"])
    assert q.value is None  # untouched: no answer yet
    q.move(1, -1)
    assert q.value == ["a", "c", "b"] and answers.answer("o") == ["a", "c", "b"]
    q.move(0, -1)  # already first: nothing happens
    assert q.items == ["a", "c", "b"]
    up_first = q.rows.children[0].children[0]
    assert up_first.disabled
    with pytest.raises(ValueError):
        q.set_value(["a", "b"])
    q.set_value(["a", "b", "c"])
    assert answers.answer("o") == ["a", "b", "c"]


def test_check_button_asks_for_an_answer_first_then_shows_feedback_inside():
    q = widgets.Classify("c-btn", "Q?", ["a"], ["yes", "no"])
    q.check_button.click()
    assert "Answer first" in q.result_text
    q.controls["a"].value = "yes"
    q.check_button.click()
    assert q.result_text  # feedback from the grading package (or the "recorded" note)


class FakeCluster:
    def __init__(self, fail=False, raise_=None):
        self.applied, self.fail, self.raise_ = [], fail, raise_

    def apply(self, text):
        if self.raise_:
            raise self.raise_
        self.applied.append(text)
        return ('Error from server (BadRequest): bad' if self.fail else "pod/web created")


def test_apply_editor_applies_and_shows_kubectls_answer():
    c = FakeCluster()
    ed = widgets.ApplyEditor(c, """
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
    """, check_id="m04-pod")
    assert ed.text.value.startswith("apiVersion: v1\nkind: Pod")
    assert repr(ed) == "<ApplyEditor YAML editor: 1 document(s) (Pod)>"
    ed.apply_button.click()
    assert c.applied == [ed.initial] and "pod/web created" in ed.result_text
    assert "&#10004;" in ed.result_text and answers.answer("m04-pod") == ed.initial


def test_apply_editor_shows_errors_and_exceptions_without_raising():
    ed = widgets.ApplyEditor(FakeCluster(fail=True), "kind: Pod\n")
    assert "Error from server" in ed.apply() and "&#10008;" in ed.result_text
    ed = widgets.ApplyEditor(FakeCluster(raise_=ValueError("bad yaml")), "kind: Pod\n")
    ed.text.value = "kind: [\n"
    assert ed.apply() == "error: bad yaml"
    ed.reset_button.click()
    assert ed.text.value == "kind: Pod\n" and ed.result_text == ""


def test_interactive_shows_render_errors_in_place():
    w = widgets.Interactive({"n": W.IntSlider(value=1)}, lambda n: 1 / (n - 2))
    w.controls["n"].value = 2
    assert "error: division by zero" in w.view.value


def test_stepper_clamps_and_disables_buttons():
    s = widgets.Stepper([("first", "<p>1</p>"), ("second", "<p>2</p>")], title="Steps")
    assert s.back.disabled and not s.next.disabled
    s.next.click()
    assert s.index == 1 and s.view.value == "<p>2</p>" and s.next.disabled
    s.go(10)
    assert s.index == 1
    assert "Step 1/2" in bundle(s)["text/html"]
    with pytest.raises(ValueError):
        widgets.Stepper([])


def test_explorer_filters_by_dropdown_and_search():
    df = pd.DataFrame({"project": ["Prometheus", "Jaeger", "Istio"],
                       "area": ["observability", "observability", "orchestration"]})
    e = widgets.Explorer(df, filters=["area"])
    e.dropdowns["area"].value = "observability"
    assert list(e.filtered()["project"]) == ["Prometheus", "Jaeger"]
    e.search.value = "jae"
    assert list(e.filtered()["project"]) == ["Jaeger"] and "1 of 3 rows" in e.count.value


def test_live_view_keeps_machine_values_out_of_the_stored_output():
    values = iter(["inode 4026531840", "inode 4026532000"])
    w = widgets.LiveView(lambda: next(values), title="ns", fallback="a namespace table")
    b = bundle(w)
    assert "4026" not in b["text/html"] + b["text/plain"] and "a namespace table" in b["text/html"]
    assert "4026531840" in w.view.value
    w.refresh.click()
    assert "4026532000" in w.view.value


def test_to_html_handles_diagrams_frames_strings_and_objects():
    from labkit import viz
    assert widgets.to_html(viz.flow(["a", "b"])).startswith("<svg")
    assert "<table" in widgets.to_html(pd.DataFrame({"a": [1]}))
    assert widgets.to_html("<b>x</b>") == "<b>x</b>"
    assert widgets.to_html(3) == "<pre>3</pre>" and widgets.to_html(None) == ""


def test_choices_feedback_counts_and_hints_without_revealing_answers():
    key = {"a": ("yes", "think of A"), "b": ("no", "think of B"), "c": "yes"}
    assert answers.choices_feedback(None, key)[0] is False
    ok, msg = answers.choices_feedback({"a": "no", "b": "no"}, key, "statements")
    assert not ok and msg == ('1 of 3 statements right. 1 still unanswered. '
                              'Look again at "a": think of A')
    assert answers.choices_feedback(answers.solution_of(key), key) == (True, "All 3 items are right.")
