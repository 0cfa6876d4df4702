"""The kubelet of the mini cluster: node registration, pod lifecycle, probes, restarts.

Upstream references (Kubernetes v1.33): pkg/kubelet/kubelet.go (back-off 10 s → 300 s),
pkg/kubelet/kuberuntime/kuberuntime_container.go (event messages, killContainer),
kuberuntime_manager.go (``Container %s failed liveness probe, will be restarted``,
``back-off %s restarting failed container=%s pod=%s``), pkg/kubelet/prober (``%s probe failed:
%s``), pkg/kubelet/images/image_manager.go (pull events), pkg/kubelet/status/generate.go
(conditions), and the documentation's probe tasks (configure-liveness-readiness-startup-probes).
"""
import pathlib
import re

import pytest
import yaml

from labkit.minicluster.cluster import MiniCluster

EXAMPLES = pathlib.Path("/work/shared/k8s-examples")


def cluster(nodes=1, **kw):
    return MiniCluster(nodes=nodes, seed=7, **kw)


def pod(name, image, restart=None, **container):
    c = {"name": container.pop("cname", name), "image": image, **container}
    spec = {"containers": [c]}
    if restart:
        spec["restartPolicy"] = restart
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def get(c, name):
    return c.api.get("pods", name, "default")


def cstatus(c, name, index=0):
    return (get(c, name)["status"].get("containerStatuses") or [{}])[index]


def state(c, name):
    st = cstatus(c, name).get("state") or {}
    kind = next(iter(st), None)
    return kind, (st.get(kind) or {}).get("reason")


def events(c, name):
    items = c.api.list("events", "default")["items"]
    return [e for e in items if e["involvedObject"]["name"] == name]


def messages(c, name, reason=None):
    return [e["message"] for e in events(c, name) if reason is None or e["reason"] == reason]


def load(path):
    return yaml.safe_load((EXAMPLES / path).read_text())


# -- the node ---------------------------------------------------------------------------------------
def test_node_registration_and_lease():
    c = cluster(node_cpu="4", node_memory="8Gi")
    node = c.api.get("nodes", "node-1")
    st = node["status"]
    # the API server stores quantities in canonical form (8388608Ki → 8Gi)
    assert st["capacity"]["memory"] == "8Gi" and st["capacity"]["cpu"] == "4"
    assert st["allocatable"]["memory"] == "8092Mi"  # minus evictionHard memory.available 100Mi
    assert st["capacity"]["pods"] == "110"
    assert st["nodeInfo"]["kubeletVersion"] == "v1.33.1"
    assert st["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    ready = next(x for x in st["conditions"] if x["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == ("True", "KubeletReady",
                                                                    "kubelet is posting ready status")
    assert [a["type"] for a in st["addresses"]] == ["InternalIP", "Hostname"]
    lease = c.api.get("leases", "node-1", "kube-node-lease")
    assert lease["spec"]["holderIdentity"] == "node-1" and lease["spec"]["leaseDurationSeconds"] == 40
    before = lease["spec"]["renewTime"]
    c.run(10)
    assert c.api.get("leases", "node-1", "kube-node-lease")["spec"]["renewTime"] > before


def test_stopped_kubelet_makes_node_not_ready_and_recovers():
    c = cluster(nodes=2)
    c.fail_node("node-2")
    c.run(70)
    ready = next(x for x in c.api.get("nodes", "node-2")["status"]["conditions"] if x["type"] == "Ready")
    assert ready["status"] == "Unknown"
    c.recover_node("node-2")
    c.run(15)
    ready = next(x for x in c.api.get("nodes", "node-2")["status"]["conditions"] if x["type"] == "Ready")
    assert ready["status"] == "True"


# -- a pod's life -----------------------------------------------------------------------------------
def test_pod_costs_two_status_writes_and_gets_an_ip():
    c = cluster()
    k = c.kubelets["node-1"]
    writes = k.status_writes
    c.api.create("pods", pod("web", "nginx:1.14.2"), "default")
    c.run(0.1)
    assert get(c, "web")["status"]["phase"] == "Pending"
    assert state(c, "web") == ("waiting", "ContainerCreating")
    c.run(10)
    p = get(c, "web")
    assert p["status"]["phase"] == "Running" and state(c, "web")[0] == "running"
    assert k.status_writes - writes == 2
    assert p["status"]["podIP"].startswith("10.244.") and p["status"]["hostIP"] == k.internal_ip
    assert [x["type"] for x in p["status"]["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    assert all(x["status"] == "True" for x in p["status"]["conditions"])
    assert cstatus(c, "web")["image"] == "docker.io/library/nginx:1.14.2"
    assert [e["reason"] for e in events(c, "web")] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    pulled = messages(c, "web", "Pulled")[0]
    assert pulled.startswith('Successfully pulled image "nginx:1.14.2" in ') and \
        pulled.endswith("Image size: 44710204 bytes.")
    assert messages(c, "web", "Created") == ["Created container: web"]
    assert messages(c, "web", "Started") == ["Started container web"]


def test_idle_running_pod_needs_no_timers():
    c = cluster()
    c.api.create("pods", pod("web", "nginx"), "default")
    assert c.settle(60)
    w = c.kubelets["node-1"].workers["default/web"]
    assert not w.wakeups and w.pleg_timer is None and w.sync_timer is None


def test_qos_class_and_guaranteed_resources():
    c = cluster()
    c.api.create("pods", pod("g", "nginx", resources={"limits": {"cpu": "500m", "memory": "64Mi"}}), "default")
    c.run(10)
    assert get(c, "g")["status"]["qosClass"] == "Guaranteed"
    assert get(c, "g")["status"]["phase"] == "Running"


# -- the documentation's probe examples ---------------------------------------------------------------
def test_exec_liveness_example_restarts_after_the_file_is_gone():
    """Docs: healthy for 30 s; then 3 failed probes (5 s apart), killed and restarted. busybox sh
    as PID 1 ignores SIGTERM, so the restart comes after the 30 s grace period."""
    c = cluster()
    c.apply(load("pods/probe/exec-liveness.yaml"))
    c.run(44)
    assert cstatus(c, "liveness-exec")["restartCount"] == 0
    assert messages(c, "liveness-exec", "Unhealthy") == [
        "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"]
    c.run(2)
    assert messages(c, "liveness-exec", "Killing") == [
        "Container liveness failed liveness probe, will be restarted"]
    unhealthy = next(e for e in events(c, "liveness-exec") if e["reason"] == "Unhealthy")
    assert unhealthy["count"] == 3 and unhealthy["type"] == "Warning"
    c.run(28)
    assert cstatus(c, "liveness-exec")["restartCount"] == 0
    c.run(5)
    s = cstatus(c, "liveness-exec")
    assert s["restartCount"] == 1 and s["lastState"]["terminated"]["exitCode"] == 137


def test_http_liveness_example_restarts_after_10_seconds():
    """Docs: agnhost liveness answers 500 after 10 s; probes every 3 s → restart."""
    c = cluster()
    c.apply(load("pods/probe/http-liveness.yaml"))
    c.run(12)
    assert cstatus(c, "liveness-http")["restartCount"] == 0
    c.run(9)
    assert cstatus(c, "liveness-http")["restartCount"] == 1
    assert "Liveness probe failed: HTTP probe failed with statuscode: 500" in messages(c, "liveness-http")
    assert cstatus(c, "liveness-http")["lastState"]["terminated"]["exitCode"] == 2


def test_tcp_readiness_and_liveness_example():
    """Docs: goproxy listens on 8080; the first probes run 15 s after the container starts."""
    c = cluster()
    c.apply(load("pods/probe/tcp-liveness-readiness.yaml"))
    c.run(12)
    s = cstatus(c, "goproxy")
    assert s["state"].get("running") and s["ready"] is False
    ready = next(x for x in get(c, "goproxy")["status"]["conditions"] if x["type"] == "Ready")
    assert ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [goproxy]"
    c.run(13)
    assert cstatus(c, "goproxy")["ready"] is True
    c.run(60)
    assert cstatus(c, "goproxy")["restartCount"] == 0


def test_readiness_probe_failure_keeps_pod_unready_without_restart():
    c = cluster()
    c.api.create("pods", pod("web", "nginx", readinessProbe={"httpGet": {"path": "/nope", "port": 80},
                                                             "periodSeconds": 5}), "default")
    c.run(30)
    s = cstatus(c, "web")
    assert s["ready"] is False and s["restartCount"] == 0
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in messages(c, "web", "Unhealthy")


def test_startup_probe_gates_liveness():
    c = cluster()
    c.api.create("pods", pod("slow", "busybox", command=["sh", "-c", "sleep 20; touch /tmp/up; sleep 3600"],
                             startupProbe={"exec": {"command": ["cat", "/tmp/up"]}, "periodSeconds": 5,
                                           "failureThreshold": 10},
                             livenessProbe={"exec": {"command": ["cat", "/tmp/up"]}, "periodSeconds": 5}),
                 "default")
    c.run(15)
    assert cstatus(c, "slow")["started"] is False
    c.run(15)
    s = cstatus(c, "slow")
    assert s["started"] is True and s["ready"] is True and s["restartCount"] == 0


# -- restarts ---------------------------------------------------------------------------------------
def test_crashloop_backoff_doubles_to_five_minutes():
    """kubelet.go backOffPeriod 10 s, MaxContainerBackOff 300 s (flowcontrol.Backoff, no jitter)."""
    c = cluster()
    c.api.create("pods", pod("crash", "labkit/crasher:1.0", args=["--after", "1"]), "default")
    starts, last = [], -1
    for _ in range(1300):
        c.run(1)
        s = cstatus(c, "crash")
        if s.get("restartCount", 0) != last and "running" in (s.get("state") or {}):
            last = s["restartCount"]
            starts.append(c.now())
    gaps = [round(b - a) for a, b in zip(starts, starts[1:])]
    # each run lasts 1 s; the first restart is immediate (noticed at the next 1 s relist), the
    # next ones wait 10, 20, 40... s counted from the container's finish, capped at 300 s
    assert gaps[:9] == [2, 11, 21, 41, 81, 161, 301, 301, 301]
    assert state(c, "crash") == ("waiting", "CrashLoopBackOff")
    msg = cstatus(c, "crash")["state"]["waiting"]["message"]
    assert msg.startswith("back-off 5m0s restarting failed container=crash pod=crash_default(")
    backoff = [m for m in messages(c, "crash", "BackOff")]
    assert backoff[0].startswith("Back-off restarting failed container crash in pod crash_default(")
    assert get(c, "crash")["status"]["phase"] == "Running"


def test_oomkilled_when_memory_exceeds_limit():
    c = cluster()
    c.api.create("pods", pod("leak", "labkit/leaker:1.0", args=["--rate", "20Mi"],
                             resources={"limits": {"memory": "64Mi"}}), "default")
    c.run(15)
    last = cstatus(c, "leak")["lastState"].get("terminated") or cstatus(c, "leak")["state"].get("terminated")
    assert (last["exitCode"], last["reason"]) == (137, "OOMKilled")


@pytest.mark.parametrize("policy,code,phase,restarted", [
    ("Always", 0, "Running", True), ("Always", 1, "Running", True),
    ("OnFailure", 0, "Succeeded", False), ("OnFailure", 1, "Running", True),
    ("Never", 0, "Succeeded", False), ("Never", 1, "Failed", False),
])
def test_restart_policy_matrix(policy, code, phase, restarted):
    """kubelet_pods.go getPhase + kuberuntime shouldRestartOnFailure."""
    c = cluster()
    c.api.create("pods", pod("p", "labkit/job:1.0", restart=policy,
                             args=["--seconds", "2", "--exit-code", str(code)]), "default")
    c.run(20)
    p = get(c, "p")
    assert p["status"]["phase"] == phase
    assert (cstatus(c, "p")["restartCount"] > 0) == restarted
    if phase in ("Succeeded", "Failed"):
        ready = next(x for x in p["status"]["conditions"] if x["type"] == "Ready")
        assert ready["reason"] == ("PodCompleted" if phase == "Succeeded" else "PodFailed")
        assert state(c, "p") == ("terminated", "Completed" if code == 0 else "Error")


def test_job_example_computes_pi_and_succeeds():
    """Docs controllers/job.yaml (perl bpi) through the Job controller."""
    c = cluster()
    c.apply(load("controllers/job.yaml"))
    c.run(60)
    job = c.api.get("jobs", "pi", "default")
    assert job["status"].get("succeeded") == 1
    p = next(x for x in c.api.list("pods", "default")["items"] if x["metadata"]["name"].startswith("pi-"))
    assert p["status"]["phase"] == "Succeeded"
    assert c.logs(p["metadata"]["name"]).startswith("3.14159265358979")


# -- images -----------------------------------------------------------------------------------------
def test_unknown_image_err_image_pull_then_back_off():
    c = cluster()
    c.api.create("pods", pod("bad", "nginx:9.9"), "default")
    c.run(3)
    s = cstatus(c, "bad")
    assert s["state"]["waiting"]["reason"] == "ImagePullBackOff"
    assert s["state"]["waiting"]["message"].startswith('Back-off pulling image "nginx:9.9": ErrImagePull: '
                                                        "rpc error: code = NotFound")
    assert get(c, "bad")["status"]["phase"] == "Pending"
    failed = messages(c, "bad", "Failed")
    assert failed[0].startswith('Failed to pull image "nginx:9.9": rpc error: code = NotFound desc = '
                                'failed to pull and unpack image "docker.io/library/nginx:9.9"')
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    assert messages(c, "bad", "BackOff")[0] == 'Back-off pulling image "nginx:9.9"'
    c.run(60)
    pulling = next(e for e in events(c, "bad") if e["reason"] == "Pulling")
    assert pulling["count"] == 3  # attempts at 0, 10 and 30 s (image pull back-off 10 s doubling)


def test_if_not_present_reuses_the_node_image():
    c = cluster()
    c.api.create("pods", pod("a", "nginx:1.25"), "default")
    c.run(10)
    c.api.create("pods", pod("b", "nginx:1.25"), "default")
    c.run(5)
    assert messages(c, "b", "Pulled") == ['Container image "nginx:1.25" already present on machine']
    names = [n for i in c.api.get("nodes", "node-1")["status"]["images"] for n in i["names"]]
    assert "docker.io/library/nginx:1.25" in names


# -- configuration ------------------------------------------------------------------------------------
def test_missing_configmap_key_is_create_container_config_error():
    c = cluster()
    c.api.create("pods", pod("cfg", "busybox", command=["sh", "-c", "echo $LEVEL; sleep 3600"],
                             env=[{"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "level"}}}]),
                 "default")
    c.run(5)
    s = cstatus(c, "cfg")
    assert s["state"]["waiting"] == {"reason": "CreateContainerConfigError", "message": 'configmap "app" not found'}
    c.api.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"},
                                "data": {"other": "x"}}, "default")
    c.run(11)
    assert cstatus(c, "cfg")["state"]["waiting"]["message"] == "couldn't find key level in ConfigMap default/app"
    c.api.patch("configmaps", "app", {"data": {"level": "debug"}}, "merge", "default")
    c.run(11)
    assert state(c, "cfg")[0] == "running" and c.logs("cfg") == "debug\n"


def test_init_container_fetches_page_for_nginx():
    """Docs pods/init-containers.yaml: wget into a shared emptyDir, then nginx serves it."""
    c = cluster()
    c.apply(load("pods/init-containers.yaml"))
    c.run(0.5)
    p = get(c, "init-demo")
    init = next(x for x in p["status"]["conditions"] if x["type"] == "Initialized")
    assert (init["status"], init["message"]) == ("False", "containers with incomplete status: [install]")
    assert p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing"
    c.run(15)
    p = get(c, "init-demo")
    assert p["status"]["phase"] == "Running"
    assert p["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    code, out = c.kubelets["node-1"].exec("default", "init-demo", ["cat", "/usr/share/nginx/html/index.html"])
    assert code == 0 and "info.cern.ch - home of the first website" in out


def test_readiness_gate_not_satisfied():
    c = cluster()
    spec = pod("gated", "nginx")
    spec["spec"]["readinessGates"] = [{"conditionType": "example.com/feature-1"}]
    c.api.create("pods", spec, "default")
    c.run(10)
    ready = next(x for x in get(c, "gated")["status"]["conditions"] if x["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ReadinessGatesNotReady")
    assert ready["message"] == 'corresponding condition of pod readiness gate "example.com/feature-1" does not exist.'


def test_node_rejects_pod_that_does_not_fit():
    """lifecycle/predicate.go: a pod bound directly to a full node fails with OutOfcpu."""
    c = cluster(node_cpu="2")
    spec = pod("big", "nginx", resources={"requests": {"cpu": "3"}})
    spec["spec"]["nodeName"] = "node-1"
    c.api.create("pods", spec, "default")
    c.run(2)
    st = get(c, "big")["status"]
    assert st["phase"] == "Failed" and st["reason"] == "OutOfcpu"
    assert st["message"] == ("Pod was rejected: Node didn't have enough resource: cpu, requested: 3000, "
                             "used: 0, capacity: 2000")


# -- termination and logs --------------------------------------------------------------------------------
def test_graceful_termination_timing():
    c = cluster()
    c.api.create("pods", pod("web", "nginx"), "default")
    c.api.create("pods", pod("sleeper", "busybox", command=["sleep", "3600"]), "default")
    c.api.create("pods", pod("quick", "busybox", command=["sleep", "3600"]), "default")
    c.run(10)
    c.api.delete("pods", "web", "default")
    c.api.delete("pods", "sleeper", "default")
    c.api.delete("pods", "quick", "default", grace_period_seconds=5)
    names = lambda: {p["metadata"]["name"] for p in c.api.list("pods", "default")["items"]}
    c.run(2)
    assert names() == {"sleeper", "quick"}  # nginx stops at once (SIGQUIT), the pod is removed
    assert messages(c, "web", "Killing") == ["Stopping container web"]
    c.run(4)
    assert names() == {"sleeper"}  # sleep ignores SIGTERM: SIGKILL after the 5 s grace
    c.run(22)
    assert names() == {"sleeper"}
    c.run(3)
    assert names() == set()  # after the default 30 s


def test_prestop_hook_runs_before_sigterm():
    c = cluster()
    c.api.create("pods", pod("hook", "nginx", lifecycle={"preStop": {"sleep": {"seconds": 5}}}), "default")
    c.run(10)
    c.api.delete("pods", "hook", "default")
    c.run(4)
    assert get(c, "hook")["metadata"].get("deletionTimestamp")
    c.run(3)
    with pytest.raises(Exception):
        get(c, "hook")


def test_logs_current_previous_and_errors():
    c = cluster()
    c.api.create("pods", pod("crash", "labkit/crasher:1.0", args=["--after", "2"]), "default")
    c.run(1.5)
    assert "starting crasher" in c.logs("crash")
    with pytest.raises(Exception, match='previous terminated container "crash" in pod "crash" not found'):
        c.logs("crash", previous=True)
    c.run(4)
    assert "panic: something went wrong" in c.logs("crash", previous=True)
    assert len(c.logs("crash", tail=1).splitlines()) == 1
    stamp = c.logs("crash", timestamps=True).splitlines()[0].split(" ")[0]
    assert re.fullmatch(r"2025-01-01T00:00:0\d\.\d{9}Z", stamp)
    with pytest.raises(Exception, match="container nope is not valid for pod crash"):
        c.logs("crash", container="nope")
    c.api.create("pods", pod("bad", "nginx:9.9"), "default")
    c.run(3)
    with pytest.raises(Exception, match='container "bad" in pod "bad" is waiting to start: trying and '
                                        "failing to pull image"):
        c.logs("bad")


def test_backoff_is_forgotten_after_ten_minutes_of_running():
    """flowcontrol.Backoff.hasExpired: no failure for 2 x 300 s resets the delay."""
    from labkit.minicluster.kubelet.backoff import Backoff
    b = Backoff(10, 300)
    b.next("k", 0, 0)
    b.next("k", 5, 5)
    assert b.get("k") == 20 and b.in_backoff_since("k", 5, 20)
    assert not b.in_backoff_since("k", 700, 700)  # finished 695 s after the last restart
    c = cluster()
    c.api.create("pods", pod("slow", "labkit/crasher:1.0", args=["--after", "700"]), "default")
    c.run(1405)
    assert cstatus(c, "slow")["restartCount"] == 2  # both restarts immediate: no back-off left
    assert state(c, "slow")[0] == "running"


def test_environment_downward_api_service_links_and_expansion():
    c = cluster()
    c.api.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "redis-leader"},
                              "spec": {"selector": {"app": "redis"}, "ports": [{"port": 6379}]}}, "default")
    spec = pod("env", "busybox", command=["sh", "-c", "echo $(GREETING) $POD_NAME $NODE; env | sort"],
               env=[{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                    {"name": "GREETING", "value": "hello-$(POD_NAME)"}], restart="Never")
    c.api.create("pods", spec, "default")
    c.run(5)
    out = c.logs("env").splitlines()
    assert out[0] == "hello-env env node-1"
    ip = c.api.get("services", "redis-leader", "default")["spec"]["clusterIP"]
    assert f"REDIS_LEADER_SERVICE_HOST={ip}" in out and "REDIS_LEADER_PORT_6379_TCP_PORT=6379" in out
    assert "KUBERNETES_SERVICE_PORT=443" in out and "HOSTNAME=env" in out


def test_pod_stats_report_cpu_and_memory():
    c = cluster()
    c.apply(load("pods/resource/cpu-request-limit.yaml") | {"metadata": {"name": "cpu-demo"}})
    c.run(10)
    stats = {p["name"]: p for p in c.kubelets["node-1"].pod_stats()}
    assert stats["cpu-demo"]["containers"][0]["cpu"] == 1000  # -cpus 2, throttled at the 1 CPU limit


def test_sidecar_init_container_runs_alongside():
    """SidecarContainers (GA in v1.33): an init container with restartPolicy Always keeps running."""
    c = cluster()
    spec = pod("app", "nginx")
    spec["spec"]["initContainers"] = [{"name": "logger", "image": "busybox", "restartPolicy": "Always",
                                       "command": ["sh", "-c", "while true; do echo tick; sleep 5; done"]}]
    c.api.create("pods", spec, "default")
    c.run(12)
    st = get(c, "app")["status"]
    assert st["phase"] == "Running"
    assert "running" in st["initContainerStatuses"][0]["state"] and st["initContainerStatuses"][0]["started"]
    assert c.logs("app", container="logger").startswith("tick\ntick\n")
    assert all(x["status"] == "True" for x in st["conditions"])


def test_configmap_volume_follows_updates_but_env_does_not():
    """Docs (configure-pod-configmap): mounted ConfigMaps are updated eventually (kubelet sync
    period); environment variables and subPath mounts are not."""
    c = cluster()
    c.api.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                                "data": {"color": "blue"}}, "default")
    spec = pod("reader", "busybox", command=["sleep", "3600"],
               env=[{"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "color"}}}],
               volumeMounts=[{"name": "cfg", "mountPath": "/etc/cfg"},
                             {"name": "cfg", "mountPath": "/etc/color", "subPath": "color"}])
    spec["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "cfg"}}]
    c.api.create("pods", spec, "default")
    c.run(5)
    k = c.kubelets["node-1"]
    read = lambda cmd: k.exec("default", "reader", ["sh", "-c", cmd])[1]
    assert read("cat /etc/cfg/color; echo; echo $COLOR") == "blue\nblue\n"
    c.api.patch("configmaps", "cfg", {"data": {"color": "green"}}, "merge", "default")
    c.run(5)
    assert read("cat /etc/cfg/color") == "blue"
    c.run(60)
    assert read("cat /etc/cfg/color; echo; cat /etc/color; echo; echo $COLOR") == "green\nblue\nblue\n"


def test_exec_probe_timeout_is_a_failure():
    """cri-client remote_runtime.go ExecSync: DeadlineExceeded → "command %q timed out"."""
    c = cluster()
    c.api.create("pods", pod("slowprobe", "busybox", command=["sleep", "3600"],
                             readinessProbe={"exec": {"command": ["sh", "-c", "sleep 5"]}, "periodSeconds": 5}),
                 "default")
    c.run(12)
    assert messages(c, "slowprobe", "Unhealthy") == ['Readiness probe failed: command "sh -c sleep 5" timed out']
    assert cstatus(c, "slowprobe")["ready"] is False


def test_logs_from_a_stopped_kubelet_fail_like_an_unreachable_node():
    c = cluster()
    c.api.create("pods", pod("web", "nginx"), "default")
    c.run(5)
    c.fail_node("node-1")
    with pytest.raises(Exception, match=r"dial tcp 172\.18\.0\.\d+:10250: connect: connection refused"):
        c.logs("web")


def test_node_status_images_after_pulls_sorted_by_size_and_capped():
    """pkg/kubelet/nodestatus/setters.go Images (v1.37): after pulls the next node status
    lists the images biggest first (sliceutils.ByImageSize: equal sizes by ID descending),
    digests before tags, sizes from the registry; at most --node-status-max-images (50)."""
    from labkit.minicluster.images import resolve
    c = cluster()
    for name, image in (("a", "nginx:1.25"), ("b", "busybox:1.36"), ("c", "redis:7")):
        c.api.create("pods", pod(name, image), "default")
    c.run(30)
    images = c.api.get("nodes", "node-1")["status"]["images"]
    sizes = [i["sizeBytes"] for i in images]
    assert sizes == sorted(sizes, reverse=True) and len(images) == 3
    by_tag = {n: i for i in images for n in i["names"]}
    for ref in ("nginx:1.25", "busybox:1.36", "redis:7"):
        img = resolve(ref)
        entry = by_tag[img.name]
        assert entry["sizeBytes"] == img.size_bytes
        assert entry["names"] == [img.image_ref, img.name]
    from types import SimpleNamespace
    store = c.kubelets["node-1"].images
    for v in range(60):  # many more images than the status may list; sizes tie in pairs
        store.add(SimpleNamespace(id=f"sha256:{v:064x}", name=f"example.com/app:{v}",
                                  image_ref=f"example.com/app@sha256:{v:064x}",
                                  size_bytes=10**9 * (v // 2)))
    listed = store.node_images()
    assert len(listed) == 50
    assert [i["names"][1] for i in listed[:3]] == \
        ["example.com/app:59", "example.com/app:58", "example.com/app:57"]
