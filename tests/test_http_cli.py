"""``labkit serve`` starts a server that real kubectl can use, and stops cleanly."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime

from labkit._tools import kubectl_path


def test_labkit_serve_then_kubectl_get_nodes(tmp_path):
    kc = tmp_path / "kc.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "labkit.cli", "serve", "--port", "0",
                             "--kubeconfig", str(kc), "--nodes", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            if kc.exists():
                break
            time.sleep(0.1)
        r = subprocess.run([kubectl_path(), "get", "nodes", "-o", "name"], capture_output=True,
                           text=True, env=dict(os.environ, KUBECONFIG=str(kc)), timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["node/node-1", "node/node-2"]
        # the virtual clock starts now, so kubectl's client-side ages (describe's events) read right
        created = subprocess.run([kubectl_path(), "get", "node", "node-1", "-o",
                                  "jsonpath={.metadata.creationTimestamp}"], capture_output=True,
                                 text=True, env=dict(os.environ, KUBECONFIG=str(kc)), timeout=60).stdout
        age = time.time() - datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        assert 0 <= age < 120
        refused = subprocess.run([sys.executable, "-m", "labkit.cli", "serve", "--kubeconfig", str(kc)],
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and "exists" in refused.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def _serve(tmp_path, *extra):
    tmp_path.mkdir()
    kc = tmp_path / "kc.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "labkit.cli", "serve", "--port", "0",
                             "--kubeconfig", str(kc), "--nodes", "2", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if kc.exists():
            break
        time.sleep(0.1)
    env = dict(os.environ, KUBECONFIG=str(kc), KUBECACHEDIR=str(tmp_path / "cache"))
    return proc, lambda *args: subprocess.run([kubectl_path(), *args], capture_output=True,
                                              text=True, env=env, timeout=60)


def test_labkit_serve_has_metrics_server_unless_told_not_to(tmp_path):
    """The first scrape with two samples per node comes 15 virtual seconds after the start
    (here 1.5 s of wall time at --speed 10); ``--no-metrics-server`` serves no metrics API."""
    proc, kubectl = _serve(tmp_path / "a", "--speed", "10")
    try:
        for _ in range(100):
            r = kubectl("top", "nodes", "--no-headers")
            if r.returncode == 0:
                break
            assert r.stderr == "error: metrics not available yet\n"
            time.sleep(0.2)
        assert [line.split()[0] for line in r.stdout.splitlines()] == ["node-1", "node-2"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    proc, kubectl = _serve(tmp_path / "b", "--no-metrics-server")
    try:
        r = kubectl("top", "pods")
        assert (r.returncode, r.stderr) == (1, "error: Metrics API not available\n")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
