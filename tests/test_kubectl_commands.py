"""labkit's kubectl driving a whole MiniCluster (scheduler, controllers, kubelets): commands that
wait for the cluster (rollout status, delete, drain, wait), apply's three-way merge, RBAC
impersonation, and how a result displays. Messages follow kubectl's sources (cited per test);
byte-for-byte comparisons with the real binary are in test_kubectl_oracle.py."""
import pytest

from labkit.kubectl import commands, flags, run
from labkit.kubectl.apply import LAST_APPLIED, apply_source, three_way_patch
from labkit.minicluster.cluster import MiniCluster


@pytest.fixture
def cluster():
    return MiniCluster(nodes=2, seed=3)


def ok(c, line, stdin=None):
    r = run(c, line, stdin=stdin)
    assert r.exception is None, r.exception
    assert r.returncode == 0, r.stderr
    return r


def test_rollout_status_waits_and_prints_each_change(cluster):
    """polymorphichelpers/rollout_status.go DeploymentStatusViewer messages, printed as they
    change while (virtual) time passes, ending with 'successfully rolled out'."""
    ok(cluster, "create deployment web --image=nginx:1.25 --replicas=3")
    r = ok(cluster, "rollout status deployment/web")
    lines = r.stdout.splitlines()
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert all(line.startswith("Waiting for deployment") for line in lines[:-1])
    assert len(lines) == len(set(lines))
    ok(cluster, "set image deployment/web nginx=nginx:1.26")
    r = ok(cluster, "rollout status deployment/web")
    assert "new replicas have been updated" in r.stdout or "old replicas are pending" in r.stdout
    assert cluster.api.get("deployments", "web")["status"]["updatedReplicas"] == 3


def test_rollout_history_and_undo_follow_replicaset_revisions(cluster):
    """Undo copies the previous ReplicaSet's template back (rollback.go); the controller gives
    it the next revision number, so history reads 2, 3."""
    ok(cluster, "create deployment web --image=nginx:1.25 --replicas=2")
    ok(cluster, "rollout status deployment/web")
    ok(cluster, "set image deployment/web nginx=nginx:1.26")
    ok(cluster, "rollout status deployment/web")
    r = ok(cluster, "rollout history deployment/web")
    assert r.stdout == "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    assert ok(cluster, "rollout undo deployment/web").stdout == "deployment.apps/web rolled back\n"
    ok(cluster, "rollout status deployment/web")
    image = cluster.api.get("deployments", "web")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "nginx:1.25"
    r = ok(cluster, "rollout history deployment/web")
    assert r.stdout.splitlines()[2:4] == ["2         <none>", "3         <none>"]
    r = ok(cluster, "rollout undo deployment/web --to-revision=3")
    assert r.stdout == "deployment.apps/web skipped rollback (current template already matches revision 3)\n"
    r = run(cluster, "rollout undo deployment/web --to-revision=9")
    assert (r.returncode, r.stderr) == (1, "error: unable to find specified revision 9 in history\n")


def test_rollout_restart_stamps_the_template_with_virtual_time(cluster):
    ok(cluster, "create deployment web --image=nginx:1.25")
    assert ok(cluster, "rollout restart deploy/web").stdout == "deployment.apps/web restarted\n"
    annotations = cluster.api.get("deployments", "web")["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}


def test_delete_waits_until_the_pod_is_gone(cluster):
    ok(cluster, "run w --image=nginx")
    ok(cluster, "wait --for=condition=Ready pod/w --timeout=60s")
    r = ok(cluster, "delete pod w")
    assert r.stdout == 'pod "w" deleted from default namespace\n'
    assert cluster.list("pods") == []


def test_drain_evicts_pods_and_skips_daemonsets(cluster):
    """cmd/drain: cordon, warn about DaemonSet pods, evict the rest, wait for them."""
    ok(cluster, "create deployment web --image=nginx:1.25 --replicas=4")
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "kube-system"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
              "metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}}
    cluster.apply(ds)
    ok(cluster, "rollout status deployment/web")
    cluster.run(10)
    r = run(cluster, "drain node-1")
    assert r.returncode == 1
    assert "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/agent-" in r.stderr
    assert r.stderr.splitlines()[-1].startswith("error: cannot delete DaemonSet-managed Pods")
    on_node = [p["metadata"]["name"] for p in cluster.list("pods", field_selector="spec.nodeName=node-1")]
    r = ok(cluster, "drain node-1 --ignore-daemonsets")
    lines = r.stdout.splitlines()
    assert lines[0] == "node/node-1 already cordoned" and lines[-1] == "node/node-1 drained"
    assert r.stderr.startswith("Warning: ignoring DaemonSet-managed Pods: kube-system/agent-")
    evicted = {line.split("/")[1].split()[0] for line in lines if line.endswith(" evicted")}
    assert evicted == set(on_node)
    left = cluster.list("pods", field_selector="spec.nodeName=node-1", all_namespaces=True)
    assert [p["metadata"]["name"].startswith("agent-") for p in left] == [True]


def test_apply_three_way_merge_keeps_what_others_changed(cluster):
    """apply.go/patcher.go: fields removed from the manifest are deleted, fields changed by
    someone else and not declared are kept (here: replicas scaled by hand, not declared)."""
    manifest = """apiVersion: apps/v1
kind: Deployment
metadata: {name: app, labels: {team: a}}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25", env: [{name: A, value: "1"}, {name: B, value: "2"}]}
"""
    assert ok(cluster, "apply -f -", manifest).stdout == "deployment.apps/app created\n"
    d = cluster.api.get("deployments", "app")
    assert d["metadata"]["annotations"][LAST_APPLIED].endswith("}\n")
    assert '"annotations":{}' in d["metadata"]["annotations"][LAST_APPLIED]
    ok(cluster, "scale deploy app --replicas=4")
    assert ok(cluster, "apply -f -", manifest).stdout == "deployment.apps/app unchanged\n"
    changed = manifest.replace("labels: {team: a}", "labels: {}").replace(', {name: B, value: "2"}', "")
    assert ok(cluster, "apply -f -", changed).stdout == "deployment.apps/app configured\n"
    d = cluster.api.get("deployments", "app")
    assert d["spec"]["replicas"] == 4
    assert "team" not in (d["metadata"].get("labels") or {})
    assert d["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]


def test_three_way_patch_on_merge_keyed_lists():
    original = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}
    modified = {"spec": {"containers": [{"name": "a", "image": "2"}]}}
    current = {"spec": {"containers": [{"name": "a", "image": "1", "imagePullPolicy": "Always"},
                                       {"name": "b", "image": "1"}]}, "status": {"x": 1}}
    assert three_way_patch(original, modified, current) == {
        "spec": {"containers": [{"name": "b", "$patch": "delete"}, {"name": "a", "image": "2"}]}}


def test_apply_source_for_notebooks(cluster, tmp_path):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "b.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n"
                                    "apiVersion: v9\nkind: Nope\nmetadata: {name: c}\n")
    r = apply_source(cluster, str(tmp_path))
    assert r.stdout == "configmap/a created\nconfigmap/b created\n"
    assert r.returncode == 1 and 'no matches for kind "Nope" in version "v9"' in r.stderr
    r = apply_source(cluster, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}}, namespace="kube-system")
    assert r.stdout == "configmap/d created\n"
    assert cluster.api.get("configmaps", "d", "kube-system")


def test_impersonation_goes_through_rbac(cluster):
    r = run(cluster, "get pods --as=jane")
    assert (r.returncode, r.stderr) == (1, 'Error from server (Forbidden): pods is forbidden: User "jane" cannot '
                                           'list resource "pods" in API group "" in the namespace "default"\n')
    assert run(cluster, "auth can-i list pods --as=jane").stdout == "no\n"
    ok(cluster, "create role r --verb=list --resource=pods")
    ok(cluster, "create rolebinding rb --role=r --user=jane")
    assert ok(cluster, "auth can-i list pods --as=jane").stdout == "yes\n"
    assert ok(cluster, "get pods --as=jane").stderr == "No resources found in default namespace.\n"


def test_logs_pick_a_pod_of_a_workload(cluster):
    ok(cluster, "create deployment web --image=nginx:1.25 --replicas=2")
    ok(cluster, "rollout status deployment/web")
    r = ok(cluster, "logs deploy/web")
    assert r.stderr.startswith("Found 2 pods, using pod/web-")
    r = run(cluster, "logs web-nope")
    assert r.stderr == 'Error from server (NotFound): pods "web-nope" not found\n'


def test_config_set_context_changes_the_default_namespace(cluster):
    ok(cluster, "create namespace dev")
    assert ok(cluster, "config set-context --current --namespace=dev").stdout == 'Context "labkit" modified.\n'
    ok(cluster, "create configmap here")
    assert cluster.api.get("configmaps", "here", "dev")
    assert ok(cluster, "get cm here -o name").stdout == "configmap/here\n"


def test_flags_are_read_like_pflag():
    spec = flags.spec(flags.Flag("output", flags.STR, "o"), flags.Flag("all", flags.BOOL, "A"),
                      flags.Flag("label-columns", flags.LIST, "L"))
    p = flags.parse(["pods", "-ojson", "-A", "--label-columns=a,b", "-L", "c", "-n=dev", "x", "--", "-y"],
                    spec, "get")
    assert p.args == ["pods", "x", "-y"] and p.dash_args == ["-y"]
    assert (p.get("output"), p.get("all"), p.get("label-columns"), p.get("namespace")) == \
        ("json", True, ["a", "b", "c"], "dev")
    with pytest.raises(commands.KubectlError, match="unknown shorthand flag: 'z' in -z"):
        flags.parse(["-z"], spec, "get")


def test_user_errors_never_raise(cluster):
    for line, err in [("frobnicate", 'error: unknown command "frobnicate" for "kubectl"\n'),
                      ("get pods --bogus", "error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n"),
                      ("get pods -o xml", "error: unable to match a printer"),
                      ("scale deploy web --replicas=x", 'error: invalid argument "x" for "--replicas" flag'),
                      ("apply -f /nonexistent.yaml", 'error: the path "/nonexistent.yaml" does not exist\n'),
                      ("get 'unterminated", "error: No closing quotation\n")]:
        r = run(cluster, line)
        assert r.returncode == 1 and r.stderr.startswith(err) and r.exception is None, line


def test_result_displays_like_a_terminal(cluster):
    r = run(cluster, "get ns default")
    assert str(r) == r.stdout and repr(r) == r.stdout.rstrip("\n")
    printed = []

    class P:
        def text(self, s):
            printed.append(s)

    r._repr_pretty_(P(), False)
    assert printed == [repr(r)] and r.ok and r.exit_code == 0 and bool(r)
    assert run(cluster, "get ns default -o json").json()["metadata"]["name"] == "default"
    missing = run(cluster, "get ns nope")
    assert repr(missing) == 'Error from server (NotFound): namespaces "nope" not found' and not missing


def test_get_watch_prints_changes_while_time_passes(cluster):
    """get -w: the table, then a row per change, columns only widening (tabwriter
    RememberWidths); in a notebook the watch ends when the cluster is quiet."""
    ok(cluster, "create deployment web --image=nginx:1.25 --replicas=1")
    ok(cluster, "rollout status deployment/web")
    ok(cluster, "scale deploy web --replicas=2")
    lines = ok(cluster, "get pods -w").stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    statuses = [line.split()[2] for line in lines[1:]]
    assert statuses[0] == "Running" and statuses[-1] == "Running" and "ContainerCreating" in statuses
    assert all(len(line) >= len(lines[1]) - 1 for line in lines[2:])
    r = ok(cluster, "get deploy web -w --output-watch-events --request-timeout=5s")
    assert r.stdout.splitlines()[0].split()[:2] == ["EVENT", "NAME"]
    assert r.stdout.splitlines()[1].startswith("ADDED      web")
    assert run(cluster, "get pods,svc -w").stderr == "error: you may only specify a single resource type\n"
