"""Commands about the cluster and the API rather than objects: ``version``, ``api-resources``,
``api-versions``, ``explain``, ``auth can-i``, ``auth whoami``, ``config`` and ``cluster-info``.

``explain`` reads the group-version's OpenAPI v3 document, as real kubectl does (the mini
cluster's own document, the one its HTTP server serves, or a real server's), and renders it
with :mod:`labkit.minicluster.schema.explain`, kubectl's plaintext template in Python.
"""
from __future__ import annotations

import re

from labkit.minicluster import errors

from . import tabwriter
from .backend import KubectlError, all_resources, resource_for
from .commands import command
from .flags import ARRAY, BOOL, STR, Flag

KUBECTL_VERSION = "v1.37.1"
KUSTOMIZE_VERSION = "v5.8.1"


# -- version --------------------------------------------------------------------------------------

def server_version(backend) -> dict | None:
    fn = getattr(backend, "server_version", None)
    if fn is not None:
        return fn()
    if hasattr(backend.api, "store"):
        from labkit.minicluster.http.discovery import version_info
        return version_info()
    call = getattr(backend.api, "_call", None)  # RestApi: ask the real server
    if call is not None:
        try:
            return call("GET", "/version")
        except Exception:  # noqa: BLE001 - kubectl prints the client version regardless
            return None
    return None


@command("version", Flag("client", BOOL), Flag("output", STR, "o"), help="Print the client and server version information")
def cmd_version(ctx, p):
    client = {"major": "1", "minor": KUBECTL_VERSION.split(".")[1], "gitVersion": KUBECTL_VERSION}
    server = None if p.get("client") else server_version(ctx.backend)
    if p.get("output") in ("json", "yaml"):
        from .serialize import to_json, to_yaml
        doc = {"clientVersion": client, "kustomizeVersion": KUSTOMIZE_VERSION}
        if server:
            doc["serverVersion"] = server
        ctx.write(to_json(doc, sort_keys=False) if p.get("output") == "json" else to_yaml(doc))
        return
    ctx.print(f"Client Version: {KUBECTL_VERSION}")
    ctx.print(f"Kustomize Version: {KUSTOMIZE_VERSION}")
    if server:
        ctx.print(f"Server Version: {server['gitVersion']}")
        skew = int(client["minor"]) - int(re.sub(r"\D", "", str(server.get("minor", "0"))) or 0)
        if abs(skew) > 1:
            ctx.err.append(f"WARNING: version difference between client (1.{client['minor']}) and server "
                           f"(1.{server.get('minor')}) exceeds the supported minor version skew of +/-1\n")


# -- api-resources --------------------------------------------------------------------------------

@command("api-resources", Flag("namespaced", BOOL, default=True), Flag("api-group"), Flag("verbs", ARRAY),
         Flag("output", STR, "o"), Flag("no-headers", BOOL), Flag("sort-by"), Flag("categories", ARRAY),
         Flag("cached", BOOL), help="Print the supported API resources on the server")
def cmd_api_resources(ctx, p):
    rts = []
    for rt in all_resources(ctx.backend):
        if p.has("namespaced") and rt.namespaced != p.get("namespaced"):
            continue
        if p.has("api-group") and rt.group != p.get("api-group"):
            continue
        if p.get("verbs") and not set(p.get("verbs")) <= set(rt.verbs):
            continue
        if p.get("categories") and not set(p.get("categories")) <= set(rt.categories):
            continue
        rts.append(rt)
    key = {"name": lambda r: r.plural, "kind": lambda r: r.kind}.get(p.get("sort-by") or "", lambda r: r.group)
    rts.sort(key=lambda r: (key(r), r.plural))
    if p.get("output") == "name":
        ctx.write("".join(f"{r.plural}{'.' + r.group if r.group else ''}\n" for r in rts))
        return
    wide = p.get("output") == "wide"
    rows = [] if p.get("no-headers") else [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"] +
                                          (["VERBS", "CATEGORIES"] if wide else [])]
    for r in rts:
        row = [r.plural, ",".join(r.short_names), r.api_version, "true" if r.namespaced else "false", r.kind]
        if wide:
            row += ["[" + " ".join(r.verbs) + "]", ",".join(r.categories)]
        rows.append(row)
    ctx.write(tabwriter.table(rows))


@command("api-versions", help="Print the supported API versions on the server, in the form of \"group/version\"")
def cmd_api_versions(ctx, p):
    versions = sorted({rt.api_version for rt in all_resources(ctx.backend)})
    ctx.write("".join(v + "\n" for v in versions))


# -- explain --------------------------------------------------------------------------------------

def _openapi_document(backend, rt) -> dict:
    """The group-version's OpenAPI v3 document: the mini cluster's own, or a real server's."""
    api = getattr(backend, "api", None)
    call = getattr(api, "_call", None)
    if call is not None and not hasattr(api, "store"):
        gv = f"apis/{rt.group}/{rt.version}" if rt.group else f"api/{rt.version}"
        try:
            return call("GET", f"/openapi/v3/{gv}")
        except Exception:  # noqa: BLE001 - fall back on the document labkit would serve
            pass
    from labkit.minicluster.http.openapi import group_version_document
    return group_version_document(rt.group, rt.version)


def explain_text(rt, path: list[str], recursive: bool = False, backend=None, ctx=None) -> str:
    """The page real kubectl prints, rendered from the same OpenAPI v3 document. On an error,
    what kubectl had printed before it (the header) goes to ``ctx``'s stdout."""
    from labkit.minicluster.schema.explain import ExplainError, render
    doc = _openapi_document(backend, rt)
    try:
        return render(doc, rt.group, rt.version, rt.kind, path, recursive)
    except ExplainError as e:
        if ctx is not None:
            ctx.write(e.printed)
        raise KubectlError(str(e)) from None


@command("explain", Flag("recursive", BOOL), Flag("api-version"), Flag("output", STR, "o"),
         help="Get documentation for a resource")
def cmd_explain(ctx, p):
    if not p.args:
        raise KubectlError("You must specify the type of resource to explain. Use \"kubectl api-resources\" "
                           "for a complete list of supported resources.")
    parts = p.args[0].split(".")
    try:
        rt = resource_for(ctx.backend, parts[0])
    except KubectlError as e:  # explain prints the RESTMapper's error without "error: "
        ctx.err.append(e.message + "\n")
        return 1
    ctx.write(explain_text(rt, parts[1:], bool(p.get("recursive")), ctx.backend, ctx))


# -- auth -----------------------------------------------------------------------------------------

def effective_user(ctx, p):
    from labkit.minicluster.apiserver import ADMIN, UserInfo
    if p.get("as"):
        return UserInfo(p.get("as"), tuple(p.get("as-group") or ()) + ("system:authenticated",))
    return getattr(ctx.backend, "kubectl_user", None) or ADMIN


def can_i(ctx, user, verb: str, rt, namespace, name=None, subresource=None, explicit_user=False) -> bool:
    """Ask the authorizer: the mini cluster's directly, a real cluster through a
    SelfSubjectAccessReview (or a SubjectAccessReview for ``--as``)."""
    api = ctx.backend.api
    if hasattr(api, "authorizer"):
        if api.authorizer is None:
            return True
        allowed, _ = api.authorizer.authorize(user, verb, rt, namespace, name, subresource)
        return allowed
    attrs = {"verb": verb, "group": rt.group, "resource": rt.plural}
    for k, v in (("namespace", namespace), ("name", name), ("subresource", subresource)):
        if v:
            attrs[k] = v
    kind = "SubjectAccessReview" if explicit_user else "SelfSubjectAccessReview"
    spec = {"resourceAttributes": attrs}
    if explicit_user:
        spec.update(user=user.name, groups=list(user.groups))
    review = api.create(kind.lower() + "s", {"apiVersion": "authorization.k8s.io/v1", "kind": kind, "spec": spec})
    return bool((review.get("status") or {}).get("allowed"))


@command("auth", Flag("all-namespaces", BOOL, "A"), Flag("quiet", BOOL, "q"), Flag("subresource"),
         Flag("list", BOOL), Flag("no-headers", BOOL), Flag("output", STR, "o"),
         help="Inspect authorization")
def cmd_auth(ctx, p):
    if not p.args or p.args[0] not in ("can-i", "whoami"):
        raise KubectlError("labkit's kubectl supports 'kubectl auth can-i' and 'kubectl auth whoami'")
    user = effective_user(ctx, p)
    if p.args[0] == "whoami":
        rows = [["ATTRIBUTE", "VALUE"], ["Username", user.name], ["Groups", "[" + " ".join(user.groups) + "]"]]
        ctx.write(tabwriter.table(rows))
        return
    args = p.args[1:]
    if len(args) < 2:
        raise KubectlError("you must specify two arguments: verb resource or verb resource/resourceName.")
    verb, target = args[0], args[1]
    kind, _, name = target.partition("/")
    name = name or (args[2] if len(args) > 2 else None)
    try:
        rt = resource_for(ctx.backend, kind)
    except KubectlError:
        from labkit.minicluster.resources import ResourceType
        ctx.err.append(f"Warning: the server doesn't have a resource type '{kind}'\n\n")
        base, _, group = kind.lower().partition(".")
        rt = ResourceType(group, "", base, base, True)
    ns = None if (p.get("all-namespaces") or not rt.namespaced) else ctx.namespace
    allowed = can_i(ctx, user, verb, rt, ns, name, p.get("subresource"), bool(p.get("as")))
    if not p.get("quiet"):
        ctx.print("yes" if allowed else "no")
    return 0 if allowed else 1


# -- config and cluster-info ----------------------------------------------------------------------

def context_name(backend) -> str:
    return getattr(backend, "context", None) or getattr(backend, "context_name", None) or "labkit"


@command("config", Flag("current", BOOL), Flag("minify", BOOL), Flag("output", STR, "o"),
         Flag("raw", BOOL), help="Modify kubeconfig files")
def cmd_config(ctx, p):
    sub = p.args[0] if p.args else ""
    name = context_name(ctx.backend)
    if sub == "current-context":
        ctx.print(name)
    elif sub == "set-context":
        if not p.get("current") and (len(p.args) < 2 or p.args[1] != name):
            raise KubectlError("labkit's kubectl can only modify the current context (use --current)")
        if ctx.explicit_ns:
            ctx.backend.default_namespace = ctx.namespace
        ctx.print(f'Context "{name}" modified.')
    elif sub == "get-contexts":
        rows = [["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"],
                ["*", name, name, getattr(effective_user(ctx, p), "name", ""),
                 getattr(ctx.backend, "default_namespace", "default")]]
        ctx.write(tabwriter.table(rows))
    elif sub == "view":
        from .serialize import to_yaml
        doc = {"apiVersion": "v1", "kind": "Config", "current-context": name,
               "clusters": [{"name": name, "cluster": {"server": _server_url(ctx.backend)}}],
               "contexts": [{"name": name, "context": {"cluster": name, "user": name,
                                                       "namespace": ctx.backend.default_namespace}}],
               "users": [{"name": name, "user": {}}], "preferences": {}}
        ctx.write(to_yaml(doc))
    else:
        raise KubectlError("labkit's kubectl supports config current-context, get-contexts, view and "
                           "set-context --current --namespace=NS")


def _server_url(backend) -> str:
    return getattr(backend, "server_url", None) or "labkit://in-memory-cluster"


@command("cluster-info", help="Display cluster information")
def cmd_cluster_info(ctx, p):
    url = _server_url(ctx.backend)
    ctx.print(f"Kubernetes control plane is running at {url}")
    try:
        svcs = ctx.api.list("services", "kube-system", label_selector="kubernetes.io/cluster-service=true")["items"]
    except errors.ApiError:
        svcs = []
    for svc in svcs:
        name = (svc["metadata"].get("labels") or {}).get("kubernetes.io/name") or svc["metadata"]["name"]
        ports = (svc.get("spec") or {}).get("ports") or []
        port = ports[0].get("name") or str(ports[0].get("port")) if ports else ""
        ctx.print(f"{name} is running at {url}/api/v1/namespaces/kube-system/services/"
                  f"{svc['metadata']['name']}:{port}/proxy")
    ctx.print("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.")


# -- what an in-memory kubectl cannot do ----------------------------------------------------------

_INTERACTIVE = {"attach": "Attach to a running container",
                "port-forward": "Forward one or more local ports to a pod", "cp": "Copy files to and from containers",
                "edit": "Edit a resource on the server", "debug": "Create debugging sessions",
                "proxy": "Run a proxy to the Kubernetes API server"}


#: commands the cluster itself cannot serve, real kubectl or not: why, and what to do instead
_NOT_SIMULATED = {
    "port-forward": "the cluster does not stream pods/portforward; reach a pod or Service from "
                    "inside the cluster with kubectl exec POD -- wget -qO- http://SERVICE",
    "cp": "kubectl cp runs tar in the container, and the simulated images have no tar; read a "
          "file with kubectl exec POD -- cat FILE",
}


def _unsupported(name):
    def cmd(ctx, p):
        if name in _NOT_SIMULATED:
            raise KubectlError(f"'kubectl {name}' is not available on labkit's in-memory cluster: "
                               + _NOT_SIMULATED[name])
        raise KubectlError(f"'kubectl {name}' needs a terminal or a network connection, which labkit's "
                           "in-notebook kubectl does not have; serve the cluster (cluster.serve()) and "
                           "use the real kubectl for it")
    return cmd


for _name, _help in _INTERACTIVE.items():
    command(_name, Flag("container", STR, "c"), Flag("stdin", BOOL, "i"), Flag("tty", BOOL, "t"),
            Flag("filename", ARRAY, "f"), help=_help)(_unsupported(_name))
