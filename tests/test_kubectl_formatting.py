"""The formatters under every kubectl output: durations, tabwriter alignment, YAML/JSON, jsonpath.

Expected values come from upstream unit tests where they exist (cited per test) and otherwise
from the real kubectl v1.37 binary run offline (``--dry-run=client``).
"""
import json
import os
import subprocess

import pytest

from labkit.kubectl import jsonpath, tabwriter
from labkit.kubectl.formatting import (canonical_quantity, format_label_selector, format_labels,
                                       go_sprint, human_duration, rfc1123z, short_human_duration)
from labkit.kubectl.serialize import to_json, to_yaml

S, M, H, D = 1, 60, 3600, 86400
MS = 0.001


@pytest.mark.parametrize("seconds,want", [
    # k8s.io/apimachinery/pkg/util/duration/duration_test.go TestHumanDuration
    (S, "1s"), (70 * S, "70s"), (190 * S, "3m10s"), (70 * M, "70m"), (47 * H, "47h"),
    (49 * H, "2d1h"), ((8 * 24 + 2) * H, "8d"), (367 * D, "367d"), ((365 * 2 * 24 + 25) * H, "2y1d"),
    ((365 * 8 * 24 + 2) * H, "8y"),
    # TestHumanDurationBoundaries
    (-2 * S, "<invalid>"), (-2 * S + 1e-9, "0s"), (0, "0s"), (S - MS, "0s"), (2 * M - MS, "119s"),
    (2 * M, "2m"), (2 * M + S, "2m1s"), (10 * M - MS, "9m59s"), (10 * M, "10m"), (10 * M + S, "10m"),
    (3 * H - MS, "179m"), (3 * H, "3h"), (3 * H + M, "3h1m"), (8 * H - MS, "7h59m"), (8 * H, "8h"),
    (8 * H + 59 * M, "8h"), (2 * D - MS, "47h"), (2 * D, "2d"), (2 * D + H, "2d1h"),
    (8 * D - MS, "7d23h"), (8 * D, "8d"), (8 * D + 23 * H, "8d"), (2 * 365 * D - MS, "729d"),
    (2 * 365 * D, "2y"), (2 * 365 * D + 23 * H, "2y"), (2 * 365 * D + D - MS, "2y"),
    (2 * 365 * D + D, "2y1d"), (3 * 365 * D, "3y"), (8 * 365 * D - MS, "7y364d"), (8 * 365 * D, "8y"),
    (8 * 365 * D + 364 * D, "8y"), (9 * 365 * D, "9y"),
])
def test_human_duration_matches_apimachinery(seconds, want):
    assert human_duration(seconds) == want


@pytest.mark.parametrize("seconds,want", [
    # duration_test.go TestShortHumanDurationBoundaries
    (-2 * S, "<invalid>"), (0, "0s"), (S - MS, "0s"), (S, "1s"), (M - MS, "59s"), (M, "1m"),
    (2 * M - MS, "1m"), (H - MS, "59m"), (H, "1h"), (D - MS, "23h"), (D, "1d"),
    (365 * D - MS, "364d"), (365 * D, "1y"), (2 * 365 * D, "2y"),
])
def test_short_human_duration(seconds, want):
    assert short_human_duration(seconds) == want


@pytest.mark.parametrize("text,want", [
    ("1000m", "1"), ("0.5", "500m"), ("1024Mi", "1Gi"), ("1536Mi", "1536Mi"), ("1.5Gi", "1536Mi"),
    ("100m", "100m"), ("128974848", "128974848"), ("129e6", "129e6"), ("1e3", "1e3"), ("64M", "64M"),
    ("0.1", "100m"), ("0", "0"),
])
def test_quantity_canonical_form(text, want):
    """resource.Quantity.String() (k8s.io/apimachinery/pkg/api/resource/quantity_test.go)."""
    assert canonical_quantity(text) == want


def test_labels_and_selectors_print_like_apimachinery():
    assert format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    assert format_labels({}) == "<none>"
    sel = {"matchLabels": {"app": "web"},
           "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                {"key": "canary", "operator": "DoesNotExist"}]}
    assert format_label_selector(sel) == "app=web,!canary,env in (dev,prod)"  # sorted by key
    assert format_label_selector({}) == "<none>"


def test_rfc1123z_is_describes_time_format():
    assert rfc1123z("2025-03-09T07:05:00Z") == "Sun, 09 Mar 2025 07:05:00 +0000"


def test_go_sprint_of_json_values():
    assert go_sprint({"b": 1, "a": [True, None]}) == "map[a:[true <nil>] b:1]"


# -- tabwriter --------------------------------------------------------------------------------------

def test_tabwriter_blocks_end_at_lines_without_tabs():
    """text/tabwriter: a column block is a run of lines with a cell in that column; the text after
    a line's last tab is never padded (golang.org/pkg/text/tabwriter, example_test.go)."""
    text = "a\tb\tc\naa\tbbb\tc\nno tabs here\nx\ty\n"
    assert tabwriter.align(text, minwidth=0, padding=2) == \
        "a   b    c\naa  bbb  c\nno tabs here\nx  y\n"


def test_kubectl_table_minimum_width():
    """kubectl get: a column is its widest cell plus 3 spaces, but at least 6 wide
    (cli-runtime printers.GetNewTabWriter: minwidth 6, padding 3)."""
    assert tabwriter.table([["NS", "A"], ["x", "y"]]) == "NS    A\nx     y\n"
    assert tabwriter.table([["NAME", "A"], ["web-1", "y"]]) == "NAME    A\nweb-1   y\n"


# -- YAML and JSON ----------------------------------------------------------------------------------

def _kubectl_offline(*args):
    """The real kubectl (v1.37) with no cluster: client-side dry runs only."""
    from labkit._tools import kubectl_path
    env = dict(os.environ, KUBECONFIG=os.devnull)
    return subprocess.run([kubectl_path(), *args], env=env, capture_output=True, text=True,
                          check=True).stdout


TRICKY = {"a": "1", "b": "true", "c": "*", "d": "", "e": "hello world", "f": "yes", "g": "y",
          "h": "a: b", "i": "2025-01-01", "j": "1:30", "k": "line1\nline2\n", "l": "x\ny", "m": "0x1F",
          "n": "~", "o": "null", "p": "1e3", "q": "- a", "r": "long " * 30, "s": "on", "t": "<b>&",
          "u": ".5", "v": "+1", "w": "1_000", "x": "#x"}


@pytest.fixture(scope="module")
def real_configmap_yaml():
    args = [f"--from-literal={k}={v}" for k, v in TRICKY.items()]
    return _kubectl_offline("create", "configmap", "c", *args, "--dry-run=client", "-o", "yaml")


def test_yaml_matches_kubectl_byte_for_byte(real_configmap_yaml):
    """go-yaml v2 quoting: strings that would read back as another type are double-quoted,
    multi-line strings are literal blocks, long ones fold at 80 columns."""
    obj = {"apiVersion": "v1", "data": TRICKY, "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert to_yaml(obj) == real_configmap_yaml


def test_json_matches_kubectl_byte_for_byte():
    real = _kubectl_offline("create", "configmap", "c", "--from-literal=t=<b>&", "--from-literal=u=é",
                            "--dry-run=client", "-o", "json")
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"},
           "data": {"t": "<b>&", "u": "é"}}
    assert to_json(obj, sort_keys=False) == real
    assert json.loads(real) == obj


# -- jsonpath ---------------------------------------------------------------------------------------

PODS = {"kind": "List", "items": [
    {"metadata": {"name": "a", "labels": {"app": "x"}}, "spec": {"containers": [{"image": "i1"}, {"image": "i2"}]},
     "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
    {"metadata": {"name": "b"}, "spec": {"containers": [{"image": "i3"}]},
     "status": {"conditions": [{"type": "Ready", "status": "False"}]}}]}


@pytest.mark.parametrize("template,want", [
    # k8s.io/client-go/util/jsonpath/jsonpath_test.go style cases
    ("{.items[*].metadata.name}", "a b"),
    ("{.items[0].metadata.labels}", '{"app":"x"}'),
    ("{.items[-1].metadata.name}", "b"),
    ("{.items[0:1].metadata.name}", "a"),
    ("{.items[0,1].metadata.name}", "a b"),
    ("{.items[*].spec.containers[*].image}", "i1 i2 i3"),
    ("{..image}", "i1 i2 i3"),
    ("{.items[?(@.metadata.labels.app)].metadata.name}", "a"),
    ('{.items[?(@.status.conditions[0].status=="False")].metadata.name}', "b"),
    ('{range .items[*]}{.metadata.name}{"\\t"}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
     "a\tTrue\nb\tFalse\n"),
    ("names: {.items[*].metadata.name}!", "names: a b!"),
    ("{.missing}", ""),
    ("{.kind}", "List"),
])
def test_jsonpath_templates(template, want):
    assert jsonpath.execute(template, PODS) == want


def test_jsonpath_errors_like_client_go():
    with pytest.raises(jsonpath.JSONPathError, match="unclosed action"):
        jsonpath.parse("{.items")
    with pytest.raises(jsonpath.JSONPathError, match="array index out of bounds"):
        jsonpath.execute("{.items[5]}", PODS)
    assert jsonpath.relaxed("metadata.name") == "{.metadata.name}"
