"""Simulated container images (labkit.minicluster.images): names, pulls, behaviours.

Upstream references: image references follow github.com/distribution/reference
(ParseNormalizedNamed); pull error texts are containerd's (pkg/cri/server/images: "failed to
pull and unpack image %q: %w", client pull.go "failed to resolve reference %q: %w"); exit codes
and reasons are what containerd reports to the kubelet (137 = SIGKILL, OOMKilled).
"""
import pytest

from labkit.minicluster.images import (ExecError, FileSystem, Mount, NetError, PullError,
                                       StartError, Volume, parse_reference, resolve)
from labkit.minicluster.images.workloads import pi_digits

T0 = 1735689600.0  # 2025-01-01T00:00:00Z


def start(image, now=T0, **container):
    container.setdefault("name", "c")
    limits = (container.get("resources") or {}).get("limits") or {}
    from labkit.minicluster.quantity import parse_memory
    mem = parse_memory(limits["memory"]) if "memory" in limits else None
    return resolve(image).start(container, env=container.pop("env", {}), files=None, now=now,
                                mem_limit=mem)


# -- references and the registry ------------------------------------------------------------------
@pytest.mark.parametrize("written,full", [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.14.2", "docker.io/library/nginx:1.14.2"),
    ("docker.io/library/nginx:1.16", "docker.io/library/nginx:1.16"),
    ("bitnami/redis", "docker.io/bitnami/redis:latest"),
    ("registry.k8s.io/pause:3.8", "registry.k8s.io/pause:3.8"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
])
def test_reference_normalization(written, full):
    """distribution/reference: short names live on Docker Hub under library/, default tag latest."""
    assert parse_reference(written).name == full


def test_unknown_tag_is_not_found_with_containerd_wording():
    with pytest.raises(PullError) as e:
        resolve("nginx:9.9")
    assert e.value.reason == "ErrImagePull"
    assert e.value.message == (
        'rpc error: code = NotFound desc = failed to pull and unpack image '
        '"docker.io/library/nginx:9.9": failed to resolve reference "docker.io/library/nginx:9.9": '
        'docker.io/library/nginx:9.9: not found')


def test_unknown_docker_hub_repository_is_access_denied():
    """Docker Hub cannot tell a missing repository from a private one."""
    with pytest.raises(PullError) as e:
        resolve("nginxx")
    assert "code = Unknown" in e.value.message
    assert "pull access denied, repository does not exist or may require authorization" in e.value.message


def test_invalid_name_is_invalid_image_name():
    """kubelet images/image_manager.go: "Failed to apply default image tag %q: %v"."""
    with pytest.raises(PullError) as e:
        resolve("Nginx")
    assert e.value.reason == "InvalidImageName"
    assert e.value.message == ('Failed to apply default image tag "Nginx": couldn\'t parse image name '
                               '"Nginx": invalid reference format: repository name must be lowercase')


def test_unknown_registry_host_fails_dns():
    with pytest.raises(PullError) as e:
        resolve("myregistry.local/app:1")
    assert "lookup myregistry.local: no such host" in e.value.message


def test_tags_resolve_to_versions_and_sizes():
    assert resolve("nginx:1.25").version == "1.25.5"
    assert resolve("nginx").version == resolve("nginx:latest").version
    assert resolve("nginx:1.14.2").size_bytes == 44710204
    assert resolve("nginx:1.25-alpine").size_bytes < resolve("nginx:1.25").size_bytes
    img = resolve("busybox:1.28")
    assert img.name == "docker.io/library/busybox:1.28"
    assert img.image_ref.startswith("docker.io/library/busybox@sha256:")


def test_every_image_of_the_docs_examples_resolves():
    """Every image used in /work/shared/k8s-examples can be pulled."""
    import pathlib
    import re
    root = pathlib.Path("/work/shared/k8s-examples")
    images = set()
    for f in root.rglob("*.yaml"):
        images |= {m.strip("'\"") for m in re.findall(r"image:\s*['\"]?([^\s'\",]+)", f.read_text())}
    assert len(images) > 20
    for image in sorted(images):
        assert resolve(image) is not None, image


def test_pull_duration_depends_on_size_and_cache():
    big, small = resolve("perl:5.34.0"), resolve("busybox")
    assert big.pull_seconds() > 5 > small.pull_seconds()
    assert big.pull_seconds(cached=True) < 1


# -- web servers ------------------------------------------------------------------------------------
def test_nginx_version_shows_and_quiet_when_idle():
    old, new = start("nginx:1.14.2"), start("nginx:1.25")
    assert old.next_event_time() is None and new.next_event_time() is None  # no timers at all
    assert old.log == []  # the 1.14 image had no entrypoint scripts and logs at warn level
    assert any("nginx/1.25.5" in line for _, _, line in new.log)
    status, body = old.http_get(80, "/", T0 + 1)
    assert status == 200 and "Welcome to nginx!" in body and len(body) == 612
    status, body = old.http_get(80, "/missing", T0 + 1)
    assert status == 404 and "nginx/1.14.2" in body


def test_nginx_serves_its_volume_and_403_when_empty():
    vol = Volume()
    fs = FileSystem(resolve("nginx").files(), [Mount("/usr/share/nginx/html", vol)])
    p = resolve("nginx").start({"name": "web"}, {}, fs, T0)
    assert p.http_get(80, "/", T0 + 1)[0] == 403
    vol.files["index.html"] = "Hello shell demo\n"
    assert p.http_get(80, "/", T0 + 2) == (200, "Hello shell demo\n")


def test_nginx_stops_quickly_on_term():
    p = start("nginx:1.25")
    p.signal_term(T0 + 5)
    p.advance(T0 + 6)
    assert p.exited == (0, "Completed")
    assert not p.tcp_open(80, T0 + 6)


def test_httpd_and_hello_app():
    assert start("httpd:2.4").http_get(80, "/", T0 + 1)[1] == "<html><body><h1>It works!</h1></body></html>\n"
    body = start("gcr.io/google-samples/hello-app:2.0").http_get(8080, "/", T0 + 1)[1]
    assert "Version: 2.0.0" in body


def test_agnhost_liveness_healthz_turns_500_after_10s():
    """test/images/agnhost/liveness: 200 for the first 10 seconds, then 500."""
    p = start("registry.k8s.io/e2e-test-images/agnhost:2.40", args=["liveness"])
    assert p.http_get(8080, "/healthz", T0 + 9)[0] == 200
    assert p.http_get(8080, "/healthz", T0 + 10.5)[0] == 500
    p.signal_term(T0 + 11)
    assert p.exited == (2, "Error")  # Go runtime as PID 1: SIGTERM ignored by the kernel → exit(2)


def test_goproxy_listens_on_8080_and_has_no_shell():
    p = start("registry.k8s.io/goproxy:0.1")
    assert p.tcp_open(8080, T0 + 1) and not p.tcp_open(80, T0 + 1)
    with pytest.raises(ExecError, match='exec: "sh": executable file not found in \\$PATH'):
        p.exec(["sh"], T0 + 1)


def test_php_apache_cpu_follows_load():
    p = start("registry.k8s.io/hpa-example")
    idle = p.cpu_millicores(T0 + 20)
    for k in range(1000):
        p.http_get(80, "/", T0 + 20 + k * 0.01)
    assert idle <= 5 and p.cpu_millicores(T0 + 30) > 1000


# -- busybox and shells ------------------------------------------------------------------------------
def test_busybox_script_timeline_exec_liveness():
    """docs pods/probe/exec-liveness.yaml: /tmp/healthy exists for 30 s, then is removed."""
    p = start("registry.k8s.io/busybox:1.27.2",
              args=["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"])
    assert p.exec(["cat", "/tmp/healthy"], T0 + 25) == (0, "")
    code, out = p.exec(["cat", "/tmp/healthy"], T0 + 35)
    assert code == 1 and out == "cat: can't open '/tmp/healthy': No such file or directory\n"
    assert 600 < p.next_event_time() - T0 < 632


def test_busybox_echo_env_loops_and_exit_code():
    p = start("busybox", command=["sh", "-c", 'for i in 1 2 3; do echo "hi $i $WHO"; sleep 1; done; '
                                               "false || echo fallback && exit 3"], env={"WHO": "you"})
    p.advance(T0 + 10)
    assert [line for _, _, line in p.log] == ["hi 1 you", "hi 2 you", "hi 3 you", "fallback"]
    assert p.exited == (3, "Error")
    assert p.log[1][0] - p.log[0][0] == pytest.approx(1.0, abs=0.01)


def test_busybox_while_loop_with_date():
    p = start("busybox", command=["sh", "-c", "while true; do date; sleep 5; done"])
    p.advance(T0 + 12)
    assert [line for _, _, line in p.log] == ["Wed Jan  1 00:00:00 UTC 2025", "Wed Jan  1 00:00:05 UTC 2025",
                                              "Wed Jan  1 00:00:10 UTC 2025"]


def test_sleep_as_pid1_ignores_sigterm_until_sigkill():
    p = start("busybox", command=["sleep", "3600"])
    p.signal_term(T0 + 1)
    p.advance(T0 + 31)
    assert p.exited is None
    p.signal_kill(T0 + 31)
    assert p.exited == (137, "Error")


def test_trap_makes_the_shell_exit_after_its_sleep():
    p = start("busybox", command=["sh", "-c", "trap 'echo bye; exit 0' TERM; while true; do sleep 1; done"])
    p.signal_term(T0 + 2.5)
    assert p.next_event_time() <= T0 + 3.1
    p.advance(T0 + 4)
    assert p.exited == (0, "Completed") and p.log[-1][2] == "bye"


def test_unknown_command_fails_to_start():
    with pytest.raises(StartError, match='exec: "nosuch": executable file not found in \\$PATH'):
        start("busybox", command=["nosuch"])


def test_busybox_default_command_exits_at_once():
    """CMD ["sh"] with no terminal: sh reads an empty stdin and exits 0 (then CrashLoopBackOff)."""
    p = start("busybox")
    p.advance(T0 + 1)
    assert p.exited == (0, "Completed")


def test_debian_printenv_example():
    """docs pods/commands.yaml: printenv HOSTNAME KUBERNETES_PORT."""
    img = resolve("debian")
    p = img.start({"name": "c", "command": ["printenv"], "args": ["HOSTNAME", "KUBERNETES_PORT"]},
                  env={"KUBERNETES_PORT": "tcp://10.96.0.1:443"}, files=None, now=T0,
                  hostname="command-demo")
    p.advance(T0 + 1)
    assert [line for _, _, line in p.log] == ["command-demo", "tcp://10.96.0.1:443"]
    assert p.exited == (0, "Completed")


# -- resources, jobs -----------------------------------------------------------------------------------
def test_stress_over_limit_is_oomkilled():
    """docs pods/resource/memory-request-limit-2.yaml: 250M in a 100Mi limit → OOMKilled."""
    p = start("polinux/stress", command=["stress"], args=["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"],
              resources={"limits": {"memory": "100Mi"}})
    assert p.next_event_time() == pytest.approx(T0 + 0.1)
    p.advance(T0 + 1)
    assert p.exited == (137, "OOMKilled")


def test_stress_under_limit_keeps_running():
    p = start("polinux/stress", command=["stress"], args=["--vm", "1", "--vm-bytes", "150M"],
              resources={"limits": {"memory": "200Mi"}})
    p.advance(T0 + 60)
    assert p.exited is None and p.memory_bytes(T0 + 60) > 150 * 2 ** 20


def test_leaker_grows_until_its_limit():
    p = start("labkit/leaker", args=["--rate", "10Mi"], resources={"limits": {"memory": "105Mi"}})
    assert p.next_event_time() == pytest.approx(T0 + 10)
    p.advance(T0 + 20)
    assert p.exited == (137, "OOMKilled") and p.finished_at == pytest.approx(T0 + 10)
    assert p.log[-1][2].endswith("allocated 95 MiB")


def test_crasher_exits_nonzero_after_n_seconds():
    p = start("labkit/crasher", args=["--after", "3", "--exit-code", "2"])
    p.advance(T0 + 5)
    assert p.exited == (2, "Error") and p.finished_at == T0 + 3


def test_perl_pi_job():
    """docs controllers/job.yaml: perl -Mbignum=bpi -wle 'print bpi(2000)' prints π and exits 0."""
    p = start("perl:5.34.0", command=["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"])
    p.advance(T0 + 60)
    assert p.exited == (0, "Completed")
    out = p.log[0][2]
    assert out.startswith("3.14159265358979323846") and len(out) == 2001
    assert pi_digits(10) == "3.141592654"


# -- databases ----------------------------------------------------------------------------------------
def test_mysql_without_password_exits_with_entrypoint_error():
    p = start("mysql:5.7")
    p.advance(T0 + 1)
    assert p.exited == (1, "Error")
    assert any("Database is uninitialized and password option is not specified" in l for _, _, l in p.log)


def test_mysql_data_lives_on_its_volume():
    data = Volume()
    img = resolve("mysql:5.7")

    def run(now):
        fs = FileSystem(img.files(), [Mount("/var/lib/mysql", data)])
        return img.start({"name": "db"}, {"MYSQL_ALLOW_EMPTY_PASSWORD": "1"}, fs, now)

    p = run(T0)
    assert not p.tcp_open(3306, T0 + 5) and p.tcp_open(3306, T0 + 13)
    p.query("CREATE DATABASE test; CREATE TABLE test.messages (message VARCHAR(250)); "
            "INSERT INTO test.messages VALUES ('hello')", T0 + 14)
    p.signal_term(T0 + 20)
    p.advance(T0 + 30)
    assert p.exited == (0, "Completed")
    q = run(T0 + 40)  # a new container on the same volume: fast start, same data
    assert q.tcp_open(3306, T0 + 43)
    assert q.query("SELECT * FROM test.messages", T0 + 44)[0].rows == [["hello"]]


def test_redis_saves_on_shutdown_and_reloads():
    data = Volume()
    img = resolve("redis")
    fs = FileSystem(img.files(), [Mount("/data", data)])
    p = img.start({"name": "r"}, {}, fs, T0)
    assert p.command(["SET", "k", "v"], T0 + 1) == "OK"
    p.signal_term(T0 + 2)
    fs2 = FileSystem(img.files(), [Mount("/data", data)])
    q = img.start({"name": "r"}, {}, fs2, T0 + 3)
    assert q.command(["GET", "k"], T0 + 4) == "v"


def test_connection_refused_on_closed_port():
    p = start("nginx")
    with pytest.raises(NetError, match="connection refused"):
        p.http_get(8080, "/", T0 + 1)
