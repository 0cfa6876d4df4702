"""Subresources and action endpoints: status, scale, binding, eviction, log, token, finalize,
and the access reviews behind ``kubectl auth can-i``."""
from __future__ import annotations

from .. import errors
from ..objects import clone
from ..scale import scale_of

#: kinds that are actions (POST-only, never stored)
POST_ONLY = {"Binding", "SelfSubjectAccessReview", "SubjectAccessReview", "SelfSubjectReview"}


async def handle(h, verb, t, user):
    sub = t.subresource
    base, _, rest = (sub or "").partition("/")
    if sub and base not in t.rt.subresources:
        raise errors.no_route()
    if base == "proxy" and t.rt.kind in ("Service", "Pod"):
        from . import proxy
        return proxy.handle(h, verb, t, user, rest)
    with h.cluster.lock:
        if t.rt.kind in POST_ONLY:
            return h.send_json(_review_or_binding(h, t, user), 201)
        if sub in ("status", "finalize", "ephemeralcontainers"):  # a part of the object
            return _status(h, verb, t, user)
        if sub == "scale":
            return _scale(h, verb, t, user)
        if sub == "binding" and verb == "POST":
            body = h.body_json() or {}
            target = (body.get("target") or {}).get("name")
            if not target:
                raise errors.invalid("Binding", t.name, [{"reason": "FieldValueRequired",
                                                          "message": "Required value", "field": "target.name"}])
            h.api.bind(t.name, t.namespace, target, user=user)
            h.server.after_write()
            return h.send_json({"kind": "Status", "apiVersion": "v1", "metadata": {},
                                "status": "Success", "code": 201}, 201)
        if sub == "eviction" and verb == "POST":
            body = h.body_json() or {}
            opts = body.get("deleteOptions") or {}
            h.api._authorize(user, "create", t.rt, t.namespace, t.name, "eviction")
            evict = getattr(h.cluster, "evict", None)
            if evict is not None:
                evict(t.name, t.namespace, grace_period_seconds=opts.get("gracePeriodSeconds"))
            else:
                h.api.delete("pods", t.name, t.namespace,
                             grace_period_seconds=opts.get("gracePeriodSeconds"))
            h.server.after_write()
            return h.send_json({"kind": "Status", "apiVersion": "v1", "metadata": {},
                                "status": "Success", "code": 201}, 201)
        if sub == "log" and verb == "GET":
            return _log(h, t, user)
        if sub == "token" and verb == "POST" and t.rt.kind == "ServiceAccount":
            h.api._authorize(user, "create", t.rt, t.namespace, t.name, "token")
            return h.send_json(_token_request(h, t, h.body_json() or {}), 201)
    raise errors.no_route()


def _token_request(h, t, body: dict) -> dict:
    """POST serviceaccounts/NAME/token (pkg/registry/core/serviceaccount/storage/token.go): a
    signed JWT for the account, optionally bound to a Pod or Secret of the same namespace."""
    from .. import tokens
    from ..clock import rfc3339
    from ..errors import invalid
    from ..validation.fields import invalid as bad_value, not_supported
    sa = h.api.get("serviceaccounts", t.name, t.namespace)
    spec = dict(body.get("spec") or {})
    seconds = int(spec.get("expirationSeconds") or tokens.DEFAULT_EXPIRATION_SECONDS)
    if seconds < tokens.MIN_EXPIRATION_SECONDS:
        raise invalid("TokenRequest", t.name, [bad_value(
            "spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes")],
            "authentication.k8s.io")
    audiences = spec.get("audiences") or [tokens.ISSUER]
    bound, ref = None, spec.get("boundObjectRef")
    if ref:
        resource = {"Pod": "pods", "Secret": "secrets"}.get(ref.get("kind"))
        if resource is None:
            raise invalid("TokenRequest", t.name, [not_supported(
                "spec.boundObjectRef.kind", ref.get("kind"), ["Pod", "Secret"])],
                "authentication.k8s.io")
        obj = h.api.get(resource, ref.get("name", ""), t.namespace)
        bound = {"kind": ref["kind"], "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"]}
        ref = {**ref, "uid": bound["uid"]}
    now = h.cluster.clock.now()
    claims = tokens.bound_claims(t.namespace, t.name, sa["metadata"]["uid"], now, seconds,
                                 audiences, h.api.new_uid(), bound)
    spec.update({"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": ref})
    return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": t.name, "namespace": t.namespace, "creationTimestamp": None},
            "spec": spec,
            "status": {"token": tokens.sign(claims), "expirationTimestamp": rfc3339(claims["exp"])}}


def _status(h, verb, t, user):
    api = h.api
    if verb == "GET":
        return h.send_json(api.get(t.rt, t.name, t.namespace, user=user))
    if verb == "PUT":
        obj = api.update(t.rt, h.body_json(), t.namespace, subresource=t.subresource, user=user)
    elif verb == "PATCH":
        ctype = h.request.headers.get("Content-Type", "").split(";")[0].strip()
        obj = api.patch(t.rt, t.name, h.body_json(), ctype, t.namespace, subresource=t.subresource,
                        user=user)
    else:
        raise errors.method_not_allowed("the server does not allow this method on the requested resource")
    h.server.after_write()
    return h.send_json(obj)


def _scale(h, verb, t, user):
    """RBAC asks for ``RESOURCE/scale`` (``get``, ``update`` or ``patch``), not the resource:
    the HPA controller and ``kubectl scale`` need no right on the whole Deployment."""
    api = h.api
    if verb not in ("GET", "PUT", "PATCH"):
        raise errors.method_not_allowed("the server does not allow this method on the requested resource")
    api.authorize(user, {"GET": "get", "PUT": "update", "PATCH": "patch"}[verb],
                  t.rt, t.namespace, t.name, "scale")
    obj = api.get(t.rt, t.name, t.namespace)
    if verb == "GET":
        return h.send_json(scale_of(obj))
    body = h.body_json()
    if verb == "PATCH":
        from ..patch import apply_patch
        ctype = h.request.headers.get("Content-Type", "").split(";")[0].strip()
        body = apply_patch(scale_of(obj), body, ctype)
    replicas = ((body or {}).get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise errors.invalid("Scale", t.name, [{"reason": "FieldValueInvalid", "field": "spec.replicas",
                                               "message": f"Invalid value: {replicas}: must be greater than or equal to 0"}],
                             "autoscaling")
    rv = ((body or {}).get("metadata") or {}).get("resourceVersion")
    new = clone(obj)
    new["spec"]["replicas"] = replicas
    if rv:
        new["metadata"]["resourceVersion"] = rv
    new = api.update(t.rt, new, t.namespace, subresource="scale", user=user,
                     field_manager=h._options()["field_manager"])
    h.server.after_write()
    return h.send_json(scale_of(new))


def _log(h, t, user):
    h.api._authorize(user, "get", t.rt, t.namespace, t.name, "log")
    tail = h.q("tailLines")
    text = h.cluster.logs(t.name, namespace=t.namespace, container=h.q("container"),
                          previous=h.q("previous") == "true",
                          tail=int(tail) if tail is not None else None,
                          timestamps=h.q("timestamps") == "true")
    h.set_header("Content-Type", "text/plain")
    h.finish(text.encode())


def _self_subject_review(user) -> dict:
    """``kubectl auth whoami`` (pkg/registry/authentication/selfsubjectreview): who the
    request authenticated as, nothing stored."""
    info = {"username": user.name, "groups": list(user.groups)}
    if user.uid:
        info["uid"] = user.uid
    return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "status": {"userInfo": info}}


def _review_or_binding(h, t, user):
    if t.rt.kind == "SelfSubjectReview":
        return _self_subject_review(user)
    body = h.body_json() or {}
    if t.rt.kind == "Binding":
        target = (body.get("target") or {}).get("name")
        name = (body.get("metadata") or {}).get("name")
        h.api.bind(name, t.namespace, target, user=user)
        h.server.after_write()
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    spec = body.get("spec") or {}
    ra = spec.get("resourceAttributes") or {}
    if t.rt.kind == "SubjectAccessReview":
        h.api._authorize(user, "create", t.rt, None)
        from ..apiserver import UserInfo
        subject = UserInfo(spec.get("user", ""), tuple(spec.get("groups") or ()))
    else:
        subject = user
    allowed, reason = True, ""
    authz = h.api.authorizer
    if ra and authz is not None:
        try:
            rt = h.api.registry.for_name(f"{ra.get('resource')}.{ra.get('group')}" if ra.get("group")
                                         else ra.get("resource"))
        except errors.ApiError:
            rt = None
        if rt is not None:
            allowed, reason = authz.authorize(subject, ra.get("verb"), rt, ra.get("namespace") or None,
                                              ra.get("name") or None, ra.get("subresource") or None)
        else:
            allowed = "system:masters" in subject.groups
    elif spec.get("nonResourceAttributes"):
        allowed = True
    out = dict(body)
    out.setdefault("metadata", {})
    out["status"] = {"allowed": bool(allowed)}
    if reason:
        out["status"]["reason"] = reason
    return out
