"""Authentication for the HTTP API: bearer tokens, and the kubeconfig that carries one.

kube-apiserver supports several authenticators (client certificates, bearer tokens, OIDC...).
The mini cluster uses static bearer tokens, like ``--token-auth-file``, plus ServiceAccount
tokens issued through the TokenRequest API (``kubectl create token NAME``). A request without a
valid token is answered ``401 Unauthorized``; what an authenticated user may do is RBAC's call.
"""
from __future__ import annotations

import hashlib
import os
import secrets

import yaml

from ..apiserver import ADMIN, UserInfo


class TokenAuthenticator:
    """Maps bearer tokens to users."""

    def __init__(self, seed_material: str | None = None):
        self._tokens: dict[str, UserInfo] = {}
        # The admin token is random per server: nothing else on this machine can guess it.
        self.admin_token = self.issue(ADMIN, secrets.token_hex(16) if seed_material is None
                                      else hashlib.sha256(seed_material.encode()).hexdigest()[:32])

    def issue(self, user: UserInfo, token: str | None = None) -> str:
        token = token or secrets.token_hex(16)
        self._tokens[token] = user
        return token

    def service_account_token(self, namespace: str, name: str) -> str:
        """A token for ``system:serviceaccount:<ns>:<name>`` (TokenRequest API)."""
        user = UserInfo(f"system:serviceaccount:{namespace}:{name}",
                        ("system:serviceaccounts", f"system:serviceaccounts:{namespace}",
                         "system:authenticated"))
        return self.issue(user)

    def user_token(self, name: str, groups=()) -> str:
        return self.issue(UserInfo(name, tuple(groups) + ("system:authenticated",)))

    def authenticate(self, authorization_header: str | None) -> UserInfo | None:
        if not authorization_header or not authorization_header.startswith("Bearer "):
            return None
        return self._tokens.get(authorization_header[len("Bearer "):].strip())


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
