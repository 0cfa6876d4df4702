"""Pod defaults (pkg/apis/core/v1/defaults.go: SetDefaults_Pod, SetDefaults_PodSpec,
SetDefaults_Container, probes, volumes), also applied to every pod template."""
from __future__ import annotations

import orjson

from ..schema.quantity import canonical
from ..upstream import (PROJECTED_VOLUME_DEFAULT_MODE, SA_TOKEN_DEFAULT_EXPIRATION_SECONDS,
                        TERMINATION_GRACE_PERIOD_SECONDS)
from .common import dict_at, items_of, pvc_spec, requirements, resource_list


def _image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or no tag, else ``IfNotPresent`` (parsers.ParseImageName)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _probe(p) -> None:
    if not isinstance(p, dict):
        return
    for k, v in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                 ("failureThreshold", 3)):
        if not p.get(k):
            p[k] = v
    _handler(p)


def _handler(h) -> None:
    get = h.get("httpGet") if isinstance(h, dict) else None
    if isinstance(get, dict):
        if not get.get("path"):
            get["path"] = "/"
        if not get.get("scheme"):
            get["scheme"] = "HTTP"


def _field_ref(ref) -> None:
    if isinstance(ref, dict) and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


def _container(c: dict) -> None:
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = _image_pull_policy(str(c.get("image") or ""))
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    requirements(dict_at(c, "resources"))
    for p in items_of(c, "ports"):
        if not p.get("protocol"):
            p["protocol"] = "TCP"
    for e in items_of(c, "env"):
        _field_ref((e.get("valueFrom") or {}).get("fieldRef"))
        rf = (e.get("valueFrom") or {}).get("resourceFieldRef")
        if isinstance(rf, dict) and rf.get("divisor") is not None:
            rf["divisor"] = canonical(rf["divisor"])
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(probe))
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        _handler(lifecycle.get("postStart"))
        _handler(lifecycle.get("preStop"))


def _key_to_paths(src: dict) -> None:
    for item in items_of(src, "items"):
        _field_ref(item.get("fieldRef"))


def _volume(v: dict) -> None:
    sources = [k for k in v if k != "name" and v[k] is not None]
    if not sources:
        v["emptyDir"] = {}  # SetDefaults_Volume
    for kind in ("secret", "configMap", "downwardAPI", "projected"):
        src = v.get(kind)
        if isinstance(src, dict):
            src.setdefault("defaultMode", PROJECTED_VOLUME_DEFAULT_MODE)
            _key_to_paths(src)
    for proj in items_of(v.get("projected") or {}, "sources"):
        for sub in ("downwardAPI",):
            if isinstance(proj.get(sub), dict):
                _key_to_paths(proj[sub])
        token = proj.get("serviceAccountToken")
        if isinstance(token, dict) and token.get("expirationSeconds") is None:
            token["expirationSeconds"] = SA_TOKEN_DEFAULT_EXPIRATION_SECONDS
    hp = v.get("hostPath")
    if isinstance(hp, dict) and hp.get("type") is None:
        hp["type"] = ""
    ed = v.get("emptyDir")
    if isinstance(ed, dict) and ed.get("sizeLimit") is not None:
        ed["sizeLimit"] = canonical(ed["sizeLimit"])
    eph = (v.get("ephemeral") or {}).get("volumeClaimTemplate")
    if isinstance(eph, dict):
        pvc_spec(dict_at(eph, "spec"))


def pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec and everything nested in a PodSpec (pods and templates)."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = TERMINATION_GRACE_PERIOD_SECONDS
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    # v1 conversion: serviceAccount is the deprecated alias of serviceAccountName
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    for c in items_of(spec, "containers") + items_of(spec, "initContainers") + \
            items_of(spec, "ephemeralContainers"):
        _container(c)
    for v in items_of(spec, "volumes"):
        _volume(v)
    resource_list(spec.get("overhead"))
    if isinstance(spec.get("resources"), dict):
        requirements(spec["resources"])
    if spec.get("hostNetwork"):
        for c in items_of(spec, "containers") + items_of(spec, "initContainers"):
            for p in items_of(c, "ports"):
                if not p.get("hostPort"):
                    p["hostPort"] = p.get("containerPort")


POD_MEMO: dict = {}


def pod(obj: dict) -> None:
    """SetDefaults_Pod + PodSpec defaults, remembered per input spec (a controller's pods are
    identical): the result is stored serialized and decoded fresh for each pod."""
    spec = dict_at(obj, "spec")
    try:
        key = orjson.dumps(spec)
    except TypeError:
        return _pod_defaults(spec)
    hit = POD_MEMO.get(key)
    if hit is None:
        _pod_defaults(spec)
        if len(POD_MEMO) >= 4096:
            POD_MEMO.clear()
        POD_MEMO[key] = orjson.dumps(spec)
    else:
        obj["spec"] = orjson.loads(hit)


def _pod_defaults(spec: dict) -> None:
    for c in items_of(spec, "containers") + items_of(spec, "initContainers"):
        res = c.get("resources")
        if isinstance(res, dict) and isinstance(res.get("limits"), dict):
            req = dict_at(res, "requests")  # SetDefaults_Pod: requests default to limits
            for k, v in res["limits"].items():
                req.setdefault(k, v)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    pod_spec(spec)


def template(obj: dict, *path: str) -> None:
    node = obj
    for p in path:
        node = dict_at(node, p)
    pod_spec(dict_at(dict_at(node, "template"), "spec"))
