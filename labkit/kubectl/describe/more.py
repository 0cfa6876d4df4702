"""``kubectl describe`` for HorizontalPodAutoscalers and Ingresses
(upstream describe.go: describeHorizontalPodAutoscalerV2, describeIngressV1)."""
from __future__ import annotations

from labkit.minicluster import errors
from labkit.minicluster.conversion_autoscaling import V1 as HPA_V1, from_v1

from ..columns.cluster import _lb_status
from ..formatting import quantity_string, rfc1123z
from .cluster import format_endpoint_slices
from .writer import PrefixWriter, annotations_multiline, events_section, labels_multiline, \
    standard_header


def _q(v) -> str:
    return quantity_string(v) if v is not None else "<unknown>"


def _hpa_metric(w: PrefixWriter, m: dict, cur: dict | None) -> None:
    """One line of the ``Metrics: ( current / target )`` block."""
    mtype = m.get("type")
    if mtype == "Resource" or mtype == "ContainerResource":
        key = "resource" if mtype == "Resource" else "containerResource"
        src = m.get(key) or {}
        target = src.get("target") or {}
        current_src = ((cur or {}).get(key) or {}).get("current") if cur else None
        if mtype == "Resource":
            w.write(1, f"resource {src.get('name', '')} on pods")
        else:
            w.write(1, f'resource {src.get("name", "")} of container "{src.get("container", "")}" on pods')
        if target.get("averageValue") is not None:
            current = _q((current_src or {}).get("averageValue")) if current_src else "<unknown>"
            w.write(0, f":\t{current} / {_q(target['averageValue'])}\n")
            return
        current = "<unknown>"
        if current_src and current_src.get("averageUtilization") is not None:
            current = f"{current_src['averageUtilization']}% ({_q(current_src.get('averageValue'))})"
        tgt = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
        w.write(1, f"(as a percentage of request):\t{current} / {tgt}\n")
    elif mtype == "Pods":
        src = m.get("pods") or {}
        current = _q((((cur or {}).get("pods") or {}).get("current") or {}).get("averageValue")) \
            if cur and cur.get("pods") else "<unknown>"
        w.write(1, f'"{(src.get("metric") or {}).get("name", "")}" on pods:\t{current} / '
                   f'{_q((src.get("target") or {}).get("averageValue"))}\n')
    elif mtype in ("Object", "External"):
        key = mtype.lower()
        src = m.get(key) or {}
        target = src.get("target") or {}
        cur_src = (((cur or {}).get(key) or {}).get("current")) if cur and cur.get(key) else None
        name = (src.get("metric") or {}).get("name", "")
        average = target.get("averageValue") is not None if mtype == "External" else \
            target.get("type") == "AverageValue"
        field = "averageValue" if average else "value"
        current = _q((cur_src or {}).get(field)) if cur_src else "<unknown>"
        label = "(target average value)" if average else "(target value)"
        if mtype == "Object":
            obj = src.get("describedObject") or {}
            w.write(1, f'"{name}" on {obj.get("kind", "")}/{obj.get("name", "")} ')
            w.write(0, f"{label}:\t{current} / {_q(target.get(field))}\n")
        else:
            w.write(1, f'"{name}" {label}:\t{current} / {_q(target.get(field))}\n')
    else:
        w.write(1, f'<unknown metric type "{mtype}">\n')


def _direction(w: PrefixWriter, title: str, rules: dict | None) -> None:
    if rules is None:
        return
    w.write(1, f"{title}:\n")
    if rules.get("stabilizationWindowSeconds") is not None:
        w.write(2, f"Stabilization Window: {rules['stabilizationWindowSeconds']} seconds\n")
    if rules.get("policies"):
        w.write(2, f"Select Policy: {rules.get('selectPolicy') or 'Max'}\n")
        w.write(2, "Policies:\n")
        for pol in rules["policies"]:
            w.write(3, f"- Type: {pol.get('type')}\tValue: {pol.get('value')}\tPeriod: "
                       f"{pol.get('periodSeconds')} seconds\n")


def describe_hpa(hpa: dict, api, events, now) -> str:
    """kubectl's describer reads HPAs through autoscaling/v2, whichever version was named."""
    if hpa.get("apiVersion") == HPA_V1:
        hpa = from_v1(hpa)
    w = PrefixWriter()
    meta, spec, st = hpa["metadata"], hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    standard_header(w, meta)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    w.write(0, f"Reference:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
    w.write(0, "Metrics:\t( current / target )\n")
    current = st.get("currentMetrics") or []
    for i, m in enumerate(spec.get("metrics") or ()):
        _hpa_metric(w, m, current[i] if i < len(current) else None)
    w.write(0, f"Min replicas:\t{spec['minReplicas'] if spec.get('minReplicas') is not None else '<unset>'}\n")
    w.write(0, f"Max replicas:\t{spec.get('maxReplicas', 0)}\n")
    behavior = spec.get("behavior")
    if behavior is not None:
        w.write(0, "Behavior:\n")
        _direction(w, "Scale Up", behavior.get("scaleUp"))
        _direction(w, "Scale Down", behavior.get("scaleDown"))
    w.write(0, f"{ref.get('kind', '')} pods:\t")
    w.write(0, f"{st.get('currentReplicas', 0)} current / {st.get('desiredReplicas', 0)} desired\n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\tMessage\n")
        w.write(1, "----\t------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')}\t{c.get('status')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    events_section(w, events, now)
    return w.text()


# -- ingress --------------------------------------------------------------------------------------

def _backend(api, ns: str, backend: dict | None) -> str:
    """describeBackendV1: ``web:80 (10.244.1.5:8080)``."""
    if not backend:
        return ""
    svc_ref = backend.get("service")
    if svc_ref:
        port = svc_ref.get("port") or {}
        text = f"{svc_ref.get('name', '')}:{port.get('number') or port.get('name', '')}"
        slices = api.list("endpointslices", ns,
                          label_selector=f"kubernetes.io/service-name={svc_ref.get('name', '')}")["items"]
        try:
            svc = api.get("services", svc_ref.get("name", ""), ns)
        except errors.ApiError as e:
            return f"{text} (<error: {e.message}>)"
        port_name = ""
        for sp in (svc.get("spec") or {}).get("ports") or ():
            if (port.get("number") and port.get("number") == sp.get("port")) or \
                    (port.get("name") and port.get("name") == sp.get("name")):
                port_name = sp.get("name", "")
        return f"{text} ({format_endpoint_slices(slices, port_name)})"
    res = backend.get("resource")
    if res:
        return f"APIGroup: {res.get('apiGroup') or '<none>'}, Kind: {res.get('kind', '')}, Name: {res.get('name', '')}"
    return ""


def describe_ingress(ing: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta, spec = ing["metadata"], ing.get("spec") or {}
    ns = meta.get("namespace", "")
    w.write(0, f"Name:\t{meta['name']}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    w.write(0, f"Namespace:\t{ns}\n")
    w.write(0, f"Address:\t{_lb_status((ing.get('status') or {}).get('loadBalancer'), True)}\n")
    w.write(0, f"Ingress Class:\t{spec.get('ingressClassName') or '<none>'}\n")
    default = _backend(api, ns, spec["defaultBackend"]) if spec.get("defaultBackend") else "<default>"
    w.write(0, f"Default backend:\t{default}\n")
    if spec.get("tls"):
        w.write(0, "TLS:\n")
        for t in spec["tls"]:
            hosts = ",".join(t.get("hosts") or [])
            w.write(1, f"{t['secretName']} terminates {hosts}\n" if t.get("secretName") else f"SNI routes {hosts}\n")
    w.write(0, "Rules:\n  Host\tPath\tBackends\n")
    w.write(1, "----\t----\t--------\n")
    count = 0
    for rule in spec.get("rules") or ():
        if rule.get("http") is None:
            continue
        count += 1
        w.write(1, f"{rule.get('host') or '*'}\t\n")
        for path in rule["http"].get("paths") or ():
            w.write(2, f"\t{path.get('path', '')} \t{_backend(api, ns, path.get('backend'))}\n")
    if count == 0:
        w.write(1, f"*\t*\t{default}\n")
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    events_section(w, events, now)
    return w.text()
