"""``kubectl exec``: the cluster API, the kubelet's shell sessions and TTY, labkit's kubectl, and
the ``pods/exec`` WebSocket stream driven by the real kubectl and the official Python client.

Upstream behaviour followed (cited per test): pkg/registry/core/pod/strategy.go
``streamLocation`` (the API server's checks), kubectl/pkg/cmd/exec/exec.go (client messages),
kubectl/pkg/cmd/util/podcmd (default container), the kubelet/containerd exec errors, and the
channel protocol of k8s.io/apimachinery/pkg/util/remotecommand (v4/v5).
"""
from __future__ import annotations

import json
import os
import re
import select
import time

import pytest

from labkit.client import ExecResult
from labkit.minicluster import errors
from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.images.shell.session import Terminal, is_interactive_shell

from http_kubectl import srv  # noqa: F401 (fixture)

TWO = """apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
  - {name: box, image: "busybox:1.36", command: [sleep, "3600"]}
  - {name: web, image: "nginx:1.25"}
"""
BOX = """apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - name: box
    image: busybox:1.36
    command: [sleep, "3600"]
    readinessProbe:
      exec: {command: [cat, /tmp/ready]}
      periodSeconds: 5
"""
DONE = """apiVersion: v1
kind: Pod
metadata: {name: done}
spec:
  restartPolicy: Never
  containers: [{name: job, image: "busybox:1.36", command: [echo, hi]}]
"""


@pytest.fixture(scope="module")
def cluster():
    c = MiniCluster(nodes=2, seed=0)
    for manifest in (TWO, BOX, DONE):
        c.apply(manifest)
    c.run(30)
    return c


def _status(c, pod):
    return c.api.get("pods", pod)["status"]


# -- the cluster API ---------------------------------------------------------------------------

def test_exec_returns_exit_code_and_separate_streams(cluster):
    r = cluster.exec("box", ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (r.exit_code, r.stdout, r.stderr) == (3, "out\n", "err\n")
    assert not r.ok and str(r) == "out\nerr\n"
    assert cluster.exec("box", "cat /etc/hostname") == ExecResult(0, "box\n", "")


def test_exec_defaults_to_the_first_container_and_honours_the_named_one(cluster):
    assert cluster.exec("two", "nginx -v", container="web").stderr == "nginx version: nginx/1.25.5\n"
    with pytest.raises(errors.ApiError, match='exec: "nginx": executable file not found'):
        cluster.exec("two", "nginx -v")  # the first container is busybox's


def test_an_exec_shares_the_containers_files_but_not_its_working_directory(cluster):
    """A file an exec writes is seen by the exec readiness probe (the pod turns Ready); a ``cd``
    in one exec does not move the next exec or PID 1."""
    ready = [c for c in _status(cluster, "box")["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "False"
    assert cluster.exec("box", "sh -c 'cd /tmp && touch ready && pwd'").stdout == "/tmp\n"
    assert cluster.exec("box", "pwd").stdout == "/\n"
    cluster.run(10)
    ready = [c for c in _status(cluster, "box")["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "True"


def test_exec_errors_are_the_api_servers_and_the_kubelets(cluster):
    """strategy.go streamLocation: NotFound, container choice, no host; kubelet: container
    not running; containerd: executable not found (InternalError 500)."""
    with pytest.raises(errors.ApiError, match='pods "nope" not found') as e:
        cluster.exec("nope", "ls")
    assert e.value.code == 404
    with pytest.raises(errors.ApiError, match="container nope is not valid for pod two"):
        cluster.exec("two", "ls", container="nope")
    with pytest.raises(errors.ApiError) as e:
        cluster.exec_target("two")
    assert e.value.status["message"] == \
        "a container name must be specified for pod two, choose one of: [box web]"
    with pytest.raises(errors.ApiError, match=r'unable to upgrade connection: container not found \("job"\)'):
        cluster.exec("done", "ls")
    with pytest.raises(errors.ApiError) as e:
        cluster.exec("box", "nosuch")
    msg = e.value.status["message"]
    assert e.value.code == 500 and msg.startswith(
        "Internal error occurred: error executing command in container: failed to exec in "
        'container: failed to start exec "')
    assert msg.endswith('OCI runtime exec failed: exec failed: unable to start container process: '
                        'exec: "nosuch": executable file not found in $PATH: unknown')


def test_exec_into_an_unscheduled_pod_or_a_failed_node():
    c = MiniCluster(nodes=1, seed=0)
    c.apply("""apiVersion: v1
kind: Pod
metadata: {name: stuck}
spec:
  nodeSelector: {disk: ssd}
  containers: [{name: c, image: "busybox:1.36", command: [sleep, "99"]}]
""")
    c.apply(BOX)
    c.run(10)
    with pytest.raises(errors.ApiError, match="pod stuck does not have a host assigned"):
        c.exec("stuck", "ls")
    c.fail_node("node-1")
    with pytest.raises(errors.ApiError, match=r"error dialing backend: dial tcp 172\.18\.0\.\d+:10250: "
                                              "connect: connection refused"):
        c.exec("box", "ls")


# -- the shell session and its terminal -------------------------------------------------------

def _terminal(cluster, pod, shell, container=None, tty=True):
    kubelet, container = cluster.exec_target(pod, container, "default")
    return Terminal(kubelet.shell_session("default", pod, [shell], container), tty=tty)


def test_interactive_shells_are_recognised():
    assert is_interactive_shell(["sh"]) and is_interactive_shell(["/bin/bash", "-i"])
    assert not is_interactive_shell(["sh", "-c", "ls"]) and not is_interactive_shell(["ls"])


def test_terminal_echoes_edits_and_prompts_like_a_pty(cluster):
    t = _terminal(cluster, "box", "sh")
    now = cluster.now()
    assert t.start() == "/ # "
    assert t.feed("cd /etc\r", now) == "cd /etc\r\n/etc # "
    assert t.feed("X=5; echo $X\x7f\x7f$X!\r", now) == "X=5; echo $X\b \b\b \b$X!\r\n5!\r\n/etc # "
    assert t.feed("ignored\x03", now) == "ignored^C\r\n/etc # "
    assert t.feed("\x1b[Aecho up\r", now) == "echo up\r\nup\r\n/etc # "  # cursor key ignored
    assert t.feed("sleep infinity; echo never\r", now) == "sleep infinity; echo never\r\n/etc # "
    assert t.feed("echo $?\r", now) == "echo $?\r\n130\r\n/etc # "  # as after a Ctrl-C
    assert t.feed("exit 7\rnot run\r", now) == "exit 7\r\n"
    assert t.ended and t.session.exit_code == 7


def test_prompts_per_image_and_shell(cluster):
    assert _terminal(cluster, "two", "bash", "web").start() == "root@two:/# "
    assert _terminal(cluster, "two", "sh", "web").start() == "# "  # Debian's dash
    t = _terminal(cluster, "two", "bash", "web")
    assert t.feed("\x04", cluster.now()) == "exit\r\n" and t.session.exit_code == 0


def test_a_pipe_without_tty_runs_lines_without_echo_or_prompt(cluster):
    t = _terminal(cluster, "box", "sh", tty=False)
    now = cluster.now()
    assert t.start() == ""
    assert t.feed("A=1\necho $A; false\n", now) == "1\n"
    assert t.close(now) == "" and t.session.exit_code == 1  # the last command's status


# -- labkit's kubectl -------------------------------------------------------------------------

def test_labkit_kubectl_exec_messages_and_exit_codes(cluster):
    """kubectl/pkg/cmd/exec/exec.go and podcmd.FindOrDefaultContainerByName."""
    r = cluster.kubectl("exec two -- sh -c 'echo hi; exit 4'")
    assert (r.returncode, r.stdout) == (4, "hi\n")
    assert r.stderr == ('Defaulted container "box" out of: box, web\n'
                        "command terminated with exit code 4\n")
    assert cluster.kubectl("exec two -c web -- nginx -v").stderr == "nginx version: nginx/1.25.5\n"
    assert cluster.kubectl("exec two -q -- true").stderr == ""
    assert cluster.kubectl("exec two ls").stderr == (
        "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\n"
        "See 'kubectl exec -h' for help and examples\n")
    assert cluster.kubectl("exec box").stderr == \
        "error: you must specify at least one command for the container\n"
    assert cluster.kubectl("exec -- ls").stderr.startswith(
        "error: expected 'exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]'.")
    assert cluster.kubectl("exec done -- ls").stderr == \
        "error: cannot exec into a container in a completed pod; current phase is Succeeded\n"
    assert cluster.kubectl("exec box -c nope -- ls").stderr == \
        "Error from server (BadRequest): container nope is not valid for pod box\n"
    r = cluster.kubectl("exec box -- nosuch")
    assert r.returncode == 1 and r.stderr.startswith("error: Internal error occurred: error executing")


def test_labkit_kubectl_exec_stdin_and_tty(cluster):
    r = cluster.kubectl("exec -i box -- sh", stdin="cd /tmp; pwd\nwc -c < ready\n")
    assert (r.returncode, r.stdout) == (0, "/tmp\n0 ready\n") or (r.returncode, r.stdout) == (0, "/tmp\n0\n")
    r = cluster.kubectl("exec -it box -- sh")
    assert (r.returncode, r.stdout) == (0, "")
    assert r.stderr == "Unable to use a TTY - input is not a terminal or the right kind of file\n"


# -- over HTTP: the real kubectl ----------------------------------------------------------------

@pytest.fixture(scope="module")
def served_box(srv):
    srv.kubectl("apply", "-f", "-", input=BOX.replace("{name: box}", "{name: sbox}"))
    srv.kubectl("apply", "-f", "-", input=TWO)
    return srv


def test_real_kubectl_exec(served_box):
    s = served_box
    r = s.kubectl("exec", "sbox", "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\ncommand terminated with exit code 3\n")
    r = s.kubectl("exec", "-i", "sbox", "--", "sh", input="cd /etc\npwd\n")
    assert r.stdout == "/etc\n"
    assert s.kubectl("exec", "-i", "sbox", "--", "wc", "-l", input="a\nb\n").stdout.strip() == "2"
    r = s.kubectl("exec", "two", "--", "true", check=False)
    assert r.returncode == 0 and r.stderr == 'Defaulted container "box" out of: box, web\n'


def test_real_kubectl_exec_errors(served_box):
    s = served_box
    r = s.kubectl("exec", "nope", "--", "ls", check=False)
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): pods "nope" not found\n')
    r = s.kubectl("exec", "sbox", "-c", "x", "--", "ls", check=False)
    # kubectl 1.33 shows the server's 400; newer clients check first and list the containers ("out of: box")
    assert r.returncode == 1 and r.stderr in (
        "Error from server (BadRequest): container x is not valid for pod sbox\n",
        "error: container x is not valid for pod sbox out of: box\n")
    r = s.kubectl("exec", "sbox", "--", "nosuch", check=False)
    assert r.returncode == 1 and r.stderr.startswith(
        "error: Internal error occurred: error executing command in container:")


def _pty_session(s, args, keys: list[bytes], first: bytes = b"# ") -> tuple[list[bytes], int]:
    """Run kubectl on a pseudo-terminal (as a student's terminal), typing ``keys`` one at a
    time once the previous output has arrived."""
    import pty
    env = dict(os.environ, KUBECONFIG=s.handle.kubeconfig_path)
    from labkit._tools import kubectl_path
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes kubectl
        os.execve(kubectl_path(), [kubectl_path(), *args], env)

    def read(until: bytes) -> bytes:
        out, end = b"", time.time() + 20
        while time.time() < end and until not in out:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        return out

    shown = [read(first)]
    for key, until in keys:
        os.write(fd, key)
        shown.append(read(until))
    shown.append(read(b"\0"))  # what it prints before it exits
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return shown, os.waitstatus_to_exitcode(status)


def test_real_kubectl_exec_it_gets_an_interactive_shell(served_box):
    shown, code = _pty_session(served_box, ["exec", "-it", "sbox", "--", "sh"], [
        (b"cd /tmp\r", b"/tmp # "),
        (b"echo hi > f; cat f\r", b"/tmp # "),
        (b"exit 5\r", b"exit code 5")])
    assert shown[0].endswith(b"/ # ")
    assert shown[1] == b"cd /tmp\r\n/tmp # "
    assert shown[2] == b"echo hi > f; cat f\r\nhi\r\n/tmp # "
    assert shown[3].startswith(b"exit 5\r\n")
    assert b"command terminated with exit code 5" in shown[3] + shown[4]
    assert code == 5


def test_real_kubectl_run_it_rm_attaches_to_the_pods_shell(served_box):
    """kubectl run -it --rm: a pod whose PID 1 shell has stdin/tty, attached; the shell's
    exit ends the container, kubectl deletes the pod and exits with the container's code
    (kubectl/pkg/cmd/run/run.go)."""
    s = served_box
    shown, code = _pty_session(s, ["run", "-it", "--rm", "dbg", "--image=busybox:1.36",
                                   "--restart=Never", "--", "sh"],
                               [(b"\r", b"/ # "), (b"cd /tmp; echo hi\r", b"/tmp # "),
                                (b"exit 3\r", b"terminated")], first=b"pressing enter.\r\n")
    # (kubectl 1.37 first warns that the session is recorded in the container log)
    assert shown[0].endswith(b"If you don't see a command prompt, try pressing enter.\r\n")
    assert shown[1] == b"\r\n/ # " and shown[2] == b"cd /tmp; echo hi\r\nhi\r\n/tmp # "
    end = shown[3] + shown[4]
    assert end.startswith(b"exit 3\r\n") and b'pod "dbg" deleted' in end
    assert b"pod default/dbg terminated (Error)" in end and code == 3


def test_a_stdin_shell_waits_and_attach_drives_pid_1():
    """CRI stdin: a PID 1 ``sh`` with ``stdin: true`` keeps running (without it, it reads an
    empty script, exits and is restarted); an attach session is PID 1 itself: its cwd, its
    output in the container log, and its ``exit`` ends the container."""
    c = MiniCluster(nodes=1, seed=0)
    for name, extra in (("it", "stdin: true, tty: true"), ("noin", "tty: false")):
        c.apply(f"""apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  restartPolicy: Never
  containers: [{{name: c, image: "busybox:1.36", command: [sh], {extra}}}]
""")
    c.run(20)
    assert _status(c, "it")["phase"] == "Running"
    assert _status(c, "noin")["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    kubelet, container = c.exec_target("it")
    with pytest.raises(errors.ApiError, match=r'container not found \("c"\)'):
        kubelet.attach_session("default", "noin", "c")  # its shell read nothing and exited
    t = Terminal(kubelet.attach_session("default", "it", container), greet=False)
    assert t.start() == ""
    assert t.feed("cd /etc; echo here\r", c.now()) == "cd /etc; echo here\r\nhere\r\n/etc # "
    assert c.exec("it", "pwd").stdout == "/\n"  # an exec starts in the working directory
    assert t.feed("exit 4\r", c.now()) == "exit 4\r\n"
    c.run(5)
    state = _status(c, "it")["containerStatuses"][0]["state"]["terminated"]
    assert (state["exitCode"], _status(c, "it")["phase"]) == (4, "Failed")
    assert c.logs("it") == "here\n"


def test_real_kubectl_attach_follows_a_running_program(tmp_path_factory):
    """Attach to a PID 1 that is not an interactive shell: its new output, until it ends."""
    from http_kubectl import served
    s = served(tmp_path_factory, nodes=1, time_mode="realtime")
    try:
        s.kubectl("run", "ticker", "--image=busybox:1.36", "--restart=Never", "--",
                  "sh", "-c", "sleep 2; for i in 1 2 3; do echo tick $i; sleep 1; done")
        s.kubectl("wait", "--for=condition=Ready", "pod/ticker", "--timeout=30s")
        r = s.kubectl("attach", "ticker", timeout=30)
        assert r.stdout.splitlines()[-1] == "tick 3"
        assert r.stderr.endswith("If you don't see a command prompt, try pressing enter.\n")
    finally:
        s.stop()


# -- over HTTP: the official Python client ------------------------------------------------------

def test_official_client_stream_exec(served_box):
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import stream
    api_client = config.new_client_from_config(served_box.handle.kubeconfig_path)
    core = client.CoreV1Api(api_client)
    out = stream(core.connect_get_namespaced_pod_exec, "sbox", "default", command=["sh", "-c", "echo a"],
                 stderr=True, stdin=False, stdout=True, tty=False)
    assert out == "a\n"
    ws = stream(core.connect_get_namespaced_pod_exec, "sbox", "default", command=["sh"],
                stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False)
    ws.write_stdin("X=3\necho x=$X\n")
    ws.update(timeout=5)
    assert ws.read_stdout(timeout=5) == "x=3\n"
    ws.write_stdin("exit 2\n")
    ws.run_forever(timeout=10)
    assert ws.returncode == 2
    with pytest.raises(ApiException, match="404"):
        stream(core.connect_get_namespaced_pod_exec, "nope", "default", command=["ls"],
               stderr=True, stdin=False, stdout=True, tty=False)


def test_real_backend_exec_through_the_official_client(served_box):
    """labkit's RealCluster (the kind/kubeconfig backend) against the served cluster."""
    from labkit.backends.real import RealCluster
    real = RealCluster(kubeconfig=served_box.handle.kubeconfig_path)
    assert real.exec("sbox", "sh -c 'echo o; echo e >&2; exit 6'") == ExecResult(6, "o\n", "e\n")
    assert real.exec("sbox", ["wc", "-c"], stdin="abc").stdout.strip() == "3"
    with pytest.raises(errors.ApiError, match='pods "nope" not found'):
        real.exec("nope", "ls")
    with pytest.raises(errors.ApiError, match="executable file not found"):
        real.exec("sbox", "nosuch")
    r = real.kubectl("exec sbox -- sh -c 'exit 9'")
    assert (r.returncode, r.stderr) == (9, "command terminated with exit code 9\n")
    assert json.loads(real.kubectl("get pod sbox -o json").stdout)["metadata"]["name"] == "sbox"


def test_streams_the_cluster_does_not_serve_say_why_and_what_instead(cluster):
    """attach, port-forward, cp and debug would fail on the served cluster too: labkit's kubectl
    says so (and points at exec) instead of sending students to a real kubectl that fails."""
    r = cluster.kubectl("cp box:/etc/hostname here")
    assert r.returncode == 1 and "the simulated images have no tar" in r.stderr
    assert "kubectl exec POD -- wget" in cluster.kubectl("port-forward box 8080:80").stderr
    assert "use the real kubectl" in cluster.kubectl("edit pod box").stderr  # that one works served


def test_real_kubectl_debug_node_gets_a_shell_on_the_nodes_files(served_box):
    """kubectl debug node/NAME -it: a Pod (sent in protobuf, with a hostPath volume) on that
    node with the host's root at /host, hostNetwork (so the node's hostname), attached."""
    shown, code = _pty_session(served_box, ["debug", "node/node-1", "-it", "--image=busybox:1.36"],
                               [(b"\r", b"/ # "), (b"cat /host/etc/hostname; hostname\r", b"/ # "),
                                (b"exit\r", b"\n")], first=b"pressing enter.\r\n")
    assert b"Creating debugging pod node-debugger-node-1-" in shown[0]
    assert shown[2] == b"cat /host/etc/hostname; hostname\r\nnode-1\r\nnode-1\r\n/ # "
    assert code == 0
    pod = [p for p in served_box.cluster.list("pods") if p["metadata"]["name"].startswith("node-debugger")][0]
    # the hostPath type defaults to "" (HostPathUnset), as upstream's SetDefaults_HostPathVolumeSource
    assert pod["spec"]["volumes"][0] == {"name": "host-root", "hostPath": {"path": "/", "type": ""}}
    assert pod["spec"]["hostNetwork"] and pod["spec"]["nodeName"] == "node-1"


def test_real_kubectl_debug_adds_an_ephemeral_container_and_attaches(served_box):
    """kubectl debug POD -it --image --target: a PATCH of pods/ephemeralcontainers, the kubelet
    starts it (never restarted, never Ready), kubectl attaches to its shell."""
    s = served_box
    shown, code = _pty_session(s, ["debug", "sbox", "-it", "--image=busybox:1.36", "--target=box",
                                   "-c", "dbg"],
                               [(b"\r", b"/ # "), (b"hostname\r", b"/ # "), (b"exit\r", b"\n")],
                               first=b"pressing enter.\r\n")
    assert shown[2] == b"hostname\r\nsbox\r\n/ # " and code == 0
    assert b"Session ended, the ephemeral container will not be restarted" in shown[3] + shown[4]
    pod = s.cluster.api.get("pods", "sbox")
    assert [c["name"] for c in pod["spec"]["ephemeralContainers"]] == ["dbg"]
    assert pod["spec"]["ephemeralContainers"][0]["targetContainerName"] == "box"
    (status,) = pod["status"]["ephemeralContainerStatuses"]
    assert (status["name"], status["ready"], status["restartCount"]) == ("dbg", False, 0)
    assert status["state"]["terminated"]["exitCode"] == 0
    # the same name again: kubectl's strategic patch merges into the existing one
    r = s.kubectl("debug", "sbox", "-i", "--image=busybox:1.36", "-c", "dbg", check=False)
    assert r.returncode == 1 and r.stderr.startswith(
        'The Pod "sbox" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral '
        'containers "dbg" may not be changed')


def test_ephemeral_containers_change_only_through_their_subresource(cluster):
    """podEphemeralContainersStrategy / ValidatePodEphemeralContainersUpdate."""
    pod = cluster.api.get("pods", "box")
    eph = {"name": "e1", "image": "busybox:1.36", "command": ["sleep", "3600"]}
    added = dict(pod, spec=dict(pod["spec"], ephemeralContainers=[eph]))
    kept = cluster.api.update("pods", added)  # the main resource ignores them
    assert "ephemeralContainers" not in kept["spec"]
    done = cluster.api.update("pods", dict(added, metadata=kept["metadata"]),
                              subresource="ephemeralcontainers")
    assert done["spec"]["ephemeralContainers"][0]["terminationMessagePolicy"] == "File"  # defaulted
    cluster.run(10)
    statuses = cluster.api.get("pods", "box")["status"]["ephemeralContainerStatuses"]
    assert statuses[0]["state"].get("running") and statuses[0]["ready"] is False
    assert cluster.exec("box", "hostname", container="e1").stdout == "box\n"
    for spec, message in [
            ([], 'existing ephemeral containers "e1" may not be removed'),
            ([dict(eph, image="busybox:1.37")], 'existing ephemeral containers "e1" may not be changed'),
            ([eph, dict(eph, name="box")], 'spec.ephemeralContainers[1].name: Duplicate value: "box"'),
            ([eph, dict(eph, name="e2", ports=[{"containerPort": 80}])],
             "spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container")]:
        current = cluster.api.get("pods", "box")
        with pytest.raises(errors.ApiError, match=re.escape(message)):
            cluster.api.update("pods", dict(current, spec=dict(current["spec"], ephemeralContainers=spec)),
                               subresource="ephemeralcontainers")
