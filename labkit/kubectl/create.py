"""Imperative creation: ``kubectl create`` (from files or generators), ``kubectl run`` and
``kubectl expose``.

The generators build exactly the objects kubectl builds (compare
``kubectl create deployment web --image=nginx --dry-run=client -o yaml``): for instance a
Deployment labelled ``app=<name>`` whose selector and pod template use the same label, one
container per ``--image`` named after the image, and ``strategy: {}``/``resources: {}`` left for
the API server to default. Key order follows the Go structs, so ``-o json`` prints the same.
"""
from __future__ import annotations

import base64
import os

from labkit.minicluster import errors

from . import builder, printers
from .apply import dry_run_mode, with_annotation
from .backend import KubectlError, resource_for
from .commands import command
from .flags import ARRAY, BOOL, INT, LIST, STR, Flag

_OUT = (Flag("dry-run", STR, default="none"), Flag("output", STR, "o"), Flag("save-config", BOOL),
        Flag("validate"), Flag("field-manager"), Flag("edit", BOOL), Flag("windows-line-endings", BOOL),
        Flag("show-managed-fields", BOOL), Flag("template"), Flag("allow-missing-template-keys", BOOL))

# -- generators -----------------------------------------------------------------------------------


def _meta(ctx, name: str, labels: dict | None = None) -> dict:
    meta = {"name": name}
    if ctx.explicit_ns:
        meta["namespace"] = ctx.namespace
    if labels:
        meta["labels"] = labels
    return meta


def container_name(image: str) -> str:
    """The container name kubectl derives from an image: ``registry/nginx:1.25`` → ``nginx``."""
    name = image.split("/")[-1].split(":")[0].split("@")[0]
    return name.replace("_", "-").replace(".", "-")


def deployment(ctx, name: str, images: list[str], replicas: int = 1, port: int = -1,
               command: list | None = None) -> dict:
    labels = {"app": name}
    containers = []
    for image in images:
        c = {"name": container_name(image), "image": image}
        if command:
            c["command"] = list(command)
        c["resources"] = {}
        containers.append(c)
    if port >= 0 and containers:
        resources = containers[0].pop("resources")
        containers[0]["ports"] = [{"containerPort": port}]
        containers[0]["resources"] = resources
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": _meta(ctx, name, dict(labels)),
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": containers}},
                     "strategy": {}},
            "status": {}}


def _literals(values: list[str], flag: str) -> dict:
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise KubectlError(f"invalid literal source {v}, expected key=value")
        if key in out:
            raise KubectlError(f'cannot add key {key}, another key by that name already exists in '
                               f'{flag}: {out}')
        out[key] = value
    return out


def _files(values: list[str]) -> dict:
    out = {}
    for v in values:
        key, sep, path = v.partition("=")
        if not sep:
            key, path = os.path.basename(v), v
        if os.path.isdir(path):
            for fn in sorted(os.listdir(path)):
                full = os.path.join(path, fn)
                if os.path.isfile(full):
                    with open(full, encoding="utf-8") as f:
                        out[fn] = f.read()
            continue
        if not os.path.exists(path):
            raise KubectlError(f"error reading {path}: no such file or directory")
        with open(path, encoding="utf-8") as f:
            out[key] = f.read()
    return out


def _env_file(paths: list[str]) -> dict:
    out = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    k, _, v = line.partition("=")
                    out[k] = v
    return out


def _b64(data: dict) -> dict:
    return {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}


def rbac_rules(ctx, verbs: list[str], resources: list[str], names: list[str]) -> list[dict]:
    """create role/clusterrole: one rule per API group, in the order resources were given."""
    if not verbs:
        raise KubectlError("at least one verb must be specified")
    if not resources:
        raise KubectlError("at least one resource must be specified")
    groups: dict = {}
    for res in resources:
        base, _, sub = res.partition("/")
        rt = resource_for(ctx.backend, base)
        plural = rt.plural + (f"/{sub}" if sub else "")
        groups.setdefault(rt.group, [])
        if plural not in groups[rt.group]:
            groups[rt.group].append(plural)
    rules = []
    for group, plurals in groups.items():
        rule = {"verbs": list(verbs), "apiGroups": [group], "resources": plurals}
        if names:
            rule["resourceNames"] = list(names)
        rules.append(rule)
    return rules


def subjects(users, groups, sas) -> list[dict]:
    out = [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": u} for u in users]
    out += [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": g} for g in groups]
    for sa in sas:
        ns, sep, name = sa.partition(":")
        if not sep:
            raise KubectlError(f"serviceaccount must be <namespace>:<name>")
        out.append({"kind": "ServiceAccount", "name": name, "namespace": ns})
    return out


def service(ctx, name: str, stype: str, tcp: list[str], node_port: int = 0,
            external_name: str = "", cluster_ip: str = "") -> dict:
    ports = []
    for spec in tcp:
        port, _, target = spec.partition(":")
        target = target or port
        p = {"name": f"{port}-{target}", "protocol": "TCP", "port": int(port),
             "targetPort": int(target) if target.isdigit() else target}
        if node_port:
            p["nodePort"] = node_port
        ports.append(p)
    spec = {"ports": ports} if ports else {}
    if stype != "ExternalName":
        spec["selector"] = {"app": name}
    if cluster_ip:
        spec["clusterIP"] = cluster_ip
    spec["type"] = stype
    if external_name:
        spec["externalName"] = external_name
    return {"kind": "Service", "apiVersion": "v1", "metadata": _meta(ctx, name, {"app": name}),
            "spec": spec, "status": {"loadBalancer": {}}}


# -- sending --------------------------------------------------------------------------------------

def send(ctx, p, obj: dict, failure: str | None = None) -> None:
    """Create a generated object (or print it for --dry-run=client) and report like kubectl."""
    dry = dry_run_mode(p)
    rt = builder.type_of(ctx.backend, obj)
    if p.get("save-config"):
        obj = with_annotation(obj)
    if dry != "client":
        try:
            obj = ctx.api.create(rt, obj, ctx.ns(rt), dry_run=dry == "server")
        except errors.ApiError as e:
            if failure == "secret":  # create_secret.go words it without a colon
                raise KubectlError(f"failed to create secret {e.message}") from None
            if failure:
                raise KubectlError(f"failed to create {failure}: {e.message}") from None
            raise
    out = p.get("output")
    if out and out != "name":
        try:
            ctx.write(printers.print_objects([obj], out, single=True, sort_keys=dry != "client"))
        except printers.PrintError as e:
            raise KubectlError(str(e)) from None
        return
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
    ref = f"{printers.kind_prefix(rt)}/{obj['metadata']['name']}"
    ctx.print(ref if out == "name" else f"{ref} created{suffix}")


def _one_name(p, sub: str) -> str:
    args = [a for a in p.args[1:]] if p.dash_args is None else \
        p.args[1:len(p.args) - len(p.dash_args)]
    if len(args) != 1:
        raise KubectlError(f"exactly one NAME is required, got {len(args)}\n"
                           f"See 'kubectl create {sub} -h' for help and examples")
    return args[0]


@command("create", *_OUT, Flag("filename", LIST, "f"), Flag("recursive", BOOL, "R"),
         Flag("image", ARRAY), Flag("replicas", INT, "r", 1), Flag("port", INT, default=-1),
         Flag("from-literal", ARRAY), Flag("from-file", ARRAY), Flag("from-env-file", ARRAY),
         Flag("type"), Flag("verb", LIST), Flag("resource", LIST), Flag("resource-name", ARRAY),
         Flag("role"), Flag("clusterrole"), Flag("user", ARRAY), Flag("group", ARRAY),
         Flag("serviceaccount", ARRAY), Flag("schedule"), Flag("restart"), Flag("from"),
         Flag("tcp", LIST), Flag("node-port", INT, default=0), Flag("external-name"),
         Flag("clusterip"), Flag("docker-server", STR, default="https://index.docker.io/v1/"),
         Flag("docker-username"), Flag("docker-password"), Flag("docker-email"),
         Flag("append-hash", BOOL), Flag("selector", STR, "l"), Flag("min-available"),
         Flag("max-unavailable"), Flag("hard"), Flag("duration"), Flag("class"), Flag("rule", ARRAY),
         help="Create a resource from a file or from stdin")
def cmd_create(ctx, p):
    if p.get("filename"):
        return _create_files(ctx, p)
    if not p.args:
        raise KubectlError("must specify one of -f and -k")
    sub = p.args[0]
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        raise KubectlError(f'unknown command "{sub}" for "kubectl create"')
    return handler(ctx, p)


def _create_files(ctx, p):
    dry = dry_run_mode(p)
    for source, obj in builder.manifest_objects(p.get("filename"), ctx.stdin, p.get("recursive")):
        builder.check_object(source, obj)
        rt = builder.type_of(ctx.backend, obj, source)
        ns = ((obj.get("metadata") or {}).get("namespace") or ctx.namespace) if rt.namespaced else None
        if p.get("save-config"):
            obj = with_annotation(obj)
        if dry != "client":
            try:
                obj = ctx.api.create(rt, obj, ns, dry_run=dry == "server")
            except errors.ApiError as e:
                ctx.api_error(e, f'error when creating "{source}": ')
                continue
        if p.get("output") and p.get("output") != "name":
            ctx.write(printers.print_objects([obj], p.get("output"), single=True))
            continue
        suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
        ref = f"{printers.kind_prefix(rt)}/{obj['metadata'].get('name') or obj['metadata'].get('generateName', '')}"
        ctx.print(ref if p.get("output") == "name" else f"{ref} created{suffix}")


def _create_deployment(ctx, p):
    name = _one_name(p, "deployment")
    images = p.get("image")
    if not images:
        raise KubectlError("required flag(s) \"image\" not set")
    if len(images) > 1 and p.get("port", -1) >= 0:
        raise KubectlError("cannot specify multiple --image options and port")
    send(ctx, p, deployment(ctx, name, images, p.get("replicas", 1), p.get("port", -1),
                            p.dash_args), "deployment")


def _create_namespace(ctx, p):
    name = _one_name(p, "namespace")
    send(ctx, p, {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": name},
                  "spec": {}, "status": {}})


def _create_configmap(ctx, p):
    name = _one_name(p, "configmap")
    data = {**_files(p.get("from-file")), **_env_file(p.get("from-env-file")),
            **_literals(p.get("from-literal"), "config map")}
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": _meta(ctx, name)}
    if data:
        obj["data"] = data
    send(ctx, p, obj, "configmap")


def _create_secret(ctx, p):
    if len(p.args) < 2:
        raise KubectlError("must specify one of: generic, docker-registry or tls")
    kind, rest = p.args[1], p.args[1:]
    p.args = rest
    name = _one_name(p, f"secret {kind}")
    if kind == "generic":
        data = {**_files(p.get("from-file")), **_env_file(p.get("from-env-file")),
                **_literals(p.get("from-literal"), "secret")}
        obj = {"kind": "Secret", "apiVersion": "v1", "metadata": _meta(ctx, name)}
        if data:
            obj["data"] = _b64(data)
        if p.get("type"):
            obj["type"] = p.get("type")
    elif kind == "docker-registry":
        import json
        server, user, pw = p.get("docker-server"), p.get("docker-username"), p.get("docker-password")
        auth = {"username": user, "password": pw}
        if p.get("docker-email"):
            auth["email"] = p.get("docker-email")
        auth["auth"] = base64.b64encode(f"{user}:{pw}".encode()).decode()
        cfg = json.dumps({"auths": {server: auth}}, separators=(",", ":"))
        obj = {"kind": "Secret", "apiVersion": "v1", "metadata": _meta(ctx, name),
               "data": {".dockerconfigjson": base64.b64encode(cfg.encode()).decode()},
               "type": "kubernetes.io/dockerconfigjson"}
    else:
        raise KubectlError(f'unknown secret type "{kind}": labkit supports generic and docker-registry')
    send(ctx, p, obj, "secret")


def _create_serviceaccount(ctx, p):
    name = _one_name(p, "serviceaccount")
    send(ctx, p, {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": _meta(ctx, name)},
         "serviceaccount")


def _create_role(ctx, p, cluster: bool = False):
    name = _one_name(p, "clusterrole" if cluster else "role")
    rules = rbac_rules(ctx, p.get("verb"), p.get("resource"), p.get("resource-name"))
    meta = {"name": name} if cluster else _meta(ctx, name)
    send(ctx, p, {"kind": "ClusterRole" if cluster else "Role",
                  "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta, "rules": rules})


def _create_binding(ctx, p, cluster: bool = False):
    sub = "clusterrolebinding" if cluster else "rolebinding"
    name = _one_name(p, sub)
    role, crole = p.get("role"), p.get("clusterrole")
    if cluster:
        if not crole:
            raise KubectlError('required flag(s) "clusterrole" not set')
        ref_kind, ref_name = "ClusterRole", crole
    else:
        if bool(role) == bool(crole):
            raise KubectlError("exactly one of clusterrole or role must be specified")
        ref_kind, ref_name = ("Role", role) if role else ("ClusterRole", crole)
    obj = {"kind": "ClusterRoleBinding" if cluster else "RoleBinding",
           "apiVersion": "rbac.authorization.k8s.io/v1",
           "metadata": {"name": name} if cluster else _meta(ctx, name)}
    subs = subjects(p.get("user"), p.get("group"), p.get("serviceaccount"))
    if subs:
        obj["subjects"] = subs
    obj["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref_name}
    send(ctx, p, obj, sub)


def _job_template(name: str, image: str, command: list | None, restart: str) -> dict:
    c = {"name": name, "image": image}
    if command:
        c["command"] = list(command)
    c["resources"] = {}
    return {"metadata": {}, "spec": {"containers": [c], "restartPolicy": restart}}


def _create_job(ctx, p):
    name = _one_name(p, "job")
    src = p.get("from")
    if src:
        return send(ctx, p, _job_from_cronjob(ctx, name, src), "job")
    if not p.get("image"):
        raise KubectlError("either --image or --from must be specified")
    obj = {"kind": "Job", "apiVersion": "batch/v1", "metadata": _meta(ctx, name),
           "spec": {"template": _job_template(name, p.get("image")[0], p.dash_args, "Never")},
           "status": {}}
    send(ctx, p, obj, "job")


def _job_from_cronjob(ctx, name: str, src: str) -> dict:
    kind, _, cj_name = src.partition("/")
    if resource_for(ctx.backend, kind).kind != "CronJob":
        raise KubectlError("from must be an existing cronjob")
    cj = ctx.api.get("cronjobs", cj_name, ctx.namespace)
    jt = (cj.get("spec") or {}).get("jobTemplate") or {}
    annotations = {**((jt.get("metadata") or {}).get("annotations") or {}),
                   "cronjob.kubernetes.io/instantiate": "manual"}
    meta = _meta(ctx, name)
    meta["annotations"] = annotations
    if (jt.get("metadata") or {}).get("labels"):
        meta["labels"] = dict(jt["metadata"]["labels"])
    meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj_name,
                                "uid": cj["metadata"].get("uid"), "controller": True,
                                "blockOwnerDeletion": True}]
    return {"kind": "Job", "apiVersion": "batch/v1", "metadata": meta,
            "spec": dict(jt.get("spec") or {}), "status": {}}


def _create_cronjob(ctx, p):
    name = _one_name(p, "cronjob")
    if not p.get("image"):
        raise KubectlError('required flag(s) "image" not set')
    if not p.get("schedule"):
        raise KubectlError('required flag(s) "schedule" not set')
    restart = p.get("restart") or "OnFailure"
    obj = {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": _meta(ctx, name),
           "spec": {"schedule": p.get("schedule"),
                    "jobTemplate": {"metadata": {"name": name},
                                    "spec": {"template": _job_template(name, p.get("image")[0],
                                                                       p.dash_args, restart)}}},
           "status": {}}
    send(ctx, p, obj, "cronjob")


def _create_service(ctx, p):
    if len(p.args) < 2:
        raise KubectlError("must specify one of: clusterip, externalname, loadbalancer, nodeport")
    kind = p.args[1]
    stype = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
             "externalname": "ExternalName"}.get(kind)
    if stype is None:
        raise KubectlError(f'unknown service type "{kind}"')
    p.args = p.args[1:]
    name = _one_name(p, f"service {kind}")
    if stype == "ExternalName" and not p.get("external-name"):
        raise KubectlError('required flag(s) "external-name" not set')
    send(ctx, p, service(ctx, name, stype, p.get("tcp"), p.get("node-port") or 0,
                         p.get("external-name") or "", p.get("clusterip") or ""), "service")


_SUBCOMMANDS = {
    "deployment": _create_deployment, "deploy": _create_deployment,
    "namespace": _create_namespace, "ns": _create_namespace,
    "configmap": _create_configmap, "cm": _create_configmap,
    "secret": _create_secret,
    "serviceaccount": _create_serviceaccount, "sa": _create_serviceaccount,
    "role": _create_role, "clusterrole": lambda c, p: _create_role(c, p, True),
    "rolebinding": _create_binding, "clusterrolebinding": lambda c, p: _create_binding(c, p, True),
    "job": _create_job, "cronjob": _create_cronjob, "cj": _create_cronjob,
    "service": _create_service, "svc": _create_service,
}


# -- run ------------------------------------------------------------------------------------------

@command("run", *_OUT, Flag("image"), Flag("port", STR), Flag("labels", STR, "l"), Flag("env", ARRAY),
         Flag("restart", STR, default="Always"), Flag("command", BOOL), Flag("image-pull-policy"),
         Flag("rm", BOOL), Flag("stdin", BOOL, "i"), Flag("tty", BOOL, "t"), Flag("attach", BOOL),
         Flag("annotations", ARRAY), Flag("expose", BOOL), Flag("overrides"), Flag("privileged", BOOL),
         help="Run a particular image on the cluster")
def cmd_run(ctx, p):
    names = p.args[:len(p.args) - len(p.dash_args or [])]
    if len(names) != 1:
        raise KubectlError("NAME is required for run\nSee 'kubectl run -h' for help and examples")
    if not p.get("image"):
        raise KubectlError("--image is required")
    if p.get("rm") or p.get("stdin") or p.get("tty") or p.get("attach"):
        raise KubectlError("interactive pods (-i, -t, --rm, --attach) are not supported by "
                           "labkit's kubectl; run the pod, then use 'kubectl logs'")
    name = names[0]
    labels = {"run": name}
    if p.get("labels"):
        labels = dict(kv.split("=", 1) for kv in p.get("labels").split(","))
    meta = _meta(ctx, name, labels)
    if p.get("annotations"):
        meta["annotations"] = dict(a.split("=", 1) for a in p.get("annotations"))
    c = {"name": name, "image": p.get("image")}
    if p.dash_args:
        c["command" if p.get("command") else "args"] = list(p.dash_args)
    if p.get("port"):
        c["ports"] = [{"containerPort": int(p.get("port"))}]
    if p.get("env"):
        c["env"] = [{"name": k, "value": v} for k, v in (e.split("=", 1) for e in p.get("env"))]
    c["resources"] = {}
    if p.get("image-pull-policy"):
        c["imagePullPolicy"] = p.get("image-pull-policy")
    restart = p.get("restart")
    if restart not in ("Always", "OnFailure", "Never"):
        raise KubectlError(f"invalid restart policy: {restart}")
    pod = {"kind": "Pod", "apiVersion": "v1", "metadata": meta,
           "spec": {"containers": [c], "restartPolicy": restart, "dnsPolicy": "ClusterFirst"},
           "status": {}}
    send(ctx, p, pod)


# -- expose ---------------------------------------------------------------------------------------

@command("expose", *_OUT, Flag("port"), Flag("target-port"), Flag("protocol", STR, default="TCP"),
         Flag("type"), Flag("name"), Flag("selector"), Flag("labels", STR, "l"),
         Flag("external-ip"), Flag("cluster-ip"), Flag("filename", LIST, "f"),
         help="Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service")
def cmd_expose(ctx, p):
    tgts, _ = builder.targets(ctx.backend, p.args, "expose")
    if len(tgts) != 1 or tgts[0].name is None:
        raise KubectlError("error: You must provide one or more resources by argument or filename.")
    rt, name = tgts[0].rt, tgts[0].name
    obj = ctx.api.get(rt, name, ctx.ns(rt))
    selector = _expose_selector(rt, obj, p.get("selector"))
    ports = _expose_ports(rt, obj, p)
    labels = dict(obj["metadata"].get("labels") or {})
    if p.get("labels"):
        labels = dict(kv.split("=", 1) for kv in p.get("labels").split(","))
    svc_name = p.get("name") or name
    meta = _meta(ctx, svc_name, labels or None)
    spec = {"ports": ports, "selector": selector}
    if p.get("type"):
        spec["type"] = p.get("type")
    if p.get("cluster-ip"):
        spec["clusterIP"] = p.get("cluster-ip")
    if p.get("external-ip"):
        spec["externalIPs"] = [p.get("external-ip")]
    svc = {"kind": "Service", "apiVersion": "v1", "metadata": meta, "spec": spec,
           "status": {"loadBalancer": {}}}
    dry = dry_run_mode(p)
    if dry != "client":
        svc = ctx.api.create("services", svc, ctx.namespace, dry_run=dry == "server")
    out = p.get("output")
    if out and out != "name":
        ctx.write(printers.print_objects([svc], out, single=True, sort_keys=dry != "client"))
        return
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry, "")
    ctx.print(f"service/{svc_name}" if out == "name" else f"service/{svc_name} exposed{suffix}")


def _expose_selector(rt, obj: dict, given: str | None) -> dict:
    if given:
        return dict(kv.split("=", 1) for kv in given.split(","))
    spec = obj.get("spec") or {}
    if rt.kind == "Pod":
        sel = obj["metadata"].get("labels") or {}
    elif rt.kind in ("Service", "ReplicationController"):
        sel = spec.get("selector") or {}
    elif rt.kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
        s = spec.get("selector") or {}
        if s.get("matchExpressions"):
            raise KubectlError("couldn't convert expressions - \"" + str(s["matchExpressions"]) +
                               "\" to map-based selector format")
        sel = s.get("matchLabels") or {}
    else:
        raise KubectlError(f"cannot expose a {rt.kind}")
    if not sel:
        raise KubectlError("couldn't retrieve selectors via --selector flag or introspection: "
                           f"the {rt.kind.lower()} has no labels")
    return dict(sel)


def _expose_ports(rt, obj: dict, p) -> list[dict]:
    proto = p.get("protocol") or "TCP"
    target = p.get("target-port")
    if p.get("port"):
        port = int(p.get("port"))
        tp = target if target else port
        tp = int(tp) if str(tp).isdigit() else tp
        return [{"protocol": proto, "port": port, "targetPort": tp}]
    if rt.kind == "Service":
        found = [(q.get("port"), q.get("protocol", "TCP")) for q in (obj.get("spec") or {}).get("ports") or ()]
    else:
        spec = obj.get("spec") or {}
        pod_spec = spec if rt.kind == "Pod" else ((spec.get("template") or {}).get("spec") or {})
        found = [(q.get("containerPort"), q.get("protocol", "TCP"))
                 for c in pod_spec.get("containers") or () for q in c.get("ports") or ()]
    if not found:
        raise KubectlError("couldn't find port via --port flag or introspection\n"
                           "See 'kubectl expose -h' for help and examples")
    out = []
    for i, (port, pr) in enumerate(found):
        entry = {"protocol": pr, "port": port, "targetPort": int(target) if target and target.isdigit()
                 else (target or port)}
        if len(found) > 1:
            entry = {"name": f"port-{i + 1}", **entry}
        out.append(entry)
    return out
