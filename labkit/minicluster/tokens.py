"""Service account tokens: JWTs signed by the cluster's service account key (pkg/serviceaccount).

kube-apiserver signs two kinds of service account token with the same key
(``--service-account-signing-key-file``) and checks both when a request carries one:

- **bound tokens** from the TokenRequest API (``kubectl create token``, and the kubelet's
  projected ``kube-api-access-*`` volumes): issuer ``https://kubernetes.default.svc.cluster.local``
  (kind's and kubeadm's ``--service-account-issuer``), an audience, an expiry, a ``jti``, and a
  private claim ``kubernetes.io`` naming the namespace, the ServiceAccount (and its UID) and, if
  the token is bound to one, the Pod or Secret (pkg/serviceaccount/claims.go ``Claims``). The
  token is valid until it expires, and only while the ServiceAccount (and the bound object)
  still exist with the same UIDs;
- **legacy tokens** stored in Secrets (issuer ``kubernetes/serviceaccount``, no expiry): see
  :mod:`labkit.minicluster.controllers.serviceaccount_tokens`.

Paste a token into any JWT decoder to read its claims: they are plain base64url JSON; only the
signature needs the key.

Simplification: tokens are signed ES256 with a fixed key derived from a constant seed (a
kubeadm cluster signs RS256 with ``/etc/kubernetes/pki/sa.key``), so every mini cluster issues
the same bytes for the same claims.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json

#: kube-apiserver ``--service-account-issuer`` of kind/kubeadm clusters; also the default audience
ISSUER = "https://kubernetes.default.svc.cluster.local"
#: TokenRequest ``spec.expirationSeconds`` default (pkg/apis/authentication/v1/defaults.go)
DEFAULT_EXPIRATION_SECONDS = 3600
#: what the kubelet asks for its projected tokens (pkg/volume/projected: 1 h + 7 s)
KUBELET_TOKEN_SECONDS = 3607
#: ``--service-account-extend-token-expiration`` (default on): pod-bound tokens last a year
EXTENDED_EXPIRATION_SECONDS = 365 * 24 * 3600
#: the shortest expiry the API accepts (validation: "may not specify a duration less than 10 minutes")
MIN_EXPIRATION_SECONDS = 600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


@functools.lru_cache(maxsize=1)
def _signing_key():
    """The service account signing key (P-256, from a constant seed: see the module docstring).
    ``cryptography`` is imported here, on first use, to keep cluster start fast."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives import serialization
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    seed = int.from_bytes(hashlib.sha256(b"labkit minicluster sa.key").digest(), "big")
    key = ec.derive_private_key(seed % (order - 1) + 1, ec.SECP256R1())
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, _b64(hashlib.sha256(der).digest())  # kid: like upstream's keyIDFromPublicKey


def sign(claims: dict) -> str:
    """``header.payload.signature``, each part base64url; ES256 with RFC 6979 signatures (the
    same claims always give the same token)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    key, kid = _signing_key()
    header = json.dumps({"alg": "ES256", "kid": kid}, separators=(",", ":"))
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True)
    signing_input = f"{_b64(header.encode())}.{_b64(payload.encode())}"
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def verify(token: str) -> dict | None:
    """The claims of a token this cluster signed, or ``None`` (malformed, forged, other key)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    try:
        header = json.loads(_unb64(parts[0]))
        raw = _unb64(parts[2])
        if header.get("alg") != "ES256" or len(raw) != 64:
            return None
        sig = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        _signing_key()[0].public_key().verify(sig, f"{parts[0]}.{parts[1]}".encode(),
                                              ec.ECDSA(hashes.SHA256()))
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, InvalidSignature, AttributeError):
        return None
    return claims if isinstance(claims, dict) else None


def bound_claims(namespace: str, sa_name: str, sa_uid: str, now: float, expiration_seconds: int,
                 audiences, jti: str, bound: dict | None = None) -> dict:
    """claims.go ``Claims``: the registered claims plus the private ``kubernetes.io`` claim.
    ``bound``: ``{"kind": "Pod"|"Secret", "name": ..., "uid": ...}`` or None."""
    private = {"namespace": namespace, "serviceaccount": {"name": sa_name, "uid": sa_uid}}
    if bound:
        private[bound["kind"].lower()] = {"name": bound["name"], "uid": bound["uid"]}
    iat = int(now)
    return {"aud": list(audiences), "exp": iat + int(expiration_seconds), "iat": iat,
            "iss": ISSUER, "jti": jti, "kubernetes.io": private, "nbf": iat,
            "sub": f"system:serviceaccount:{namespace}:{sa_name}"}
