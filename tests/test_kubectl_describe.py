"""``kubectl describe`` pages for fixed objects, through a small in-memory fake backend.

The layout rules come from staging/src/k8s.io/kubectl/pkg/describe/describe.go (tabwriter with
padding 2, sections aligned separately, events sorted by last timestamp with ``(xN over T)``);
the goldens below were checked against the real kubectl v1.37 (see test_kubectl_oracle.py,
which compares the two on a served cluster).
"""
from labkit.kubectl import describe as d
from labkit.kubectl.formatting import rfc3339
from labkit.minicluster.resources import REGISTRY
from labkit.minicluster.selectors import parse_field_selector, parse_label_selector

NOW = 1_735_689_600.0 + 1800  # 30 minutes after 2025-01-01T00:00:00Z
T0 = "2025-01-01T00:00:00Z"


class FakeApi:
    """Enough of the API server for describers: list with label and field selectors."""

    def __init__(self, objects):
        self.objects = objects

    def list(self, resource, namespace=None, label_selector=None, field_selector=None, **kw):
        rt = REGISTRY.for_name(resource)
        items = [o for o in self.objects if o["kind"] == rt.kind
                 and (namespace is None or o["metadata"].get("namespace") == namespace)]
        if label_selector:
            sel = parse_label_selector(label_selector)
            items = [o for o in items if sel.matches(o["metadata"].get("labels"))]
        if field_selector:
            fsel = parse_field_selector(field_selector, rt.kind)
            items = [o for o in items if fsel.matches(o)]
        return {"items": items}

    def get(self, resource, name, namespace=None, **kw):
        from labkit.minicluster import errors
        rt = REGISTRY.for_name(resource)
        for o in self.list(resource, namespace)["items"]:
            if o["metadata"]["name"] == name:
                return o
        raise errors.not_found(rt.plural, name, rt.group)


class FakeBackend:
    default_namespace = "default"

    def __init__(self, objects):
        self.api = FakeApi(objects)

    def now(self):
        return NOW


def describe(objects, kind, name):
    backend = FakeBackend(objects)
    obj = next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)
    return d.describe(backend, REGISTRY.for_name(kind), obj)


POD = {"kind": "Pod", "apiVersion": "v1", "metadata": {
    "name": "web-abc", "namespace": "default", "uid": "u-1", "creationTimestamp": T0, "labels": {"app": "web"},
    "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d4b9c8f6d", "controller": True, "uid": "rs"}]},
    "spec": {"nodeName": "node-1", "priority": 0, "serviceAccountName": "default",
             "containers": [{"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80, "protocol": "TCP"}],
                             "resources": {"requests": {"cpu": "250m"}}}],
             "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                              "effect": "NoExecute", "tolerationSeconds": 300}]},
    "status": {"phase": "Running", "hostIP": "172.18.0.2", "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}],
               "startTime": T0, "qosClass": "Burstable",
               "conditions": [{"type": "Ready", "status": "True"}],
               "containerStatuses": [{"name": "web", "ready": True, "restartCount": 3, "image": "nginx:1.25",
                                      "imageID": "", "containerID": "containerd://c1",
                                      "state": {"running": {"startedAt": T0}},
                                      "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                                   "startedAt": T0, "finishedAt": T0}}}]}}


def event(name, reason, typ, count, first, last, obj, component="kubelet", field_path=""):
    return {"kind": "Event", "apiVersion": "v1", "metadata": {"name": name, "namespace": "default"},
            "involvedObject": {"kind": obj["kind"], "name": obj["metadata"]["name"], "namespace": "default",
                               "uid": obj["metadata"]["uid"], "fieldPath": field_path},
            "reason": reason, "type": typ, "count": count, "message": f"{reason} happened ",
            "source": {"component": component}, "firstTimestamp": rfc3339(NOW - first),
            "lastTimestamp": rfc3339(NOW - last)}


def test_pod_page():
    objects = [POD, event("e2", "BackOff", "Warning", 5, 600, 20, POD, field_path="spec.containers{web}"),
               event("e1", "Scheduled", "Normal", 1, 1800, 1800, POD, "default-scheduler")]
    assert describe(objects, "Pod", "web-abc") == """\
Name:             web-abc
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-1/172.18.0.2
Start Time:       Wed, 01 Jan 2025 00:00:00 +0000
Labels:           app=web
Annotations:      <none>
Status:           Running
IP:               10.244.1.5
IPs:
  IP:           10.244.1.5
Controlled By:  ReplicaSet/web-7d4b9c8f6d
Containers:
  web:
    Container ID:   containerd://c1
    Image:          nginx:1.25
    Image ID:       
    Port:           80/TCP
    Host Port:      0/TCP
    State:          Running
      Started:      Wed, 01 Jan 2025 00:00:00 +0000
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Wed, 01 Jan 2025 00:00:00 +0000
      Finished:     Wed, 01 Jan 2025 00:00:00 +0000
    Ready:          True
    Restart Count:  3
    Requests:
      cpu:        250m
    Environment:  <none>
    Mounts:       <none>
Conditions:
  Type           Status
  Ready          True 
Volumes:         <none>
QoS Class:       Burstable
Node-Selectors:  <none>
Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
Events:
  Type     Reason     Age                From               Message
  ----     ------     ----               ----               -------
  Normal   Scheduled  30m                default-scheduler  Scheduled happened
  Warning  BackOff    20s (x5 over 10m)  kubelet            spec.containers{web}: BackOff happened
"""


def test_terminating_pod_and_unknown_events():
    pod = dict(POD, metadata=dict(POD["metadata"], deletionTimestamp=rfc3339(NOW - 12),
                                  deletionGracePeriodSeconds=30))
    text = describe([pod], "Pod", "web-abc")
    assert "Status:                    Terminating (lasts 12s)\nTermination Grace Period:  30s\n" in text
    assert text.endswith("Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
                         "Events:          <none>\n")


def test_node_page_sums_pod_requests():
    node = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "node-1", "uid": "n-1", "creationTimestamp": T0},
            "spec": {}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi"},
                                   "nodeInfo": {"kubeletVersion": "v1.33.1"}}}
    pod2 = {"kind": "Pod", "metadata": {"name": "db", "namespace": "default", "creationTimestamp": T0},
            "spec": {"nodeName": "node-1", "containers": [{"name": "a", "resources": {
                "requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}}]},
            "status": {"phase": "Running"}}
    assert describe([node, POD, pod2], "Node", "node-1") == """\
Name:               node-1
Roles:              <none>
Labels:             <none>
Annotations:        <none>
CreationTimestamp:  Wed, 01 Jan 2025 00:00:00 +0000
Taints:             <none>
Unschedulable:      false
Lease:              Failed to get lease: leases.coordination.k8s.io "node-1" not found
Addresses:
Allocatable:
  cpu:     4
  memory:  8Gi
System Info:
  Machine ID:                 
  System UUID:                
  Boot ID:                    
  Kernel Version:             
  OS Image:                   
  Operating System:           
  Architecture:               
  Container Runtime Version:  
  Kubelet Version:            v1.33.1
Non-terminated Pods:          (2 in total)
  Namespace                   Name       CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----       ------------  ----------  ---------------  -------------  ---
  default                     web-abc    250m (6%)     0 (0%)      0 (0%)           0 (0%)         30m
  default                     db         1 (25%)       0 (0%)      1Gi (12%)        2Gi (25%)      30m
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests     Limits
  --------           --------     ------
  cpu                1250m (31%)  0 (0%)
  memory             1Gi (12%)    2Gi (25%)
  ephemeral-storage  0 (0%)       0 (0%)
Events:              <none>
"""


def test_configmap_and_secret_pages():
    cm = {"kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default", "uid": "c"},
          "data": {"b": "hello", "a.conf": "x=1\n"}}
    assert describe([cm], "ConfigMap", "cfg") == (
        "Name:         cfg\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
        "Data\n====\na.conf:\n----\nx=1\n\n\nb:\n----\nhello\n\n\nBinaryData\n====\n\nEvents:  <none>\n")
    secret = {"kind": "Secret", "metadata": {"name": "s", "namespace": "default"}, "type": "Opaque",
              "data": {"password": "c2VjcmV0", "user": "YQ=="}}
    assert describe([secret], "Secret", "s") == (
        "Name:         s\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\n"
        "Type:  Opaque\n\nData\n====\npassword:  6 bytes\nuser:      1 bytes\n")


def test_role_rules_are_compacted_and_sorted():
    """rbac.BreakdownRule + CompactRules, sorted by the rule's protobuf String()."""
    role = {"kind": "Role", "metadata": {"name": "reader", "namespace": "default"}, "rules": [
        {"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}]}
    assert describe([role], "Role", "reader") == """\
Name:         reader
Labels:       <none>
Annotations:  <none>
PolicyRule:
  Resources         Non-Resource URLs  Resource Names  Verbs
  ---------         -----------------  --------------  -----
  deployments       []                 []              [get list]
  pods              []                 []              [get list]
  deployments.apps  []                 []              [get list]
  pods.apps         []                 []              [get list]
  pods/log          []                 []              [get]
"""


def test_generic_describer_labels_fields_readably():
    lease = {"kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
             "metadata": {"name": "node-1", "namespace": "kube-node-lease", "uid": "l", "resourceVersion": "5"},
             "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}}
    assert d.smart_label("apiVersion") == "API Version"
    assert d.smart_label("creationTimestamp") == "Creation Timestamp" and d.smart_label("x.y") == "x.y"
    text = d.generic(lease, None, NOW)
    assert text == ("Name:         node-1\nNamespace:    kube-node-lease\nLabels:       <none>\n"
                    "Annotations:  <none>\nAPI Version:  coordination.k8s.io/v1\nKind:         Lease\n"
                    "Metadata:\n  Resource Version:  5\n  UID:               l\nSpec:\n"
                    "  Holder Identity:         node-1\n  Lease Duration Seconds:  40\n")


def test_qos_class_when_status_has_none():
    """pkg/util/qos ComputePodQOS: equal requests and limits for cpu and memory everywhere →
    Guaranteed; nothing set → BestEffort; anything else → Burstable."""
    from labkit.kubectl.describe.pods import qos_class
    full = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1000m", "memory": "1Gi"}}
    assert qos_class({"spec": {"containers": [{"resources": full}]}}) == "Guaranteed"
    assert qos_class({"spec": {"containers": [{}, {}]}}) == "BestEffort"
    assert qos_class({"spec": {"containers": [{"resources": full}, {}]}}) == "Burstable"
    assert qos_class({"spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}}) == "Burstable"
