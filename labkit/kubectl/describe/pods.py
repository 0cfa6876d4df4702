"""``kubectl describe pod``, and the pod-template section every workload's page shows
(upstream describe.go: describePod, describeContainers, describeVolumes, DescribePodTemplate)."""
from __future__ import annotations

from ..formatting import quantity_string, rfc1123z, since
from .writer import (PrefixWriter, annotations_multiline, bool_text, controller_of, events_section,
                     labels_multiline, tolerations_multiline)


def describe_pod(pod: dict, events, now) -> str:
    w = PrefixWriter()
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    node = spec.get("nodeName")
    w.write(0, f"Node:\t{node}/{status.get('hostIP', '')}\n" if node else "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    if meta.get("deletionTimestamp") and status.get("phase") not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    seccomp = (spec.get("securityContext") or {}).get("seccompProfile")
    if seccomp:
        w.write(0, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    pod_ips(w, status.get("podIPs"))
    controlled = controller_of(pod)
    if controlled:
        w.write(0, f"Controlled By:\t{controlled}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("resources") is not None:
        w.write(0, "Resources:\n")
        resources(w, spec["resources"], 1)
    if spec.get("initContainers"):
        containers(w, "Init Containers", spec["initContainers"],
                   status.get("initContainerStatuses"), pod)
    containers(w, "Containers", spec.get("containers") or [], status.get("containerStatuses"), pod)
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        conds = {}
        for c in status.get("conditions") or ():
            conds.setdefault(c.get("type"), c.get("status"))
        for g in spec["readinessGates"]:
            w.write(1, f"{g.get('conditionType')} \t{conds.get(g.get('conditionType'), '<none>')} \n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \n")
    volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{status.get('qosClass') or qos_class(pod)}\n")
    labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    topology_spread(w, spec.get("topologySpreadConstraints"), "")
    events_section(w, events, now)
    return w.text()


def pod_ips(w: PrefixWriter, ips) -> None:
    if not ips:
        w.write(0, "IPs:\t<none>\n")
        return
    w.write(0, "IPs:\n")
    for ip in ips:
        w.write(1, f"IP:\t{ip.get('ip', '')}\n")


def topology_spread(w: PrefixWriter, tscs, space: str) -> None:
    from ..formatting import format_label_selector
    if not tscs:
        return
    w.write(0, f"{space}Topology Spread Constraints:\t")
    for i, t in enumerate(sorted(tscs, key=lambda t: t.get("topologyKey", ""))):
        if i:
            w.write(0, space)
            w.write(0, "\t")
        text = f"{t.get('topologyKey', '')}:{t.get('whenUnsatisfiable', '')} when max skew " \
               f"{t.get('maxSkew', 0)} is exceeded"
        if t.get("labelSelector") is not None:
            text += f" for selector {format_label_selector(t['labelSelector'])}"
        w.write(0, text + "\n")


# -- QoS ------------------------------------------------------------------------------------------

def _combine(classes) -> str:
    """Any Burstable, or a mix of BestEffort and Guaranteed, makes Burstable (qos.go)."""
    qos = ""
    for one in classes:
        if one == "Burstable" or (qos and qos != one):
            return "Burstable"
        qos = one
    return qos


def _requirements_qos(res: dict | None) -> str:
    res = res or {}
    requests, limits = res.get("requests") or {}, res.get("limits") or {}
    if not requests and not limits:
        return "BestEffort"

    def one(name):
        req, lim = requests.get(name), limits.get(name)
        req_v = quantity_string(req) if req is not None else "0"
        lim_v = quantity_string(lim) if lim is not None else "0"
        return "Burstable" if req_v != lim_v else "BestEffort" if req_v == "0" else "Guaranteed"
    return _combine(one(name) for name in ("cpu", "memory"))


def qos_class(pod: dict) -> str:
    """qos.ComputePodQOS, for pods whose status does not carry ``qosClass``."""
    spec = pod.get("spec") or {}
    if spec.get("resources"):
        return _requirements_qos(spec["resources"])
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    return _combine(_requirements_qos(c.get("resources")) for c in containers) or "BestEffort"


# -- containers -----------------------------------------------------------------------------------

def containers(w: PrefixWriter, label: str, specs: list, statuses, pod: dict | None,
               space: str = "") -> None:
    by_name = {s.get("name"): s for s in statuses or ()}
    w.write(0, f"{space}{label}:{' <none>' if not specs else ''}\n")
    for c in specs:
        st = by_name.get(c.get("name"))
        _basic_info(w, c, st, space)
        _command(w, c)
        if st is not None:
            _state(w, "State", st.get("state") or {})
            if ((st.get("lastState") or {}).get("terminated")) is not None:
                _state(w, "Last State", st["lastState"])
            w.write(2, f"Ready:\t{bool_text(st.get('ready'))}\n")
            w.write(2, f"Restart Count:\t{st.get('restartCount', 0)}\n")
        resources(w, c.get("resources"), 2)
        _probes(w, c)
        if c.get("envFrom"):
            _env_from(w, c)
        _env(w, c, pod)
        _mounts(w, c)


def _ports(ports, field: str) -> str:
    out = []
    for p in ports or ():
        text = f"{p.get(field, 0)}/{p.get('protocol', 'TCP')}"
        if p.get("name"):
            text += f" ({p['name']})"
        out.append(text)
    return ", ".join(out)


def _basic_info(w: PrefixWriter, c: dict, st: dict | None, space: str) -> None:
    w.write(1, f"{' ' if space else ''}{c.get('name')}:\n")
    if st is not None:
        w.write(2, f"Container ID:\t{st.get('containerID', '')}\n")
    w.write(2, f"Image:\t{c.get('image', '')}\n")
    if st is not None:
        w.write(2, f"Image ID:\t{st.get('imageID', '')}\n")
    ports, host_ports = _ports(c.get("ports"), "containerPort"), _ports(c.get("ports"), "hostPort")
    w.write(2, f"Ports:\t{ports}\n" if "," in ports else f"Port:\t{ports or '<none>'}\n")
    w.write(2, f"Host Ports:\t{host_ports}\n" if "," in host_ports
            else f"Host Port:\t{host_ports or '<none>'}\n")
    seccomp = (c.get("securityContext") or {}).get("seccompProfile")
    if seccomp:
        w.write(2, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(3, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")


def _command(w: PrefixWriter, c: dict) -> None:
    for title, key in (("Command", "command"), ("Args", "args")):
        if c.get(key):
            w.write(2, f"{title}:\n")
            for part in c[key]:
                for s in str(part).split("\n"):
                    w.write(3, f"{s}\n")


def _state(w: PrefixWriter, title: str, state: dict) -> None:
    if state.get("running") is not None:
        w.write(2, f"{title}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{title}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"]
        w.write(2, f"{title}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{t.get('exitCode', 0)}\n")
        if (t.get("signal") or 0) > 0:
            w.write(3, f"Signal:\t{t['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(t.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(t.get('finishedAt'))}\n")
    else:
        w.write(2, f"{title}:\tWaiting\n")


def resources(w: PrefixWriter, res: dict | None, level: int) -> None:
    res = res or {}
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = res.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{quantity_string(values[name])}\n")


def describe_probe(probe: dict) -> str:
    """DescribeProbe: ``http-get http://:8080/healthz delay=0s timeout=1s period=10s
    successThreshold=1 failureThreshold=3`` (kubectl 1.37; older versions wrote ``#success=1``)."""
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 0)}s "
             f"period={probe.get('periodSeconds', 0)}s successThreshold={probe.get('successThreshold', 0)} "
             f"failureThreshold={probe.get('failureThreshold', 0)}")
    if probe.get("exec") is not None:
        return f"exec [{' '.join(probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet") is not None:
        h = probe["httpGet"]
        port, host = str(h.get("port", "")), h.get("host", "")
        hostport = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        return f"http-get {str(h.get('scheme', 'HTTP')).lower()}://{hostport}{h.get('path', '')} {attrs}"
    if probe.get("tcpSocket") is not None:
        t = probe["tcpSocket"]
        return f"tcp-socket {t.get('host', '')}:{t.get('port', '')} {attrs}"
    if probe.get("grpc") is not None:
        g = probe["grpc"]
        return f"grpc <pod>:{g.get('port', 0)} {g.get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _probes(w: PrefixWriter, c: dict) -> None:
    for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"),
                       ("Startup", "startupProbe")):
        if c.get(key) is not None:
            w.write(2, f"{title}:\t{describe_probe(c[key])}\n")


def _env_from(w: PrefixWriter, c: dict) -> None:
    w.write(2, "Environment Variables from:\n")
    for e in c.get("envFrom") or ():
        ref, kind = (e.get("configMapRef"), "ConfigMap") if e.get("configMapRef") else \
            (e.get("secretRef"), "Secret")
        ref = ref or {}
        optional = "true" if ref.get("optional") else "false"
        if e.get("prefix"):
            w.write(3, f"{ref.get('name', '')}\t{kind} with prefix '{e['prefix']}'\tOptional: {optional}\n")
        else:
            w.write(3, f"{ref.get('name', '')}\t{kind}\tOptional: {optional}\n")


def _field_value(pod: dict | None, path: str) -> str:
    if pod is None:
        return ""
    if path.startswith(("metadata.labels['", "metadata.annotations['")):
        which, _, key = path.partition("['")
        return str(((pod.get("metadata") or {}).get(which.split(".")[1]) or {}).get(key[:-2], ""))
    cur = pod
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def _env(w: PrefixWriter, c: dict, pod: dict | None) -> None:
    env = c.get("env") or []
    w.write(2, "Environment:\t<none>\n" if not env else "Environment:\n")
    for e in env:
        vf = e.get("valueFrom")
        if vf is None:
            for i, s in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{e.get('name')}:\t{s}\n" if i == 0 else f"\t{s}\n")
        elif vf.get("fieldRef"):
            fr = vf["fieldRef"]
            w.write(3, f"{e.get('name')}:\t{_field_value(pod, fr.get('fieldPath', ''))} "
                       f"({fr.get('apiVersion', 'v1')}:{fr.get('fieldPath', '')})\n")
        elif vf.get("resourceFieldRef"):
            rf = vf["resourceFieldRef"]
            kind, _, name = rf.get("resource", "").partition(".")
            value = ((c.get("resources") or {}).get(kind) or {}).get(name)
            text = quantity_string(value) if value is not None else \
                "node allocatable" if rf.get("resource") in ("limits.cpu", "limits.memory") else "0"
            w.write(3, f"{e.get('name')}:\t{text} ({rf.get('resource', '')})\n")
        elif vf.get("secretKeyRef"):
            r = vf["secretKeyRef"]
            w.write(3, f"{e.get('name')}:\t<set to the key '{r.get('key')}' in secret '{r.get('name')}'>\t"
                       f"Optional: {'true' if r.get('optional') else 'false'}\n")
        elif vf.get("configMapKeyRef"):
            r = vf["configMapKeyRef"]
            w.write(3, f"{e.get('name')}:\t<set to the key '{r.get('key')}' of config map '{r.get('name')}'>\t"
                       f"Optional: {'true' if r.get('optional') else 'false'}\n")


def _mounts(w: PrefixWriter, c: dict) -> None:
    mounts = sorted(c.get("volumeMounts") or [], key=lambda m: m.get("mountPath", ""))
    w.write(2, "Mounts:\t<none>\n" if not mounts else "Mounts:\n")
    for m in mounts:
        flags = ["ro" if m.get("readOnly") else "rw"]
        if m.get("subPath"):
            flags.append(f'path="{m["subPath"]}"')
        w.write(3, f"{m.get('mountPath')} from {m.get('name')} ({','.join(flags)})\n")
    devices = sorted(c.get("volumeDevices") or [], key=lambda d: d.get("devicePath", ""))
    if devices:
        w.write(2, "Devices:\n")
        for d in devices:
            w.write(3, f"{d.get('devicePath')} from {d.get('name')}\n")


# -- volumes --------------------------------------------------------------------------------------

def _optional(src: dict) -> str:
    return "true" if src.get("optional") else "false"


def volumes(w: PrefixWriter, vols, space: str) -> None:
    if not vols:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in vols:
        w.write(1, f"{' ' if space else ''}{v.get('name')}:\n")
        _volume_source(w, v)


def _volume_source(w: PrefixWriter, v: dict) -> None:
    if v.get("hostPath") is not None:
        h = v["hostPath"]
        w.write(2, f"Type:\tHostPath (bare host directory volume)\n    Path:\t{h.get('path', '')}\n"
                   f"    HostPathType:\t{h.get('type') or '<none>'}\n")
    elif v.get("emptyDir") is not None:
        e = v["emptyDir"]
        limit = quantity_string(e["sizeLimit"]) if e.get("sizeLimit") and quantity_string(e["sizeLimit"]) != "0" \
            else "<unset>"
        w.write(2, f"Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                   f"    Medium:\t{e.get('medium', '')}\n    SizeLimit:\t{limit}\n")
    elif v.get("secret") is not None:
        s = v["secret"]
        w.write(2, f"Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t"
                   f"{s.get('secretName', '')}\n    Optional:\t{_optional(s)}\n")
    elif v.get("configMap") is not None:
        c = v["configMap"]
        w.write(2, f"Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t"
                   f"{c.get('name', '')}\n    Optional:\t{_optional(c)}\n")
    elif v.get("persistentVolumeClaim") is not None:
        c = v["persistentVolumeClaim"]
        w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
                   f"namespace)\n    ClaimName:\t{c.get('claimName', '')}\n"
                   f"    ReadOnly:\t{'true' if c.get('readOnly') else 'false'}\n")
    elif v.get("projected") is not None:
        _projected(w, v["projected"])
    elif v.get("downwardAPI") is not None:
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
        for item in v["downwardAPI"].get("items") or ():
            if item.get("fieldRef"):
                w.write(3, f"{item['fieldRef'].get('fieldPath')} -> {item.get('path')}\n")
            if item.get("resourceFieldRef"):
                w.write(3, f"{item['resourceFieldRef'].get('resource')} -> {item.get('path')}\n")
    elif v.get("nfs") is not None:
        n = v["nfs"]
        w.write(2, f"Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t"
                   f"{n.get('server', '')}\n    Path:\t{n.get('path', '')}\n"
                   f"    ReadOnly:\t{'true' if n.get('readOnly') else 'false'}\n")
    else:
        w.write(1, "<unknown>\n")


def _projected(w: PrefixWriter, projected: dict) -> None:
    w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
    for s in projected.get("sources") or ():
        if s.get("secret") is not None:
            w.write(2, f"SecretName:\t{s['secret'].get('name', '')}\n    Optional:\t{_optional(s['secret'])}\n")
        elif s.get("downwardAPI") is not None:
            w.write(2, "DownwardAPI:\ttrue\n")
        elif s.get("configMap") is not None:
            w.write(2, f"ConfigMapName:\t{s['configMap'].get('name', '')}\n"
                       f"    Optional:\t{_optional(s['configMap'])}\n")
        elif s.get("serviceAccountToken") is not None:
            w.write(2, f"TokenExpirationSeconds:\t{s['serviceAccountToken'].get('expirationSeconds', 0)}\n")


# -- pod templates --------------------------------------------------------------------------------

def pod_template(w: PrefixWriter, template: dict | None) -> None:
    """DescribePodTemplate: the ``Pod Template:`` block of workload pages."""
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        annotations_multiline(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        containers(w, "Init Containers", spec["initContainers"], None, None, "  ")
    containers(w, "Containers", spec.get("containers") or [], None, None, "  ")
    volumes(w, spec.get("volumes"), "  ")
    topology_spread(w, spec.get("topologySpreadConstraints"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))
