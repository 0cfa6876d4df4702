"""ServiceAccount admission (plugin/pkg/admission/serviceaccount/admission.go, v1.33).

On pod creation:

1. a pod without ``serviceAccountName`` runs as ``default``;
2. the service account must exist, else 403 ``error looking up service account
   default/builder: serviceaccount "builder" not found``;
3. unless the pod or the service account opt out (``automountServiceAccountToken: false``),
   every container gets the API credentials: a projected volume ``kube-api-access-<5 chars>``
   (a bound token, the cluster CA, the namespace) mounted read-only at
   ``/var/run/secrets/kubernetes.io/serviceaccount``;
4. the pod inherits the service account's ``imagePullSecrets`` if it has none.

Simplification: upstream retries a missing ``default`` service account for about a second,
since the serviceaccount controller creates it right after the namespace; here a missing
``default`` is treated as the one about to be created.
"""
from __future__ import annotations

from ..upstream import (PROJECTED_VOLUME_DEFAULT_MODE, ROOT_CA_CONFIGMAP,
                        SA_TOKEN_WARN_ONLY_EXPIRATION_SECONDS, SERVICE_ACCOUNT_MOUNT_PATH,
                        SERVICE_ACCOUNT_VOLUME_PREFIX)
from .common import Request, cached_get, forbidden

MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # utilrand, as for generateName


def _token_projection() -> dict:
    """TokenVolumeSource: the projected API-access volume (a bound token, the CA, the
    namespace), built fresh for each pod."""
    return {"defaultMode": PROJECTED_VOLUME_DEFAULT_MODE, "sources": [
        {"serviceAccountToken": {"expirationSeconds": SA_TOKEN_WARN_ONLY_EXPIRATION_SECONDS,
                                 "path": "token"}},
        {"configMap": {"name": ROOT_CA_CONFIGMAP, "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}


TOKEN_PROJECTION = _token_projection()


def token_volume(name: str) -> dict:
    return {"name": name, "projected": _token_projection()}


def is_token_volume(v) -> bool:
    """Is this the volume ServiceAccount admission adds (any ``kube-api-access-*`` name)?"""
    return isinstance(v, dict) and str(v.get("name", "")).startswith(SERVICE_ACCOUNT_VOLUME_PREFIX) \
        and v.get("projected") == TOKEN_PROJECTION and len(v) == 2


def random_suffix(rng, n: int = 5) -> str:
    """utilrand.String(n) from the no-vowel alphabet, with one draw of the RNG."""
    x = rng.randrange(len(NAME_ALPHABET) ** n)
    out = []
    for _ in range(n):
        x, d = divmod(x, len(NAME_ALPHABET))
        out.append(NAME_ALPHABET[d])
    return "".join(out)


def _lookup(api, req: Request, name: str) -> dict:
    sa = cached_get(api, "serviceaccounts", req.namespace, name)
    if sa is None and name != "default":
        raise forbidden(req, f"error looking up service account {req.namespace}/{name}: "
                        f'serviceaccount "{name}" not found')
    return sa or {"metadata": {"name": name}}


def _should_automount(sa: dict, spec: dict) -> bool:
    if spec.get("automountServiceAccountToken") is not None:
        return bool(spec["automountServiceAccountToken"])
    if sa.get("automountServiceAccountToken") is not None:
        return bool(sa["automountServiceAccountToken"])
    return True


def _mount(spec: dict, rng) -> None:
    volumes = spec.get("volumes") or []
    name = next((v.get("name") for v in volumes if str((v or {}).get("name", ""))
                 .startswith(SERVICE_ACCOUNT_VOLUME_PREFIX)), None)
    has_volume = name is not None
    if name is None:
        name = SERVICE_ACCOUNT_VOLUME_PREFIX + random_suffix(rng)
    mount = {"name": name, "readOnly": True, "mountPath": SERVICE_ACCOUNT_MOUNT_PATH}
    needed = False
    for c in list(spec.get("initContainers") or ()) + list(spec.get("containers") or ()):
        if not any((m or {}).get("mountPath") == SERVICE_ACCOUNT_MOUNT_PATH
                   for m in c.get("volumeMounts") or ()):
            c.setdefault("volumeMounts", []).append(dict(mount))
            needed = True
    if needed and not has_volume:
        spec.setdefault("volumes", []).append(token_volume(name))


def admit(api, req: Request, rng) -> None:
    """Admit (mutating): default the service account, mount its token, copy pull secrets."""
    if req.rt.kind != "Pod" or req.operation != "CREATE":
        return
    pod = req.obj
    if MIRROR_POD_ANNOTATION in ((pod.get("metadata") or {}).get("annotations") or {}):
        return
    spec = pod.setdefault("spec", {})
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = "default"
    spec["serviceAccount"] = spec["serviceAccountName"]  # v1 keeps the deprecated alias
    sa = _lookup(api, req, spec["serviceAccountName"])
    if _should_automount(sa, spec):
        _mount(spec, rng)
    if not spec.get("imagePullSecrets") and sa.get("imagePullSecrets"):
        spec["imagePullSecrets"] = [{"name": s.get("name")} for s in sa["imagePullSecrets"]]


def validate(api, req: Request) -> None:
    """Validate: a pod must name a service account that exists; mirror pods may not."""
    if req.rt.kind != "Pod" or req.operation != "CREATE":
        return
    spec = req.obj.get("spec") or {}
    if MIRROR_POD_ANNOTATION in ((req.obj.get("metadata") or {}).get("annotations") or {}):
        if spec.get("serviceAccountName"):
            raise forbidden(req, "a mirror pod may not reference service accounts")
        return
    if not spec.get("serviceAccountName"):
        raise forbidden(req, f"no service account specified for pod {req.namespace}/"
                        f"{(req.obj.get('metadata') or {}).get('name', '')}")
    _lookup(api, req, spec["serviceAccountName"])
