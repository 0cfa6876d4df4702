"""Pod, PodSpec and pod-template validation (pkg/apis/core/validation/validation.go, v1.33).

Simplifications: volume sources the course never uses are only counted (one per volume), not
checked field by field; sysctls, seccomp/AppArmor annotations, Windows options and resource
claims are not validated. The diff that follows "pod updates may not change fields other
than ..." lists the changed PodSpec fields instead of go-cmp's exact output.
"""
from __future__ import annotations

import orjson

from ..admission.serviceaccount import is_token_volume
from ..upstream import SERVICE_ACCOUNT_MOUNT_PATH
from .containers import (validate_containers, validate_ephemeral_containers,
                         validate_init_containers, validate_resource_name)
from .fields import (Raw, duplicate, forbidden, go_value, invalid, not_supported, one_of, required)
from .meta import (known_valid, remember_valid, validate_annotations, validate_label_name,
                   validate_label_selector, validate_labels, validate_object_meta,
                   validate_object_meta_update, validate_operator)
from .names import (is_dns1123_label, is_dns1123_subdomain, is_valid_label_value,
                    name_is_dns_subdomain)

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
VOLUME_SOURCES = ("emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore",
                  "secret", "nfs", "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd",
                  "cinder", "cephfs", "quobyte", "downwardAPI", "fc", "flexVolume", "configMap",
                  "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume",
                  "azureDisk", "storageos", "projected", "scaleIO", "csi", "ephemeral", "image")
FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"
UPDATABLE_POD_SPEC_FIELDS = (  # updatablePodSpecFieldsNoResources (resize is a subresource)
    "`spec.containers[*].image`", "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`", "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
    "negative)")


# -- volumes --------------------------------------------------------------------------------
def _items(src: dict, path: str) -> list[dict]:
    out = []
    for i, kp in enumerate(src.get("items") or ()):
        kp, p = kp or {}, f"{path}.items[{i}]"
        if "key" in kp or "fieldRef" not in kp and "resourceFieldRef" not in kp:
            if not kp.get("key") and "fieldRef" not in kp:
                out.append(required(f"{p}.key"))
        if not kp.get("path"):
            out.append(required(f"{p}.path"))
        mode = kp.get("mode")
        if mode is not None and not 0 <= mode <= 0o777:
            out.append(invalid(f"{p}.mode", mode, FILE_MODE_MSG))
    return out


def _volume_source(v: dict, path: str) -> list[dict]:
    out = []
    chosen, extra = one_of(v, VOLUME_SOURCES, path, "volume")
    if chosen:
        kind, src = chosen
        src, sp = src if isinstance(src, dict) else {}, f"{path}.{kind}"
        required_field = {"hostPath": "path", "secret": "secretName", "configMap": "name",
                          "persistentVolumeClaim": "claimName", "nfs": "server",
                          "csi": "driver"}.get(kind)
        if required_field and not src.get(required_field):
            out.append(required(f"{sp}.{required_field}"))
        mode = src.get("defaultMode")
        if mode is not None and not 0 <= mode <= 0o777:
            out.append(invalid(f"{sp}.defaultMode", mode, FILE_MODE_MSG))
        if kind in ("secret", "configMap", "downwardAPI"):
            out += _items(src, sp)
        if kind == "hostPath" and ".." in str(src.get("path", "")).split("/"):
            out.append(invalid(f"{sp}.path", src["path"], "must not contain '..'"))
    return out + extra


def validate_volumes(volumes, path: str) -> tuple[set, list[dict]]:
    """ValidateVolumes: names are DNS labels, unique, one source each. Returns the good names."""
    names, out = set(), []
    for i, v in enumerate(volumes or ()):
        v, p = v or {}, f"{path}[{i}]"
        errs = _volume_source(v, p)
        name = v.get("name")
        if not name:
            errs.append(required(f"{p}.name"))
        else:
            errs += [invalid(f"{p}.name", name, m) for m in is_dns1123_label(str(name))]
        if name in names:
            errs.append(duplicate(f"{p}.name", name))
        if errs:
            out += errs
        else:
            names.add(name)
    return names, out


# -- scheduling -----------------------------------------------------------------------------
def _node_selector_term(term: dict, path: str) -> list[dict]:
    out = []
    for j, req in enumerate(term.get("matchExpressions") or ()):
        req, p = req or {}, f"{path}.matchExpressions[{j}]"
        out += validate_operator(req.get("operator"), req.get("values") or [], p, numeric=True)
        out += validate_label_name(str(req.get("key", "")), f"{p}.key")
    for j, req in enumerate(term.get("matchFields") or ()):
        req, p = req or {}, f"{path}.matchFields[{j}]"
        if req.get("operator") not in ("In", "NotIn"):
            out.append(invalid(f"{p}.operator", req.get("operator", ""),
                               "not a valid selector operator"))
        elif len(req.get("values") or []) != 1:
            out.append(required(f"{p}.values", "must be only one value when `operator` is 'In' "
                                "or 'NotIn' for node field selector"))
        if req.get("key") != "metadata.name":
            out.append(invalid(f"{p}.key", req.get("key", ""), "not a valid field selector key"))
    return out


def _pod_affinity_term(term: dict, path: str) -> list[dict]:
    out = validate_label_selector(term.get("labelSelector"), f"{path}.labelSelector")
    out += validate_label_selector(term.get("namespaceSelector"), f"{path}.namespaceSelector")
    for ns in term.get("namespaces") or ():
        out += [invalid(f"{path}.namespace", ns, m) for m in is_dns1123_label(str(ns))]
    if not term.get("topologyKey"):
        out.append(required(f"{path}.topologyKey", "can not be empty"))
    return out + validate_label_name(str(term.get("topologyKey", "")), f"{path}.topologyKey")


def _weight(item: dict, path: str) -> list[dict]:
    w = item.get("weight", 0)
    return [] if isinstance(w, int) and 0 < w <= 100 else \
        [invalid(f"{path}.weight", w, "must be in the range 1-100")]


def validate_affinity(aff, path: str) -> list[dict]:
    out = []
    if not isinstance(aff, dict):
        return out
    na = aff.get("nodeAffinity")
    if isinstance(na, dict):
        p = f"{path}.nodeAffinity"
        req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
        if req is not None:
            terms = (req or {}).get("nodeSelectorTerms") or []
            tp = f"{p}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
            if not terms:
                out.append(required(tp, "must have at least one node selector term"))
            for i, t in enumerate(terms):
                out += _node_selector_term(t or {}, f"{tp}[{i}]")
        for i, pref in enumerate(na.get("preferredDuringSchedulingIgnoredDuringExecution") or ()):
            pp = f"{p}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
            out += _weight(pref or {}, pp)
            out += _node_selector_term((pref or {}).get("preference") or {}, f"{pp}.preference")
    for kind in ("podAffinity", "podAntiAffinity"):
        pa = aff.get(kind)
        if not isinstance(pa, dict):
            continue
        p = f"{path}.{kind}"
        for i, t in enumerate(pa.get("requiredDuringSchedulingIgnoredDuringExecution") or ()):
            rp = f"{p}.requiredDuringSchedulingIgnoredDuringExecution[{i}]"
            out += _pod_affinity_term(t or {}, rp)
        for i, w in enumerate(pa.get("preferredDuringSchedulingIgnoredDuringExecution") or ()):
            wp = f"{p}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
            out += _weight(w or {}, wp)
            out += _pod_affinity_term((w or {}).get("podAffinityTerm") or {},
                                      f"{wp}.podAffinityTerm")
    return out


def validate_tolerations(tolerations, path: str) -> list[dict]:
    out = []
    for i, t in enumerate(tolerations or ()):
        t, p = t or {}, f"{path}[{i}]"
        key, op, value = t.get("key", ""), t.get("operator", ""), t.get("value", "")
        if key:
            out += validate_label_name(str(key), f"{p}.key")
        if not key and op != "Exists":
            out.append(invalid(f"{p}.operator", op, "operator must be Exists when `key` is "
                               "empty, which means \"match all values and all keys\""))
        if t.get("tolerationSeconds") is not None and t.get("effect") != "NoExecute":
            out.append(invalid(f"{p}.effect", t.get("effect", ""),
                               "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if op in ("Equal", ""):
            errs = is_valid_label_value(str(value))
            if errs:
                out.append(invalid(f"{p}.operator", value, ";".join(errs)))
        elif op == "Exists":
            if value:
                out.append(invalid(f"{p}.operator", Raw("core.Toleration{...}"),
                                   "value must be empty when `operator` is 'Exists'"))
        else:
            out.append(not_supported(f"{p}.operator", op, ("Equal", "Exists")))
        if t.get("effect") and t["effect"] not in TAINT_EFFECTS:
            out.append(not_supported(f"{p}.effect", t["effect"], TAINT_EFFECTS))
    return out


def _topology_spread(constraints, path: str) -> list[dict]:
    out, seen = [], set()
    for i, c in enumerate(constraints or ()):
        c, p = c or {}, f"{path}[{i}]"
        if (c.get("maxSkew") or 0) <= 0:
            out.append(invalid(f"{p}.maxSkew", c.get("maxSkew", 0), "must be greater than zero"))
        if not c.get("topologyKey"):
            out.append(required(f"{p}.topologyKey", "can not be empty"))
        else:
            out += validate_label_name(str(c["topologyKey"]), f"{p}.topologyKey")
        when = c.get("whenUnsatisfiable", "")
        if when not in ("DoNotSchedule", "ScheduleAnyway"):
            out.append(not_supported(f"{p}.whenUnsatisfiable", when,
                                     ("DoNotSchedule", "ScheduleAnyway")))
        key = f"{{{c.get('topologyKey', '')}, {when}}}"
        if key in seen:
            out.append(duplicate(p, key))
        seen.add(key)
        out += validate_label_selector(c.get("labelSelector"), f"{p}.labelSelector")
    return out


# -- the pod spec ---------------------------------------------------------------------------
def validate_pod_spec(spec: dict, path: str) -> list[dict]:
    """ValidatePodSpec (for pods and for templates)."""
    out = []
    if spec.get("terminationGracePeriodSeconds") is None:
        out.append(required(f"{path}.terminationGracePeriodSeconds"))
    grace = spec.get("terminationGracePeriodSeconds")
    volumes, errs = validate_volumes(spec.get("volumes"), f"{path}.volumes")
    out += errs
    out += validate_containers(spec.get("containers"), volumes, f"{path}.containers", grace)
    out += validate_init_containers(spec.get("initContainers"), spec.get("containers"), volumes,
                                    f"{path}.initContainers", grace)
    policy = spec.get("restartPolicy", "")
    if not policy:
        out.append(required(f"{path}.restartPolicy"))
    elif policy not in RESTART_POLICIES:
        out.append(not_supported(f"{path}.restartPolicy", policy, RESTART_POLICIES))
    dns = spec.get("dnsPolicy", "")
    if not dns:
        out.append(required(f"{path}.dnsPolicy"))
    elif dns not in DNS_POLICIES:
        out.append(not_supported(f"{path}.dnsPolicy", dns, DNS_POLICIES))
    out += validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    sc = spec.get("securityContext") or {}
    for f in ("runAsUser", "runAsGroup", "fsGroup"):
        v = sc.get(f)
        if v is not None and not 0 <= v <= 2147483647:
            out.append(invalid(f"{path}.securityContext.{f}", v,
                               "must be between 0 and 2147483647, inclusive"))
    out += validate_affinity(spec.get("affinity"), f"{path}.affinity")
    out += _topology_spread(spec.get("topologySpreadConstraints"),
                            f"{path}.topologySpreadConstraints")
    for f, check in (("serviceAccountName", is_dns1123_subdomain),
                     ("nodeName", is_dns1123_subdomain),
                     ("priorityClassName", is_dns1123_subdomain)):
        if spec.get(f):
            out += [invalid(f"{path}.{f}", spec[f], m) for m in check(str(spec[f]))]
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and not 1 <= ads <= 2147483647:
        out.append(invalid(f"{path}.activeDeadlineSeconds", ads,
                           "must be between 1 and 2147483647, inclusive"))
    for f in ("hostname", "subdomain"):
        if spec.get(f):
            out += [invalid(f"{path}.{f}", spec[f], m) for m in is_dns1123_label(str(spec[f]))]
    out += validate_tolerations(spec.get("tolerations"), f"{path}.tolerations")
    pp = spec.get("preemptionPolicy")
    if pp is not None and pp not in ("PreemptLowerPriority", "Never"):
        out.append(not_supported(f"{path}.preemptionPolicy", pp,
                                 ("PreemptLowerPriority", "Never")))
    for name, q in sorted((spec.get("overhead") or {}).items()):
        out += validate_resource_name(name, f"{path}.overhead.limits[{name}]")
    return out


def _image_whitespace(containers, path: str) -> list[dict]:
    return [invalid(f"{path}[{i}].image", c["image"], "must not have leading or trailing "
                    "whitespace") for i, c in enumerate(containers or ())
            if isinstance((c or {}).get("image"), str) and c["image"] != c["image"].strip()]


def _without_token_volume(spec: dict) -> dict:
    """The spec minus the API-access volume and mounts ServiceAccount admission adds (their
    random name would defeat remembering the validation of a controller's identical pods)."""
    volumes = spec.get("volumes") or ()
    token = next((v for v in volumes if is_token_volume(v)), None)
    if token is None:
        return spec
    mount = {"name": token["name"], "readOnly": True, "mountPath": SERVICE_ACCOUNT_MOUNT_PATH}
    out = dict(spec, volumes=[v for v in volumes if v is not token])
    for kind in ("containers", "initContainers"):
        if spec.get(kind):
            out[kind] = [dict(c, volumeMounts=[m for m in c.get("volumeMounts") or ()
                                               if m != mount])
                         if isinstance(c, dict) else c for c in spec[kind]]
    return out


def _spec_errors(spec: dict) -> list[dict]:
    """validate_pod_spec of a Pod, remembered when valid (keyed without the token volume)."""
    try:
        key = ("podspec", orjson.dumps(_without_token_volume(spec)))
    except TypeError:
        return validate_pod_spec(spec, "spec")
    if known_valid(key):
        return []
    errs = validate_pod_spec(spec, "spec")
    if not errs:
        remember_valid(key)
    return errs


def _pod_metadata_and_spec(pod: dict) -> list[dict]:
    """validatePodMetadataAndSpec: what a pod must satisfy on create and on update."""
    spec = pod.get("spec") or {}
    out = validate_object_meta(pod.get("metadata") or {}, True, name_is_dns_subdomain)
    out += _spec_errors(spec)
    if not spec.get("serviceAccountName"):
        for vi, v in enumerate(spec.get("volumes") or ()):
            for si, src in enumerate(((v or {}).get("projected") or {}).get("sources") or ()):
                if (src or {}).get("serviceAccountToken") is not None:
                    out.append(forbidden(f"spec.volumes[{vi}].projected.sources[{si}]"
                                         ".serviceAccountToken",
                                         "must not be specified when serviceAccountName is not "
                                         "set"))
    out += _image_whitespace(spec.get("containers"), "spec.containers")
    return out + _image_whitespace(spec.get("initContainers"), "spec.initContainers")


def validate_pod(pod: dict) -> list[dict]:
    """ValidatePodCreate."""
    spec = pod.get("spec") or {}
    out = _pod_metadata_and_spec(pod)
    if spec.get("ephemeralContainers"):
        out.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if spec.get("nodeName") and spec.get("schedulingGates"):
        out.append(forbidden("spec.nodeName",
                             "cannot be set until all schedulingGates have been cleared"))
    return out


def validate_pod_template(tpl, path: str) -> list[dict]:
    """ValidatePodTemplateSpec."""
    tpl = tpl if isinstance(tpl, dict) else {}
    meta = tpl.get("metadata") or {}
    out = validate_labels(meta.get("labels"), f"{path}.labels")
    out += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    spec = tpl.get("spec") or {}
    out += validate_pod_spec(spec, f"{path}.spec")
    if spec.get("ephemeralContainers"):
        out.append(forbidden(f"{path}.spec.ephemeralContainers",
                             "ephemeral containers not allowed in pod template"))
    return out


# -- updates --------------------------------------------------------------------------------
def _toleration_key(t) -> tuple:
    t = t or {}
    return tuple(t.get(k) or "" for k in ("key", "operator", "value", "effect"))


def _tolerations_only_added(new, old, path: str) -> list[dict]:
    """validateOnlyAddedTolerations: existing ones stay (only tolerationSeconds may change)."""
    kept = {_toleration_key(n) for n in new or ()}
    if any(_toleration_key(o) not in kept for o in old or ()):
        return [forbidden(path, "existing toleration can not be modified except its "
                          "tolerationSeconds")]
    return validate_tolerations(new, path)


def _spec_diff(old: dict, new: dict) -> str:
    """A go-cmp-like listing of the changed PodSpec fields (simplified)."""
    lines = ["  core.PodSpec{"]
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            field = key[0].upper() + key[1:]
            lines.append(f"- \t{field}: {go_value(old.get(key))},")
            lines.append(f"+ \t{field}: {go_value(new.get(key))},")
    lines.append("  }")
    return "\n".join(lines) + "\n"


def _ephemeral_update(spec: dict, old_spec: dict) -> list[dict]:
    """ValidatePodEphemeralContainersUpdate: ephemeral containers are only ever added."""
    new, old = spec.get("ephemeralContainers") or [], old_spec.get("ephemeralContainers") or []
    if new == old:
        return []
    by_name = {(c or {}).get("name"): c for c in new}
    out = []
    for c in old:
        verb = "removed" if c.get("name") not in by_name else \
            "changed" if by_name[c.get("name")] != c else None
        if verb:
            out.append(forbidden("spec.ephemeralContainers",
                                 f'existing ephemeral containers "{c.get("name")}" may not be {verb}\n'))
    volumes = {(v or {}).get("name") for v in spec.get("volumes") or ()}
    return out + validate_ephemeral_containers(new, spec, volumes, "spec.ephemeralContainers")


def validate_pod_update(new: dict, old: dict) -> list[dict]:
    """ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations (and
    terminationGracePeriodSeconds from negative to 1) may change in a pod's spec."""
    out = validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    if spec == old_spec:
        return out  # status or metadata update: the spec was validated when stored
    out += _pod_metadata_and_spec(new)
    for kind in ("containers", "initContainers"):
        if len(spec.get(kind) or ()) != len(old_spec.get(kind) or ()):
            out.append(forbidden(f"spec.{kind}", "pod updates may not add or remove containers"))
            return out
    ads, old_ads = spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    if ads is not None:
        if ads < 0 or ads > 2147483647:
            return out + [invalid("spec.activeDeadlineSeconds", ads,
                                  "must be between 0 and 2147483647, inclusive")]
        if old_ads is not None and old_ads < ads:
            return out + [invalid("spec.activeDeadlineSeconds", ads,
                                  "must be less than or equal to previous value")]
    elif old_ads is not None:
        out.append(invalid("spec.activeDeadlineSeconds", None,
                           "must not update from a positive integer to nil value"))
    out += _tolerations_only_added(spec.get("tolerations"), old_spec.get("tolerations"),
                                   "spec.tolerations")
    out += _ephemeral_update(spec, old_spec)
    munged = dict(spec)
    if old_spec.get("ephemeralContainers"):
        munged["ephemeralContainers"] = old_spec["ephemeralContainers"]
    else:
        munged.pop("ephemeralContainers", None)
    for kind in ("containers", "initContainers"):
        if kind in munged:
            munged[kind] = [dict(c, image=(old_spec[kind][i] or {}).get("image"))
                            for i, c in enumerate(munged[kind])]
    for f in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        if f in old_spec:
            munged[f] = old_spec[f]
        else:
            munged.pop(f, None)
    if (old_spec.get("terminationGracePeriodSeconds") or 0) < 0 and \
            munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_spec["terminationGracePeriodSeconds"]
    if munged != old_spec:
        out.append(forbidden("spec", "pod updates may not change fields other than " +
                             ",".join(UPDATABLE_POD_SPEC_FIELDS) + "\n" +
                             _spec_diff(old_spec, munged)))
    return out

