"""Who talked to whom: a request recorder and the sequence diagram drawn from it.

Kubernetes components never call each other. Each one talks only to the API server: it
*watches* the objects it cares about and *writes* its decisions back. A pod's creation is
therefore a relay through the API server and etcd::

    with viz.FlowRecorder(cluster) as rec:           # start listening
        cluster.apply(deployment_yaml)
        cluster.run(3)
    viz.sequence_diagram(rec.messages())             # kubectl, API server, etcd, ... lanes

:class:`FlowRecorder` listens at two places of the in-memory cluster, like an auditor:

* the API server's **audit** hook (``api.audit``): which identity sent which request
  (``system:kube-scheduler`` creating ``pods/binding``...);
* **etcd** (the store's watch): every write that request caused, at which virtual time and
  revision, with the object before and after.

Events recorded by the kubelet (``Pulling``, ``Created``, ``Started``...) stand for its calls
to the container runtime through the CRI (``PullImage``, ``CreateContainer``,
``StartContainer``): the runtime itself writes nothing to the API.

:meth:`FlowRecorder.messages` turns the writes into arrows. A *watch* arrow (API server →
component) is drawn before a component's write when that write answers an earlier write by
someone else to the same object or to its owner (the replica set controller creating a pod
answers the ReplicaSet's creation). That is an inference from the data, labelled ``watch:``:
the real notification is the informer's watch event, which the recorder does not see.

Simplifications: one ``kubelet`` lane for all nodes (the node is named in the message); reads
(get/list) are not shown; controllers' own status updates can be left out (``status=False``).
"""
from __future__ import annotations

from .diagram import COLORS, Diagram, esc, new_graph, plural

#: The lanes of a pod-creation diagram, left to right.
ACTORS = ("kubectl", "API server", "etcd", "controller-manager", "scheduler", "kubelet", "runtime")

#: Kubelet event reason -> (direction, CRI call or answer). ``to`` = kubelet → runtime.
CRI_CALLS = {"Pulling": ("to", "PullImage {image}"), "Pulled": ("from", "image {image} ready"),
             "Created": ("to", "CreateContainer {container}"),
             "Started": ("to", "StartContainer {container}"),
             "Killing": ("to", "StopContainer {container}")}

#: Minimum width of a lane's column (points): browsers often draw wider fonts than Graphviz
#: measured, so the columns leave room.
LANE_WIDTH = 130

WRITE_VERBS = ("create", "update", "patch", "delete")
DEFAULT_RESOURCES = ("deployments.apps", "replicasets.apps", "pods", "events")

_LANE_COLORS = {"kubectl": COLORS["user"], "API server": COLORS["control-plane"],
                "etcd": COLORS["etcd"], "controller-manager": COLORS["control-plane"],
                "scheduler": COLORS["control-plane"], "kubelet": COLORS["agent"],
                "runtime": COLORS["runtime"]}


def lane_of(user: str) -> str:
    """The diagram lane of an API identity (``system:node:node-1`` → ``kubelet``)."""
    if user == "system:kube-scheduler":
        return "scheduler"
    if user.startswith("system:node:"):
        return "kubelet"
    if user == "system:kube-controller-manager" or (
            user.startswith("system:serviceaccount:kube-system:") and user.endswith("-controller")):
        return "controller-manager"
    if user == "system:kube-proxy":
        return "kube-proxy"
    return "kubectl" if not user.startswith("system:") else user


def short_actor(user: str) -> str:
    """``system:serviceaccount:kube-system:replicaset-controller`` → ``replicaset-controller``."""
    if user.startswith("system:serviceaccount:"):
        return user.rsplit(":", 1)[-1]
    if user.startswith("system:node:"):
        return "kubelet " + user.rsplit(":", 1)[-1]
    return user.removeprefix("system:")


def changed_fields(old: dict | None, new: dict | None, depth: int = 2) -> list[str]:
    """Dotted paths (up to ``depth`` levels below the top) whose value differs; the
    resourceVersion, which changes with every write, is left out."""
    out: list[str] = []

    def walk(a, b, path, level):
        if a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict) and level < depth:
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{path}.{k}" if path else k, level + 1)
        elif path != "metadata.resourceVersion":
            out.append(path)
    walk(old or {}, new or {}, "", -1)
    return out


class FlowRecorder:
    """Record requests and etcd writes of an in-memory cluster (a context manager).

    ``writes`` is a list of dicts: ``time`` (virtual seconds since the recording began),
    ``revision``, ``user``, ``verb`` (``create``/``update``/``patch``/``delete``),
    ``subresource``, ``resource``, ``namespace``, ``name``, ``kind``, ``type`` (``PUT`` or
    ``DELETE``), ``old`` and ``new`` (the object before and after).
    """

    def __init__(self, cluster, resources=DEFAULT_RESOURCES):
        if not hasattr(cluster, "store") or not hasattr(cluster.api, "audit"):
            from labkit.client import SimulationOnly
            raise SimulationOnly("Recording every request")
        self.cluster = cluster
        self.resources = tuple(resources)
        self.writes: list[dict] = []
        self._request = None
        self._cancels: list = []
        self.start = None

    # -- recording --------------------------------------------------------------------------
    def __enter__(self) -> "FlowRecorder":
        from labkit.minicluster.objects import loads
        self._loads = loads
        self.start = self.cluster.now()
        self.cluster.api.audit.append(self._on_request)
        for res in self.resources:
            self._cancels.append(self.cluster.store.watch(f"/registry/{res}/", self._on_write))
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self._on_request in self.cluster.api.audit:
            self.cluster.api.audit.remove(self._on_request)
        for cancel in self._cancels:
            cancel()
        self._cancels = []

    def _on_request(self, user, verb, rt, namespace, name, subresource) -> None:
        if verb in WRITE_VERBS:
            self._request = (user.name, verb, subresource or "")

    def _on_write(self, ev) -> None:
        parts = ev.kv.key.split("/")
        namespace, name = (parts[3], parts[4]) if len(parts) == 5 else (None, parts[3])
        user, verb, sub = self._request or ("?", "?", "")
        new = None if ev.type == "DELETE" else self._loads(ev.kv.value)
        old = self._loads(ev.prev.value) if ev.prev is not None else None
        self.writes.append({"time": round(self.cluster.now() - self.start, 3),
                            "revision": ev.kv.mod_revision, "key": ev.kv.key, "user": user, "verb": verb,
                            "subresource": sub, "resource": parts[2], "namespace": namespace,
                            "name": name, "kind": (new or old or {}).get("kind", ""),
                            "type": ev.type, "old": old, "new": new})

    # -- reading ----------------------------------------------------------------------------
    def frame(self, resources=None):
        """The writes as a pandas DataFrame: time, revision, who, request, object, fields."""
        import pandas as pd
        rows = [{"time": w["time"], "revision": w["revision"], "who": short_actor(w["user"]),
                 "request": w["verb"] + (f" {w['resource']}/{w['subresource']}" if w["subresource"]
                                         else f" {w['resource']}"),
                 "object": f"{w['kind'].lower()}/{w['name']}",
                 "fields changed": ", ".join(changed_fields(w["old"], w["new"]))}
                for w in self.writes
                if w["resource"] != "events" and (resources is None or w["resource"] in resources)]
        return pd.DataFrame(rows, columns=["time", "revision", "who", "request", "object",
                                           "fields changed"])

    def messages(self, status: bool = False, resources=None) -> list[dict]:
        """The recording as sequence-diagram messages ``{time, sender, receiver, text}``.

        ``status=False`` leaves out controllers' writes of their own objects' status (the
        kubelet's pod status is always kept: it is how a pod becomes Running)."""
        out: list[dict] = []
        delivered: set = set()
        sandboxes: set = set()
        for i, w in enumerate(self.writes):
            if w["resource"] == "events":
                out.extend(self._runtime_messages(w, sandboxes))
                continue
            if resources is not None and w["resource"] not in resources:
                continue
            lane = lane_of(w["user"])
            if not status and w["subresource"] == "status" and lane != "kubelet":
                continue
            trigger = self._trigger(i)
            if trigger is not None and lane != "kubectl" and (w["user"], trigger["revision"]) not in delivered:
                delivered.add((w["user"], trigger["revision"]))
                out.append(_msg(w["time"], "API server", lane, f"watch: {_describe(trigger)}"))
            who = short_actor(w["user"]) if lane in ("controller-manager", "kubelet") else ""
            out.append(_msg(w["time"], lane, "API server", (f"[{who}] " if who else "") + describe_write(w)))
            out.append(_msg(w["time"], "API server", "etcd",
                            f"{'DELETE' if w['type'] == 'DELETE' else 'PUT'} {w['key']} "
                            f"(rev {w['revision']})"))
        return out

    def _trigger(self, index: int) -> dict | None:
        """The latest earlier write, by another identity, to the same object or to its owner."""
        w = self.writes[index]
        obj = w["new"] or w["old"] or {}
        owners = {(r.get("kind"), r.get("name")) for r in obj.get("metadata", {}).get("ownerReferences") or ()}
        earlier = [p for p in reversed(self.writes[:index])
                   if p["resource"] != "events" and p["user"] != w["user"]
                   and p["namespace"] == w["namespace"]]
        for prev in earlier:
            if prev["resource"] == w["resource"] and prev["name"] == w["name"]:
                return prev
        return next((p for p in earlier if (p["kind"], p["name"]) in owners), None)

    @staticmethod
    def _runtime_messages(w: dict, sandboxes: set) -> list[dict]:
        ev = w["new"]
        if ev is None or (ev.get("source") or {}).get("component") != "kubelet" or w["type"] != "PUT" \
                or w["old"] is not None:
            return []
        call = CRI_CALLS.get(ev.get("reason"))
        if call is None:
            return []
        inv = ev.get("involvedObject") or {}
        out = []
        if inv.get("uid") not in sandboxes and ev.get("reason") != "Killing":
            sandboxes.add(inv.get("uid"))
            out.append(_msg(w["time"], "kubelet", "runtime", f"RunPodSandbox {inv.get('name')}"))
        direction, text = call
        message = ev.get("message") or ""
        image = message.split('"')[1] if '"' in message else ""
        container = message.rsplit(" ", 1)[-1] if ev.get("reason") in ("Created", "Started", "Killing") else ""
        text = text.format(image=image, container=container)
        sender, receiver = ("kubelet", "runtime") if direction == "to" else ("runtime", "kubelet")
        out.append(_msg(w["time"], sender, receiver, text))
        return out


def _msg(time, sender, receiver, text) -> dict:
    return {"time": time, "sender": sender, "receiver": receiver, "text": text}


def describe_write(w: dict) -> str:
    """A recorded write as the request that made it (``create pods/binding web-1: node node-2``)."""
    res = w["resource"].split(".")[0]
    obj = w["new"] or {}
    if w["subresource"] == "binding":
        return f"create {res}/binding {w['name']}: node {obj.get('spec', {}).get('nodeName')}"
    if w["subresource"] == "status" and res == "pods":
        st, before = obj.get("status") or {}, (w["old"] or {}).get("status") or {}
        old_conds = {c["type"]: c.get("status") for c in before.get("conditions") or ()}
        conds = [f"{c['type']}={c.get('status')}" for c in st.get("conditions") or ()
                 if c["type"] in ("Ready", "DisruptionTarget") and old_conds.get(c["type"]) != c.get("status")]
        ip = [f"podIP {st['podIP']}"] if st.get("podIP") and not before.get("podIP") else []
        return f"update pods/status {w['name']} ({', '.join([str(st.get('phase'))] + conds + ip)})"
    verb = "delete" if w["type"] == "DELETE" else w["verb"]
    sub = f"/{w['subresource']}" if w["subresource"] else ""
    return f"{verb} {res}{sub} {w['name']}"


def _describe(w: dict) -> str:
    kind = w["kind"].lower() or w["resource"]
    if w["type"] == "DELETE":
        return f"DELETED {kind} {w['name']}"
    what = "ADDED" if w["old"] is None else "MODIFIED"
    extra = ""
    if w["resource"] == "pods":
        node = (w["new"].get("spec") or {}).get("nodeName")
        extra = f" (on {node})" if node else " (no node yet)"
    return f"{what} {kind} {w['name']}{extra}"


def to_frame(messages):
    """Messages as a pandas DataFrame (time, from, to, message)."""
    import pandas as pd
    return pd.DataFrame([{"time": m["time"], "from": m["sender"], "to": m["receiver"],
                          "message": m["text"]} for m in messages],
                        columns=["time", "from", "to", "message"])


def sequence_diagram(messages, actors=ACTORS, title: str = "pod creation", limit: int = 60) -> Diagram:
    """A sequence diagram: one column per actor, one row per message, top to bottom in time
    order. Each row shows the time and an arrow from the sender's column to the receiver's.

    Drawn as one Graphviz HTML table, so the layout is the same on every machine."""
    actors = list(actors)
    rows = [m for m in messages if m["sender"] in actors and m["receiver"] in actors][:limit]
    cells = ['<tr><td bgcolor="#f2f2f2" border="1" width="64"><b>time (s)</b></td>' +
             "".join(f'<td bgcolor="{_LANE_COLORS.get(a, COLORS["node"])}" border="1" '
                     f'width="{LANE_WIDTH}"><font point-size="10"><b>{esc(a)}</b></font></td>' for a in actors) + "</tr>"]
    for n, m in enumerate(rows, start=1):
        i, j = actors.index(m["sender"]), actors.index(m["receiver"])
        lo, hi = min(i, j), max(i, j)
        arrow = (f"{n}. {esc(m['text'])} --&gt;" if j > i else f"&lt;-- {n}. {esc(m['text'])}")
        row = [f'<td align="right"><font point-size="9">{m["time"]:.3f}</font></td>']
        row += ['<td><font color="#999999">|</font></td>'] * lo
        row.append(f'<td colspan="{hi - lo + 1}" align="{"left" if j > i else "right"}" '
                   f'bgcolor="{_LANE_COLORS.get(m["sender"], COLORS["normal"])}" border="1">'
                   f'<font face="Courier" point-size="9">{arrow}</font></td>')
        row += ['<td><font color="#999999">|</font></td>'] * (len(actors) - hi - 1)
        cells.append("<tr>" + "".join(row) + "</tr>")
    g = new_graph("sequence")
    g.attr("node", shape="plain", style="")
    g.node("table", label='<<table border="0" cellborder="0" cellspacing="0" cellpadding="4">'
                          + "".join(cells) + "</table>>")
    lanes = sorted({m["sender"] for m in rows} | {m["receiver"] for m in rows}, key=actors.index)
    return Diagram(g, f"sequence: {title}",
                   f"{plural(len(rows), 'message')} between {', '.join(lanes) or 'nobody'}")
