"""Per-pod memory of the kubelet and the simulated images: structure, not timings.

At 5,000 nodes / 150,000 pods every byte a pod worker keeps is multiplied by 150,000, so the
kubelet builds per-pod state only when the pod needs it. These tests pin that structure down:
a plain nginx pod that just runs draws no random number, its worker and container records have
no instance dicts, and its containers share what is equal between pods (the resolved image,
service-link environment strings).
"""
import random

from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.kubelet.rng import LazyRandom


def running_nginx(names=("a",)):
    c = MiniCluster(nodes=1, seed=3)
    for n in names:
        c.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}},
                     "default")
    assert c.settle(60)
    k = c.kubelets["node-1"]
    for n in names:
        assert c.api.get("pods", n, "default")["status"]["phase"] == "Running"
    return c, [k.workers[f"default/{n}"] for n in names]


def test_lazy_random_gives_the_sequence_of_an_eager_generator():
    lazy, eager = LazyRandom(42, "uid-1"), random.Random("42/uid-1")
    assert not lazy.materialized
    assert lazy.random() == eager.random()
    assert lazy.materialized
    assert lazy.getrandbits(256) == eager.getrandbits(256)
    assert lazy.randrange(10, 1000) == eager.randrange(10, 1000)
    assert lazy.choice("abcdef") == eager.choice("abcdef")
    assert lazy.uniform(1.0, 2.0) == eager.uniform(1.0, 2.0)
    seq = list(range(20))
    lazy.shuffle(seq)  # forwarded to the real generator
    ref = list(range(20))
    eager.shuffle(ref)
    assert seq == ref


def test_a_running_nginx_pod_draws_no_random_number():
    _, (w,) = running_nginx()
    assert isinstance(w.rng, LazyRandom) and not w.rng.materialized


def test_worker_and_container_records_have_no_instance_dict():
    _, (w,) = running_nginx()
    assert not hasattr(w, "__dict__")
    assert all(not hasattr(r, "__dict__") for r in w.all_records)


def test_an_nginx_process_has_no_instance_dict_and_still_runs_exec():
    c, (w,) = running_nginx()
    proc = w.regular_records[0].current.process
    assert not hasattr(proc, "__dict__") and not hasattr(proc.fs, "__dict__")
    assert c.kubelets["node-1"].exec("default", "a", ["cat", "/etc/hostname"]) == (0, "a\n")
    assert proc.last_exec_seconds >= 0 and proc._exec_count == 1


def test_pods_share_the_resolved_image_and_service_link_strings():
    _, (a, b) = running_nginx(("a", "b"))
    pa, pb = a.regular_records[0].current.process, b.regular_records[0].current.process
    assert pa.image is pb.image
    ka = next(k for k in pa.env if k == "KUBERNETES_PORT_443_TCP")
    kb = next(k for k in pb.env if k == "KUBERNETES_PORT_443_TCP")
    assert ka is kb and pa.env[ka] is pb.env[kb] and pa.env[ka].startswith("tcp://")
    assert pa.sb.env is pa.env  # one environment dict per container, not a copy per layer


def test_nginx_file_system_is_built_only_when_read():
    c, (w,) = running_nginx()
    proc = w.regular_records[0].current.process
    assert proc.fs._layer is None
    assert proc.fs.read("/etc/hostname") == "a\n"
    assert "nginx" in proc.fs.read("/etc/nginx/nginx.conf")
    assert proc.fs._layer is not None


def test_etc_files_and_service_account_token_are_written_on_first_read():
    """/etc/hosts... and the projected token exist as soon as the container runs, but their
    texts are built when something reads them (kubectl exec cat, a shell script)."""
    c, (w,) = running_nginx()
    etc = w.etc
    token_vol = next(v for v in w.volumes.values() if v.kind == "projected")
    assert not etc.built and not token_vol.built
    proc = w.regular_records[0].current.process
    assert proc.fs.read("/etc/hosts").startswith("# Kubernetes-managed hosts file.")
    assert etc.built and not token_vol.built
    sa = "/var/run/secrets/kubernetes.io/serviceaccount"
    assert proc.fs.read(f"{sa}/namespace") == "default"
    assert proc.fs.read(f"{sa}/token").count(".") == 2
    assert sorted(proc.fs.listdir(sa)) == ["ca.crt", "namespace", "token"]
    assert token_vol.built


def test_a_missing_configmap_in_a_projected_volume_still_fails_the_mount_at_once():
    c = MiniCluster(nodes=1, seed=3)
    c.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                          "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}],
                                   "volumes": [{"name": "v", "projected": {"sources": [
                                       {"configMap": {"name": "nope"}}]}}]}}, "default")
    c.run(5)
    assert c.api.get("pods", "p", "default")["status"]["containerStatuses"][0]["state"] == \
        {"waiting": {"reason": "ContainerCreating"}}
    msgs = [e["message"] for e in c.api.list("events", "default")["items"]
            if e["reason"] == "FailedMount"]
    assert msgs and 'configmap "nope" not found' in msgs[0]


def test_an_idle_worker_keeps_no_sync_scratch_state():
    """Between syncs a running pod's worker holds no wake-up table, no list of waiting reasons
    from its last sync and no pull-error map (it never failed a pull)."""
    _, (w,) = running_nginx()
    assert w.wakeups is None and w._waiting_before is None and w.pull_errors is None


def test_nginx_start_up_lines_wait_unformatted_until_the_log_is_read():
    """nginx says its 20 start-up lines as one block; they become log entries when read, in
    the same order and with the same times as if written one by one."""
    c, (w,) = running_nginx()
    proc = w.regular_records[0].current.process
    assert proc._pending is not None and not proc._log
    text = c.kubectl("logs a").stdout
    assert proc._pending is None and len(proc._log) >= 15
    assert "Configuration complete; ready for start up" in text
    assert "[notice] 1#1: start worker processes" in text
    streams = [s for _, s, _ in proc.log]
    assert streams.index("stderr") == streams.count("stdout")  # stdout block, then stderr


def test_pods_of_a_template_share_one_environment_until_a_program_reads_it():
    """The environment differs between two such pods only in HOSTNAME: one shared dict until
    read, then a private copy in the same order (PATH, HOSTNAME, image ENV, service links)."""
    _, (a, b) = running_nginx(("a", "b"))
    sa, sb = (w.regular_records[0].current.process.sb for w in (a, b))
    assert sa._env is None and sa._env_base is sb._env_base
    env = sa.env
    assert env is sa.env and env["HOSTNAME"] == "a" and list(env)[:3] == ["PATH", "HOSTNAME", "NGINX_VERSION"]
    env["X"] = "1"  # a program changes its own copy only
    assert "X" not in sb.env and sb.env["HOSTNAME"] == "b" and env["HOME"] == "/root"


def test_pods_share_their_start_up_lines_command_line_and_projected_files():
    _, (a, b) = running_nginx(("a", "b"))
    pa, pb = (w.regular_records[0].current.process for w in (a, b))
    assert pa.argv is pb.argv and pa.argv == ("nginx", "-g", "daemon off;")
    assert type(pa._pending) is tuple and pa._pending[0] is pb._pending[0]  # entrypoint block
    va, vb = (next(v for v in w.volumes.values() if v.kind == "projected") for w in (a, b))
    assert va._source[1] is vb._source[1]  # ca.crt and namespace, with the token to come
    assert pa.fs.read("/var/run/secrets/kubernetes.io/serviceaccount/token") != \
        pb.fs.read("/var/run/secrets/kubernetes.io/serviceaccount/token")


def test_mounts_are_built_when_the_container_first_looks_at_a_path():
    c, (w,) = running_nginx()
    fs = w.regular_records[0].current.process.fs
    assert callable(fs._mounts)  # a MountPlan: nothing looked yet
    assert fs.read("/etc/hostname") == "a\n"
    assert [m.path for m in fs.mounts] == ["/var/run/secrets/kubernetes.io/serviceaccount",
                                           "/etc/resolv.conf", "/etc/hostname", "/etc/hosts"]


def test_a_subpath_mount_is_bound_when_the_container_starts():
    """A subPath creates its directory in the volume when the container starts
    (pkg/kubelet/kubelet_pods.go makeMounts, SafeMakeDir), so such mounts are not deferred:
    the other container sees the directory without looking first."""
    c = MiniCluster(nodes=1, seed=3)
    c.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "volumes": [{"name": "v", "emptyDir": {}}],
        "containers": [{"name": "web", "image": "nginx:1.25",
                        "volumeMounts": [{"name": "v", "mountPath": "/data", "subPath": "logs"}]},
                       {"name": "side", "image": "nginx:1.25",
                        "volumeMounts": [{"name": "v", "mountPath": "/all"}]}]}}, "default")
    assert c.settle(60)
    w = c.kubelets["node-1"].workers["default/p"]
    web, side = (r.current.process.fs for r in w.regular_records)
    assert not callable(web._mounts) and callable(side._mounts)
    assert "logs" in w.volumes["v"].dirs
    assert side.listdir("/all") == ["logs"]


def test_a_line_said_after_the_start_leaves_the_shared_start_up_blocks_alone():
    c, (a, b) = running_nginx(("a", "b"))
    pa, pb = (w.regular_records[0].current.process for w in (a, b))
    shared = pb._pending
    status, _ = pa.http_get(80, "/", c.now(), {"User-Agent": "curl/8.5.0"}, "10.244.1.9")
    assert status == 200 and type(pa._pending) is list and pb._pending is shared
    log = pa.log
    assert log[0][0] == pa.started_at and log[0][2].startswith("/docker-entrypoint.sh")
    assert log[-1][0] == c.now() and log[-1][2].startswith('10.244.1.9 - - [') and \
        '"GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" "-"' in log[-1][2]
    assert pb.log[0][0] == pb.started_at and len(pb.log) == len(log) - 1
