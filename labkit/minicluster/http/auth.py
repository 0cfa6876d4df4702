"""Authentication for the HTTP API: bearer tokens, and the kubeconfig that carries one.

kube-apiserver supports several authenticators (client certificates, bearer tokens, OIDC...).
The mini cluster uses static bearer tokens, like ``--token-auth-file``, plus ServiceAccount
tokens issued through the TokenRequest API (``kubectl create token NAME``), plus the long-lived
tokens the token controller writes into Secrets of type ``kubernetes.io/service-account-token``
(see :class:`LegacyTokenValidator`). A request without a valid token is answered
``401 Unauthorized``; what an authenticated user may do is RBAC's call.
"""
from __future__ import annotations

import hashlib
import logging
import os
import secrets

import yaml

from .. import tokens
from ..apiserver import ADMIN, UserInfo
from ..controllers import serviceaccount_tokens as sa_tokens
from ..errors import ApiError

log = logging.getLogger("labkit.http.auth")


def service_account_user(namespace: str, name: str, uid: str = "") -> UserInfo:
    """The user a ServiceAccount token authenticates as (serviceaccount.UserInfo)."""
    return UserInfo(f"system:serviceaccount:{namespace}:{name}",
                    ("system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                     "system:authenticated"), uid)


class InvalidToken(Exception):
    """Why a well-signed legacy token is refused (upstream logs it; the client sees 401)."""


class LegacyTokenValidator:
    """kube-apiserver's check of a Secret-based token (pkg/serviceaccount/legacy.go, v1.33).

    A signature alone is not enough: the token is only good while its Secret exists (not being
    deleted) and still holds these exact bytes, and while the ServiceAccount exists with the UID
    the token names. Deleting the Secret therefore revokes the token. A Secret labelled
    ``kubernetes.io/legacy-token-invalid-since`` (by the legacy token cleaner) is refused. Each
    successful use labels the Secret ``kubernetes.io/legacy-token-last-used: <today>`` unless it
    already says today (or tomorrow), so the label is written at most once a day.
    """

    def __init__(self, cluster):
        self.cluster = cluster

    def validate(self, token: str, claims: dict) -> UserInfo:
        ns = claims.get("kubernetes.io/serviceaccount/namespace")
        secret_name = claims.get("kubernetes.io/serviceaccount/secret.name")
        sa_name = claims.get("kubernetes.io/serviceaccount/service-account.name")
        sa_uid = claims.get("kubernetes.io/serviceaccount/service-account.uid")
        for claim, value in (("namespace", ns), ("secretName", secret_name),
                             ("serviceAccountName", sa_name), ("serviceAccountUID", sa_uid)):
            if not value:
                raise InvalidToken(f"{claim} claim is missing")
        if claims.get("sub") != f"system:serviceaccount:{ns}:{sa_name}":
            raise InvalidToken("sub claim is invalid")
        secret = self._get("secrets", secret_name, ns, "Token has been invalidated")
        if secret["metadata"].get("deletionTimestamp"):
            raise InvalidToken("Token has been invalidated")
        if (secret.get("data") or {}).get("token") != sa_tokens._b64text(token):
            raise InvalidToken("Token does not match server's copy")
        sa = self._get("serviceaccounts", sa_name, ns,
                       f'serviceaccounts "{sa_name}" not found')
        if sa["metadata"].get("deletionTimestamp"):
            raise InvalidToken(f"ServiceAccount {ns}/{sa_name} has been deleted")
        if sa["metadata"]["uid"] != sa_uid:
            raise InvalidToken(f"ServiceAccount UID ({sa['metadata']['uid']}) does not match "
                               f"claim ({sa_uid})")
        if (secret["metadata"].get("labels") or {}).get(sa_tokens.INVALID_SINCE_LABEL):
            self._mark_used(secret)
            raise InvalidToken(
                f"the token in secret {ns}/{secret_name} for service account {ns}/{sa_name} has "
                "been marked invalid. Use tokens from the TokenRequest API or manually created "
                "secret-based tokens, or remove the "
                f"'{sa_tokens.INVALID_SINCE_LABEL}' label from the secret to temporarily allow "
                "use of this token")
        self._mark_used(secret)
        return service_account_user(ns, sa_name, sa_uid)

    def _get(self, resource, name, namespace, message):
        try:
            return self.cluster.api.get(resource, name, namespace)
        except ApiError:
            raise InvalidToken(message) from None

    def _mark_used(self, secret: dict) -> None:
        """patchSecretWithLastUsedDate: a merge patch carrying the UID as a precondition."""
        now = self.cluster.clock.now()
        today, tomorrow = sa_tokens.date_of(now), sa_tokens.date_of(now + 86400)
        m = secret["metadata"]
        if (m.get("labels") or {}).get(sa_tokens.LAST_USED_LABEL) in (today, tomorrow):
            return
        patch = {"metadata": {"uid": m["uid"], "labels": {sa_tokens.LAST_USED_LABEL: today}}}
        try:
            self.cluster.api.patch("secrets", m["name"], patch, "merge", m["namespace"],
                                   user=sa_tokens.APISERVER_USER)
        except ApiError as e:
            log.info("failed to label legacy token %s/%s with last-used date: %s",
                     m["namespace"], m["name"], e)


class TokenAuthenticator:
    """Maps bearer tokens to users."""

    def __init__(self, seed_material: str | None = None, cluster=None):
        self._tokens: dict[str, UserInfo] = {}
        self.cluster = cluster  # service account JWTs are checked against it
        self.legacy = LegacyTokenValidator(cluster) if cluster is not None else None
        # The admin token is random per server: nothing else on this machine can guess it.
        self.admin_token = self.issue(ADMIN, secrets.token_hex(16) if seed_material is None
                                      else hashlib.sha256(seed_material.encode()).hexdigest()[:32])

    def issue(self, user: UserInfo, token: str | None = None) -> str:
        token = token or secrets.token_hex(16)
        self._tokens[token] = user
        return token

    def service_account_token(self, namespace: str, name: str) -> str:
        """An opaque token for ``system:serviceaccount:<ns>:<name>`` that never expires (for
        tests and tools; the TokenRequest API issues signed JWTs instead, see
        :func:`labkit.minicluster.tokens.bound_claims`)."""
        return self.issue(service_account_user(namespace, name))

    def user_token(self, name: str, groups=()) -> str:
        return self.issue(UserInfo(name, tuple(groups) + ("system:authenticated",)))

    def authenticate(self, authorization_header: str | None) -> UserInfo | None:
        if not authorization_header or not authorization_header.startswith("Bearer "):
            return None
        token = authorization_header[len("Bearer "):].strip()
        user = self._tokens.get(token)
        if user is None and self.cluster is not None and token.count(".") == 2:
            user = self._jwt_user(token)
        return user

    def _jwt_user(self, token: str) -> UserInfo | None:
        """A JWT: verify the signature, then check its claims against the cluster."""
        claims = tokens.verify(token)
        if claims is None:
            return None
        with self.cluster.lock:
            try:
                if claims.get("iss") == sa_tokens.LEGACY_ISSUER:
                    return self.legacy.validate(token, claims)
                if claims.get("iss") == tokens.ISSUER:
                    return validate_bound(self.cluster, claims)
            except InvalidToken as e:
                log.info("service account token rejected: %s", e)
        return None


def validate_bound(cluster, claims: dict) -> UserInfo:
    """A TokenRequest token (pkg/serviceaccount/claims.go ``validator.Validate``): the API
    server's audience, not expired (by the cluster's clock, 60 s leeway as jwt's
    ``DefaultLeeway``), and the ServiceAccount - and the Pod or Secret it is bound to - still
    exist with the UIDs the token names."""
    now = cluster.clock.now()
    if tokens.ISSUER not in (claims.get("aud") or ()):
        raise InvalidToken("token audiences don't match the API server's")
    if not (claims.get("nbf", 0) - 60 <= now <= claims.get("exp", 0) + 60):
        raise InvalidToken("service account token has expired")
    private = claims.get("kubernetes.io") or {}
    ns, sa = private.get("namespace"), private.get("serviceaccount") or {}
    if not ns or not sa.get("name"):
        raise InvalidToken("service account claims are missing")
    for resource, ref in (("serviceaccounts", sa), ("pods", private.get("pod")),
                          ("secrets", private.get("secret"))):
        if ref is None:
            continue
        try:
            obj = cluster.api.get(resource, ref["name"], ns)
        except ApiError:
            raise InvalidToken(f"{resource} {ns}/{ref['name']} not found") from None
        if obj["metadata"].get("deletionTimestamp") or obj["metadata"]["uid"] != ref.get("uid"):
            raise InvalidToken(f"{resource} {ns}/{ref['name']} has been deleted")
    return service_account_user(ns, sa["name"], sa.get("uid", ""))


def kubeconfig(server: str, token: str, ca_pem: bytes, cluster_name: str = "labkit",
               user: str = "labkit-admin", namespace: str = "default") -> dict:
    """A kubeconfig document pointing at the mini cluster (HTTPS on loopback, its own CA)."""
    import base64
    context = cluster_name
    cluster = {"server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}
    return {"apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": cluster_name, "cluster": cluster}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": user,
                                                       "namespace": namespace}}],
            "current-context": context}


def write_kubeconfig(path, doc: dict, overwrite: bool = True) -> str:
    """Write a kubeconfig file readable only by its owner. Refuses to replace the user's own
    ``~/.kube/config`` unless ``overwrite_user_config=True`` was asked for by the caller."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return path
