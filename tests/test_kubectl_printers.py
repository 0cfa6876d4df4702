"""``kubectl get`` tables: the server-side Table columns and how kubectl renders them.

Pod STATUS/RESTARTS cases are those of upstream pkg/printers/internalversion/printers_test.go
(TestPrintPod); golden tables use fixed objects and a fixed ``now``.
"""
import pytest

from labkit.kubectl import columns, printers
from labkit.kubectl.formatting import rfc3339
from labkit.minicluster.resources import REGISTRY

NOW = 1_735_689_600.0 + 3600  # 2025-01-01T01:00:00Z
T0 = "2025-01-01T00:00:00Z"


def ago(seconds):
    return rfc3339(NOW - seconds)


def pod(name, status, spec=None, meta=None):
    spec = spec or {}
    spec.setdefault("containers", [{"name": "c"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **(meta or {})},
            "spec": spec, "status": status}


def running(**kw):
    return {"ready": kw.get("ready", False), "restartCount": kw.get("restarts", 0),
            "state": kw.get("state", {"running": {}}),
            **({"lastState": {"terminated": {"finishedAt": ago(kw["last"])}}} if "last" in kw else {})}


def two(status, **spec):
    return {"containers": [{"name": "a"}, {"name": "b"}], **spec}


PRINT_POD_CASES = [
    # (pod, READY, STATUS, RESTARTS) from printers_test.go TestPrintPod
    (pod("test1", {"phase": "podPhase", "containerStatuses": [running(ready=True, restarts=3), {"restartCount": 3}]},
         two(None)), "1/2", "podPhase", "6"),
    (pod("test2", {"phase": "podPhase", "containerStatuses": [
        running(ready=True, restarts=3),
        {"restartCount": 3, "state": {"waiting": {"reason": "ContainerWaitingReason"}}}]}, two(None)),
     "1/2", "ContainerWaitingReason", "6"),
    (pod("test3", {"phase": "podPhase", "containerStatuses": [
        {"restartCount": 3, "state": {"waiting": {"reason": "ContainerWaitingReason"}}},
        {"restartCount": 3, "state": {"terminated": {"reason": "ContainerTerminatedReason"}}}]}, two(None)),
     "0/2", "ContainerWaitingReason", "6"),
    (pod("test4", {"phase": "podPhase", "containerStatuses": [
        running(ready=True, restarts=3), {"ready": True, "restartCount": 3}]}, two(None)), "1/2", "podPhase", "6"),
    (pod("test5", {"reason": "podReason", "phase": "podPhase", "containerStatuses": [
        running(ready=True, restarts=3), {"ready": True, "restartCount": 3}]}, two(None)), "1/2", "podReason", "6"),
    (pod("test6", {"phase": "Running", "containerStatuses": [
        {"ready": True, "restartCount": 3, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
        running(ready=True, restarts=3)]}, two(None)), "1/2", "NotReady", "6"),
    (pod("test6b", {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [
        {"ready": True, "restartCount": 3, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
        running(ready=True, restarts=3)]}, two(None)), "1/2", "Running", "6"),
    (pod("test7", {"phase": "podPhase",
                   "initContainerStatuses": [running(restarts=3, last=10)],
                   "containerStatuses": [{"ready": False, "restartCount": 0, "state": {"waiting": {}}}]},
         {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]}), "0/1", "Init:0/1", "3 (10s ago)"),
    (pod("test9", {"phase": "podPhase",
                   "initContainerStatuses": [{"state": {"terminated": {}}}, running(restarts=3, last=10)],
                   "containerStatuses": [{"state": {"waiting": {}}}]},
         {"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "c"}]}),
     "0/1", "Init:1/2", "3 (10s ago)"),
    (pod("test10", {"phase": "podPhase",
                    "initContainerStatuses": [{"restartCount": 2, "state": {"terminated": {}},
                                               "lastState": {"terminated": {"finishedAt": ago(120)}}},
                                              running(restarts=3, last=10)],
                    "containerStatuses": [{"state": {"waiting": {}}}]},
         {"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "c"}]}),
     "0/1", "Init:1/2", "5 (10s ago)"),
    (pod("test11", {"phase": "Running",
                    "initContainerStatuses": [{"restartCount": 2, "state": {"terminated": {}},
                                               "lastState": {"terminated": {"finishedAt": ago(120)}}}],
                    "containerStatuses": [running(restarts=4, last=20)]},
         {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]}), "0/1", "Running", "4 (20s ago)"),
    (pod("test12", {"phase": "Running", "containerStatuses": [running(ready=True, restarts=3, last=5 * 86400)]}),
     "1/1", "Running", "3 (5d ago)"),
    (pod("test14", {"phase": "Running", "containerStatuses": [
        running(ready=True, restarts=6, last=5 * 86400), running(ready=True, restarts=3, last=20 * 86400)]},
         two(None)), "2/2", "Running", "9 (5d ago)"),
    (pod("test15", {"phase": "podPhase", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}, two(None)),
     "0/2", "SchedulingGated", "0"),
    (pod("test16", {"phase": "Succeeded", "containerStatuses": [
        {"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}), "0/1", "Completed", "0"),
    (pod("test17", {"phase": "Failed", "containerStatuses": [
        {"state": {"terminated": {"reason": "Error", "exitCode": 1}}}]}), "0/1", "Error", "0"),
    (pod("test18", {"phase": "Succeeded", "containerStatuses": [
        {"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}, meta={"deletionTimestamp": ago(10)}),
     "0/1", "Completed", "0"),
    (pod("test19", {"phase": "Running", "containerStatuses": [running(ready=True)]},
         meta={"deletionTimestamp": ago(10)}), "1/1", "Terminating", "0"),
    (pod("lost", {"phase": "Running", "reason": "NodeLost", "containerStatuses": [running(ready=True)]},
         meta={"deletionTimestamp": ago(10)}), "1/1", "Unknown", "0"),
    (pod("exit", {"phase": "Running", "containerStatuses": [{"state": {"terminated": {"exitCode": 2}}}]}),
     "0/1", "ExitCode:2", "0"),
    (pod("signal", {"phase": "Running", "containerStatuses": [{"state": {"terminated": {"signal": 9}}}]}),
     "0/1", "Signal:9", "0"),
    (pod("initfail", {"phase": "Pending", "initContainerStatuses": [{"state": {"terminated": {"exitCode": 1}}}]},
         {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]}), "0/1", "Init:ExitCode:1", "0"),
    (pod("initcrash", {"phase": "Pending", "initContainerStatuses": [
        {"state": {"waiting": {"reason": "CrashLoopBackOff"}}}]},
         {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]}), "0/1", "Init:CrashLoopBackOff", "0"),
    (pod("sidecar", {"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
                     "initContainerStatuses": [{"name": "s", "started": True, "ready": True, "state": {"running": {}}}],
                     "containerStatuses": [running(ready=True)]},
         {"initContainers": [{"name": "s", "restartPolicy": "Always"}], "containers": [{"name": "c"}]}),
     "2/2", "Running", "0"),
]


@pytest.mark.parametrize("obj,ready,status,restarts", PRINT_POD_CASES,
                         ids=[c[0]["metadata"]["name"] for c in PRINT_POD_CASES])
def test_pod_status_column_as_upstream(obj, ready, status, restarts):
    name, r, s, rs, age = columns.cells(obj, "Pod", NOW, wide=False)
    assert (name, r, s, rs, age) == (obj["metadata"]["name"], ready, status, restarts, "<unknown>")


def test_finished_pods_carry_row_conditions():
    table = columns.to_table([PRINT_POD_CASES[14][0], PRINT_POD_CASES[15][0]], "Pod", NOW)
    assert table["rows"][0]["conditions"][0]["reason"] == "Succeeded"
    assert table["rows"][1]["conditions"][0] == {"type": "Completed", "status": "True", "reason": "Failed",
                                                 "message": "The pod failed."}


def test_table_structure_is_meta_v1_table():
    table = columns.to_table([pod("web", {"phase": "Running"}, meta={"creationTimestamp": T0})],
                             REGISTRY.for_name("pods"), now=NOW)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"]
    assert [c["priority"] for c in table["columnDefinitions"]] == [0] * 5 + [1] * 4
    assert table["rows"][0]["cells"] == ["web", "0/1", "Running", "0", "60m", "<none>", "<none>", "<none>", "<none>"]
    assert table["rows"][0]["object"]["metadata"]["name"] == "web"


def deployment(name, ready, want, created=T0, image="nginx:1.25"):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": created, "labels": {"app": name}},
            "spec": {"replicas": want, "selector": {"matchLabels": {"app": name}},
                     "template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
            "status": {"readyReplicas": ready, "updatedReplicas": want, "availableReplicas": ready}}


def test_golden_deployments_table_normal_wide_and_decorated():
    rt = REGISTRY.for_name("deploy")
    items = [deployment("web", 3, 3), deployment("api-server", 1, 2, created=ago(190))]
    table = printers.to_table(items, rt, now=NOW)
    assert printers.render_table(table) == (
        "NAME         READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "web          3/3     3            3           60m\n"
        "api-server   1/2     2            1           3m10s\n")
    assert printers.render_table(table, wide=True) == (
        "NAME         READY   UP-TO-DATE   AVAILABLE   AGE     CONTAINERS   IMAGES       SELECTOR\n"
        "web          3/3     3            3           60m     web          nginx:1.25   app=web\n"
        "api-server   1/2     2            1           3m10s   web          nginx:1.25   app=api-server\n")
    assert printers.render_table(table, with_namespace=True, show_labels=True, with_kind="deployment.apps") == (
        "NAMESPACE   NAME                         READY   UP-TO-DATE   AVAILABLE   AGE     LABELS\n"
        "default     deployment.apps/web          3/3     3            3           60m     app=web\n"
        "default     deployment.apps/api-server   1/2     2            1           3m10s   app=api-server\n")
    assert printers.render_table(table, label_columns=["app", "example.com/tier"], no_headers=True) == (
        "web          3/3   3     3     60m     web          \n"
        "api-server   1/2   2     1     3m10s   api-server   \n")


def test_golden_nodes_events_services_and_jobs():
    node = {"kind": "Node", "metadata": {"name": "node-1", "creationTimestamp": ago(2 * 86400 + 3600),
                                         "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": True},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "nodeInfo": {"kubeletVersion": "v1.33.1"}}}
    assert columns.cells(node, now=NOW, wide=False) == ["node-1", "Ready,SchedulingDisabled", "control-plane",
                                                          "2d1h", "v1.33.1"]
    event = {"kind": "Event", "metadata": {"name": "web.1"}, "type": "Warning", "reason": "BackOff",
             "involvedObject": {"kind": "Pod", "name": "web"}, "message": " Back-off restarting failed container ",
             "count": 5, "firstTimestamp": ago(600), "lastTimestamp": ago(30), "source": {"component": "kubelet"}}
    assert columns.cells(event, now=NOW, wide=False) == ["30s", "Warning", "BackOff", "pod/web",
                                                           "Back-off restarting failed container"]
    svc = {"kind": "Service", "metadata": {"name": "lb", "creationTimestamp": T0},
           "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.7"],
                    "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]},
           "status": {"loadBalancer": {}}}
    assert columns.cells(svc, now=NOW, wide=False) == ["lb", "LoadBalancer", "10.96.0.7", "<pending>",
                                                         "80:30080/TCP,53/UDP", "60m"]
    job = {"kind": "Job", "metadata": {"name": "pi", "creationTimestamp": T0},
           "spec": {"completions": 3, "template": {"spec": {"containers": []}}},
           "status": {"succeeded": 3, "startTime": ago(100), "completionTime": ago(40),
                      "conditions": [{"type": "Complete", "status": "True"}]}}
    assert columns.cells(job, now=NOW, wide=False) == ["pi", "Complete", "3/3", "60s", "60m"]


def test_kinds_without_a_printer_get_the_servers_default_table():
    role = {"kind": "Role", "metadata": {"name": "reader", "creationTimestamp": T0}}
    table = columns.to_table([role], "Role", NOW)
    assert printers.render_table(table) == "NAME     CREATED AT\nreader   2025-01-01T00:00:00Z\n"


def test_empty_table_prints_nothing_and_cells_stop_at_newlines():
    assert printers.render_table(columns.to_table([], "Pod", NOW)) == ""
    assert printers.cell_text("first\nsecond") == "first..."
    assert printers.cell_text(True) == "true" and printers.cell_text(None) == ""


def test_several_tables_are_separated_by_a_blank_line():
    pods_t = columns.to_table([pod("p", {"phase": "Running"}, meta={"creationTimestamp": T0})], "Pod", NOW)
    cm = {"kind": "ConfigMap", "metadata": {"name": "c", "creationTimestamp": T0}, "data": {"a": "1"}}
    cm_t = columns.to_table([cm], "ConfigMap", NOW)
    text = printers.render_tables([(pods_t, {"with_kind": "pod"}), (cm_t, {"with_kind": "configmap"})])
    assert text == ("NAME    READY   STATUS    RESTARTS   AGE\npod/p   0/1     Running   0          60m\n\n"
                    "NAME          DATA   AGE\nconfigmap/c   1      60m\n")


def test_output_formats():
    items = [deployment("web", 1, 1)]
    rt = REGISTRY.for_name("deploy")
    assert printers.print_objects(items, "name", rt=rt) == "deployment.apps/web\n"
    assert printers.print_objects(items, "jsonpath={.items[0].spec.replicas}") == "1"
    assert printers.print_objects(items, "jsonpath={.spec.replicas}", single=True) == "1"
    assert printers.print_objects(items, "custom-columns=NAME:.metadata.name,MISSING:.foo") == \
        "NAME   MISSING\nweb    <none>\n"
    assert printers.print_objects(items, "yaml").startswith("apiVersion: v1\nitems:\n- apiVersion: apps/v1\n")
    with pytest.raises(printers.PrintError, match='unable to match a printer suitable for the output format "xml"'):
        printers.print_objects(items, "xml")


def test_to_frame_has_kubectl_headers():
    rt = REGISTRY.for_name("deploy")
    df = printers.to_frame([deployment("web", 1, 2)], rt, now=NOW, all_namespaces=True)
    assert list(df.columns) == ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert df.iloc[0].tolist() == ["default", "web", "1/2", "2", "1", "60m"]
    assert list(printers.to_frame([], rt, now=NOW).columns) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
