"""Secret-based ServiceAccount tokens: the token controller, the legacy token authenticator and
the legacy token cleaner (v1.33).

Upstream sources matched here:
- pkg/controller/serviceaccount/tokens_controller.go (populate, delete orphans, SA deletion)
- pkg/serviceaccount/legacy.go (LegacyClaims, the legacy validator, last-used/invalid-since)
- pkg/controller/serviceaccount/legacy_serviceaccount_token_cleaner.go
- pkg/controlplane/controller/legacytokentracking/controller.go
- pkg/apis/core/validation/validation.go ValidateSecret (service-account-token type)
"""
import base64
import json
import subprocess

import pytest

from http_kubectl import served
from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.controllers import serviceaccount_tokens as sat
from labkit.minicluster import tokens
from labkit.minicluster.controllers.serviceaccount import CLUSTER_CA_PEM
from labkit.minicluster.errors import ApiError

TOKEN_TYPE = "kubernetes.io/service-account-token"


def sa(name, ns="default"):
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}}


def token_secret(name, account, ns="default"):
    return {"apiVersion": "v1", "kind": "Secret", "type": TOKEN_TYPE,
            "metadata": {"name": name, "namespace": ns,
                         "annotations": {"kubernetes.io/service-account.name": account}}}


def decoded(secret, key):
    return base64.b64decode(secret["data"][key]).decode()


def jwt_part(token, i):
    part = token.split(".")[i]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture
def cluster():
    c = MiniCluster(nodes=1)
    c.settle()
    return c


def make_token(cluster, secret="robot-token", account="robot"):
    try:
        cluster.api.create("serviceaccounts", sa(account))
    except ApiError as e:
        assert e.code == 409  # a second Secret for the same account
    cluster.api.create("secrets", token_secret(secret, account))
    cluster.settle()
    return cluster.api.get("secrets", secret, "default")


def test_the_controller_populates_token_ca_and_namespace(cluster):
    """tokens_controller.go generateTokenIfNeeded: data.token (LegacyClaims signed with the
    legacy issuer), data["ca.crt"] (the root CA), data.namespace, and the UID annotation."""
    secret = make_token(cluster)
    account = cluster.api.get("serviceaccounts", "robot", "default")
    assert sorted(secret["data"]) == ["ca.crt", "namespace", "token"]
    assert decoded(secret, "ca.crt") == CLUSTER_CA_PEM
    assert decoded(secret, "namespace") == "default"
    ann = secret["metadata"]["annotations"]
    assert ann["kubernetes.io/service-account.uid"] == account["metadata"]["uid"]
    token = decoded(secret, "token")
    assert jwt_part(token, 0)["alg"] == "ES256"
    assert jwt_part(token, 1) == {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": "default",
        "kubernetes.io/serviceaccount/secret.name": "robot-token",
        "kubernetes.io/serviceaccount/service-account.name": "robot",
        "kubernetes.io/serviceaccount/service-account.uid": account["metadata"]["uid"],
        "sub": "system:serviceaccount:default:robot"}
    assert tokens.verify(token) == jwt_part(token, 1)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert tokens.verify(forged) is None
    # deterministic: the same cluster history issues the same token
    again = MiniCluster(nodes=1)
    again.settle()
    assert decoded(make_token(again), "token") == token
    # kubectl: TYPE and DATA columns, describe prints the token itself
    out = cluster.kubectl("get secret robot-token").stdout
    assert out.splitlines()[1].split() == ["robot-token", TOKEN_TYPE, "3", "0s"]
    desc = cluster.kubectl("describe secret robot-token").stdout
    assert f"token:      {token}\n" in desc and "namespace:  7 bytes" in desc
    assert "kubernetes.io/service-account.uid: " + account["metadata"]["uid"] in desc


def test_no_token_secret_is_created_automatically(cluster):
    """Since v1.24 (LegacyServiceAccountTokenNoAutoGeneration) a ServiceAccount gets no Secret."""
    cluster.api.create("serviceaccounts", sa("lonely"))
    cluster.settle()
    assert cluster.api.list("secrets", "default")["items"] == []
    assert "secrets" not in cluster.api.get("serviceaccounts", "lonely", "default")


def test_missing_annotation_is_rejected():
    """ValidateSecret: SecretTypeServiceAccountToken requires the name annotation."""
    c = MiniCluster(nodes=1)
    bad = token_secret("t", "x")
    del bad["metadata"]["annotations"]
    with pytest.raises(ApiError) as e:
        c.api.create("secrets", bad)
    assert e.value.code == 422
    assert e.value.status["message"] == ('Secret "t" is invalid: metadata.annotations'
                                         '[kubernetes.io/service-account.name]: Required value')


def test_a_secret_for_a_missing_account_is_deleted(cluster):
    """syncSecret: the account is looked up in the cache, then live; absent, the token goes."""
    cluster.api.create("secrets", token_secret("orphan-token", "ghost"))
    cluster.settle()
    with pytest.raises(ApiError) as e:
        cluster.api.get("secrets", "orphan-token", "default")
    assert e.value.code == 404


def test_a_secret_naming_an_old_uid_is_deleted(cluster):
    """getServiceAccount checks the UID annotation: a recreated account does not inherit it."""
    make_token(cluster)
    cluster.api.delete("serviceaccounts", "robot", "default")
    cluster.api.create("serviceaccounts", sa("robot"))
    cluster.settle()
    assert cluster.api.list("secrets", "default")["items"] == []


def test_deleting_the_account_deletes_only_its_token_secrets(cluster):
    """syncServiceAccount → deleteTokens: token Secrets of that account, not other Secrets."""
    make_token(cluster)
    make_token(cluster, "other-token", "other")
    cluster.api.create("secrets", {"apiVersion": "v1", "kind": "Secret",
                                   "metadata": {"name": "plain"}, "data": {"k": "dg=="}})
    cluster.api.delete("serviceaccounts", "robot", "default")
    cluster.settle()
    names = [s["metadata"]["name"] for s in cluster.api.list("secrets", "default")["items"]]
    assert names == ["other-token", "plain"]


def test_deleting_a_referenced_secret_removes_the_reference(cluster):
    """syncSecret (secret gone) → removeSecretReference on the ServiceAccount."""
    make_token(cluster)
    cluster.api.patch("serviceaccounts", "robot",
                      {"secrets": [{"name": "robot-token"}, {"name": "keep"}]}, "merge", "default")
    cluster.api.delete("secrets", "robot-token", "default")
    cluster.settle()
    assert cluster.api.get("serviceaccounts", "robot", "default")["secrets"] == [{"name": "keep"}]


def test_tracking_configmap_is_created_and_repaired(cluster):
    """legacytokentracking: kube-system ConfigMap with data.since = the start date."""
    name = sat.TRACKING_CONFIGMAP
    cm = cluster.api.get("configmaps", name, "kube-system")
    assert cm["data"] == {"since": "2025-01-01"}
    cluster.api.patch("configmaps", name, {"data": {"since": "garbage"}}, "merge", "kube-system")
    cluster.settle()
    assert cluster.api.get("configmaps", name, "kube-system")["data"] == {"since": "2025-01-01"}


def test_cleaner_labels_then_deletes_unused_auto_generated_tokens(cluster):
    """evaluateSATokens: only tokens listed in the account's .secrets and mounted by no pod,
    unused for the clean-up period: first labelled invalid-since, deleted one period later."""
    make_token(cluster)
    make_token(cluster, "mounted-token", "robot")
    make_token(cluster, "manual-token", "robot")
    cluster.api.patch("serviceaccounts", "robot", {"secrets": [
        {"name": "robot-token"}, {"name": "mounted-token"}]}, "merge", "default")
    cluster.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                "spec": {"containers": [{"name": "c", "image": "nginx"}],
                                         "volumes": [{"name": "t", "secret": {
                                             "secretName": "mounted-token"}}]}})
    cleaner = cluster.controllers["serviceaccount-token"].cleaner
    cleaner.clean_up_period = 60.0  # --legacy-service-account-token-clean-up-period
    cluster.run(120)
    cleaner.evaluate()  # tracking began today: too early to judge anything
    assert "labels" not in cluster.api.get("secrets", "robot-token", "default")["metadata"]
    cluster.api.patch("configmaps", sat.TRACKING_CONFIGMAP, {"data": {"since": "2024-06-01"}},
                      "merge", "kube-system")
    cleaner.evaluate()
    labels = cluster.api.get("secrets", "robot-token", "default")["metadata"]["labels"]
    assert labels == {sat.INVALID_SINCE_LABEL: "2025-01-01"}
    for kept in ("mounted-token", "manual-token"):
        assert "labels" not in cluster.api.get("secrets", kept, "default")["metadata"]
    cleaner.evaluate()  # invalid since today: not yet one period ago
    cluster.api.get("secrets", "robot-token", "default")
    cluster.api.patch("secrets", "robot-token",
                      {"metadata": {"labels": {sat.INVALID_SINCE_LABEL: "2024-12-01"}}},
                      "merge", "default")
    cleaner.evaluate()
    names = [s["metadata"]["name"] for s in cluster.api.list("secrets", "default")["items"]]
    assert names == ["manual-token", "mounted-token"]


def test_cleaner_spares_recently_used_tokens(cluster):
    """A kubernetes.io/legacy-token-last-used date within the period preserves the token."""
    make_token(cluster)
    cluster.api.patch("serviceaccounts", "robot", {"secrets": [{"name": "robot-token"}]},
                      "merge", "default")
    cluster.api.patch("secrets", "robot-token",
                      {"metadata": {"labels": {sat.LAST_USED_LABEL: "2025-01-01"}}}, "merge",
                      "default")
    cluster.api.patch("configmaps", sat.TRACKING_CONFIGMAP, {"data": {"since": "2024-01-01"}},
                      "merge", "kube-system")
    cleaner = cluster.controllers["serviceaccount-token"].cleaner
    cleaner.clean_up_period = 60.0
    cluster.run(120)
    cleaner.evaluate()
    labels = cluster.api.get("secrets", "robot-token", "default")["metadata"]["labels"]
    assert labels == {sat.LAST_USED_LABEL: "2025-01-01"}


def test_pod_secret_names_visits_every_reference():
    """podutil.VisitPodSecretNames."""
    pod = {"spec": {"imagePullSecrets": [{"name": "pull"}],
                    "initContainers": [{"envFrom": [{"secretRef": {"name": "envfrom"}}]}],
                    "containers": [{"env": [{"name": "A", "valueFrom": {
                        "secretKeyRef": {"name": "env", "key": "k"}}}, {"name": "B", "value": "x"}]}],
                    "volumes": [{"secret": {"secretName": "vol"}},
                                {"projected": {"sources": [{"secret": {"name": "proj"}},
                                                           {"serviceAccountToken": {"path": "t"}}]}},
                                {"csi": {"driver": "d", "nodePublishSecretRef": {"name": "csi"}}},
                                {"cephfs": {"monitors": ["m"], "secretRef": {"name": "ceph"}}},
                                {"emptyDir": {}}]}}
    assert sat.pod_secret_names(pod) == {"pull", "envfrom", "env", "vol", "proj", "csi", "ceph"}


# -- over HTTP, with the real kubectl ----------------------------------------------------------
@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = served(tmp_path_factory, nodes=1)
    yield s
    s.stop()


def secret_token(srv, name):
    out = srv.kubectl("get", "secret", name, "-o", "jsonpath={.data.token}").stdout
    return base64.b64decode(out).decode()


def unauthorized(r: subprocess.CompletedProcess) -> bool:
    return r.returncode == 1 and "You must be logged in to the server (Unauthorized)" in r.stderr


def test_legacy_token_authenticates_as_the_service_account(srv):
    """legacy.go Validate: a populated Secret's token is that ServiceAccount; each day's first
    use labels the Secret kubernetes.io/legacy-token-last-used."""
    srv.kubectl("create", "serviceaccount", "builder")
    srv.kubectl("apply", "-f", "-", input=json.dumps(token_secret("builder-token", "builder")))
    token = secret_token(srv, "builder-token")
    forbidden = srv.kubectl("get", "pods", f"--token={token}", check=False)
    assert forbidden.stderr == ('Error from server (Forbidden): pods is forbidden: User '
                                '"system:serviceaccount:default:builder" cannot list resource '
                                '"pods" in API group "" in the namespace "default"\n')
    srv.kubectl("create", "role", "pod-lister", "--verb=list", "--resource=pods")
    srv.kubectl("create", "rolebinding", "builder-pods", "--role=pod-lister",
                "--serviceaccount=default:builder")
    assert srv.kubectl("auth", "can-i", "list", "pods", f"--token={token}").stdout == "yes\n"
    assert srv.kubectl("auth", "can-i", "delete", "pods", f"--token={token}",
                       check=False).stdout == "no\n"
    with srv.cluster.lock:
        secret = srv.cluster.api.get("secrets", "builder-token", "default")
        today = sat.date_of(srv.cluster.clock.now())
    assert secret["metadata"]["labels"] == {sat.LAST_USED_LABEL: today}
    out = srv.kubectl("get", "secret", "builder-token").stdout.splitlines()
    assert out[1].split()[:3] == ["builder-token", TOKEN_TYPE, "3"]
    # a token signed by someone else, or altered, is refused
    head, payload, sig = token.split(".")
    assert unauthorized(srv.kubectl("get", "pods", f"--token={head}.{payload}.{sig[::-1]}",
                                    check=False))


def test_deleting_the_secret_or_marking_it_invalid_revokes_the_token(srv):
    """legacy.go: the Secret must still exist and hold the token; an invalid-since label makes
    the API server refuse it; deleting the ServiceAccount deletes the Secret."""
    srv.kubectl("create", "serviceaccount", "deployer")
    srv.kubectl("apply", "-f", "-", input=json.dumps(token_secret("deployer-token", "deployer")))
    token = secret_token(srv, "deployer-token")
    assert srv.kubectl("auth", "can-i", "list", "pods", f"--token={token}",
                       check=False).stdout == "no\n"  # authenticated, not authorized
    srv.kubectl("label", "secret", "deployer-token", f"{sat.INVALID_SINCE_LABEL}=2025-01-01")
    assert unauthorized(srv.kubectl("get", "pods", f"--token={token}", check=False))
    srv.kubectl("label", "secret", "deployer-token", f"{sat.INVALID_SINCE_LABEL}-")
    assert srv.kubectl("auth", "can-i", "list", "pods", f"--token={token}",
                       check=False).stdout == "no\n"
    srv.kubectl("delete", "secret", "deployer-token")
    assert unauthorized(srv.kubectl("get", "pods", f"--token={token}", check=False))
    # a new Secret for the same account carries a new token; deleting the account removes it
    srv.kubectl("apply", "-f", "-", input=json.dumps(token_secret("deployer-token2", "deployer")))
    assert secret_token(srv, "deployer-token2") != token
    srv.kubectl("delete", "serviceaccount", "deployer")
    gone = srv.kubectl("get", "secret", "deployer-token2", check=False)
    assert gone.stderr == 'Error from server (NotFound): secrets "deployer-token2" not found\n'


def test_missing_annotation_over_http(srv):
    """The 422 reaches kubectl as upstream's Invalid error."""
    bad = token_secret("no-account", "x")
    del bad["metadata"]["annotations"]
    r = srv.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert r.returncode == 1
    assert ('The Secret "no-account" is invalid: metadata.annotations'
            '[kubernetes.io/service-account.name]: Required value') in r.stderr


# -- bound tokens from the TokenRequest API ----------------------------------------------------
def test_create_token_issues_a_signed_bound_jwt(srv):
    """pkg/serviceaccount/claims.go Claims and pkg/registry/core/serviceaccount/storage/token.go:
    ``kubectl create token`` returns a JWT for the account: issuer and default audience
    https://kubernetes.default.svc.cluster.local, one hour by default, a jti, and the private
    kubernetes.io claim naming the namespace and the account with its UID."""
    srv.kubectl("create", "serviceaccount", "viewer")
    token = srv.kubectl("create", "token", "viewer").stdout.strip()
    assert tokens.verify(token) is not None and jwt_part(token, 0)["alg"] == "ES256"
    claims = jwt_part(token, 1)
    with srv.cluster.lock:
        uid = srv.cluster.api.get("serviceaccounts", "viewer", "default")["metadata"]["uid"]
    assert claims["iss"] == claims["aud"][0] == "https://kubernetes.default.svc.cluster.local"
    assert claims["sub"] == "system:serviceaccount:default:viewer"
    assert claims["kubernetes.io"] == {"namespace": "default",
                                       "serviceaccount": {"name": "viewer", "uid": uid}}
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert len(claims["jti"]) == 36
    forbidden = srv.kubectl("get", "pods", f"--token={token}", check=False)
    assert 'User "system:serviceaccount:default:viewer" cannot list resource "pods"' in \
        forbidden.stderr
    two_hours = jwt_part(srv.kubectl("create", "token", "viewer", "--duration=2h").stdout.strip(), 1)
    assert two_hours["exp"] - two_hours["iat"] == 7200
    short = srv.kubectl("create", "token", "viewer", "--duration=5m", check=False)
    assert short.returncode == 1 and ("spec.expirationSeconds: Invalid value: 300: may not "
                                      "specify a duration less than 10 minutes") in short.stderr


def test_bound_tokens_end_with_their_account_their_pod_or_their_time(srv):
    """claims.go validator.Validate: a bound token is refused once the account or the bound
    Pod is gone (UIDs checked) or once it has expired."""
    srv.kubectl("create", "serviceaccount", "runner")
    srv.kubectl("run", "holder", "--image=nginx:1.25")
    pod_token = srv.kubectl("create", "token", "runner", "--bound-object-kind=Pod",
                            "--bound-object-name=holder").stdout.strip()
    with srv.cluster.lock:
        pod_uid = srv.cluster.api.get("pods", "holder", "default")["metadata"]["uid"]
    assert jwt_part(pod_token, 1)["kubernetes.io"]["pod"] == {"name": "holder", "uid": pod_uid}
    plain = srv.kubectl("create", "token", "runner").stdout.strip()
    for token in (pod_token, plain):
        assert srv.kubectl("auth", "can-i", "list", "pods", f"--token={token}",
                           check=False).stdout == "no\n"  # authenticated, not authorized
    srv.kubectl("delete", "pod", "holder", "--grace-period=0", "--force")
    assert unauthorized(srv.kubectl("get", "pods", f"--token={pod_token}", check=False))
    with srv.cluster.lock:
        srv.cluster.run(3600 + 61)
    assert unauthorized(srv.kubectl("get", "pods", f"--token={plain}", check=False))
    fresh = srv.kubectl("create", "token", "runner").stdout.strip()
    srv.kubectl("delete", "serviceaccount", "runner")
    assert unauthorized(srv.kubectl("get", "pods", f"--token={fresh}", check=False))


def test_a_pods_projected_token_is_a_bound_token_that_authenticates(cluster):
    """The kubelet's projected service account token (pkg/volume/projected, TokenRequest with
    a Pod bound object): signed like any TokenRequest token, bound to the pod, a year long
    with the requested hour as warnafter; valid while the pod exists."""
    from labkit.minicluster.http.auth import InvalidToken, validate_bound
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                            "command": ["sleep", "3600"]}]}})
    cluster.run(5)
    pod = cluster.api.get("pods", "p", "default")
    code, token = cluster.kubelets[pod["spec"]["nodeName"]].exec(
        "default", "p", ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"])
    claims = tokens.verify(token.strip())
    assert code == 0 and claims is not None
    assert claims["kubernetes.io"]["pod"] == {"name": "p", "uid": pod["metadata"]["uid"]}
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    assert claims["exp"] - claims["iat"] == 365 * 24 * 3600
    assert validate_bound(cluster, claims).name == "system:serviceaccount:default:default"
    cluster.api.delete("pods", "p", "default", grace_period_seconds=0)
    cluster.settle()
    with pytest.raises(InvalidToken):
        validate_bound(cluster, claims)


def test_the_kubelet_replaces_a_pods_projected_token_before_its_requested_expiry(cluster):
    """pkg/kubelet/token/token_manager.go requiresRefresh: a token is replaced once less than
    20 % of its *requested* lifetime (3,607 s, the TokenRequest status's expiry) is left,
    minus a jitter under 10 s: after about 48 minutes, although the token itself (extended
    expiration) stays valid for a year. The file the container reads changes; the old token
    still authenticates."""
    from labkit.minicluster.http.auth import validate_bound
    from labkit.minicluster.kubelet.volumes import token_refresh_at
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                            "command": ["sleep", "infinity"]}]}})
    cluster.run(5)
    pod = cluster.api.get("pods", "p", "default")
    kubelet = cluster.kubelets[pod["spec"]["nodeName"]]

    def token():
        code, out = kubelet.exec("default", "p",
                                 ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"])
        assert code == 0
        return out.strip()
    first = token()
    minted = tokens.verify(first)["iat"]
    due = token_refresh_at(float(minted), pod["metadata"]["uid"])
    assert 3607 - 721 - 9 <= due - minted <= 3607 - 721
    cluster.run(due - cluster.now() - 1)
    assert token() == first
    cluster.run(2)
    second = token()
    claims = tokens.verify(second)
    assert second != first and claims["iat"] == int(due)
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    assert claims["kubernetes.io"]["pod"]["uid"] == pod["metadata"]["uid"]
    assert validate_bound(cluster, tokens.verify(first)).name == "system:serviceaccount:default:default"
    cluster.run(2900)
    assert token() not in (first, second)  # and again, ~48 minutes later
