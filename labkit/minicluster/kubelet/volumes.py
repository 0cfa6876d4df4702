"""Volumes: what the kubelet mounts into a pod's containers, and how long the data lives.

=========================  ====================================================================
``emptyDir``               created with the pod, shared by its containers, survives container
                           restarts, deleted with the pod
``configMap``/``secret``   the keys as read-only files (``items`` select and rename keys)
``downwardAPI``            the pod's labels/annotations/name... as files
``projected``              several of the above in one directory (the service account token)
``persistentVolumeClaim``  the bound PersistentVolume: data outlives the pod (StatefulSets)
``hostPath``               a file or directory of the node (:mod:`.nodefs`): shared by the node's
                           pods, kept with the node; ``type`` is checked before mounting
=========================  ====================================================================

A volume that cannot be set up (a ConfigMap that does not exist...) keeps the pod in
``ContainerCreating``; the kubelet retries and records ``FailedMount`` events
(``MountVolume.SetUp failed for volume "config" : configmap "cfg" not found``).

ConfigMap and Secret volumes follow changes of their source, on the kubelet's next periodic sync
of the pod (up to a minute later); a key mounted with ``subPath`` does not (nor do environment
variables, read once when the container starts).

Every container also gets the kubelet-managed ``/etc/hosts``, ``/etc/hostname`` and
``/etc/resolv.conf`` (cluster DNS with the namespace's search path).
"""
from __future__ import annotations

import hashlib

from .. import tokens
from ..errors import ApiError
from ..images.fs import LazyVolume, Mount, Volume
from . import nodefs
from .environment import ConfigError, field_value, source_data

CLUSTER_DOMAIN = "cluster.local"
CLUSTER_DNS = "10.96.0.10"


class MountError(Exception):
    """``MountVolume.SetUp failed for volume "x" : <reason>``."""

    def __init__(self, volume: str, reason: str):
        super().__init__(f'MountVolume.SetUp failed for volume "{volume}" : {reason}')
        self.volume, self.reason = volume, reason


def _items(data: dict, items) -> dict:
    if not items:
        return dict(data)
    return {it["path"]: data[it["key"]] for it in items if it.get("key") in data}


def persistent_store(ctx) -> dict:
    """Cluster-wide data of PersistentVolumes (and NFS shares): key → Volume."""
    return ctx.extra.setdefault("volume_data", {})


def pod_token(kubelet, sa: str, ns: str, pod_name: str, pod_uid: str) -> str:
    """The projected ``token`` of a pod: a TokenRequest token bound to the pod (the kubelet
    asks for 3,607 s; kube-apiserver's default ``--service-account-extend-token-expiration``
    stretches it to one year and records the requested expiry as ``warnafter``). It
    authenticates as the ServiceAccount until the pod or the account is deleted, or it
    expires. Simplification: minted at first read instead of at mount."""
    try:
        sa_uid = kubelet.api.get("serviceaccounts", sa, ns)["metadata"]["uid"]
    except ApiError:
        sa_uid = ""
    now = kubelet.now()
    jti = hashlib.sha256(f"{pod_uid}/{now}".encode()).hexdigest()
    jti = f"{jti[:8]}-{jti[8:12]}-{jti[12:16]}-{jti[16:20]}-{jti[20:32]}"
    claims = tokens.bound_claims(ns, sa, sa_uid, now, tokens.EXTENDED_EXPIRATION_SECONDS,
                                 [tokens.ISSUER], jti,
                                 {"kind": "Pod", "name": pod_name, "uid": pod_uid})
    claims["kubernetes.io"]["warnafter"] = int(now) + tokens.KUBELET_TOKEN_SECONDS
    return tokens.sign(claims)


def token_refresh_at(minted: float, pod_uid: str) -> float:
    """When the kubelet's token manager replaces a token it minted at ``minted``
    (pkg/kubelet/token/token_manager.go ``requiresRefresh``): once less than 20 % of the
    requested lifetime is left, minus a jitter of 0-9 s. The TokenRequest's
    ``status.expirationTimestamp`` is the *requested* expiry (3,607 s), not the extended one,
    so a pod's token changes about every 48 minutes. Upstream draws the jitter from
    ``math/rand``; here it comes from a hash of the pod and the time (deterministic, and no
    draw from the cluster's RNG). Simplification: the new token is written at that moment;
    upstream writes it at the volume's next remount, the pod's next sync (within a minute)."""
    ttl = tokens.KUBELET_TOKEN_SECONDS
    jitter = int(hashlib.sha256(f"{pod_uid}/{minted}/jitter".encode()).hexdigest()[:8], 16) % 10
    return minted + ttl - ttl * 20 // 100 - jitter


def _mint(worker, paths) -> str:
    """Mint the pod's token now and arrange its replacement (a background timer: it does not
    keep ``settle()`` running)."""
    meta = worker.pod["metadata"]
    sa = worker.spec.get("serviceAccountName", "default")
    token = pod_token(worker.kubelet, sa, meta["namespace"], meta.get("name", ""), worker.uid)
    when = token_refresh_at(worker.kubelet.now(), worker.uid)
    worker.kubelet.loop.call_at(when, _rotate, worker, token, paths, background=True)
    return token


def _rotate(worker, old: str, paths) -> None:
    """Replace the pod's token in its projected volumes (if the pod still runs here)."""
    k = worker.kubelet
    if worker.done or k.stopped or worker.volumes is None or k.workers.get(worker.key) is not worker:
        return
    new = None
    for vol in worker.volumes.values():
        if vol.kind != "projected" or (isinstance(vol, LazyVolume) and not vol.built):
            continue
        for path in paths:
            if vol.files.get(path) is old:
                new = new or _mint(worker, paths)
                vol.files[path] = new


def setup(worker, pod_ip: str) -> dict:
    """All the pod's volumes, by name (raises :class:`MountError` on the first that fails)."""
    out = {}
    for vol in worker.pod["spec"].get("volumes") or []:
        name = vol.get("name", "")
        try:
            out[name] = _setup_one(worker, vol, pod_ip)
        except ConfigError as e:
            raise MountError(name, str(e)) from None
        except ApiError as e:
            raise MountError(name, e.status.get("message", str(e))) from None
        except nodefs.HostPathError as e:
            raise MountError(name, str(e)) from None
    return out


def _setup_one(worker, vol, pod_ip) -> Volume:
    kubelet, pod = worker.kubelet, worker.pod
    ns = pod["metadata"]["namespace"]
    api = kubelet.api
    if "configMap" in vol or "secret" in vol:
        kind = "ConfigMap" if "configMap" in vol else "Secret"
        src = vol.get("configMap") or vol.get("secret") or {}
        name = src.get("name") if kind == "ConfigMap" else src.get("secretName")
        data = source_data(api, kind, name or "", ns, bool(src.get("optional")))
        return Volume(_items(data or {}, src.get("items")), read_only=True, kind=kind.lower())
    if "downwardAPI" in vol:
        return Volume(_downward(pod, vol["downwardAPI"].get("items"), pod_ip, kubelet),
                      read_only=True, kind="downwardAPI")
    if "projected" in vol:
        return _projected(worker, vol["projected"], ns, pod_ip)
    if "persistentVolumeClaim" in vol:
        claim = vol["persistentVolumeClaim"].get("claimName", "")
        pvc = api.get("persistentvolumeclaims", claim, ns)
        phase = (pvc.get("status") or {}).get("phase")
        pv = (pvc.get("spec") or {}).get("volumeName")
        if phase not in (None, "Bound") and not pv:
            raise ConfigError(f'persistentvolumeclaim "{claim}" is not bound')
        volume = api.get("persistentvolumes", pv) if pv else None
        host_path = ((volume or {}).get("spec") or {}).get("hostPath") or {}
        if host_path.get("path"):  # a hostPath/local-path volume: a directory of this node
            return nodefs.of(kubelet).mount(host_path["path"], host_path.get("type"))
        key = f"pv/{pv}" if pv else f"pvc/{ns}/{claim}"
        store = persistent_store(kubelet.ctx)
        if key not in store:
            store[key] = Volume(kind="persistentVolume")
        return store[key]
    if "hostPath" in vol:
        return nodefs.of(kubelet).mount(vol["hostPath"].get("path", "/"), vol["hostPath"].get("type"))
    if "nfs" in vol:
        key = f"nfs/{vol['nfs'].get('server')}:{vol['nfs'].get('path')}"
        return persistent_store(kubelet.ctx).setdefault(key, Volume(kind="nfs"))
    return Volume(kind="emptyDir")


#: where a projected volume's service account token goes, until the token is minted
_TOKEN = object()
#: the files of projected volumes (tokens left out), one copy for all the pods they are equal
#: in (every pod's kube-api-access volume has the same ca.crt and namespace files)
_PROJECTED: dict = {}


def _projected(worker, projected: dict, ns: str, pod_ip: str) -> Volume:
    """Several sources in one directory. The sources are read now (a missing ConfigMap fails
    the mount now); the pod's own token is minted on first read."""
    pod, kubelet = worker.pod, worker.kubelet
    files = {}
    for src in projected.get("sources") or []:
        if "configMap" in src or "secret" in src:
            kind = "ConfigMap" if "configMap" in src else "Secret"
            ref = src.get("configMap") or src.get("secret")
            data = source_data(kubelet.api, kind, ref.get("name", ""), ns, bool(ref.get("optional")))
            files.update(_items(data or {}, ref.get("items")))
        elif "downwardAPI" in src:
            files.update(_downward(pod, src["downwardAPI"].get("items"), pod_ip, kubelet))
        elif "serviceAccountToken" in src:
            files[src["serviceAccountToken"].get("path", "token")] = _TOKEN
    if len(_PROJECTED) > 1000:
        _PROJECTED.clear()
    try:
        files = _PROJECTED.setdefault(tuple(files.items()), files)
    except TypeError:  # pragma: no cover - file contents are strings
        pass
    return LazyVolume(_projected_files, (worker, files), read_only=True, kind="projected")


def _projected_files(source) -> dict:
    worker, files = source
    paths = tuple(path for path, text in files.items() if text is _TOKEN)
    if not paths:
        return files  # Volume copies it
    token = _mint(worker, paths)
    return {path: token if text is _TOKEN else text for path, text in files.items()}


def _downward(pod, items, pod_ip, kubelet) -> dict:
    files = {}
    for it in items or []:
        if "fieldRef" in it:
            files[it["path"]] = field_value(pod, it["fieldRef"].get("fieldPath", ""), pod_ip,
                                            kubelet.internal_ip)
        elif "resourceFieldRef" in it:
            from .environment import resource_value
            c = next((c for c in pod["spec"].get("containers", [])
                      if c.get("name") == it["resourceFieldRef"].get("containerName")), {})
            files[it["path"]] = resource_value(c, it["resourceFieldRef"], kubelet.allocatable)
    return files


ETC_FILES = ("hosts", "hostname", "resolv.conf")


def etc_files(worker) -> Volume:
    """The kubelet-managed /etc/hosts, /etc/hostname and /etc/resolv.conf of a pod (their
    texts are written on first read, from the pod's sandbox: most containers never read
    them)."""
    return LazyVolume(_etc_of, worker, kind="etc", names=ETC_FILES)


def _etc_of(worker) -> dict:
    meta = worker.pod["metadata"]
    return _etc_texts(meta["name"], meta["namespace"], worker.spec, worker.pod_ip or "",
                      worker.kubelet.dns_ip)


def _etc_texts(name: str, ns: str, spec: dict, pod_ip: str, dns_ip: str) -> dict:
    hostname = spec.get("hostname") or name
    lines = ["# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost",
             "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::\tip6-localnet",
             "fe00::\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
    if spec.get("subdomain"):
        lines.append(f"{pod_ip}\t{hostname}.{spec['subdomain']}.{ns}.svc.{CLUSTER_DOMAIN}\t{hostname}")
    else:
        lines.append(f"{pod_ip}\t{hostname}")
    aliases = spec.get("hostAliases") or []
    if aliases:
        lines.append("\n# Entries added by HostAliases.")
        for a in aliases:
            lines.append(f"{a.get('ip')}\t" + "\t".join(a.get("hostnames") or []))
    policy = spec.get("dnsPolicy", "ClusterFirst")
    if policy == "Default":
        resolv = "search .\nnameserver 172.18.0.1\noptions ndots:0\n"
    else:
        resolv = (f"search {ns}.svc.{CLUSTER_DOMAIN} svc.{CLUSTER_DOMAIN} {CLUSTER_DOMAIN}\n"
                  f"nameserver {dns_ip}\noptions ndots:5\n")
    return {"hosts": "\n".join(lines) + "\n", "hostname": hostname + "\n", "resolv.conf": resolv}


def container_mounts(container: dict, volumes: dict, etc: Volume):
    """The container's mounts (:func:`mounts_for`), or a :class:`MountPlan` for its file system
    to follow on first use when building them later makes no difference: no ``subPath`` (bound
    when the container starts) and no hostPath (whose directories a mount may create)."""
    for vm in container.get("volumeMounts") or ():
        if vm.get("subPath") or isinstance(volumes.get(vm.get("name")), nodefs.HostPathVolume):
            return mounts_for(container, volumes, etc)
    return MountPlan(container, volumes, etc)


class MountPlan:
    """What :func:`mounts_for` needs, kept until the container first looks at a path (its four
    mount records and their list are ~340 bytes; most containers never look)."""

    __slots__ = ("container", "volumes", "etc")

    def __init__(self, container: dict, volumes: dict, etc: Volume):
        self.container, self.volumes, self.etc = container, volumes, etc

    def __call__(self) -> list[Mount]:
        return mounts_for(self.container, self.volumes, self.etc)


def mounts_for(container: dict, volumes: dict, etc: Volume) -> list[Mount]:
    """The container's mounts: its volumeMounts plus the managed /etc files."""
    out = [Mount("/etc/hosts", etc, "hosts"), Mount("/etc/hostname", etc, "hostname"),
           Mount("/etc/resolv.conf", etc, "resolv.conf")]
    for vm in container.get("volumeMounts") or []:
        vol = volumes.get(vm.get("name"))
        if vol is None:
            continue
        sub = vm.get("subPath", "")
        if isinstance(vol, nodefs.HostPathVolume):  # a window on the node's tree
            sub = f"{vol.prefix}/{sub}".strip("/")
        elif sub and vol.kind in ("configmap", "secret", "projected", "downwardAPI"):
            # a subPath is bound once, when the container starts: later updates do not show
            vol = Volume({sub: vol.files[sub]} if sub in vol.files else {}, read_only=True, kind=vol.kind)
        out.append(Mount(vm.get("mountPath", "/"), vol, sub, bool(vm.get("readOnly"))))
    return out


def uses(pod: dict, kind: str, name: str) -> list[str]:
    """Names of the pod's volumes that project ConfigMap/Secret ``name``."""
    key = "configMap" if kind == "ConfigMap" else "secret"
    field = "name" if kind == "ConfigMap" else "secretName"
    out = []
    for vol in pod["spec"].get("volumes") or []:
        if (vol.get(key) or {}).get(field) == name:
            out.append(vol["name"])
        for src in (vol.get("projected") or {}).get("sources") or []:
            if (src.get(key) or {}).get("name") == name:
                out.append(vol["name"])
    return out


def refresh(worker, names: list[str]) -> None:
    """Project the current ConfigMap/Secret data into the pod's volumes ``names`` (the kubelet
    does this on its periodic pod sync; environment variables are never updated)."""
    for vol in worker.pod["spec"].get("volumes") or []:
        if vol.get("name") not in names or worker.volumes is None:
            continue
        try:
            fresh = _setup_one(worker, vol, worker.pod_ip or "")
        except (ConfigError, ApiError):
            continue
        target = worker.volumes.get(vol["name"])
        if target is not None:
            target.files.clear()
            target.files.update(fresh.files)
            target.dirs = set(fresh.dirs)
