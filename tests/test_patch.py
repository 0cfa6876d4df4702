"""Strategic merge patches: creating one (two-way) and applying its directives.

Upstream: k8s.io/apimachinery/pkg/util/strategicpatch (CreateTwoWayMergePatch, $patch,
$setElementOrder) as used by the kubelet's status manager (pkg/util/pod PatchPodStatus).
"""
from labkit.minicluster.patch import strategic_merge_patch, two_way_patch


def cond(type_, status, **extra):
    return {"type": type_, "status": status, **extra}


OLD = {"phase": "Pending", "message": "waiting",
       "conditions": [cond("PodScheduled", "True"),
                      cond("Ready", "False", reason="ContainersNotReady", lastProbeTime=None)],
       "containerStatuses": [{"name": "web", "ready": False}]}
NEW = {"phase": "Running",
       "conditions": [cond("Initialized", "True"), cond("Ready", "True", lastProbeTime=None),
                      cond("PodScheduled", "True")],
       "containerStatuses": [{"name": "web", "ready": True}]}


def test_two_way_patch_sends_only_changes_keyed_items_and_the_new_order():
    patch = two_way_patch(OLD, NEW)
    assert patch == {
        "phase": "Running", "message": None,
        "conditions": [cond("Initialized", "True"), {"type": "Ready", "status": "True",
                                                     "reason": None}],
        "$setElementOrder/conditions": [{"type": "Initialized"}, {"type": "Ready"},
                                        {"type": "PodScheduled"}],
        "containerStatuses": [{"name": "web", "ready": True}]}  # no merge key: sent whole


def test_applying_the_two_way_patch_gives_the_new_object():
    assert strategic_merge_patch(OLD, two_way_patch(OLD, NEW)) == NEW


def test_removed_keyed_items_are_deleted_and_equal_objects_give_an_empty_patch():
    old = {"conditions": [cond("A", "True"), cond("B", "True")]}
    new = {"conditions": [cond("A", "True")]}
    patch = two_way_patch(old, new)
    assert patch == {"conditions": [{"type": "B", "$patch": "delete"}],
                     "$setElementOrder/conditions": [{"type": "A"}]}
    assert strategic_merge_patch(old, patch) == new
    assert two_way_patch(new, new) == {}
    assert two_way_patch({"a": None}, {}) == {} and two_way_patch({}, {"a": None}) == {}
